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

    func render() -> Markup {
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

        let title = "Plan of order \(order.id.lowercasedString): \(grouped(Int64(order.allocatedUnits))) of \(grouped(Int64(order.quantity))) units across \(rows.count) factories"
        return SVGBuilder.chart(class: "gantt", width: width, height: height, title: title) { svg in
            legend(into: &svg)
            // Day grid with weekend shading and labels.
            let every = dayWidth >= 30 ? 1 : dayWidth >= 20 ? 2 : 7
            for column in 0..<days {
                let day = first.adding(days: column)
                let left = x(day)
                if weekday(day) >= 5 {
                    svg.element("rect", ["x": left, "y": Self.top, "width": dayWidth, "height": bottom - Self.top, "fill": "#f3f4f6"])
                }
                svg.element("line", ["x1": left, "x2": left, "y1": Self.top, "y2": bottom, "stroke": "#e5e7eb"])
                if every == 7 ? (column == 0 || weekday(day) == 0) : column % every == 0 {
                    svg.text(shortDay(day), ["x": left + dayWidth / 2, "y": bottom + 16, "font-size": 10, "text-anchor": "middle", "fill": "#374151"])
                }
            }
            svg.text("Day (UTC)", ["x": Self.labelWidth + gridWidth / 2, "y": bottom + 40, "font-size": 12, "text-anchor": "middle", "fill": "#374151"])
            svg.text("Factory · region", ["x": Self.labelWidth - 8, "y": Self.top - 6, "font-size": 12, "text-anchor": "end", "font-weight": "600", "fill": "#374151"])
            for (index, factory) in rows.enumerated() {
                let y = Self.top + Double(index) * Self.rowHeight
                svg.element("line", ["x1": 0, "x2": Self.labelWidth + gridWidth, "y1": y + Self.rowHeight, "y2": y + Self.rowHeight, "stroke": "#e5e7eb"])
                svg.text("\(truncated(factory.name, 28)) · \(factory.region)", ["x": Self.labelWidth - 8, "y": y + 19, "font-size": 12, "text-anchor": "end", "fill": "#111827"],
                         title: "\(factory.name) (\(factory.region))")
            }
            // Lead time once per factory: from the end of its last production day to the day its
            // last goods arrive (one line per bar would pile up over the bars).
            for (row, factory) in rows.enumerated() {
                let own = bars.filter { $0.factory == factory }
                guard let lastDay = own.map(\.day).max(), let lead = own.first?.leadDays, lead > 0 else { continue }
                let y = Self.top + Double(row) * Self.rowHeight + 15
                let start = x(lastDay) + dayWidth, arrival = x(lastDay.adding(days: lead)) + dayWidth
                svg.element("line", ["x1": start, "x2": arrival, "y1": y, "y2": y, "stroke": "#9ca3af", "stroke-width": 2],
                            title: "\(factory.name): \(lead) lead days, last goods arrive \(lastDay.adding(days: lead).iso)")
                svg.element("line", ["x1": arrival, "x2": arrival, "y1": y - 6, "y2": y + 6, "stroke": "#9ca3af", "stroke-width": 2])
            }
            for bar in bars {
                guard let row = rows.firstIndex(of: bar.factory) else { continue }
                let y = Self.top + Double(row) * Self.rowHeight
                let left = x(bar.day)
                svg.element("rect", ["x": left + 1, "y": y + 5, "width": dayWidth - 2, "height": 20, "rx": 3, "fill": bar.status == "confirmed" ? "#15803d" : "#2563eb"],
                            title: "\(bar.factory.name) · \(bar.day.iso): \(grouped(Int64(bar.units))) units at \(money(bar.unitCost)) each, \(bar.status); arrives \(bar.day.adding(days: bar.leadDays).iso)")
                if dayWidth >= 26 {
                    svg.text(compact(bar.units), ["x": left + dayWidth / 2, "y": y + 19, "font-size": 10, "text-anchor": "middle", "fill": "#ffffff"])
                }
            }
            // Release and today often coincide: one marker then, labelled with both.
            if today == order.releaseDate {
                marker(x: x(today), label: "release · today", colour: "#6b7280", bottom: bottom, level: 0, into: &svg)
            } else {
                marker(x: x(order.releaseDate), label: "release", colour: "#6b7280", bottom: bottom, level: 0, into: &svg)
                if today >= first && today <= last { marker(x: x(today), label: "today", colour: "#7c3aed", bottom: bottom, level: 1, into: &svg) }
            }
            marker(x: x(order.dueDate) + dayWidth, label: "due \(shortDay(order.dueDate))", colour: "#dc2626", bottom: bottom, level: 0, into: &svg)
        }
    }

    /// A dashed vertical line with its label above the grid; `level` 1 sits higher, so that
    /// labels of nearby markers do not overlap.
    private func marker(x: Double, label: String, colour: String, bottom: Double, level: Int, into svg: inout SVGBuilder) {
        let labelY = Self.top - 6 - Double(level) * 14
        svg.element("line", ["x1": x, "x2": x, "y1": labelY + 2, "y2": bottom, "stroke": colour, "stroke-width": 2, "stroke-dasharray": "5 3"])
        svg.text(label, ["x": x + 3, "y": labelY, "font-size": 11, "fill": colour])
    }

    private func legend(into svg: inout SVGBuilder) {
        let items: [(String, String, Bool)] = [("#2563eb", "planned units", false), ("#15803d", "confirmed units", false),
                                              ("#9ca3af", "lead time to arrival", true), ("#dc2626", "due date", true)]
        svg.element("g", ["font-size": 12]) { svg in
            var cursor = 0.0
            for (colour, label, isLine) in items {
                if !isLine {
                    svg.element("rect", ["x": cursor, "y": 1, "width": 16, "height": 14, "rx": 3, "fill": colour])
                } else if label == "due date" {
                    svg.element("line", ["x1": cursor, "x2": cursor + 16, "y1": 8, "y2": 8, "stroke": colour, "stroke-width": 2, "stroke-dasharray": "5 3"])
                } else {
                    svg.element("line", ["x1": cursor, "x2": cursor + 16, "y1": 8, "y2": 8, "stroke": colour, "stroke-width": 2])
                }
                svg.text(label, ["x": cursor + 21, "y": 12])
                cursor += 40 + Double(label.count) * 6.5
            }
        }
    }

    /// Units in a bar: 1234 → "1.2k", so labels fit a day's width.
    private func compact(_ units: Int) -> String {
        units >= 10_000 ? "\(units / 1000)k" : units >= 1000 ? "\(units / 1000).\(units % 1000 / 100)k" : String(units)
    }
}
