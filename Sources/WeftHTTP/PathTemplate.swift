/// One segment of a route template.
enum PathSegment: Hashable, Sendable {
    case literal(String)
    case parameter(String)
}

/// Parsing of route templates and of request paths, under one trailing-slash policy:
///
/// - `/a/b/` is the same as `/a/b` (one trailing slash is ignored), for templates and requests;
/// - empty segments (`/a//b`, `//`) never match anything, so such requests get 404;
/// - segments are percent-decoded before matching, so `/files/a%20b` gives `"a b"`.
enum PathTemplate {
    /// Parses a template such as `/v1/orders/{id}/cancel`.
    ///
    /// Invalid templates are programming errors and stop the process at start-up, where
    /// they are found at once, rather than surfacing as 404s later.
    static func parse(_ template: String) -> [PathSegment] {
        precondition(template.hasPrefix("/"), "route path must start with '/': \(template)")
        var raw = template.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
        if raw.count > 1, raw.last == "" { raw.removeLast() }
        if raw == [""] { return [] }
        var names = Set<String>()
        return raw.map { segment in
            precondition(!segment.isEmpty, "route path has an empty segment: \(template)")
            if segment.hasPrefix("{") && segment.hasSuffix("}") && segment.count > 2 {
                let name = String(segment.dropFirst().dropLast())
                precondition(isIdentifier(name), "route parameter must be an identifier: {\(name)} in \(template)")
                precondition(names.insert(name).inserted, "route parameter {\(name)} repeats in \(template)")
                return .parameter(name)
            }
            precondition(
                !segment.contains("{") && !segment.contains("}"),
                "route parameters must be whole segments: \(template)"
            )
            return .literal(String(segment))
        }
    }

    /// The canonical spelling of a parsed template: what ``RouterBuilder/routes`` reports.
    static func render(_ segments: [PathSegment]) -> String {
        "/"
            + segments.map {
                switch $0 {
                case .literal(let text): text
                case .parameter(let name): "{\(name)}"
                }
            }.joined(separator: "/")
    }

    /// Splits and decodes a request path.
    ///
    /// - Returns: nil when the path cannot match any route (not absolute, or an empty segment).
    /// - Throws: ``HTTPError`` 400 for malformed percent-encoding.
    static func segments(ofRequestPath path: String) throws(HTTPError) -> [String]? {
        guard path.hasPrefix("/") else { return nil }
        var raw = path.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
        if raw == [""] { return [] }
        if raw.count > 1, raw.last == "" { raw.removeLast() }
        var decoded: [String] = []
        decoded.reserveCapacity(raw.count)
        for segment in raw {
            guard !segment.isEmpty else { return nil }
            guard let value = PercentDecoding.decode(segment) else {
                throw HTTPError(
                    .badRequest,
                    detail: "Path segment '\(segment)' has malformed percent-encoding (use %XX with two hex digits, UTF-8)."
                )
            }
            decoded.append(value)
        }
        return decoded
    }

    private static func isIdentifier(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first == "_" || first.properties.isAlphabetic else {
            return false
        }
        return name.unicodeScalars.allSatisfy { $0 == "_" || ($0.isASCII && $0.properties.isAlphabetic) || ("0"..."9").contains($0) }
    }
}
