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

    func render() -> String {
        let height = 40 + Self.panelHeight * 2 + 70
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart runs\" role=\"img\" width=\"\(coordinate(Self.width))\" height=\"\(coordinate(height))\" viewBox=\"0 0 \(coordinate(Self.width)) \(coordinate(height))\" font-family=\"system-ui, sans-serif\">"
        out += "<title>Score before and after each of the last \(runs.count) schedule runs</title>"
        out += legend()
        out += panel(title: "Unserved (priority × units)", top: 40, value: \.unserved, format: grouped)
        out += panel(title: "Cost", top: 40 + Self.panelHeight + 10, value: \.cost, format: money)
        out += "<text x=\"\(coordinate(Self.left + (Self.width - Self.left - 20) / 2))\" y=\"\(coordinate(height - 8))\" font-size=\"12\" text-anchor=\"middle\" fill=\"#374151\">Run (oldest left; started at, UTC)</text>"
        return out + "</svg>"
    }

    private func x(_ index: Int) -> Double {
        let span = Self.width - Self.left - 90
        return runs.count == 1 ? Self.left + span / 2 : Self.left + 20 + span * Double(index) / Double(runs.count - 1)
    }

    private func panel(title: String, top: Double, value: KeyPath<ReportRecords.Score, Int64?>, format: (Int64) -> String) -> String {
        let plotTop = top + 20, plotBottom = top + Self.panelHeight - 30
        let values = runs.flatMap { [$0.before[keyPath: value], $0.after[keyPath: value], $0.bound[keyPath: value]] }.compactMap { $0 }
        // The axis spans the values with some room, not from zero: runs change a score by a
        // few per cent, which a zero-based axis would flatten into one line. The tick labels
        // carry the real values.
        let highest = values.max() ?? 1, lowest = values.min() ?? 0
        let margin = max((highest - lowest) / 8, highest / 50, 1)
        let low = max(0, lowest - margin), high = highest + margin
        func y(_ v: Int64) -> Double { plotBottom - (plotBottom - plotTop) * Double(v - low) / Double(high - low) }
        var out = "<text x=\"0\" y=\"\(coordinate(top + 8))\" font-size=\"13\" font-weight=\"600\" fill=\"#111827\">\(escapeHTML(title))</text>"
        for step in 0...4 {
            let v = low + (high - low) * Int64(step) / 4
            out += "<line x1=\"\(coordinate(Self.left))\" x2=\"\(coordinate(Self.width - 10))\" y1=\"\(coordinate(y(v)))\" y2=\"\(coordinate(y(v)))\" stroke=\"#e5e7eb\"/>"
            out += "<text x=\"\(coordinate(Self.left - 6))\" y=\"\(coordinate(y(v) + 4))\" font-size=\"10\" text-anchor=\"end\" fill=\"#374151\">\(escapeHTML(format(v)))</text>"
        }
        out += line(runs.map { $0.after[keyPath: value] }, y: y, colour: "#2563eb", dashed: false)
        out += line(runs.map { $0.bound[keyPath: value] }, y: y, colour: "#16a34a", dashed: true)
        let labelEvery = max(1, (runs.count + 9) / 10)
        for (index, run) in runs.enumerated() {
            let cx = x(index)
            let label = "\(run.dryRun ? "dry run" : "run") \(run.id.lowercasedString.prefix(8)) · \(run.status)"
            if let bound = run.bound[keyPath: value] {
                out += "<line x1=\"\(coordinate(cx - 9))\" x2=\"\(coordinate(cx + 9))\" y1=\"\(coordinate(y(bound)))\" y2=\"\(coordinate(y(bound)))\" stroke=\"#16a34a\" stroke-width=\"3\"><title>\(escapeHTML(label)): lower bound \(escapeHTML(format(bound)))</title></line>"
            }
            if let before = run.before[keyPath: value] {
                out += "<circle cx=\"\(coordinate(cx))\" cy=\"\(coordinate(y(before)))\" r=\"4\" fill=\"#ffffff\" stroke=\"#6b7280\" stroke-width=\"2\"><title>\(escapeHTML(label)): before \(escapeHTML(format(before)))</title></circle>"
            }
            if let after = run.after[keyPath: value] {
                out += "<circle cx=\"\(coordinate(cx))\" cy=\"\(coordinate(y(after)))\" r=\"5\" fill=\"\(run.dryRun ? "#93c5fd" : "#2563eb")\"><title>\(escapeHTML(label)): after \(escapeHTML(format(after)))</title></circle>"
            } else if run.status == "failed" {
                out += "<text x=\"\(coordinate(cx))\" y=\"\(coordinate(plotBottom - 4))\" font-size=\"14\" text-anchor=\"middle\" fill=\"#dc2626\">✕<title>\(escapeHTML(label))</title></text>"
            }
            if top > 40, index % labelEvery == 0 {
                out += "<text x=\"\(coordinate(cx))\" y=\"\(coordinate(plotBottom + 16))\" font-size=\"10\" text-anchor=\"middle\" fill=\"#374151\">\(stamp(run.createdAt))</text>"
            }
        }
        return out
    }

    /// "11-22 14:05" (UTC).
    private func stamp(_ date: Date) -> String {
        let seconds = Int64(date.timeIntervalSince1970.rounded(.down))
        let minutes = Int((seconds % 86_400 + 86_400) % 86_400 / 60)
        let hh = minutes / 60, mm = minutes % 60
        return "\(shortDay(Day(unixSeconds: seconds))) \(hh < 10 ? "0" : "")\(hh):\(mm < 10 ? "0" : "")\(mm)"
    }

    private func line(_ values: [Int64?], y: (Int64) -> Double, colour: String, dashed: Bool) -> String {
        let points = values.enumerated().compactMap { index, value in value.map { "\(coordinate(x(index))),\(coordinate(y($0)))" } }
        guard points.count > 1 else { return "" }
        return "<polyline points=\"\(points.joined(separator: " "))\" fill=\"none\" stroke=\"\(colour)\" stroke-width=\"2\"\(dashed ? " stroke-dasharray=\"6 4\"" : "")/>"
    }

    private func legend() -> String {
        "<g font-size=\"12\">"
            + "<circle cx=\"8\" cy=\"8\" r=\"4\" fill=\"#ffffff\" stroke=\"#6b7280\" stroke-width=\"2\"/><text x=\"18\" y=\"12\">before the run</text>"
            + "<circle cx=\"138\" cy=\"8\" r=\"5\" fill=\"#2563eb\"/><text x=\"148\" y=\"12\">after the run (pale: dry run)</text>"
            + "<line x1=\"350\" x2=\"368\" y1=\"8\" y2=\"8\" stroke=\"#16a34a\" stroke-width=\"3\"/><text x=\"374\" y=\"12\">lower bound (no plan can beat it)</text>"
            + "<text x=\"590\" y=\"12\" fill=\"#dc2626\">✕ failed</text></g>"
    }
}
