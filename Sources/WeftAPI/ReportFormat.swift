import Foundation
import WeftHTTP

/// The two representations reports come in.
enum ReportFormat: Equatable {
    case json, csv

    /// CSV when the `Accept` header prefers `text/csv` to JSON; JSON otherwise (no header,
    /// `*/*`, or anything else), since JSON is the API's default.
    static func negotiate(_ request: Request) -> ReportFormat {
        let header = request.headers[canonicalForm: "Accept"].joined(separator: ",")
        guard !header.isEmpty else { return .json }
        var csv = 0.0, json = 0.0
        for range in header.split(separator: ",") {
            let parts = range.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            guard let type = parts.first else { continue }
            var quality = 1.0
            for parameter in parts.dropFirst() where parameter.hasPrefix("q=") {
                quality = Double(parameter.dropFirst(2)) ?? 0
            }
            switch type {
            case "text/csv": csv = max(csv, quality)
            case "application/json": json = max(json, quality)
            // Wildcards count for JSON at a hair less, so `text/csv, */*` still picks CSV.
            case "*/*", "application/*": json = max(json, quality - 0.0001)
            case "text/*": csv = max(csv, quality - 0.0001)
            default: break
            }
        }
        return csv > 0 && csv > json ? .csv : .json
    }
}

/// RFC 4180 CSV: CRLF line ends, a header row, and fields quoted when they contain a comma,
/// a double quote, CR or LF (quotes inside doubled). Text is UTF-8 as it is: no BOM.
struct CSVWriter {
    private(set) var text = ""

    init(header: [String]) { row(header) }

    mutating func row(_ fields: [String]) {
        text += fields.map(Self.field).joined(separator: ",")
        text += "\r\n"
    }

    static func field(_ value: String) -> String {
        let needsQuotes = value.utf8.contains { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 10 || $0 == 13 }
        guard needsQuotes else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// `text/csv` with `header=present` (RFC 4180 §3) and a file name for downloads.
    func response(filename: String) -> Response {
        var response = Response.text(text, contentType: "text/csv; charset=utf-8; header=present")
        response.headers.add(name: "Content-Disposition", value: "attachment; filename=\"\(filename)\"")
        response.headers.add(name: "Vary", value: "Accept")
        return response
    }
}

extension Optional where Wrapped == String {
    /// The CSV text of an optional field: empty when absent.
    var csv: String { self ?? "" }
}
