/// The bytes a ``Scheduling/MIPProblem`` and a ``Scheduling/MIPResult`` travel as between the
/// server and its MIP worker process (stdin and stdout): a 4-byte tag, then fixed-width
/// little-endian fields, each array preceded by its length. Pure encoding, no IO; decoding
/// returns nil on anything malformed (wrong tag, truncated, sizes that disagree).
extension Scheduling.MIPProblem {
    static let tag: [UInt8] = Array("WMP1".utf8)

    public func encoded() -> [UInt8] {
        var w = WireWriter()
        w.bytes(Self.tag)
        w.ints(columnStart)
        w.int32s(rowIndex)
        w.doubles(value)
        w.doubles(lower)
        w.doubles(upper)
        w.doubles(objective)
        w.flags(integer)
        w.doubles(rowLower)
        w.doubles(rowUpper)
        w.flag(start != nil)
        if let start { w.doubles(start) }
        w.double(seconds)
        w.int(nodeLimit ?? -1)
        w.int(parameters.count)
        for p in parameters { w.ints(p.utf8.map { Int($0) }) }
        return w.data
    }

    public init?(decoding data: [UInt8]) {
        var r = WireReader(data)
        guard r.bytes(Self.tag.count) == Self.tag,
              let columnStart = r.ints(), let rowIndex = r.int32s(), let value = r.doubles(),
              let lower = r.doubles(), let upper = r.doubles(), let objective = r.doubles(), let integer = r.flags(),
              let rowLower = r.doubles(), let rowUpper = r.doubles(), let hasStart = r.flag() else { return nil }
        var start: [Double]? = nil
        if hasStart { guard let s = r.doubles() else { return nil }; start = s }
        guard let seconds = r.double(), let nodes = r.int(), let count = r.int(), count >= 0, count < 1_000 else { return nil }
        var parameters: [String] = []
        for _ in 0..<count {
            guard let chars = r.ints(), chars.allSatisfy({ (0...255).contains($0) }) else { return nil }
            parameters.append(String(decoding: chars.map { UInt8($0) }, as: UTF8.self))
        }
        guard r.atEnd else { return nil }
        self.init(columnStart: columnStart, rowIndex: rowIndex, value: value, lower: lower, upper: upper, objective: objective,
                  integer: integer, rowLower: rowLower, rowUpper: rowUpper, start: start, seconds: seconds,
                  nodeLimit: nodes < 0 ? nil : nodes)
        self.parameters = parameters
        guard isWellFormed else { return nil }
    }
}

extension Scheduling.MIPResult {
    static let tag: [UInt8] = Array("WMR1".utf8)

    public func encoded() -> [UInt8] {
        var w = WireWriter()
        w.bytes(Self.tag)
        w.flag(values != nil)
        if let values { w.doubles(values) }
        w.flag(objective != nil)
        if let objective { w.double(objective) }
        w.flag(bestBound != nil)
        if let bestBound { w.double(bestBound) }
        w.flag(proven)
        w.int(nodes)
        return w.data
    }

    /// Decodes a worker's answer to a problem with `columns` columns.
    public init?(decoding data: [UInt8], columns: Int) {
        var r = WireReader(data)
        guard r.bytes(Self.tag.count) == Self.tag, let hasValues = r.flag() else { return nil }
        var values: [Double]? = nil
        if hasValues { guard let v = r.doubles(), v.count == columns, v.allSatisfy(\.isFinite) else { return nil }; values = v }
        guard let hasObjective = r.flag() else { return nil }
        var objective: Double? = nil
        if hasObjective { guard let v = r.double(), v.isFinite else { return nil }; objective = v }
        guard let hasBound = r.flag() else { return nil }
        var bestBound: Double? = nil
        if hasBound { guard let v = r.double(), v.isFinite else { return nil }; bestBound = v }
        guard let proven = r.flag(), let nodes = r.int(), nodes >= 0, r.atEnd else { return nil }
        // An answer must be coherent: a value needs its objective, a proof needs both.
        guard (values == nil) == (objective == nil), !proven || values != nil else { return nil }
        self.init(values: values, objective: objective, bestBound: bestBound, proven: proven, nodes: nodes)
    }
}

struct WireWriter {
    var data: [UInt8] = []

    mutating func bytes(_ b: [UInt8]) { data += b }
    mutating func int(_ v: Int) { withUnsafeBytes(of: Int64(v).littleEndian) { data += $0 } }
    mutating func double(_ v: Double) { withUnsafeBytes(of: v.bitPattern.littleEndian) { data += $0 } }
    mutating func flag(_ v: Bool) { data.append(v ? 1 : 0) }
    mutating func ints(_ a: [Int]) { int(a.count); for v in a { int(v) } }
    mutating func int32s(_ a: [Int32]) {
        int(a.count)
        for v in a { withUnsafeBytes(of: v.littleEndian) { data += $0 } }
    }
    mutating func doubles(_ a: [Double]) {
        int(a.count)
        data.reserveCapacity(data.count + 8 * a.count)
        for v in a { double(v) }
    }
    mutating func flags(_ a: [Bool]) { int(a.count); for v in a { flag(v) } }
}

struct WireReader {
    let data: [UInt8]
    var at = 0

    init(_ data: [UInt8]) { self.data = data }

    var atEnd: Bool { at == data.count }

    mutating func bytes(_ n: Int) -> [UInt8]? {
        guard n >= 0, data.count - at >= n else { return nil }
        defer { at += n }
        return Array(data[at..<at + n])
    }
    private mutating func word(_ n: Int) -> UInt64? {
        guard data.count - at >= n else { return nil }
        var v: UInt64 = 0
        for k in 0..<n { v |= UInt64(data[at + k]) << (8 * UInt64(k)) }
        at += n
        return v
    }
    mutating func int() -> Int? { word(8).map { Int(Int64(bitPattern: $0)) } }
    mutating func double() -> Double? { word(8).map { Double(bitPattern: $0) } }
    mutating func flag() -> Bool? {
        guard let b = word(1), b <= 1 else { return nil }
        return b == 1
    }
    /// An array length, checked against what is left (each element at least `width` bytes).
    private mutating func count(_ width: Int) -> Int? {
        guard let n = int(), n >= 0, n <= (data.count - at) / width else { return nil }
        return n
    }
    mutating func ints() -> [Int]? {
        guard let n = count(8) else { return nil }
        return (0..<n).map { _ in int()! }
    }
    mutating func int32s() -> [Int32]? {
        guard let n = count(4) else { return nil }
        return (0..<n).map { _ in Int32(bitPattern: UInt32(word(4)!)) }
    }
    mutating func doubles() -> [Double]? {
        guard let n = count(8) else { return nil }
        return (0..<n).map { _ in double()! }
    }
    mutating func flags() -> [Bool]? {
        guard let n = count(1) else { return nil }
        var out: [Bool] = []
        out.reserveCapacity(n)
        for _ in 0..<n { guard let f = flag() else { return nil }; out.append(f) }
        return out
    }
}
