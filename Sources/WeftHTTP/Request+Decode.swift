import Foundation

extension Request {
    /// Decodes the JSON body with ``JSON/decoder``.
    ///
    /// - Throws: ``HTTPError`` 400 when the body is empty, is not JSON (naming the offset of
    ///   the first syntax error) or does not fit `T` (with one ``FieldError`` naming the field
    ///   in snake_case, e.g. `capabilities[0].setup_cost`).
    public func decode<T: Decodable>(_ type: T.Type) throws -> T {
        guard self.body.contains(where: { !Self.jsonWhitespace.contains($0) }) else {
            throw HTTPError(.badRequest, detail: "Request body is empty; expected a JSON document.")
        }
        do {
            return try JSON.decoder.decode(T.self, from: Data(self.body))
        } catch let error as DecodingError {
            throw Self.httpError(for: error, body: self.body)
        }
    }

    private static let jsonWhitespace: [UInt8] = [0x20, 0x09, 0x0A, 0x0D]

    /// Turns a `DecodingError` into a 400 a person can act on.
    static func httpError(for error: DecodingError, body: [UInt8]) -> HTTPError {
        switch error {
        case .dataCorrupted(let context) where context.codingPath.isEmpty:
            if let syntax = JSONSyntax.firstError(in: body) {
                return HTTPError(.badRequest, detail: "Body is not valid JSON: \(syntax).")
            }
            // Valid syntax that Foundation still refuses: in practice a number that does not
            // fit (1.5 or 1e400 for an integer field) or text that is not UTF-8.
            return HTTPError(
                .badRequest,
                detail: "Body could not be decoded: \(context.debugDescription) "
                    + "Check that numbers fit their fields (whole numbers where integers are expected)."
            )
        case .dataCorrupted(let context):
            return fieldError(context.codingPath, context.debugDescription)
        case .keyNotFound(let key, let context):
            return fieldError(context.codingPath + [key], "is required")
        case .valueNotFound(let type, let context):
            if context.codingPath.isEmpty {
                return HTTPError(.badRequest, detail: "Body must be \(describe(type)), not null.")
            }
            return fieldError(context.codingPath, "must not be null; expected \(describe(type))")
        case .typeMismatch(let type, let context):
            if context.codingPath.isEmpty {
                return HTTPError(.badRequest, detail: "Body must be \(describe(type)).")
            }
            return fieldError(context.codingPath, "expected \(describe(type))")
        @unknown default:
            return HTTPError(.badRequest, detail: "Body could not be decoded: \(error).")
        }
    }

    private static func fieldError(_ path: [any CodingKey], _ message: String) -> HTTPError {
        let field = fieldPath(path)
        return HTTPError(
            .badRequest,
            detail: "Field '\(field)' \(message.hasPrefix("is ") || message.hasPrefix("must ") ? message : "is invalid: \(message)").",
            type: HTTPError.validationType,
            errors: [FieldError(field: field, message: message)]
        )
    }

    /// Renders a coding path the way the client wrote it: `items[0].setup_cost`.
    static func fieldPath(_ path: [any CodingKey]) -> String {
        var result = ""
        for key in path {
            if let index = key.intValue {
                result += "[\(index)]"
            } else {
                if !result.isEmpty { result += "." }
                result += snakeCase(key.stringValue)
            }
        }
        return result.isEmpty ? "(body)" : result
    }

    /// The wire spelling of a Swift property name, matching `.convertToSnakeCase`
    /// (`setupCost` → `setup_cost`, `maxURLLength` → `max_url_length`).
    static func snakeCase(_ name: String) -> String {
        let characters = Array(name)
        var result = ""
        for (index, character) in characters.enumerated() {
            if character.isUppercase, index > 0 {
                let previous = characters[index - 1]
                let nextIsLower = index + 1 < characters.count && characters[index + 1].isLowercase
                if previous.isLowercase || previous.isNumber || (previous.isUppercase && nextIsLower) {
                    result.append("_")
                }
            }
            result += character.lowercased()
        }
        return result
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is any BinaryInteger.Type: "an integer"
        case is any BinaryFloatingPoint.Type, is Decimal.Type: "a number"
        case is String.Type, is Substring.Type: "a string"
        case is Bool.Type: "a boolean (true or false)"
        default:
            // Foundation reports containers as `Array<Any>` and `Dictionary<String, Any>`.
            String(describing: type).hasPrefix("Array")
                ? "an array"
                : String(describing: type).hasPrefix("Dictionary") ? "an object" : "a value of type \(type)"
        }
    }
}
