/// Reads typed fields out of a JSON object, collecting every problem instead of stopping at
/// the first, each with its full field path (`slots[17].date`).
///
/// Each accessor marks its key as known, returns the value when it is present and valid,
/// and otherwise records an issue (when one is due) and returns nil. `finish()` then reports
/// the fields nobody asked for, with a "did you mean" where one is plausible.
///
/// ```swift
/// var r = ObjectReader(json)
/// let name = r.string("name", required: true)
/// let quantity = r.int("quantity", required: true, in: 1...1_000_000)
/// r.finish()
/// if !r.issues.isEmpty { throw ValidationFailure(issues: r.issues) }
/// ```
public struct ObjectReader: Sendable {
    /// What an explicit `null` means for a field.
    public enum NullPolicy: Sendable {
        /// The same as leaving the field out (creation bodies).
        case absent
        /// An error, unless the caller asked `isNull(_:)` first (PATCH bodies, where null
        /// would otherwise be read as "clear it" for fields that cannot be cleared).
        case refused
    }

    /// Every problem found so far, including those of nested objects.
    public private(set) var issues: [FieldIssue] = []
    /// The object being read (empty when the value was not an object).
    public let object: JSONObject
    /// How explicit nulls are treated; nested readers inherit it.
    public var nullPolicy: NullPolicy

    // The path is built lazily: for 10,000 slot objects, formatting "slots[i]" eagerly
    // would cost more than the checks themselves.
    private let basePath: String
    private let elementIndex: Int?
    // Members 0..<64 are tracked by bit, the rest (only ever in hostile or mistaken
    // bodies) in an array, so that a well-formed object costs no allocation here.
    private var consumed: UInt64 = 0
    private var consumedBeyond64: [Int] = []
    // Keys asked for but absent: the only sensible "did you mean" targets, since a field
    // that is present was not mistyped.
    private var missing: [String] = []

    /// A reader for `value`; records "must be an object" when it is not one.
    ///
    /// - Parameter path: the field path of `value` itself; "" for a request body.
    public init(_ value: JSONValue, path: String = "", nulls: NullPolicy = .absent) {
        self.basePath = path
        self.elementIndex = nil
        self.nullPolicy = nulls
        if case .object(let object) = value {
            self.object = object
        } else {
            self.object = JSONObject()
            issues.append(FieldIssue(field: path, message: path.isEmpty ? "the body must be a JSON object" : ValidationMessage.object))
        }
    }

    init(element object: JSONObject, parentPath: String, index: Int, nulls: NullPolicy) {
        self.object = object
        self.basePath = parentPath
        self.elementIndex = index
        self.nullPolicy = nulls
    }

    /// The field path of this object: "" for the body, `capabilities[2]` for an element.
    public var path: String {
        guard let elementIndex else { return basePath }
        return "\(basePath)[\(elementIndex)]"
    }

    /// The full path of one of this object's fields.
    public func path(for key: String) -> String {
        let base = path
        return base.isEmpty ? key : "\(base).\(key)"
    }

    /// Records a problem with one of this object's fields (`key` "" means the object itself).
    public mutating func report(_ key: String, _ message: String) {
        issues.append(FieldIssue(field: key.isEmpty ? path : path(for: key), message: message))
    }

    /// Records issues found elsewhere (for example by a nested reader), paths already full.
    public mutating func append(contentsOf other: [FieldIssue]) {
        issues.append(contentsOf: other)
    }

    /// The raw value of `key`, marking it known.
    ///
    /// Nil when absent, or when null under `.absent`; records "is required" if it was
    /// required, and under `.refused` a null is reported as an error.
    public mutating func value(_ key: String, required: Bool = false) -> JSONValue? {
        guard let index = object.index(forKey: key) else {
            missing.append(key)
            if required { report(key, ValidationMessage.required) }
            return nil
        }
        markConsumed(index)
        let value = object.members[index].value
        if case .null = value {
            if required {
                report(key, ValidationMessage.required)
            } else if nullPolicy == .refused {
                report(key, ValidationMessage.notNull)
            }
            return nil
        }
        return value
    }

    /// Whether `key` is present with an explicit `null`; marks it known. Ask this first for
    /// fields where null means "clear".
    public mutating func isNull(_ key: String) -> Bool {
        guard let index = object.index(forKey: key) else {
            missing.append(key)
            return false
        }
        guard case .null = object.members[index].value else { return false }
        markConsumed(index)
        return true
    }

