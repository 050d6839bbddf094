import Foundation
import WeftCore

/// A realistic demo network, generated from a seed: the same seed and day give the same
/// factories, capacity and orders (as JSON request bodies, so that they go through the real
/// API handlers, validation and instant placement included).
struct DemoNetwork {
    /// A process with plausible figures (money in minor units).
    struct CapabilitySpec {
        var code: String
        var label: String
        var unitCost: Double
        var setupCost: Double
        var dailyUnits: ClosedRange<Int>
        var certifications: [(code: String, share: Double)]
        /// Share of the demo's orders.
        var orderShare: Double
        /// The cost of one batch (panel run, dye lot, mould set-up) and its size (nil: unlimited).
        var batchCost: Double = 0
        var batchUnits: Int? = nil
        /// Pools orders of the process may name (material, layers, finish), most common first.
        var pools: [String] = []
        /// Share of its orders that are small sample runs (prototype boards).
        var sampleShare: Double = 0
    }

    struct RegionSpec {
        var code: String
        var cities: [(name: String, lat: Double, lon: Double)]
        var houses: [String]
        /// Price level against the network average.
        var priceLevel: Double
        var leadDays: ClosedRange<Int>
        /// Capability codes, repeated by how common they are there.
        var mix: [String]
        /// Works on Sundays (at reduced capacity) rather than closing.
        var sundayShift: Bool
    }

    static let capabilities: [CapabilitySpec] = [
        // Sample PCBs are pieced together on shared panels: a panel run costs the same however
        // many orders' boards it carries, so pooled prototypes cost a fraction of solo ones.
        CapabilitySpec(code: "pcb.fab", label: "PCB", unitCost: 220, setupCost: 45_000, dailyUnits: 400...1_000,
                       certifications: [("UL", 0.5), ("IPC-6012", 0.3)], orderShare: 0.24, batchCost: 60_000, batchUnits: 120,
                       pools: ["fr4.2l.hasl", "fr4.4l.enig", "fr4.2l.osp", "fr4.6l.enig", "al.1l.hasl"], sampleShare: 0.85),
        CapabilitySpec(code: "pcb.assembly", label: "Electronics", unitCost: 140, setupCost: 30_000, dailyUnits: 300...1_000,
                       certifications: [("IPC-A-610", 0.45), ("UL", 0.3)], orderShare: 0.14),
        CapabilitySpec(code: "cnc.milling", label: "Precision Machining", unitCost: 1_400, setupCost: 18_000, dailyUnits: 30...150,
                       certifications: [("IATF16949", 0.3), ("ISO13485", 0.15)], orderShare: 0.22),
        CapabilitySpec(code: "injection.molding", label: "Plastics", unitCost: 35, setupCost: 120_000, dailyUnits: 2_000...8_000,
                       certifications: [("IATF16949", 0.3), ("ISO13485", 0.1)], orderShare: 0.2),
        CapabilitySpec(code: "sewing", label: "Garments", unitCost: 380, setupCost: 8_000, dailyUnits: 150...900,
                       certifications: [("OEKO-TEX", 0.4), ("BSCI", 0.4)], orderShare: 0.2),
    ]

