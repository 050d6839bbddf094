import Foundation
import WeftCore

extension DemoNetwork {
    /// One factory of a region: one or two capabilities (a second one that goes with the
    /// first, as fab with assembly), its certifications, and 30 days of capacity in which
    /// Saturdays run short, Sundays close or run a small shift, and a few days are down.
    static func factory(region: RegionSpec, index: Int, today: Day, days: Int, random: inout Scheduling.SeededRandom) -> Factory {
        let code = region.mix[random.below(region.mix.count)]
        let primary = capabilities.first { $0.code == code }!
        var specs = [primary]
        let companions = ["pcb.fab": "pcb.assembly", "pcb.assembly": "pcb.fab", "cnc.milling": "injection.molding", "injection.molding": "cnc.milling"]
        if let companion = companions[primary.code], random.chance(0.35) {
            specs.append(capabilities.first { $0.code == companion }!)
        }
        let city = region.cities[index % region.cities.count]
        let house = region.houses[index % region.houses.count]
        let name = "\(house) \(primary.label) \(city.name)"
        let leadDays = random.int(in: region.leadDays)
        var certifications = random.chance(0.85) ? ["ISO9001"] : []
        for spec in specs {
            for (code, share) in spec.certifications where random.chance(share) && !certifications.contains(code) {
                certifications.append(code)
            }
        }
        // Each factory sits somewhere around its region's average: some are lean, some premium.
        let efficiency = 0.85 + random.unit() * 0.35
        let lines = specs.map { spec -> (spec: CapabilitySpec, setupCost: Int64, unitCost: Int64, dailyUnits: Int) in
            let unitCost = Int64((spec.unitCost * region.priceLevel * efficiency).rounded())
            let setupCost = Int64(tidy(spec.setupCost * region.priceLevel * (0.7 + random.unit() * 0.6)))
            let daily = tidy(Double(random.int(in: spec.dailyUnits)) * (spec.code == primary.code ? 1 : 0.5))
            return (spec, setupCost, unitCost, daily)
        }
        var slots: [[String: Any]] = []
        for offset in 0..<days {
            let day = today.adding(days: offset)
            let dow = weekday(day)
            let down = random.chance(0.03)
            for line in lines {
                var units = Double(line.dailyUnits) * (0.9 + random.unit() * 0.2)
                if dow == 5 { units *= 0.5 }
                if dow == 6 { units *= region.sundayShift ? 0.3 : 0 }
                if down { units = 0 }
                // Weekend shifts cost more.
                let cost = dow >= 5 ? line.unitCost * 11 / 10 : line.unitCost
                slots.append(["capability": line.spec.code, "date": day.iso, "units": units > 0 ? tidy(units) : 0, "unit_cost": cost])
            }
        }
        let profile: [String: Any] = [
            "name": name, "region": region.code, "lat": (city.lat * 100 + Double(random.int(in: -9...9))).rounded() / 100,
            "lon": (city.lon * 100 + Double(random.int(in: -9...9))).rounded() / 100, "lead_days": leadDays,
            "certifications": certifications.sorted(),
            "capabilities": lines.map { line -> [String: Any] in
                var item: [String: Any] = ["capability": line.spec.code, "setup_cost": line.setupCost]
                if line.spec.batchCost > 0 { item["batch_cost"] = tidy(line.spec.batchCost * region.priceLevel) }
                if let units = line.spec.batchUnits { item["batch_units"] = units }
                return item
            },
        ]
        return Factory(name: name, region: region.code, leadDays: leadDays, capabilities: lines,
                       profileJSON: json(profile), capacityJSON: json(["slots": slots]))
    }

    /// One order of mixed size: mostly small runs, some that need a few factories, a few
    /// large ones that need many; due in one to four weeks; now and then with a price cap, a
    /// region list (near-shoring), certifications, a minimum lot or a split limit.
    static func order(_ spec: CapabilitySpec, number: Int, today: Day, days: Int, random: inout Scheduling.SeededRandom) -> (broker: Int, json: String) {
        let broker = random.below(brokers.count)
        let typical = Double(spec.dailyUnits.lowerBound + spec.dailyUnits.upperBound) / 2
        let size = pick([(0.2...1.0, 0.5), (1.0...4.0, 0.32), (4.0...14.0, 0.18)], &random)
        let quantity = min(1_000_000, tidy(typical * (size.lowerBound + random.unit() * (size.upperBound - size.lowerBound))))
        var release = today
        if random.chance(0.2) { release = today.adding(days: random.int(in: 2...10)) }
        let due = min(today.adding(days: days - 1), release.adding(days: random.int(in: 5...20)))
        var body: [String: Any] = [
            "capability": spec.code, "quantity": quantity, "due_date": due.iso,
            "priority": pick([(1, 0.1), (2, 0.2), (3, 0.4), (4, 0.2), (5, 0.1)], &random),
            "reference": "PO-\(["QP", "NW", "AL", "KH"][broker])-\(String(4100 + number * 7))",
        ]
        if release != today { body["release_date"] = release.iso }
        if random.chance(0.15) {
            // A tight budget: only the cheaper regions qualify, and sometimes none does.
            body["max_unit_cost"] = Int((spec.unitCost * (0.75 + random.unit() * 0.3)).rounded())
        }
        if random.chance(0.15) {
            body["regions"] = pick([(["MX-NL"], 1.0), (["PL-MZ", "TR-IS"], 1.0), (["CN-GD", "CN-ZJ"], 1.0), (["VN-SG", "IN-KA"], 1.0)], &random)
        }
        if random.chance(0.1), let certification = spec.certifications.first?.code { body["certifications"] = [certification] }
        if random.chance(0.2), quantity >= 40 { body["min_lot"] = max(1, quantity / 4) }
        if random.chance(0.15) { body["max_factories"] = random.int(in: 1...3) }
        // Pooling: most orders of a batched process name a pool; sample runs (a few dozen
        // prototype boards) replace the quantity drawn above.
        if !spec.pools.isEmpty, random.chance(0.75) {
            body["pool"] = pick(spec.pools.enumerated().map { ($1, 1.0 / Double($0 + 1)) }, &random)
            if random.chance(spec.sampleShare) {
                body["quantity"] = 5 * random.int(in: 2...16)
                body["min_lot"] = nil
            }
        }
        return (broker, json(body))
    }
}
