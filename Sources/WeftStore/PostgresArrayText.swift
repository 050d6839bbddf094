/// The text form of one-dimensional PostgreSQL arrays: `{a,"b c",NULL}`.
enum PostgresArrayText {
    static func encode(_ elements: [String?]) -> String {
        var out = "{"
        for (index, element) in elements.enumerated() {
            if index > 0 { out += "," }
            guard let element else { out += "NULL"; continue }
            out += "\""
            for scalar in element.unicodeScalars {
                if scalar == "\"" || scalar == "\\" { out += "\\" }
                out.unicodeScalars.append(scalar)
            }
            out += "\""
        }
        return out + "}"
    }

    static func decode(_ text: String) throws -> [String?] {
        let bytes = Array(text.utf8)
        guard bytes.first == UInt8(ascii: "{"), bytes.last == UInt8(ascii: "}") else {
            throw decodingError(text, as: "array")
        }
        var result: [String?] = []
        var index = 1
        let end = bytes.count - 1
        if index == end { return [] }
        while index < end {
            if bytes[index] == UInt8(ascii: "\"") {
                var element = [UInt8]()
                index += 1
                while index < end, bytes[index] != UInt8(ascii: "\"") {
                    if bytes[index] == UInt8(ascii: "\\") { index += 1 }
                    guard index < end else { break }
                    element.append(bytes[index])
                    index += 1
                }
                guard index < end else { throw decodingError(text, as: "array") }
                index += 1 // closing quote
                result.append(String(decoding: element, as: UTF8.self))
            } else {
                let start = index
                while index < end, bytes[index] != UInt8(ascii: ",") { index += 1 }
                let element = String(decoding: bytes[start..<index], as: UTF8.self)
                result.append(element == "NULL" ? nil : element)
            }
            if index < end {
                guard bytes[index] == UInt8(ascii: ",") else { throw decodingError(text, as: "array") }
                index += 1
            }
        }
        return result
    }
}