    private mutating func markConsumed(_ index: Int) {
        if index < 64 { consumed |= 1 << UInt64(index) } else { consumedBeyond64.append(index) }
    }

    /// Whether `key` is present at all (null included). Does not mark it known.
    public func contains(_ key: String) -> Bool { object.index(forKey: key) != nil }

    private mutating func read<T>(_ key: String, _ required: Bool, _ check: (JSONValue) -> CheckResult<T>) -> T? {
        guard let value = value(key, required: required) else { return nil }
        switch check(value) {
        case .ok(let result): return result
        case .bad(let message): report(key, message); return nil
        }
    }

    /// A string of `length` characters (Unicode scalars), with no control characters and,
    /// when it may not be empty, not blank.
    public mutating func string(_ key: String, required: Bool = false, length: ClosedRange<Int> = InputLimits.nameLength) -> String? {
        read(key, required) { ValueCheck.string($0, length: length) }
    }

    /// A whole number in `range`, also when written `3.0` or `3e0`; fractions and strings are refused.
    public mutating func int(_ key: String, required: Bool = false, in range: ClosedRange<Int>) -> Int? {
        read(key, required) { ValueCheck.int($0, in: Int64(range.lowerBound)...Int64(range.upperBound)) }.map { Int($0) }
    }

    /// A whole number in `range`, as `Int64` (seeds, large counters).
    public mutating func int64(_ key: String, required: Bool = false, in range: ClosedRange<Int64>) -> Int64? {
        read(key, required) { ValueCheck.int($0, in: range) }
    }

    /// An amount of money: whole minor units, 0 through `InputLimits.maxMoney`.
    public mutating func money(_ key: String, required: Bool = false) -> Int64? {
        read(key, required, ValueCheck.money)
    }

    /// Any finite number in `range`, fractions allowed (coordinates).
    public mutating func number(_ key: String, required: Bool = false, in range: ClosedRange<Double>) -> Double? {
        read(key, required) { ValueCheck.number($0, in: range) }
    }

    /// `true` or `false`; strings such as "true" are refused.
    public mutating func bool(_ key: String, required: Bool = false) -> Bool? {
        read(key, required, ValueCheck.bool)
    }

    /// A real calendar date written as `YYYY-MM-DD`.
    public mutating func day(_ key: String, required: Bool = false) -> Day? {
        read(key, required, ValueCheck.day)
    }

    /// A capability code.
    public mutating func capability(_ key: String, required: Bool = false) -> Capability? {
        read(key, required, ValueCheck.capability)
    }

    /// A code under `rule` (region, certification, ...).
    public mutating func code(_ key: String, required: Bool = false, rule: CodeRule) -> String? {
        read(key, required) { ValueCheck.code($0, rule) }
    }

    /// A resource id (UUID).
    public mutating func id(_ key: String, required: Bool = false) -> EntityID? {
        read(key, required, ValueCheck.id)
    }

    /// One of a fixed set of strings.
    public mutating func oneOf(_ key: String, required: Bool = false, _ allowed: [String]) -> String? {
        read(key, required) { ValueCheck.oneOf($0, allowed) }
    }

    /// One case of a string enum, listing the cases in the message when it is not one.
    public mutating func enumeration<E: RawRepresentable & CaseIterable>(_ key: String, required: Bool = false, as type: E.Type) -> E?
    where E.RawValue == String {
        oneOf(key, required: required, E.allCases.map(\.rawValue)).flatMap(E.init(rawValue:))
    }

    /// An array of `count` elements, each read by `read`. Nil when absent or when the array
    /// or any element is invalid. Elements are not read when the count is out of range, so
    /// an oversized array yields one issue, not thousands.
    public mutating func array<T>(_ key: String, required: Bool = false, count: ClosedRange<Int>,
                                  _ read: (inout ElementReader) -> T?) -> [T]? {
        guard let value = value(key, required: required) else { return nil }
        guard case .array(let elements) = value else { report(key, ValidationMessage.array); return nil }
        guard count.contains(elements.count) else { report(key, ValidationMessage.count(count, elements.count)); return nil }
        let arrayPath = path(for: key)
        var results: [T] = []
        results.reserveCapacity(elements.count)
        var failed = false
        for (index, element) in elements.enumerated() {
            var reader = ElementReader(element, parentPath: arrayPath, index: index, nulls: nullPolicy)
            let result = read(&reader)
            issues.append(contentsOf: reader.issues)
            if let result, reader.issues.isEmpty { results.append(result) } else { failed = true }
        }
        return failed ? nil : results
    }

