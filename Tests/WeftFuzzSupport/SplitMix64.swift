/// A small deterministic generator (SplitMix64) so that fuzz cases are the same on every run
/// and a failure reproduces; shared by the fuzz tests of every layer.
public struct SplitMix64: Sendable {
    private var state: UInt64

    public init(seed: UInt64) { self.state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in `0..<bound`.
    public mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }

    /// `bytes` after 1 to `maxEdits` random edits, each one of: a byte replaced (by one from
    /// `alphabet`, or by any byte when it is empty), a byte removed, a byte inserted, or a run
    /// of up to 16 bytes repeated. Never empty.
    public mutating func mutate(_ bytes: [UInt8], maxEdits: Int = 4, alphabet: [UInt8] = []) -> [UInt8] {
        var bytes = bytes.isEmpty ? [0x20] : bytes
        for _ in 0..<(1 + below(maxEdits)) {
            let position = below(bytes.count)
            let byte = alphabet.isEmpty ? UInt8(truncatingIfNeeded: next()) : alphabet[below(alphabet.count)]
            switch below(4) {
            case 0: bytes[position] = byte
            case 1: bytes.remove(at: position)
            case 2: bytes.insert(byte, at: position)
            default: bytes.insert(contentsOf: bytes[position...].prefix(16), at: position)
            }
            if bytes.isEmpty { bytes = [0x20] }
        }
        return bytes
    }
}
