import Foundation
import WeftCore
import WeftStore

/// Score over runs: one panel per score part (unserved, then cost), each with the score
/// before and after every run and the run's lower bound, runs left to right oldest first.
struct SVGRunChart {
    var runs: [ReportRecords.RunPoint]

    static let width = 900.0
    static let panelHeight = 220.0
    static let left = 90.0

    func render() -> Markup {
        let height = 40 + Self.panelHeight * 2 + 70
        return SVGBuilder.chart(class: "runs", width: Self.width, height: height, title: "Score before and after each of the last \(runs.count) schedule runs") { svg in
            legend(into: &svg)
            panel(title: "Unserved (priority × units)", top: 40, value: \.unserved, format: grouped, into: &svg)
            panel(title: "Cost", top: 40 + Self.panelHeight + 10, value: \.cost, format: money, into: &svg)
            svg.text("Run (oldest left; started at, UTC)", ["x": Self.left + (Self.width - Self.left - 20) / 2, "y": height - 8, "font-size": 12,
                                                         "text-anchor": "middle", "fill": "#374151"])
        }
    }

    private func x(_ index: Int) -> Double {
        let span = Self.width - Self.left - 90
        return runs.count == 1 ? Self.left + span / 2 : Self.left + 20 + span * Double(index) / Double(runs.count - 1)
    }

    private func panel(title: String, top: Double, value: KeyPath<ReportRecords.Score, Int64?>, format: (Int64) -> String, into svg: inout SVGBuilder) {
        let plotTop = top + 20, plotBottom = top + Self.panelHeight - 30
        let values = runs.flatMap { [$0.before[keyPath: value], $0.after[keyPath: value], $0.bound[keyPath: value]] }.compactMap { $0 }
        // The axis spans the values with some room, not from zero: runs change a score by a
        // few per cent, which a zero-based axis would flatten into one line. The tick labels
        // carry the real values.
        let highest = values.max() ?? 1, lowest = values.min() ?? 0
        let margin = max((highest - lowest) / 8, highest / 50, 1)
        let low = max(0, lowest - margin), high = highest + margin
        func y(_ v: Int64) -> Double { plotBottom - (plotBottom - plotTop) * Double(v - low) / Double(high - low) }
        svg.text(title, ["x": 0, "y": top + 8, "font-size": 13, "font-weight": "600", "fill": "#111827"])
        for step in 0...4 {
            let v = low + (high - low) * Int64(step) / 4
            svg.element("line", ["x1": Self.left, "x2": Self.width - 10, "y1": y(v), "y2": y(v), "stroke": "#e5e7eb"])
            svg.text(format(v), ["x": Self.left - 6, "y": y(v) + 4, "font-size": 10, "text-anchor": "end", "fill": "#374151"])
        }
        line(runs.map { $0.after[keyPath: value] }, y: y, colour: "#2563eb", dashed: false, into: &svg)
        line(runs.map { $0.bound[keyPath: value] }, y: y, colour: "#16a34a", dashed: true, into: &svg)
        let labelEvery = max(1, (runs.count + 9) / 10)
        for (index, run) in runs.enumerated() {
            let cx = x(index)
            let label = "\(run.dryRun ? "dry run" : "run") \(run.id.lowercasedString.prefix(8)) · \(run.status)"
            if let bound = run.bound[keyPath: value] {
                svg.element("line", ["x1": cx - 9, "x2": cx + 9, "y1": y(bound), "y2": y(bound), "stroke": "#16a34a", "stroke-width": 3],
                            title: "\(label): lower bound \(format(bound))")
            }
            if let before = run.before[keyPath: value] {
                svg.element("circle", ["cx": cx, "cy": y(before), "r": 4, "fill": "#ffffff", "stroke": "#6b7280", "stroke-width": 2],
                            title: "\(label): before \(format(before))")
            }
            if let after = run.after[keyPath: value], Self.isOptimal(run) {
                svg.element("circle", ["cx": cx, "cy": y(after), "r": 9, "fill": "none", "stroke": "#16a34a", "stroke-width": 2, "class": "optimal"],
                            title: "\(label): proven optimal (the plan meets its lower bound)")
            }
            if let after = run.after[keyPath: value] {
                svg.element("circle", ["cx": cx, "cy": y(after), "r": 5, "fill": run.dryRun ? "#93c5fd" : "#2563eb"], title: "\(label): after \(format(after))")
            } else if run.status == "failed" {
                svg.text("✕", ["x": cx, "y": plotBottom - 4, "font-size": 14, "text-anchor": "middle", "fill": "#dc2626"], title: label)
            }
            if top > 40, index % labelEvery == 0 {
                svg.text(stamp(run.createdAt), ["x": cx, "y": plotBottom + 16, "font-size": 10, "text-anchor": "middle", "fill": "#374151"])
            }
        }
    }

    /// "11-22 14:05" (UTC).
    private func stamp(_ date: Date) -> String {
        let seconds = Int64(date.timeIntervalSince1970.rounded(.down))
        let minutes = Int((seconds % 86_400 + 86_400) % 86_400 / 60)
        let hh = minutes / 60, mm = minutes % 60
        return "\(shortDay(Day(unixSeconds: seconds))) \(hh < 10 ? "0" : "")\(hh):\(mm < 10 ? "0" : "")\(mm)"
    }

    /// A run whose plan meets its lower bound in both parts: proven optimal.
    static func isOptimal(_ run: ReportRecords.RunPoint) -> Bool {
        guard run.after.hard == 0, let unserved = run.after.unserved, let cost = run.after.cost else { return false }
        return unserved == run.bound.unserved && cost == run.bound.cost
    }

    private func line(_ values: [Int64?], y: (Int64) -> Double, colour: String, dashed: Bool, into svg: inout SVGBuilder) {
        let points = values.enumerated().compactMap { index, value in value.map { "\(coordinate(x(index))),\(coordinate(y($0)))" } }
        guard points.count > 1 else { return }
        if dashed {
            svg.element("polyline", ["points": points.joined(separator: " "), "fill": "none", "stroke": colour, "stroke-width": 2, "stroke-dasharray": "6 4"])
        } else {
            svg.element("polyline", ["points": points.joined(separator: " "), "fill": "none", "stroke": colour, "stroke-width": 2])
        }
    }

    private func legend(into svg: inout SVGBuilder) {
        svg.element("g", ["font-size": 12]) { svg in
            svg.element("circle", ["cx": 8, "cy": 8, "r": 4, "fill": "#ffffff", "stroke": "#6b7280", "stroke-width": 2])
            svg.text("before the run", ["x": 18, "y": 12])
            svg.element("circle", ["cx": 138, "cy": 8, "r": 5, "fill": "#2563eb"])
            svg.text("after the run (pale: dry run)", ["x": 148, "y": 12])
            svg.element("line", ["x1": 350, "x2": 368, "y1": 8, "y2": 8, "stroke": "#16a34a", "stroke-width": 3])
            svg.text("lower bound (no plan can beat it)", ["x": 374, "y": 12])
            svg.text("✕ failed", ["x": 590, "y": 12, "fill": "#dc2626"])
            svg.element("circle", ["cx": 668, "cy": 8, "r": 7, "fill": "none", "stroke": "#16a34a", "stroke-width": 2])
            svg.text("proven optimal (meets the bound)", ["x": 680, "y": 12])
        }
    }
}
