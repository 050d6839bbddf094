/// A capability code such as `pcb.fab` or `cnc.milling`.
///
/// Pattern `^[a-z][a-z0-9]*(\.[a-z0-9]+)*$`, at most 64 characters. Matched by hand: the
/// rule is simple and this runs once per slot on the capacity hot path.
public struct Capability: Hashable, Comparable, Sendable, CustomStringConvertible, Codable {
    /// The code, guaranteed to match the pattern.
    public let code: String

    /// The capability for a valid code; nil otherwise.
    public init?(_ code: String) {
        guard Capability.isValid(code) else { return nil }
        self.code = code
    }

    /// Whether `code` matches the capability pattern and length.
    public static func isValid(_ code: String) -> Bool {
        let utf8 = code.utf8
        guard !utf8.isEmpty, utf8.count <= 64 else { return false }
        var atPartStart = true
        var first = true
        for byte in utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"):
                atPartStart = false
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                if first { return false }  // the first part starts with a letter
                atPartStart = false
            case UInt8(ascii: "."):
                if atPartStart { return false }  // no leading dot, no empty part
                atPartStart = true
            default:
                return false
            }
            first = false
        }
        return !atPartStart  // no trailing dot
    }

    public var description: String { code }

    public static func < (lhs: Capability, rhs: Capability) -> Bool { lhs.code < rhs.code }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let value = Capability(text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "\"\(text)\" is not a capability code")
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(code)
    }
}

/// A rule for short codes (regions, certifications, capabilities) with the message shown
/// when a value breaks it.
public struct CodeRule: Sendable {
    /// "must be …", completing the field name for a person.
    public let message: String
    let accepts: @Sendable (String) -> Bool

    /// A rule accepting the strings for which `accepts` is true.
    public init(message: String, accepts: @escaping @Sendable (String) -> Bool) {
        self.message = message
        self.accepts = accepts
    }

    /// Whether `text` is a valid code under this rule.
    public func isValid(_ text: String) -> Bool { accepts(text) }

    /// Capability codes; see `Capability`.
    public static let capability = CodeRule(
        message: "must be a capability code such as 'cnc.milling': lowercase letters and digits in dot-separated parts, starting with a letter, 64 characters or fewer",
        accepts: Capability.isValid)

    /// Pool codes (order pooling) such as `fr4.2l.hasl`: the capability pattern, 64 characters or fewer.
    public static let pool = CodeRule(
        message: "must be a pool code such as 'fr4.2l.hasl': lowercase letters and digits in dot-separated parts, starting with a letter, 64 characters or fewer",
        accepts: Capability.isValid)

    /// Certification codes such as `ISO9001` or `IATF-16949`: 1 to 64 of `[A-Za-z0-9._-]`.
    public static let certification = CodeRule(
        message: "must be a certification code such as 'ISO9001': 1 to 64 letters, digits, '.', '_' or '-'",
        accepts: { text in
            let utf8 = text.utf8
            return (1...64).contains(utf8.count) && utf8.allSatisfy { byte in
                isAlphanumeric(byte) || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
            }
        })

    /// Region codes such as `CN-GD`, `DE` or `US-CA` (ISO 3166 style, but not checked against
    /// the list, so private regions like `EU-WEST-2` work): `^[A-Z0-9]+(-[A-Z0-9]+)*$`, at
    /// most 32 characters. Uppercase only, so that filters match without case folding.
    public static let region = CodeRule(
        message: "must be a region code such as 'CN-GD': uppercase letters and digits in hyphen-separated parts, 32 characters or fewer",
        accepts: { text in
            let utf8 = text.utf8
            guard (1...32).contains(utf8.count) else { return false }
            var atPartStart = true
            for byte in utf8 {
                if byte == UInt8(ascii: "-") {
                    if atPartStart { return false }
                    atPartStart = true
                } else if (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) {
                    atPartStart = false
                } else {
                    return false
                }
            }
            return !atPartStart
        })
}

private func isAlphanumeric(_ byte: UInt8) -> Bool {
    (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
        || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
        || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
}

/// A resource id: a UUID in canonical lowercase form (`8-4-4-4-12` hex digits), as the
/// database writes them.
///
/// Validate path segments with it before querying, so `/v1/factories/not-a-uuid` is a 404
/// rather than a database error.
public struct EntityID: Hashable, Comparable, Sendable, CustomStringConvertible, Codable {
    /// The lowercase canonical text.
    public let text: String

    /// Accepts the canonical form in either case; nil for anything else.
    public init?(_ text: some StringProtocol) {
        let utf8 = Array(text.utf8)
        guard utf8.count == 36 else { return nil }
        var lowered = [UInt8]()
        lowered.reserveCapacity(36)
        for (offset, byte) in utf8.enumerated() {
            if offset == 8 || offset == 13 || offset == 18 || offset == 23 {
                guard byte == UInt8(ascii: "-") else { return nil }
                lowered.append(byte)
            } else if (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte) {
                lowered.append(byte)
            } else if (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(byte) {
                lowered.append(byte | 0x20)
            } else {
                return nil
            }
        }
        self.text = String(decoding: lowered, as: UTF8.self)
    }

    /// Whether `text` is a UUID this type accepts.
    public static func isValid(_ text: some StringProtocol) -> Bool { EntityID(text) != nil }

    public var description: String { text }

    public static func < (lhs: EntityID, rhs: EntityID) -> Bool { lhs.text < rhs.text }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let raw = try container.decode(String.self)
        guard let value = EntityID(raw) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "\"\(raw)\" is not a UUID")
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(text)
    }
}

/// The known name closest to `unknown` when it is plausibly a typo of it, for "did you mean".
///
/// Damerau-style edit distance (so swapped letters count once), case-insensitive; a
/// suggestion needs distance ≤ 2 and well under half the name, else it is noise.
func closestName(to unknown: String, among known: [String]) -> String? {
    let target = Array(unknown.lowercased().utf8)
    var best: (name: String, distance: Int)? = nil
    for name in known {
        let candidate = Array(name.lowercased().utf8)
        let limit = min(2, max(1, candidate.count / 3))
        guard abs(candidate.count - target.count) <= limit else { continue }
        let distance = osaEditDistance(target, candidate)
        if distance <= limit, distance < (best?.distance ?? .max) { best = (name, distance) }
    }
    return best?.name
}

/// Optimal-string-alignment distance: insertions, deletions, substitutions, adjacent swaps.
func osaEditDistance(_ a: [UInt8], _ b: [UInt8]) -> Int {
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous2 = [Int](repeating: 0, count: b.count + 1)
    var previous = Array(0...b.count)
    var current = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        current[0] = i
        for j in 1...b.count {
            let cost = a[i - 1] == b[j - 1] ? 0 : 1
            var value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                value = min(value, previous2[j - 2] + 1)
            }
            current[j] = value
        }
        (previous2, previous, current) = (previous, current, previous2)
    }
    return previous[b.count]
}
