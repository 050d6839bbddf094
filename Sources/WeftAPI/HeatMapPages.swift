import Foundation
import WeftCore
import WeftStore

/// The heat map in pages of `size` factories, in its order (region, then name), so that no
/// dashboard page grows with the network: 1,000 factories × 30 days on one page was 4.6 MB.
/// The links keep the filters; each page names the regions it covers.
struct HeatMapPages {
    static let size = 100

    var filter: ReportRecords.SlotFilter
    var factories: [ReportRecords.FactoryLabel]
    /// The page shown, from 1.
    var page: Int

    var count: Int { (factories.count + Self.size - 1) / Self.size }

    /// The factories of page `page` (empty past the last page).
    static func slice(_ factories: [ReportRecords.FactoryLabel], page: Int) -> ArraySlice<ReportRecords.FactoryLabel> {
        let start = (page - 1) * size
        guard start < factories.count else { return [] }
        return factories[start..<min(start + size, factories.count)]
    }

    /// `/dashboard` with the filters and `page`.
    func href(page: Int) -> String {
        var items = [URLQueryItem(name: "from", value: filter.from.iso), URLQueryItem(name: "to", value: filter.to.iso)]
        if let capability = filter.capability { items.append(URLQueryItem(name: "capability", value: capability)) }
        if let region = filter.region { items.append(URLQueryItem(name: "region", value: region)) }
        if page > 1 { items.append(URLQueryItem(name: "page", value: String(page))) }
        var components = URLComponents()
        components.path = "/dashboard"
        components.queryItems = items
        return components.string ?? "/dashboard"
    }

    /// The page on which `region`'s first factory is.
    func page(of region: String) -> Int? {
        factories.firstIndex { $0.region == region }.map { $0 / Self.size + 1 }
    }

    struct Link { var number: Int; var label: String; var href: String; var current: Bool }
    /// What the template shows above the chart.
    struct View { var summary: String; var previous: String?; var next: String?; var links: [Link] }

    var view: View {
        let first = (page - 1) * Self.size
        let links = (1...max(count, 1)).map { number in
            let shown = Self.slice(factories, page: number)
            let regions = [shown.first?.region, shown.last?.region].compactMap { $0 }
            let label = regions.first == regions.last ? regions.first ?? "" : "\(regions[0])–\(regions[1])"
            return Link(number: number, label: label, href: href(page: number), current: number == page)
        }
        return View(summary: "Factories \(grouped(Int64(first + 1)))–\(grouped(Int64(min(first + Self.size, factories.count)))) of \(grouped(Int64(factories.count))), page \(page) of \(count)",
                    previous: page > 1 ? href(page: page - 1) : nil, next: page < count ? href(page: page + 1) : nil, links: links)
    }

    /// A row of the totals table.
    struct TotalRow {
        var label: String
        var href: String?
        var factories: String
        var capacity: String
        var allocated: String
        var utilisation: String

        init(label: String, href: String?, factories: Int, capacity: Int64, allocated: Int64) {
            self.label = label
            self.href = href
            self.factories = grouped(Int64(factories))
            self.capacity = grouped(capacity)
            self.allocated = grouped(allocated)
            self.utilisation = percent(share(allocated, of: capacity))
        }
    }

    /// A region's totals, linked to the page its factories start on.
    func totalRow(region total: ReportRecords.RegionTotal) -> TotalRow {
        TotalRow(label: total.region, href: count > 1 ? page(of: total.region).map { href(page: $0) } : nil,
                 factories: total.factories, capacity: total.capacity, allocated: total.allocated)
    }

    /// The totals of the factories on this page.
    func pageTotal(cells: [ReportRecords.HeatCell], factories: Int) -> TotalRow {
        TotalRow(label: "This page", href: nil, factories: factories, capacity: cells.reduce(0) { $0 + $1.capacity },
                 allocated: cells.reduce(0) { $0 + $1.allocated })
    }
}
