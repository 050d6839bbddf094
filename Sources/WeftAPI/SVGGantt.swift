import Foundation
import WeftCore
import WeftStore

/// One order's plan as a Gantt chart: a row per factory used, a bar per production day with
/// its units, a thin line for the factory's lead time until the goods arrive, and markers for
/// the release date, today and the due date.
struct SVGGantt {
    var order: ReportRecords.OrderSummary
    var bars: [ReportRecords.GanttBar]
    var today: Day

    static let labelWidth = 250.0
    static let rowHeight = 30.0
    static let top = 70.0

    func render() -> String {
        var rows: [ReportRecords.FactoryLabel] = []
        for bar in bars where !rows.contains(bar.factory) { rows.append(bar.factory) }
        let arrivals = bars.map { $0.day.adding(days: $0.leadDays) }
        let first = ([order.releaseDate, today] + bars.map(\.day)).min()!
        let last = ([order.dueDate] + arrivals).max()!.adding(days: 1)
        let days = Int(last.ordinal - first.ordinal) + 1
        let dayWidth = max(16, min(48, 900 / Double(days)))
        let gridWidth = dayWidth * Double(days)
        let width = Self.labelWidth + gridWidth + 30
        let height = Self.top + Double(max(rows.count, 1)) * Self.rowHeight + 56
        let bottom = Self.top + Double(max(rows.count, 1)) * Self.rowHeight
        func x(_ day: Day) -> Double { Self.labelWidth + Double(day.ordinal - first.ordinal) * dayWidth }

        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart gantt\" role=\"img\" width=\"\(coordinate(width))\" height=\"\(coordinate(height))\" viewBox=\"0 0 \(coordinate(width)) \(coordinate(height))\" font-family=\"system-ui, sans-serif\">"
        out += "<title>Plan of order \(order.id.lowercasedString): \(grouped(Int64(order.allocatedUnits))) of \(grouped(Int64(order.quantity))) units across \(rows.count) factories</title>"
        out += legend()
        // Day grid with weekend shading and labels.
        let every = dayWidth >= 30 ? 1 : dayWidth >= 20 ? 2 : 7
        for column in 0..<days {
            let day = first.adding(days: column)
            let left = x(day)
            if weekday(day) >= 5 {
                out += "<rect x=\"\(coordinate(left))\" y=\"\(coordinate(Self.top))\" width=\"\(coordinate(dayWidth))\" height=\"\(coordinate(bottom - Self.top))\" fill=\"#f3f4f6\"/>"
            }
            out += "<line x1=\"\(coordinate(left))\" x2=\"\(coordinate(left))\" y1=\"\(coordinate(Self.top))\" y2=\"\(coordinate(bottom))\" stroke=\"#e5e7eb\"/>"
            if every == 7 ? (column == 0 || weekday(day) == 0) : column % every == 0 {
                out += "<text x=\"\(coordinate(left + dayWidth / 2))\" y=\"\(coordinate(bottom + 16))\" font-size=\"10\" text-anchor=\"middle\" fill=\"#374151\">\(shortDay(day))</text>"
            }
        }
        out += "<text x=\"\(coordinate(Self.labelWidth + gridWidth / 2))\" y=\"\(coordinate(bottom + 40))\" font-size=\"12\" text-anchor=\"middle\" fill=\"#374151\">Day (UTC)</text>"
        out += "<text x=\"\(coordinate(Self.labelWidth - 8))\" y=\"\(coordinate(Self.top - 6))\" font-size=\"12\" text-anchor=\"end\" font-weight=\"600\" fill=\"#374151\">Factory · region</text>"
        for (index, factory) in rows.enumerated() {
            let y = Self.top + Double(index) * Self.rowHeight
            out += "<line x1=\"0\" x2=\"\(coordinate(Self.labelWidth + gridWidth))\" y1=\"\(coordinate(y + Self.rowHeight))\" y2=\"\(coordinate(y + Self.rowHeight))\" stroke=\"#e5e7eb\"/>"
            out += "<text x=\"\(coordinate(Self.labelWidth - 8))\" y=\"\(coordinate(y + 19))\" font-size=\"12\" text-anchor=\"end\" fill=\"#111827\"><title>\(escapeHTML(factory.name)) (\(escapeHTML(factory.region)))</title>\(escapeHTML(truncated(factory.name, 28))) · \(escapeHTML(factory.region))</text>"
        }
        // Lead time once per factory: from the end of its last production day to the day its
        // last goods arrive (one line per bar would pile up over the bars).
        for (row, factory) in rows.enumerated() {
            let own = bars.filter { $0.factory == factory }
            guard let lastDay = own.map(\.day).max(), let lead = own.first?.leadDays, lead > 0 else { continue }
            let y = Self.top + Double(row) * Self.rowHeight + 15
            let start = x(lastDay) + dayWidth, arrival = x(lastDay.adding(days: lead)) + dayWidth
            out += "<line x1=\"\(coordinate(start))\" x2=\"\(coordinate(arrival))\" y1=\"\(coordinate(y))\" y2=\"\(coordinate(y))\" stroke=\"#9ca3af\" stroke-width=\"2\"><title>\(escapeHTML(factory.name)): \(lead) lead days, last goods arrive \(lastDay.adding(days: lead).iso)</title></line>"
            out += "<line x1=\"\(coordinate(arrival))\" x2=\"\(coordinate(arrival))\" y1=\"\(coordinate(y - 6))\" y2=\"\(coordinate(y + 6))\" stroke=\"#9ca3af\" stroke-width=\"2\"/>"
        }
        for bar in bars {
            guard let row = rows.firstIndex(of: bar.factory) else { continue }
            let y = Self.top + Double(row) * Self.rowHeight
            let left = x(bar.day)
            let fill = bar.status == "confirmed" ? "#15803d" : "#2563eb"
            out += "<rect x=\"\(coordinate(left + 1))\" y=\"\(coordinate(y + 5))\" width=\"\(coordinate(dayWidth - 2))\" height=\"20\" rx=\"3\" fill=\"\(fill)\">"
            out += "<title>\(escapeHTML(bar.factory.name)) · \(bar.day.iso): \(grouped(Int64(bar.units))) units at \(money(bar.unitCost)) each, \(bar.status); arrives \(bar.day.adding(days: bar.leadDays).iso)</title></rect>"
            if dayWidth >= 26 {
                out += "<text x=\"\(coordinate(left + dayWidth / 2))\" y=\"\(coordinate(y + 19))\" font-size=\"10\" text-anchor=\"middle\" fill=\"#ffffff\">\(compact(bar.units))</text>"
            }
        }
        // Release and today often coincide: one marker then, labelled with both.
        if today == order.releaseDate {
            out += marker(x: x(today), label: "release · today", colour: "#6b7280", bottom: bottom, level: 0)
        } else {
            out += marker(x: x(order.releaseDate), label: "release", colour: "#6b7280", bottom: bottom, level: 0)
            if today >= first && today <= last { out += marker(x: x(today), label: "today", colour: "#7c3aed", bottom: bottom, level: 1) }
        }
        out += marker(x: x(order.dueDate) + dayWidth, label: "due \(shortDay(order.dueDate))", colour: "#dc2626", bottom: bottom, level: 0)
        return out + "</svg>"
    }

