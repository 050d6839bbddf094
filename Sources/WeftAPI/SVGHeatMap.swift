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

    /// The SVG element, in a single pass: 100 factories × 30 days is 3,000 cells. `cells`
    /// come in any order; they are drawn by factory, then day.
    func render() -> Markup {
        let days = Int(to.ordinal - from.ordinal) + 1
        let cellWidth = max(12, min(30, (960 - Self.labelWidth) / Double(days)))
        let gridWidth = cellWidth * Double(days)
        let width = Self.labelWidth + gridWidth + 20
        let height = Self.top + Double(factories.count) * Self.rowHeight + 44
        return SVGBuilder.chart(class: "heatmap", width: width, height: height, title: "Utilisation by factory and day, \(from.iso) to \(to.iso)",
                                reserving: 4096 + cells.count * 200) { svg in
            UtilizationScale.legend(x: 0, y: 0, into: &svg)
            axis(days: days, cellWidth: cellWidth, into: &svg)
            // Rows: region bands, factory labels, then the cells.
            let nameLimit = 32
            var previousRegion: String?
            for (index, factory) in factories.enumerated() {
                let y = Self.top + Double(index) * Self.rowHeight
                if factory.region != previousRegion {
                    if previousRegion != nil {
                        svg.element("line", ["x1": 0, "x2": Self.labelWidth + gridWidth, "y1": y, "y2": y, "stroke": "#374151", "stroke-width": 1])
                    }
                    svg.text(factory.region, ["x": 2, "y": y + 11, "font-size": 11, "font-weight": "700", "fill": "#1f2937"])
                    previousRegion = factory.region
                }
                svg.text(truncated(factory.name, nameLimit), ["x": Self.labelWidth - 6, "y": y + 11, "font-size": 11, "text-anchor": "end", "fill": "#111827"],
                         title: "\(factory.name) (\(factory.region))")
            }
            // Every cell is a <use> of one sized <rect>: a cell is then about 120 bytes with its
            // hover text, so a page of 100 factories × 30 days stays near 400 KB.
            svg.element("defs") { svg in
                svg.element("rect", ["id": "cell", "width": cellWidth - 1, "height": Self.rowHeight - 1])
            }
            for cell in cells {
                let column = Int(cell.day.ordinal - from.ordinal)
                guard column >= 0, column < days else { continue }
                let share = cell.capacity > 0 ? " (\(percent(Double(cell.allocated) / Double(cell.capacity))))" : ""
                svg.element("use", ["href": "#cell", "x": Self.labelWidth + Double(column) * cellWidth, "y": Self.top + Double(cell.factory) * Self.rowHeight,
                                    "fill": UtilizationScale.fill(allocated: cell.allocated, capacity: cell.capacity)],
                            title: "\(factories[cell.factory].name) · \(cell.day.iso): \(grouped(cell.allocated)) of \(grouped(cell.capacity)) units\(share)")
            }
            let bottom = Self.top + Double(factories.count) * Self.rowHeight
            svg.text("Production day (UTC)", ["x": Self.labelWidth + gridWidth / 2, "y": bottom + 30, "font-size": 12, "text-anchor": "middle", "fill": "#374151"])
        }
    }

    /// Day labels along the top (every day when there is room, else weekly, always Mondays
    /// and the first day), weekend columns marked, and the axis titles.
    private func axis(days: Int, cellWidth: Double, into svg: inout SVGBuilder) {
        svg.text("Factory (by region)", ["x": Self.labelWidth - 6, "y": Self.top - 8, "font-size": 12, "text-anchor": "end", "fill": "#374151", "font-weight": "600"])
        let every = cellWidth >= 24 ? 1 : cellWidth >= 14 ? 2 : 7
        for column in 0..<days {
            let day = from.adding(days: column)
            let x = Self.labelWidth + (Double(column) + 0.5) * cellWidth
            let isWeekend = weekday(day) >= 5
            if every == 7 ? (column == 0 || weekday(day) == 0) : column % every == 0 {
                svg.text(shortDay(day), ["transform": "translate(\(coordinate(x + 3)),\(coordinate(Self.top - 6))) rotate(-60)", "font-size": 10,
                                         "fill": isWeekend ? "#9ca3af" : "#374151"])
            }
        }
    }
}
