import Testing
@testable import WeftCore

/// Helpers for the domain tests, namespaced so they cannot collide with other test files.
enum DomainFixtures {
    /// The issues a body yields; a malformed body shows up as a single `<malformed>` issue so
    /// that a test expecting validation issues fails readably.
    static func issues<T: BodyInput>(_ type: T.Type, _ json: String) -> [FieldIssue] {
        do {
            _ = try T.parse(Array(json.utf8))
            return []
        } catch {
            switch error {
            case .invalid(let failure): return failure.issues
            case .malformed(let parseError): return [FieldIssue(field: "<malformed>", message: parseError.message)]
            }
        }
    }

    /// Parses a body that must be valid.
    static func parse<T: BodyInput>(_ type: T.Type, _ json: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> T {
        do {
            return try T.parse(Array(json.utf8))
        } catch {
            Issue.record("expected a valid body, got \(error)", sourceLocation: sourceLocation)
            throw error
        }
    }

    /// A JSON object built from `base` (raw JSON values in order), with values replaced by
    /// `set` (new keys appended in key order) and keys in `remove` left out.
    static func object(_ base: KeyValuePairs<String, String>, set: [String: String] = [:], remove: Set<String> = []) -> String {
        var parts: [String] = []
        for (key, value) in base where !remove.contains(key) {
            parts.append("\"\(key)\":\(set[key] ?? value)")
        }
        let baseKeys = Set(base.map(\.key))
        for key in set.keys.sorted() where !baseKeys.contains(key) {
            parts.append("\"\(key)\":\(set[key]!)")
        }
        return "{" + parts.joined(separator: ",") + "}"
    }

    /// A JSON string literal for `text` (test data has no characters needing escapes).
    static func quoted(_ text: String) -> String { "\"\(text)\"" }

    /// A JSON array of `count` string literals `prefix0`, `prefix1`, ...
    static func codes(_ prefix: String, count: Int) -> String {
        "[" + (0..<count).map { "\"\(prefix)\($0)\"" }.joined(separator: ",") + "]"
    }

    static let uuid = "123e4567-e89b-12d3-a456-426614174000"
    static let uuid2 = "00000000-0000-4000-8000-000000000002"
}

/// One table row: a body change and the single issue it must produce.
struct DomainIssueCase: Sendable, CustomTestStringConvertible {
    var set: [String: String] = [:]
    var remove: Set<String> = []
    var field: String
    var message: String

    var testDescription: String {
        let change = set.map { "\($0.key)=\($0.value.prefix(40))" }.sorted().joined(separator: ",")
        return "\(change)\(remove.isEmpty ? "" : " -\(remove.sorted())") → \(field)"
    }
}

/// Messages shared by many cases, spelled out so a changed message fails loudly.
enum DomainMessages {
    static let required = "is required"
    static let notNull = "must not be null; leave the field out to keep its current value"
    static let day = "must be a real calendar date as YYYY-MM-DD"
    static let money = "must be a whole number of minor currency units between 0 and 1000000000000"
    static let id = "must be an id: a UUID such as '123e4567-e89b-12d3-a456-426614174000'"
    static let capability = "must be a capability code such as 'cnc.milling': lowercase letters and digits in dot-separated parts, starting with a letter, 64 characters or fewer"
    static let region = "must be a region code such as 'CN-GD': uppercase letters and digits in hyphen-separated parts, 32 characters or fewer"
    static let certification = "must be a certification code such as 'ISO9001': 1 to 64 letters, digits, '.', '_' or '-'"
    static let tooLong200 = "must be 200 characters or fewer"
    static let bool = "must be true or false"
}