    /// A dashed vertical line with its label above the grid; `level` 1 sits higher, so that
    /// labels of nearby markers do not overlap.
    private func marker(x: Double, label: String, colour: String, bottom: Double, level: Int) -> String {
        let labelY = Self.top - 6 - Double(level) * 14
        return "<line x1=\"\(coordinate(x))\" x2=\"\(coordinate(x))\" y1=\"\(coordinate(labelY + 2))\" y2=\"\(coordinate(bottom))\" stroke=\"\(colour)\" stroke-width=\"2\" stroke-dasharray=\"5 3\"/>"
            + "<text x=\"\(coordinate(x + 3))\" y=\"\(coordinate(labelY))\" font-size=\"11\" fill=\"\(colour)\">\(escapeHTML(label))</text>"
    }

    private func legend() -> String {
        let items: [(String, String, Bool)] = [("#2563eb", "planned units", false), ("#15803d", "confirmed units", false),
                                              ("#9ca3af", "lead time to arrival", true), ("#dc2626", "due date", true)]
        var out = "<g font-size=\"12\">"
        var cursor = 0.0
        for (colour, label, isLine) in items {
            out += isLine
                ? "<line x1=\"\(coordinate(cursor))\" x2=\"\(coordinate(cursor + 16))\" y1=\"8\" y2=\"8\" stroke=\"\(colour)\" stroke-width=\"2\"\(label == "due date" ? " stroke-dasharray=\"5 3\"" : "")/>"
                : "<rect x=\"\(coordinate(cursor))\" y=\"1\" width=\"16\" height=\"14\" rx=\"3\" fill=\"\(colour)\"/>"
            out += "<text x=\"\(coordinate(cursor + 21))\" y=\"12\">\(label)</text>"
            cursor += 40 + Double(label.count) * 6.5
        }
        return out + "</g>"
    }

    /// Units in a bar: 1234 → "1.2k", so labels fit a day's width.
    private func compact(_ units: Int) -> String {
        units >= 10_000 ? "\(units / 1000)k" : units >= 1000 ? "\(units / 1000).\(units % 1000 / 100)k" : String(units)
    }
}
