/// One problem with one input field, as shown in a problem+json `errors` entry.
public struct FieldIssue: Sendable, Hashable, CustomStringConvertible {
    /// Where the problem is: `name`, `capabilities[2].setup_cost`, `slots[17].date`;
    /// for query parameters the parameter name; the empty string means the body as a whole.
    public var field: String
    /// What is wrong, phrased so a person knows what to send instead.
    public var message: String

    /// An issue with this field.
    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }

    public var description: String { field.isEmpty ? message : "\(field): \(message)" }
}

/// Input that is well-formed but wrong: every problem found, in the order the fields were
/// checked (then unknown fields). An API answers it with 422.
public struct ValidationFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// The problems, at least one.
    public var issues: [FieldIssue]

    /// A failure with these issues, listed in full.
    public init(issues: [FieldIssue]) { self.issues = issues }

    /// A failure with a single issue.
    public init(field: String, message: String) {
        self.issues = [FieldIssue(field: field, message: message)]
    }

    /// At most this many issues are listed; a body with 10,000 bad slots should get a
    /// readable answer, not a megabyte of errors.
    public static let maxIssues = 100

    /// A failure listing at most `maxIssues` issues, the last saying how many were left out.
    public init(capping issues: [FieldIssue]) {
        guard issues.count > Self.maxIssues else {
            self.issues = issues
            return
        }
        let omitted = issues.count - (Self.maxIssues - 1)
        self.issues = Array(issues.prefix(Self.maxIssues - 1))
            + [FieldIssue(field: "", message: "and \(omitted) more problems like those above")]
    }

    public var description: String { issues.map(\.description).joined(separator: "; ") }
}

/// Why a request body could not be turned into an input value.
///
/// `malformed` means the bytes are not JSON at all (answer 400); `invalid` means JSON that
/// breaks the rules (answer 422 with `failure.issues` as the `errors` array).
public enum BodyError: Error, Sendable, Equatable, CustomStringConvertible {
    case malformed(JSONParseError)
    case invalid(ValidationFailure)

    /// The HTTP status this error deserves: 400 or 422.
    public var httpStatus: Int {
        switch self {
        case .malformed: return 400
        case .invalid: return 422
        }
    }

    /// The field issues to list; for malformed JSON a single issue on the body as a whole.
    public var issues: [FieldIssue] {
        switch self {
        case .malformed(let error): return [FieldIssue(field: "", message: error.message)]
        case .invalid(let failure): return failure.issues
        }
    }

    public var description: String {
        switch self {
        case .malformed(let error): return "malformed JSON: \(error.message)"
        case .invalid(let failure): return failure.description
        }
    }
}

/// A request body type read from a JSON object with an `ObjectReader`.
///
/// Conformers implement only `read(from:)`; the `parse` entry points handle the JSON
/// parsing, the "must be an object" check, unknown fields and the error plumbing.
public protocol BodyInput: Sendable {
    /// Reads every field, recording each problem in `reader`; returns nil when any was found.
    ///
    /// Need not call `finish()`: `parse` does, after this returns.
    static func read(from reader: inout ObjectReader) -> Self?
}

extension BodyInput {
    /// Validates an already-parsed JSON document.
    public static func parse(_ json: JSONValue) throws(ValidationFailure) -> Self {
        guard case .object = json else {
            throw ValidationFailure(field: "", message: "the body must be a JSON object")
        }
        var reader = ObjectReader(json)
        let value = read(from: &reader)
        reader.finish()
        if reader.issues.isEmpty, let value { return value }
        // A reader that returns nil must have said why; never answer 422 with no reason.
        if reader.issues.isEmpty { reader.report("", "the body is not valid") }
        throw ValidationFailure(capping: reader.issues)
    }

    /// Parses and validates a request body: `.malformed` (400) or `.invalid` (422) on failure.
    public static func parse(_ bytes: [UInt8]) throws(BodyError) -> Self {
        let json: JSONValue
        do {
            json = try JSONValue.parse(bytes)
        } catch {
            throw .malformed(error)
        }
        do {
            return try parse(json)
        } catch {
            throw .invalid(error)
        }
    }
}
