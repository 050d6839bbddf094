extension ProblemDocument {
    /// The document exactly as ``JSON/encoder`` writes it (keys sorted and in snake_case,
    /// absent optionals left out, `/` not escaped), written directly: every 4xx goes through
    /// here, and Codable's generic machinery cost more than the rest of a 404.
    var json: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(96 + detail.utf8.count + title.utf8.count + type.utf8.count)
        out.append(contentsOf: #"{"detail":"#.utf8)
        Self.appendString(detail, to: &out)
        if let errors {
            out.append(contentsOf: #","errors":["#.utf8)
            for (index, error) in errors.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                out.append(contentsOf: #"{"field":"#.utf8)
                Self.appendString(error.field, to: &out)
                out.append(contentsOf: #","message":"#.utf8)
                Self.appendString(error.message, to: &out)
                out.append(UInt8(ascii: "}"))
            }
            out.append(UInt8(ascii: "]"))
        }
        if let requestId {
            out.append(contentsOf: #","request_id":"#.utf8)
            Self.appendString(requestId, to: &out)
        }
        out.append(contentsOf: #","status":"#.utf8)
        out.append(contentsOf: String(status).utf8)
        out.append(contentsOf: #","title":"#.utf8)
        Self.appendString(title, to: &out)
        out.append(contentsOf: #","type":"#.utf8)
        Self.appendString(type, to: &out)
        out.append(UInt8(ascii: "}"))
        return out
    }

    static func appendString(_ string: String, to out: inout [UInt8]) { JSONBytes.appendString(string, to: &out) }
}
