extension JSONValue {
    /// The value written one way only, so that two documents with the same content give the
    /// same bytes whatever their member order, spacing or escapes: object members sorted by
    /// key (by Unicode scalars), no whitespace, strings with only `"`, `\` and control
    /// characters escaped, whole numbers in plain decimal (`3.0`, `30e-1` and `3` alike) and
    /// other numbers as written, with a lower-case `e`.
    ///
    /// Used to recognise a retried request (`Idempotency-Key`): same content, same request.
    public var canonicalBytes: [UInt8] {
        var out: [UInt8] = []
        writeCanonical(into: &out)
        return out
    }

    private func writeCanonical(into out: inout [UInt8]) {
        switch self {
        case .null: out += Array("null".utf8)
        case .bool(let value): out += Array((value ? "true" : "false").utf8)
        case .integer(let value): out += Array(String(value).utf8)
        case .number(let text):
            if let whole = exactInteger { out += Array(String(whole).utf8) } else { out += Array(text.lowercased().utf8) }
        case .string(let text): Self.writeCanonical(text, into: &out)
        case .array(let values):
            out.append(UInt8(ascii: "["))
            for (index, value) in values.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                value.writeCanonical(into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let object):
            out.append(UInt8(ascii: "{"))
            let sorted = object.members.sorted { $0.key.unicodeScalars.lexicographicallyPrecedes($1.key.unicodeScalars) }
            for (index, member) in sorted.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                Self.writeCanonical(member.key, into: &out)
                out.append(UInt8(ascii: ":"))
                member.value.writeCanonical(into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    private static func writeCanonical(_ text: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                out.append(UInt8(ascii: "\\"))
                out.append(byte)
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out += Array("\\u00".utf8)
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0xF)])
            default:
                out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
