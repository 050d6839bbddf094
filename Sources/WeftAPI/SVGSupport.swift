import Foundation
import WeftCore

/// Escapes text for HTML and SVG, in content and in quoted attributes alike: the five
/// XML-special characters become references, and characters XML 1.0 forbids (C0 controls
/// other than tab, LF and CR, and U+FFFE/U+FFFF) are dropped, so that user-supplied names
/// can neither inject markup nor make an inline SVG ill-formed.
func escapeHTML(_ text: String) -> String {
    var out = ""
    out.reserveCapacity(text.utf8.count + 8)
    for scalar in text.unicodeScalars {
        switch scalar {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&#39;"
        case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
        default:
            if scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF { continue }
            out.unicodeScalars.append(scalar)
        }
    }
    return out
}

/// A text shortened to `limit` characters with an ellipsis, for chart labels (the full text
/// goes into the `<title>`).
func truncated(_ text: String, _ limit: Int) -> String {
    text.count <= limit ? text : String(text.prefix(limit - 1)) + "…"
}

/// Numbers for people: 1234567 → "1,234,567".
func grouped(_ value: Int64) -> String {
    let digits = String(value.magnitude)
    var out = ""
    for (index, character) in digits.enumerated() {
        if index > 0, (digits.count - index) % 3 == 0 { out.append(",") }
        out.append(character)
    }
    return value < 0 ? "-" + out : out
}

/// Money in minor units as major units with two decimals: 18050 → "180.50".
func money(_ minor: Int64) -> String {
    let cents = minor.magnitude % 100
    return (minor < 0 ? "-" : "") + grouped(Int64(minor.magnitude / 100)) + "." + (cents < 10 ? "0" : "") + String(cents)
}

/// A share as a whole percentage: 0.8125 → "81 %".
func percent(_ value: Double?) -> String {
    guard let value else { return "–" }
    return "\(Int((value * 100).rounded())) %"
}

/// Short day labels for axes: "11-22".
func shortDay(_ day: Day) -> String { String(day.iso.dropFirst(5)) }

/// The weekday of a day, 0 = Monday … 6 = Sunday (1970-01-01 was a Thursday).
func weekday(_ day: Day) -> Int { Int((Int64(day.ordinal) % 7 + 7 + 3) % 7) }

/// A coordinate for SVG attributes: at most one decimal, no trailing ".0".
func coordinate(_ value: Double) -> String {
    let tenths = (value * 10).rounded()
    return tenths.truncatingRemainder(dividingBy: 10) == 0 ? String(Int(tenths / 10)) : String(tenths / 10)
}

/// The colour scale of utilisation: pale for idle, dark for full, grey where there is no
/// capacity. A few discrete steps read more reliably at a glance than a continuous ramp.
enum UtilizationScale {
    /// (label, lower bound, fill), from idle to full.
    static let steps: [(label: String, lower: Double, fill: String)] = [
        ("idle (0 %)", 0, "#fff7bc"),
        ("< 25 %", 0.0000001, "#fee391"),
        ("25–50 %", 0.25, "#fec44f"),
        ("50–75 %", 0.5, "#fe9929"),
        ("75–99 %", 0.75, "#d95f0e"),
        ("full", 0.9999999, "#8c2d04"),
    ]
    static let noCapacity = "#e5e7eb"

    static func fill(allocated: Int64, capacity: Int64) -> String {
        guard capacity > 0 else { return noCapacity }
        let ratio = Double(allocated) / Double(capacity)
        return steps.last { ratio >= $0.lower }?.fill ?? steps[0].fill
    }

    /// The legend as an SVG group: a swatch and label per step, left to right from (x, y).
    static func legend(x: Double, y: Double, into svg: inout SVGBuilder) {
        svg.element("g", ["class": "legend", "font-size": 12]) { svg in
            svg.text("Utilisation", ["x": x, "y": y + 11, "font-weight": "600"])
            var cursor = x + 80
            for step in steps + [(label: "no capacity", lower: -1, fill: noCapacity)] {
                svg.element("rect", ["x": cursor, "y": y, "width": 14, "height": 14, "fill": step.fill, "stroke": "#9ca3af", "stroke-width": 0.5])
                svg.text(step.label, ["x": cursor + 18, "y": y + 11])
                cursor += 34 + Double(step.label.count) * 7
            }
        }
    }
}
