import Foundation
import WeftCore
import WeftStore

/// The utilisation heat map: one row per factory (grouped by region), one column per day,
/// each cell coloured by allocated ÷ capacity with the figures in its `<title>`.
struct SVGHeatMap {
    var factories: [ReportRecords.FactoryLabel]
    var cells: [ReportRecords.HeatCell]
    var from: Day
    var to: Day

    static let labelWidth = 270.0
    static let rowHeight = 14.0
    static let top = 78.0

    /// The SVG element. Built as one string in a single pass: 1,000 factories × 30 days is
    /// 30,000 cells, and this stays well under the time the query takes.
    func render() -> String {
        let days = Int(to.ordinal - from.ordinal) + 1
        let cellWidth = max(12, min(30, (960 - Self.labelWidth) / Double(days)))
        let gridWidth = cellWidth * Double(days)
        let width = Self.labelWidth + gridWidth + 20
        let height = Self.top + Double(factories.count) * Self.rowHeight + 44
        var out = ""
        out.reserveCapacity(4096 + cells.count * 150)
        out += "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart heatmap\" role=\"img\" width=\"\(coordinate(width))\" height=\"\(coordinate(height))\" viewBox=\"0 0 \(coordinate(width)) \(coordinate(height))\" font-family=\"system-ui, sans-serif\">"
        out += "<title>Utilisation by factory and day, \(from.iso) to \(to.iso)</title>"
        out += UtilizationScale.legend(x: 0, y: 0)
        out += axis(days: days, cellWidth: cellWidth)
        // Rows: region bands, factory labels, then the cells.
        let nameLimit = 32
        var previousRegion: String?
        for (index, factory) in factories.enumerated() {
            let y = Self.top + Double(index) * Self.rowHeight
            if factory.region != previousRegion {
                if previousRegion != nil {
                    out += "<line x1=\"0\" x2=\"\(coordinate(Self.labelWidth + gridWidth))\" y1=\"\(coordinate(y))\" y2=\"\(coordinate(y))\" stroke=\"#374151\" stroke-width=\"1\"/>"
                }
                out += "<text x=\"2\" y=\"\(coordinate(y + 11))\" font-size=\"11\" font-weight=\"700\" fill=\"#1f2937\">\(escapeHTML(factory.region))</text>"
                previousRegion = factory.region
            }
            out += "<text x=\"\(coordinate(Self.labelWidth - 6))\" y=\"\(coordinate(y + 11))\" font-size=\"11\" text-anchor=\"end\" fill=\"#111827\">"
            out += "<title>\(escapeHTML(factory.name)) (\(escapeHTML(factory.region)))</title>\(escapeHTML(truncated(factory.name, nameLimit)))</text>"
        }
        let names = factories.map { escapeHTML($0.name) }
        for cell in cells {
            let column = Int(cell.day.ordinal - from.ordinal)
            guard column >= 0, column < days else { continue }
            let x = Self.labelWidth + Double(column) * cellWidth
            let y = Self.top + Double(cell.factory) * Self.rowHeight
            let share = cell.capacity > 0 ? " (\(percent(Double(cell.allocated) / Double(cell.capacity))))" : ""
            out += "<rect x=\"\(coordinate(x))\" y=\"\(coordinate(y))\" width=\"\(coordinate(cellWidth - 1))\" height=\"\(coordinate(Self.rowHeight - 1))\" fill=\"\(UtilizationScale.fill(allocated: cell.allocated, capacity: cell.capacity))\">"
            out += "<title>\(names[cell.factory]) · \(cell.day.iso): \(grouped(cell.allocated)) of \(grouped(cell.capacity)) units allocated\(share)</title></rect>"
        }
        let bottom = Self.top + Double(factories.count) * Self.rowHeight
        out += "<text x=\"\(coordinate(Self.labelWidth + gridWidth / 2))\" y=\"\(coordinate(bottom + 30))\" font-size=\"12\" text-anchor=\"middle\" fill=\"#374151\">Production day (UTC)</text>"
        out += "</svg>"
        return out
    }

    /// Day labels along the top (every day when there is room, else weekly, always Mondays
    /// and the first day), weekend columns marked, and the axis titles.
    private func axis(days: Int, cellWidth: Double) -> String {
        var out = "<text x=\"\(coordinate(Self.labelWidth - 6))\" y=\"\(coordinate(Self.top - 8))\" font-size=\"12\" text-anchor=\"end\" fill=\"#374151\" font-weight=\"600\">Factory (by region)</text>"
        let every = cellWidth >= 24 ? 1 : cellWidth >= 14 ? 2 : 7
        for column in 0..<days {
            let day = from.adding(days: column)
            let x = Self.labelWidth + (Double(column) + 0.5) * cellWidth
            let isWeekend = weekday(day) >= 5
            if every == 7 ? (column == 0 || weekday(day) == 0) : column % every == 0 {
                out += "<text transform=\"translate(\(coordinate(x + 3)),\(coordinate(Self.top - 6))) rotate(-60)\" font-size=\"10\" fill=\"\(isWeekend ? "#9ca3af" : "#374151")\">\(shortDay(day))</text>"
            }
        }
        return out
    }
}
