import Foundation
import WeftCore
import WeftHTTP

extension Request {
    /// The body parsed and validated as `T`: 400 for bytes that are not JSON, 422 listing
    /// every problem (with field paths) for JSON that breaks the rules.
    public func input<T: BodyInput>(_ type: T.Type) throws -> T {
        do {
            return try T.parse(body)
        } catch {
            throw error.httpError
        }
    }

    /// Reads query parameters with core's `QueryReader`; unknown or bad ones are a 422.
    public func queryInput<T>(_ read: (inout QueryReader) -> T) throws -> T {
        var reader = QueryReader(pairs: query.pairs)
        let value = read(&reader)
        reader.finish()
        do {
            try reader.validate()
        } catch {
            throw error.httpError
        }
        return value
    }

    /// The `{name}` path parameter as a UUID; anything else cannot name an object: 404.
    public func entityID(_ name: String = "id", of what: String) throws -> UUID {
        let text = parameters[name] ?? ""
        guard let id = EntityID(text), let uuid = UUID(uuidString: id.text) else {
            throw notFound(what, text)
        }
        return uuid
    }
}

extension BodyError {
    /// The problem to answer with.
    public var httpError: HTTPError {
        switch self {
        case .malformed(let error):
            return HTTPError(.badRequest, detail: "The body is not valid JSON: \(error.message).")
        case .invalid(let failure):
            return failure.httpError
        }
    }
}

extension ValidationFailure {
    /// 422 with every issue as `errors`.
    public var httpError: HTTPError {
        let count = issues.count
        return HTTPError(.unprocessableEntity,
                         detail: count == 1 ? "One field is invalid: \(issues[0])." : "\(count) fields are invalid; see errors.",
                         title: "Validation failed", type: HTTPError.validationType,
                         errors: issues.map { FieldError(field: $0.field, message: $0.message) })
    }
}
