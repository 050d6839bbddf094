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

    func render() -> Markup {
        let plotWidth = Self.width - Self.labelWidth - 90
        let height = 34 + Double(bars.count) * Self.barHeight + 50
        let high = max(bars.map(\.value).max() ?? 1, 1)
        func w(_ v: Int64) -> Double { plotWidth * Double(v) / Double(high) }
        return SVGBuilder.chart(class: "bars", width: Self.width, height: height, title: title) { svg in
            svg.text(title, ["x": 0, "y": 14, "font-size": 13, "font-weight": "600", "fill": "#111827"])
            let bottom = 34 + Double(bars.count) * Self.barHeight
            for step in 0...4 {
                let v = high * Int64(step) / 4
                let x = Self.labelWidth + w(v)
                svg.element("line", ["x1": x, "x2": x, "y1": 30, "y2": bottom, "stroke": "#e5e7eb"])
                svg.text(grouped(v), ["x": x, "y": bottom + 14, "font-size": 10, "text-anchor": "middle", "fill": "#374151"])
            }
            for (index, bar) in bars.enumerated() {
                let y = 34 + Double(index) * Self.barHeight
                svg.text(truncated(bar.label, 32), ["x": Self.labelWidth - 8, "y": y + 17, "font-size": 12, "text-anchor": "end", "fill": "#111827"])
                svg.element("rect", ["x": Self.labelWidth, "y": y + 4, "width": max(w(bar.value), 1), "height": Self.barHeight - 8, "fill": bar.colour],
                            title: bar.detail)
                svg.text(grouped(bar.value), ["x": Self.labelWidth + w(bar.value) + 6, "y": y + 17, "font-size": 11, "fill": "#374151"])
            }
            svg.text(valueLabel, ["x": Self.labelWidth + plotWidth / 2, "y": bottom + 36, "font-size": 12, "text-anchor": "middle", "fill": "#374151"])
        }
    }
}
