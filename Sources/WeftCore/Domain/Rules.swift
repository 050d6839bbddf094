/// Limits shared by every input, named once so the API docs and the checks agree.
public enum InputLimits {
    /// Money is integer minor units; no price or cost may exceed this (10^12).
    public static let maxMoney: Int64 = 1_000_000_000_000
    /// Default length range of names and labels.
    public static let nameLength = 1...200
}

/// The outcome of checking one value: the typed value, or what a person should fix.
enum CheckResult<Value> {
    case ok(Value)
    case bad(String)
}

/// Messages used in more than one place, so that the same mistake always reads the same.
enum ValidationMessage {
    static let required = "is required"
    static let notNull = "must not be null; leave the field out to keep its current value"
    static let string = "must be a string"
    static let blank = "must not be blank"
    static let control = "must not contain control characters such as line breaks or tabs"
    static let bool = "must be true or false"
    static let day = "must be a real calendar date as YYYY-MM-DD"
    static let id = "must be an id: a UUID such as '123e4567-e89b-12d3-a456-426614174000'"
    static let array = "must be an array"
    static let object = "must be an object"
    static let money = "must be a whole number of minor currency units between 0 and \(InputLimits.maxMoney)"

    static func tooLong(_ max: Int) -> String { "must be \(max) characters or fewer" }
    static func tooShort(_ min: Int) -> String { min == 1 ? "must not be empty" : "must be at least \(min) characters" }
    static func wholeNumber(_ range: ClosedRange<Int64>) -> String {
        "must be a whole number between \(range.lowerBound) and \(range.upperBound)"
    }
    static func number(_ range: ClosedRange<Double>) -> String {
        "must be a number between \(format(range.lowerBound)) and \(format(range.upperBound))"
    }
    static func oneOf(_ allowed: [String]) -> String { "must be one of: \(allowed.joined(separator: ", "))" }
    static func count(_ range: ClosedRange<Int>, _ actual: Int) -> String {
        if actual > range.upperBound { return "must have at most \(range.upperBound) \(range.upperBound == 1 ? "entry" : "entries")" }
        return "must have at least \(range.lowerBound) \(range.lowerBound == 1 ? "entry" : "entries")"
    }
    static func unknownField(_ suggestion: String?) -> String {
        suggestion.map { "unknown field; did you mean '\($0)'?" } ?? "unknown field"
    }
    static func unknownParameter(_ suggestion: String?) -> String {
        suggestion.map { "unknown parameter; did you mean '\($0)'?" } ?? "unknown parameter"
    }
    static func repeats(_ what: String, at path: String) -> String { "repeats \(what), already given at \(path)" }

    /// `90` rather than `90.0` for whole bounds.
    static func format(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }
}

/// Checks on individual values, shared by body, array-element and query readers.
enum ValueCheck {
    static func string(_ value: JSONValue, length: ClosedRange<Int>) -> CheckResult<String> {
        guard case .string(let string) = value else { return .bad(ValidationMessage.string) }
        return ValueCheck.text(string, length: length)
    }

    /// Length counts Unicode scalars, which is what PostgreSQL counts as characters.
    static func text(_ text: String, length: ClosedRange<Int>) -> CheckResult<String> {
        var count = 0
        var blank = true
        for scalar in text.unicodeScalars {
            count += 1
            if scalar.value < 0x20 || scalar.value == 0x7F { return .bad(ValidationMessage.control) }
            if blank, !scalar.properties.isWhitespace { blank = false }
        }
        if count > length.upperBound { return .bad(ValidationMessage.tooLong(length.upperBound)) }
        if count < length.lowerBound { return .bad(ValidationMessage.tooShort(length.lowerBound)) }
        if blank, length.lowerBound > 0 { return .bad(ValidationMessage.blank) }
        return .ok(text)
    }

    /// Whole numbers may be written `3`, `3.0` or `3e0` (all the same JSON Schema integer);
    /// `3.5` and anything not a number are refused.
    static func int(_ value: JSONValue, in range: ClosedRange<Int64>) -> CheckResult<Int64> {
        guard let number = value.exactInteger, range.contains(number) else { return .bad(ValidationMessage.wholeNumber(range)) }
        return .ok(number)
    }

    static func money(_ value: JSONValue) -> CheckResult<Int64> {
        guard let number = value.exactInteger, (0...InputLimits.maxMoney).contains(number) else { return .bad(ValidationMessage.money) }
        return .ok(number)
    }

    static func number(_ value: JSONValue, in range: ClosedRange<Double>) -> CheckResult<Double> {
        guard let number = value.doubleValue, number.isFinite, range.contains(number) else { return .bad(ValidationMessage.number(range)) }
        return .ok(number)
    }

    static func bool(_ value: JSONValue) -> CheckResult<Bool> {
        guard case .bool(let flag) = value else { return .bad(ValidationMessage.bool) }
        return .ok(flag)
    }

    static func day(_ value: JSONValue) -> CheckResult<Day> {
        guard case .string(let text) = value, let day = Day(iso: text) else { return .bad(ValidationMessage.day) }
        return .ok(day)
    }

    static func code(_ value: JSONValue, _ rule: CodeRule) -> CheckResult<String> {
        guard case .string(let text) = value, rule.isValid(text) else { return .bad(rule.message) }
        return .ok(text)
    }

    static func capability(_ value: JSONValue) -> CheckResult<Capability> {
        guard case .string(let text) = value, let capability = Capability(text) else { return .bad(CodeRule.capability.message) }
        return .ok(capability)
    }

    static func id(_ value: JSONValue) -> CheckResult<EntityID> {
        guard case .string(let text) = value, let id = EntityID(text) else { return .bad(ValidationMessage.id) }
        return .ok(id)
    }

    static func oneOf(_ value: JSONValue, _ allowed: [String]) -> CheckResult<String> {
        guard case .string(let text) = value, allowed.contains(text) else { return .bad(ValidationMessage.oneOf(allowed)) }
        return .ok(text)
    }
}
