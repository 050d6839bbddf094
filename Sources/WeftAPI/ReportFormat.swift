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

/// One CSV field: text, which `CSVWriter` guards against spreadsheet formula injection, or a
/// number, written as it is so that a negative figure stays a number a spreadsheet can add up.
/// A string literal is text.
struct CSVCell: ExpressibleByStringLiteral, Sendable {
    var value: String
    var isText: Bool

    init(stringLiteral value: String) { self.init(text: value) }
    init(text: String) { value = text; isText = true }
    init(number: String) { value = number; isText = false }

    static func text(_ value: String?) -> CSVCell { CSVCell(text: value ?? "") }
    /// A whole number, or an empty field.
    static func number<T: BinaryInteger>(_ value: T?) -> CSVCell { CSVCell(number: value.map { String($0) } ?? "") }
    /// A share, or an empty field.
    static func number(_ value: Double?) -> CSVCell { CSVCell(number: value.map { String($0) } ?? "") }
}

/// RFC 4180 CSV: CRLF line ends, a header row, and fields quoted when they contain a comma,
/// a double quote, CR or LF (quotes inside doubled). Text is UTF-8 as it is: no BOM.
///
/// Text fields that a spreadsheet would take for a formula (they start with `=`, `+`, `-`,
/// `@`, tab or CR) get a leading single quote, as OWASP advises for CSV injection: factory
/// names and reasons are written by other tenants, and the admin opening the file must not
/// run what they wrote. Spreadsheets show such a cell as the text after the quote.
struct CSVWriter {
    private(set) var text = ""

    init(header: [String]) { row(header.map(CSVCell.init(text:))) }

    mutating func row(_ cells: [CSVCell]) {
        text += cells.map { $0.isText ? Self.textField($0.value) : Self.field($0.value) }.joined(separator: ",")
        text += "\r\n"
    }

    /// The characters that make a spreadsheet read a cell as a formula (or, for tab and CR,
    /// that some strip before doing so).
    static let formulaStarts: Set<Unicode.Scalar> = ["=", "+", "-", "@", "\t", "\r"]

    /// A text field: neutralised against formulas, then quoted as RFC 4180 asks.
    static func textField(_ value: String) -> String {
        guard let first = value.unicodeScalars.first, formulaStarts.contains(first) else { return field(value) }
        return field("'" + value)
    }

    /// RFC 4180 quoting alone, for numbers and already safe text.
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
