/// Limits of list endpoints.
public enum ListLimits {
    /// `limit` when absent.
    public static let defaultLimit = 50
    /// `limit`.
    public static let limit = 1...500
    /// `cursor`, bytes.
    public static let cursorLength = 1...1_024
}

/// Reads query-string parameters with the same collect-everything behaviour as
/// `ObjectReader`; issues use the parameter name as the field.
///
/// An empty value (`?capability=&from=`) counts as absent, since forms and generated
/// clients send empty placeholders. A parameter given twice is refused unless read with
/// `values(_:allowed:)`, which also accepts comma-separated lists.
public struct QueryReader: Sendable {
    /// One decoded `name=value` pair.
    public struct Item: Sendable, Hashable {
        /// The decoded name.
        public var name: String
        /// The decoded value ("" for `?flag` or `?flag=`).
        public var value: String
        /// A parameter.
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    /// Every problem found so far.
    public private(set) var issues: [FieldIssue] = []
    /// The parameters in request order.
    public let items: [Item]
    private var asked: Set<String> = []

    /// A reader over already-decoded parameters.
    public init(_ items: [Item]) { self.items = items }

    /// A reader over already-decoded `(name, value)` pairs, such as an HTTP layer's parsed query.
    public init(pairs: [(name: String, value: String)]) {
        self.items = pairs.map { Item(name: $0.name, value: $0.value) }
    }

    /// A reader over a raw query string (`a=1&b=x%20y`, without the `?`): `+` is a space,
    /// percent escapes are decoded, and a malformed escape or invalid UTF-8 is an issue.
    public init(rawQuery: String) {
        var items: [Item] = []
        var issues: [FieldIssue] = []
        for pair in rawQuery.utf8.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let parts = pair.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            let name = percentDecode(parts[0])
            let value = parts.count > 1 ? percentDecode(parts[1]) : ""
            guard let name else {
                issues.append(FieldIssue(field: String(decoding: parts[0], as: UTF8.self), message: "is not valid percent-encoded UTF-8"))
                continue
            }
            guard let value else {
                issues.append(FieldIssue(field: name, message: "is not valid percent-encoded UTF-8"))
                continue
            }
            items.append(Item(name: name, value: value))
        }
        self.items = items
        self.issues = issues
    }

    /// Records a problem with a parameter.
    public mutating func report(_ name: String, _ message: String) {
        issues.append(FieldIssue(field: name, message: message))
    }

    /// The single non-empty value of `name`, marking it known; nil when absent or empty.
    public mutating func text(_ name: String) -> String? {
        asked.insert(name)
        var found: String? = nil
        var count = 0
        for item in items where item.name == name && !item.value.isEmpty {
            count += 1
            found = found ?? item.value
        }
        if count > 1 {
            report(name, "must be given only once")
            return nil
        }
        return found
    }

    private mutating func read<T>(_ name: String, _ message: String, _ convert: (String) -> T?) -> T? {
        guard let text = text(name) else { return nil }
        guard let value = convert(text) else { report(name, message); return nil }
        return value
    }

    /// `limit`: 1 through `ListLimits.limit.upperBound`, default `ListLimits.defaultLimit`.
    public mutating func limit(_ name: String = "limit", default defaultValue: Int = ListLimits.defaultLimit,
                               in range: ClosedRange<Int> = ListLimits.limit) -> Int {
        int(name, in: range) ?? defaultValue
    }

    /// `cursor`: opaque to this layer; only its length is checked here.
    public mutating func cursor(_ name: String = "cursor") -> String? {
        read(name, "must be a cursor returned as next_cursor by the previous page") { text in
            ListLimits.cursorLength.contains(text.utf8.count) ? text : nil
        }
    }

    /// A whole number in `range`.
    public mutating func int(_ name: String, in range: ClosedRange<Int>) -> Int? {
        read(name, ValidationMessage.wholeNumber(Int64(range.lowerBound)...Int64(range.upperBound))) { text in
            Int(text).flatMap { range.contains($0) ? $0 : nil }
        }
    }

