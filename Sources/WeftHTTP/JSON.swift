import Foundation

/// The JSON coders every layer uses, so the wire format is decided in one place.
///
/// Keys are snake_case on the wire and camelCase in Swift; encoded keys are sorted so
/// output is stable (diffable, cacheable); dates are ISO-8601.
/// Do not mutate these shared instances: configure a copy instead.
public enum JSON {
    /// snake_case keys, sorted keys, ISO-8601 dates.
    public static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }()

    /// snake_case keys, ISO-8601 dates.
    public static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()
}
