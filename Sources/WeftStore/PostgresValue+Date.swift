import Foundation
import WeftCore

extension Date: PostgresEncodable, PostgresDecodable {
    public static var postgresType: UInt32 { PostgresOID.timestamptz }
    public static var postgresArrayType: UInt32 { PostgresOID.timestamptzArray }

    /// `YYYY-MM-DD HH:MM:SS.ffffff+00`, always UTC.
    public var postgresText: String? {
        let micros = Int64((timeIntervalSince1970 * 1_000_000).rounded())
        var seconds = micros / 1_000_000
        var fraction = micros % 1_000_000
        if fraction < 0 { fraction += 1_000_000; seconds -= 1 }
        let day = Day(unixSeconds: seconds)
        let secondOfDay = seconds - Int64(day.ordinal) * 86_400
        func pad(_ value: Int64, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(day.iso) \(pad(secondOfDay / 3600, 2)):\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2)).\(pad(fraction, 6))+00"
    }

    /// Reads the ISO output of `timestamptz` (`2026-11-21 23:27:02.123456+00`, offsets like `+05:30` too).
    public init(postgresText text: String) throws {
        let bytes = Array(text.utf8)
        guard bytes.count >= 19, let day = Day(isoUTF8: bytes[0..<10]) else {
            throw decodingError(text, as: "timestamptz")
        }
        func digits(_ range: Range<Int>) throws -> Int64 {
            var value: Int64 = 0
            for index in range {
                guard index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 else { throw decodingError(text, as: "timestamptz") }
                value = value * 10 + Int64(bytes[index] - 48)
            }
            return value
        }
        var seconds = Int64(day.ordinal) * 86_400 + (try digits(11..<13)) * 3600 + (try digits(14..<16)) * 60 + (try digits(17..<19))
        var index = 19
        var fraction = 0.0
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            var scale = 0.1
            while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 {
                fraction += Double(bytes[index] - 48) * scale
                scale /= 10
                index += 1
            }
        }
        if index < bytes.count {
            let sign: Int64 = bytes[index] == UInt8(ascii: "-") ? -1 : 1
            guard bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") else { throw decodingError(text, as: "timestamptz") }
            var offset = try digits(index + 1..<index + 3) * 3600
            if index + 3 < bytes.count, bytes[index + 3] == UInt8(ascii: ":") { offset += try digits(index + 4..<index + 6) * 60 }
            seconds -= sign * offset
        }
        self = Date(timeIntervalSince1970: Double(seconds) + fraction)
    }
}