    /// `true` or `false`.
    public mutating func bool(_ name: String) -> Bool? {
        read(name, ValidationMessage.bool) { text in text == "true" ? true : text == "false" ? false : nil }
    }

    /// A calendar date `YYYY-MM-DD`.
    public mutating func day(_ name: String) -> Day? { read(name, ValidationMessage.day) { Day(iso: $0) } }

    /// A date range from two parameters, each optional; `to` before `from` is refused.
    public mutating func dateRange(from fromName: String = "from", to toName: String = "to") -> (from: Day?, to: Day?) {
        let from = day(fromName)
        let to = day(toName)
        if let from, let to, to < from {
            report(toName, "must be on or after \(fromName) (\(from.iso))")
        }
        return (from, to)
    }

    /// A capability code.
    public mutating func capability(_ name: String) -> Capability? {
        read(name, CodeRule.capability.message) { Capability($0) }
    }

    /// A code under `rule`.
    public mutating func code(_ name: String, rule: CodeRule) -> String? {
        read(name, rule.message) { rule.isValid($0) ? $0 : nil }
    }

    /// A resource id.
    public mutating func id(_ name: String) -> EntityID? { read(name, ValidationMessage.id) { EntityID($0) } }

    /// One value of a fixed set.
    public mutating func oneOf(_ name: String, _ allowed: [String]) -> String? {
        read(name, ValidationMessage.oneOf(allowed)) { allowed.contains($0) ? $0 : nil }
    }

    /// Values of a fixed set (status filters): `status=a,b`, `status=a&status=b`, or both.
    /// Distinct, in first-seen order; empty when absent.
    public mutating func values(_ name: String, allowed: [String]) -> [String] {
        asked.insert(name)
        var result: [String] = []
        for item in items where item.name == name {
            for part in item.value.split(separator: ",", omittingEmptySubsequences: true) {
                let value = String(part)
                guard allowed.contains(value) else {
                    report(name, ValidationMessage.oneOf(allowed) + " (separate several with commas)")
                    return []
                }
                if !result.contains(value) { result.append(value) }
            }
        }
        return result
    }

    /// `values` for a string enum.
    public mutating func values<E: RawRepresentable & CaseIterable>(_ name: String, as type: E.Type) -> [E] where E.RawValue == String {
        values(name, allowed: E.allCases.map(\.rawValue)).compactMap(E.init(rawValue:))
    }

    /// Reports every parameter nobody asked about, with a suggestion where plausible.
    public mutating func finish() {
        var reported: Set<String> = []
        for item in items where !asked.contains(item.name) && reported.insert(item.name).inserted {
            report(item.name, ValidationMessage.unknownParameter(closestName(to: item.name, among: asked.sorted())))
        }
    }

    /// Throws the collected issues, if any.
    public func validate() throws(ValidationFailure) {
        if !issues.isEmpty { throw ValidationFailure(capping: issues) }
    }
}

/// Decodes `%XX` escapes and `+`; nil for a malformed escape or invalid UTF-8.
private func percentDecode(_ bytes: Substring.UTF8View) -> String? {
    var out: [UInt8] = []
    out.reserveCapacity(bytes.count)
    var index = bytes.startIndex
    while index < bytes.endIndex {
        let byte = bytes[index]
        if byte == UInt8(ascii: "%") {
            let first = bytes.index(after: index)
            guard first < bytes.endIndex, bytes.index(after: first) < bytes.endIndex,
                  let high = hexValue(bytes[first]), let low = hexValue(bytes[bytes.index(after: first)]) else { return nil }
            out.append(high << 4 | low)
            index = bytes.index(first, offsetBy: 2)
        } else {
            out.append(byte == UInt8(ascii: "+") ? UInt8(ascii: " ") : byte)
            index = bytes.index(after: index)
        }
    }
    return String(validating: out, as: UTF8.self)
}

private func hexValue(_ byte: UInt8) -> UInt8? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
    default: return nil
    }
}
