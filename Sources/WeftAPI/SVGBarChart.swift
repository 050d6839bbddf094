import Foundation

/// Horizontal bars with a label, a value axis starting at zero and the value at each bar's end.
struct SVGBarChart {
    struct Bar {
        var label: String
        var value: Int64
        /// The hover text.
        var detail: String
        var colour = "#d95f0e"
    }

    var title: String
    var valueLabel: String
    var bars: [Bar]

    static let labelWidth = 230.0
    static let width = 900.0
    static let barHeight = 26.0

    func render() -> String {
        let plotWidth = Self.width - Self.labelWidth - 90
        let height = 34 + Double(bars.count) * Self.barHeight + 50
        let high = max(bars.map(\.value).max() ?? 1, 1)
        func w(_ v: Int64) -> Double { plotWidth * Double(v) / Double(high) }
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart bars\" role=\"img\" width=\"\(coordinate(Self.width))\" height=\"\(coordinate(height))\" viewBox=\"0 0 \(coordinate(Self.width)) \(coordinate(height))\" font-family=\"system-ui, sans-serif\">"
        out += "<title>\(escapeHTML(title))</title>"
        out += "<text x=\"0\" y=\"14\" font-size=\"13\" font-weight=\"600\" fill=\"#111827\">\(escapeHTML(title))</text>"
        let bottom = 34 + Double(bars.count) * Self.barHeight
        for step in 0...4 {
            let v = high * Int64(step) / 4
            let x = Self.labelWidth + w(v)
            out += "<line x1=\"\(coordinate(x))\" x2=\"\(coordinate(x))\" y1=\"30\" y2=\"\(coordinate(bottom))\" stroke=\"#e5e7eb\"/>"
            out += "<text x=\"\(coordinate(x))\" y=\"\(coordinate(bottom + 14))\" font-size=\"10\" text-anchor=\"middle\" fill=\"#374151\">\(grouped(v))</text>"
        }
        for (index, bar) in bars.enumerated() {
            let y = 34 + Double(index) * Self.barHeight
            out += "<text x=\"\(coordinate(Self.labelWidth - 8))\" y=\"\(coordinate(y + 17))\" font-size=\"12\" text-anchor=\"end\" fill=\"#111827\">\(escapeHTML(truncated(bar.label, 32)))</text>"
            out += "<rect x=\"\(coordinate(Self.labelWidth))\" y=\"\(coordinate(y + 4))\" width=\"\(coordinate(max(w(bar.value), 1)))\" height=\"\(coordinate(Self.barHeight - 8))\" fill=\"\(bar.colour)\"><title>\(escapeHTML(bar.detail))</title></rect>"
            out += "<text x=\"\(coordinate(Self.labelWidth + w(bar.value) + 6))\" y=\"\(coordinate(y + 17))\" font-size=\"11\" fill=\"#374151\">\(grouped(bar.value))</text>"
        }
        out += "<text x=\"\(coordinate(Self.labelWidth + plotWidth / 2))\" y=\"\(coordinate(bottom + 36))\" font-size=\"12\" text-anchor=\"middle\" fill=\"#374151\">\(escapeHTML(valueLabel))</text>"
        return out + "</svg>"
    }
}