    /// An array of objects, each read by `read` with its own reader (unknown fields in
    /// elements are reported too).
    public mutating func objects<T>(_ key: String, required: Bool = false, count: ClosedRange<Int>,
                                    _ read: (inout ObjectReader) -> T?) -> [T]? {
        array(key, required: required, count: count) { element in element.object(read) }
    }

    /// A set of distinct codes under `rule`, at most `max`, in the order given. A repeat is
    /// reported at its own index (`certifications[3]`), naming the first.
    public mutating func stringSet(_ key: String, required: Bool = false, max: Int, rule: CodeRule) -> [String]? {
        var firstIndex: [String: Int] = [:]
        return array(key, required: required, count: 0...max) { element in
            guard let code = element.code(rule) else { return nil }
            if let first = firstIndex[code] {
                element.report(ValidationMessage.repeats("'\(code)'", at: "\(element.parentPath)[\(first)]"))
                return nil
            }
            firstIndex[code] = element.index
            return code
        }
    }

    /// Reports every field that no accessor asked about. Call once, after reading.
    public mutating func finish() {
        for (index, member) in object.members.enumerated() {
            let known = index < 64 ? consumed & (1 << UInt64(index)) != 0 : consumedBeyond64.contains(index)
            if !known { report(member.key, ValidationMessage.unknownField(closestName(to: member.key, among: missing))) }
        }
    }
}

/// Reads one array element, at path `parent[index]`.
public struct ElementReader: Sendable {
    /// The element.
    public let value: JSONValue
    /// Its position in the array.
    public let index: Int
    /// The path of the array (`slots`).
    public let parentPath: String
    /// Problems found in this element.
    public private(set) var issues: [FieldIssue] = []
    let nullPolicy: ObjectReader.NullPolicy

    init(_ value: JSONValue, parentPath: String, index: Int, nulls: ObjectReader.NullPolicy) {
        self.value = value
        self.parentPath = parentPath
        self.index = index
        self.nullPolicy = nulls
    }

    /// The element's path: `slots[17]`.
    public var path: String { "\(parentPath)[\(index)]" }

    /// Records a problem with this element.
    public mutating func report(_ message: String) {
        issues.append(FieldIssue(field: path, message: message))
    }

    private mutating func read<T>(_ check: (JSONValue) -> CheckResult<T>) -> T? {
        switch check(value) {
        case .ok(let result): return result
        case .bad(let message): report(message); return nil
        }
    }

    /// The element as a string; see `ObjectReader.string`.
    public mutating func string(length: ClosedRange<Int> = InputLimits.nameLength) -> String? {
        read { ValueCheck.string($0, length: length) }
    }

    /// The element as a code under `rule`.
    public mutating func code(_ rule: CodeRule) -> String? { read { ValueCheck.code($0, rule) } }

    /// The element as a capability code.
    public mutating func capability() -> Capability? { read(ValueCheck.capability) }

    /// The element as a calendar date.
    public mutating func day() -> Day? { read(ValueCheck.day) }

    /// The element as a whole number in `range`.
    public mutating func int(in range: ClosedRange<Int>) -> Int? {
        read { ValueCheck.int($0, in: Int64(range.lowerBound)...Int64(range.upperBound)) }.map { Int($0) }
    }

    /// The element as a resource id.
    public mutating func id() -> EntityID? { read(ValueCheck.id) }

    /// The element as an object read by `read`, unknown fields included.
    public mutating func object<T>(_ read: (inout ObjectReader) -> T?) -> T? {
        guard case .object(let object) = value else { report(ValidationMessage.object); return nil }
        var reader = ObjectReader(element: object, parentPath: parentPath, index: index, nulls: nullPolicy)
        let result = read(&reader)
        reader.finish()
        issues.append(contentsOf: reader.issues)
        return reader.issues.isEmpty ? result : nil
    }
}