    static let regions: [RegionSpec] = [
        RegionSpec(code: "CN-GD", cities: [("Shenzhen", 22.54, 114.06), ("Dongguan", 23.02, 113.75), ("Foshan", 23.02, 113.12), ("Guangzhou", 23.13, 113.26)],
                   houses: ["Huaxin", "Jinda", "Hongtai", "Everbright", "Tianli", "Kaida", "Yuxing", "Xinyuan"], priceLevel: 1.0, leadDays: 4...6,
                   mix: ["pcb.fab", "pcb.fab", "pcb.fab", "pcb.assembly", "pcb.assembly", "pcb.assembly", "injection.molding", "injection.molding", "cnc.milling", "sewing"], sundayShift: true),
        RegionSpec(code: "CN-ZJ", cities: [("Ningbo", 29.87, 121.54), ("Hangzhou", 30.27, 120.16), ("Wenzhou", 28.0, 120.67), ("Yiwu", 29.31, 120.08)],
                   houses: ["Zhongce", "Haitian", "Qianjiang", "Mingzhu", "Fuda", "Lihua", "Dongfang", "Baolong"], priceLevel: 0.95, leadDays: 4...6,
                   mix: ["injection.molding", "injection.molding", "injection.molding", "cnc.milling", "cnc.milling", "sewing", "sewing", "pcb.fab"], sundayShift: true),
        RegionSpec(code: "VN-SG", cities: [("Ho Chi Minh City", 10.82, 106.63), ("Thủ Đức", 10.85, 106.77), ("Củ Chi", 11.0, 106.49)],
                   houses: ["Phú Thành", "Minh Long", "Việt Tiến", "An Phát", "Sài Gòn", "Hòa Bình", "Tân Tiến", "Nam Phong"], priceLevel: 0.82, leadDays: 5...7,
                   mix: ["sewing", "sewing", "sewing", "sewing", "pcb.assembly", "pcb.assembly", "injection.molding"], sundayShift: true),
        RegionSpec(code: "IN-KA", cities: [("Bengaluru", 12.97, 77.59), ("Mysuru", 12.3, 76.64), ("Hubballi", 15.36, 75.12)],
                   houses: ["Kaveri", "Sahyadri", "Nandi", "Deccan", "Chamundi", "Tunga", "Malnad", "Hampi"], priceLevel: 0.78, leadDays: 6...8,
                   mix: ["cnc.milling", "cnc.milling", "cnc.milling", "pcb.assembly", "pcb.assembly", "sewing", "sewing"], sundayShift: false),
        RegionSpec(code: "MX-NL", cities: [("Monterrey", 25.69, -100.32), ("Apodaca", 25.78, -100.19), ("Santa Catarina", 25.67, -100.46)],
                   houses: ["Regiomontana", "Sierra Madre", "Cumbres", "Norteña", "Cerro de la Silla", "Huasteca", "Anáhuac", "Mitras"], priceLevel: 1.35, leadDays: 2...3,
                   mix: ["cnc.milling", "cnc.milling", "cnc.milling", "injection.molding", "injection.molding", "injection.molding", "pcb.assembly", "pcb.assembly"], sundayShift: false),
        RegionSpec(code: "PL-MZ", cities: [("Warszawa", 52.23, 21.01), ("Radom", 51.4, 21.15), ("Płock", 52.55, 19.71)],
                   houses: ["Wisła", "Mazowsze", "Sokół", "Orzeł", "Bursztyn", "Kopernik", "Pomorze", "Łazienki"], priceLevel: 1.6, leadDays: 1...2,
                   mix: ["pcb.assembly", "pcb.assembly", "cnc.milling", "cnc.milling", "injection.molding", "sewing"], sundayShift: false),
        RegionSpec(code: "TR-IS", cities: [("İstanbul", 41.01, 28.98), ("Tuzla", 40.82, 29.3), ("Esenyurt", 41.03, 28.68)],
                   houses: ["Boğaziçi", "Marmara", "Anadolu", "Galata", "Kartal", "Yıldız", "Haliç", "Ege"], priceLevel: 1.12, leadDays: 2...3,
                   mix: ["sewing", "sewing", "sewing", "sewing", "cnc.milling", "injection.molding"], sundayShift: false),
    ]

    static let brokers = ["Quick Parts GmbH", "Northwind Sourcing LLC", "Atelier Lumière SARL", "Kestrel Hardware Ltd"]

    /// A generated factory: its profile and capacity as API request bodies.
    struct Factory {
        var name: String
        var region: String
        var leadDays: Int
        var capabilities: [(spec: CapabilitySpec, setupCost: Int64, unitCost: Int64, dailyUnits: Int)]
        var profileJSON: String
        var capacityJSON: String
    }

    var factories: [Factory] = []
    /// Order request bodies, each with the index of its broker.
    var orders: [(broker: Int, json: String)] = []
    /// Indexes into `orders` of the orders the demo cancels afterwards (a broker changing its mind).
    var cancellations: [Int] = []

    init(seed: UInt64, today: Day, factoriesPerRegion: Int = 8, orderCount: Int = 320, days: Int = 30) {
        var random = Scheduling.SeededRandom(seed: seed)
        for region in Self.regions {
            for index in 0..<factoriesPerRegion {
                factories.append(Self.factory(region: region, index: index, today: today, days: days, random: &random))
            }
        }
        let offered = Set(factories.flatMap { $0.capabilities.map(\.spec.code) })
        while orders.count < orderCount {
            let spec = Self.pick(Self.capabilities.map { ($0, $0.orderShare) }, &random)
            guard offered.contains(spec.code) else { continue }
            orders.append(Self.order(spec, number: orders.count, today: today, days: days, random: &random))
        }
        cancellations = (0..<orderCount).filter { _ in random.chance(0.03) }
    }

    static func pick<T>(_ weighted: [(T, Double)], _ random: inout Scheduling.SeededRandom) -> T {
        var roll = random.unit() * weighted.reduce(0) { $0 + $1.1 }
        for (value, weight) in weighted {
            roll -= weight
            if roll < 0 { return value }
        }
        return weighted[weighted.count - 1].0
    }

    /// Rounds to a figure a buyer would write: 2 significant digits.
    static func tidy(_ value: Double) -> Int {
        guard value >= 100 else { return max(1, Int(value.rounded())) }
        var scale = 1.0
        while value / scale >= 100 { scale *= 10 }
        return Int((value / scale).rounded() * scale)
    }

    static func json(_ object: [String: Any]) -> String {
        String(decoding: (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8), as: UTF8.self)
    }
}
