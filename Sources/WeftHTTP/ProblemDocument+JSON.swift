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

    /// A JSON string as Foundation's encoder escapes it: `"` and `\`, the short forms of
    /// backspace, form feed, newline, carriage return and tab, `\u00xx` for the other control
    /// characters, everything else (slashes, DEL, non-ASCII) as is.
    static func appendString(_ string: String, to out: inout [UInt8]) {
        let hex = Array("0123456789abcdef".utf8)
        out.append(UInt8(ascii: "\""))
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x08: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "b")])
            case 0x0C: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "f")])
            case 0x0A: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0..<0x20:
                out.append(contentsOf: Array(#"\u00"#.utf8))
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0xF)])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
