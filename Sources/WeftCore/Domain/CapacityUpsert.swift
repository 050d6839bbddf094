/// One slot in a capacity upsert: how many units of a capability a factory can make on a
/// day, and what each costs.
public struct CapacitySlotInput: Sendable, Hashable {
    /// `capability`.
    public var capability: Capability
    /// `date`, the production day.
    public var date: Day
    /// 0 through `CapacityLimits.units`; 0 withdraws the day's capacity.
    public var units: Int
    /// Money per unit, minor units.
    public var unitCost: Int64

    /// A slot with these values.
    public init(capability: Capability, date: Day, units: Int, unitCost: Int64) {
        self.capability = capability
        self.date = date
        self.units = units
        self.unitCost = unitCost
    }
}

/// Limits of capacity upserts.
public enum CapacityLimits {
    /// `units` of one slot.
    public static let units = 0...1_000_000_000
    /// Slots in one request.
    public static let slotsPerRequest = 1...50_000
}

/// The body of `PUT /v1/factories/{id}/capacity`: `{"slots":[{"capability","date","units","unit_cost"}]}`.
///
/// All four slot fields are required. 1 to 50,000 slots; the same (capability, date) twice
/// is refused at the second one's path, since which of the two should win is a guess.
public struct CapacityUpsert: BodyInput, Equatable {
    /// The slots in request order, (capability, date) unique.
    public var slots: [CapacitySlotInput]

    /// An upsert of these slots.
    public init(slots: [CapacitySlotInput]) { self.slots = slots }

    public static func read(from r: inout ObjectReader) -> CapacityUpsert? {
        // Hot path (10,000 slots inside a 1 s end-to-end budget): one reader per slot
        // with a lazily built path, and one dictionary for the duplicate check.
        var firstIndex: [SlotKey: Int] = [:]
        if case .array(let elements)? = r.object["slots"], CapacityLimits.slotsPerRequest.contains(elements.count) {
            firstIndex.reserveCapacity(elements.count)
        }
        let slots = r.array("slots", required: true, count: CapacityLimits.slotsPerRequest) { element in
            let index = element.index
            let parentPath = element.parentPath
            return element.object { slot -> CapacitySlotInput? in
                let capability = slot.capability("capability", required: true)
                let date = slot.day("date", required: true)
                let units = slot.int("units", required: true, in: CapacityLimits.units)
                let unitCost = slot.money("unit_cost", required: true)
                guard let capability, let date, let units, let unitCost else { return nil }
                let key = SlotKey(capability: capability, date: date)
                if let first = firstIndex.updateValue(index, forKey: key) {
                    firstIndex[key] = first
                    slot.report("", ValidationMessage.repeats("the slot for '\(capability.code)' on \(date.iso)", at: "\(parentPath)[\(first)]"))
                    return nil
                }
                return CapacitySlotInput(capability: capability, date: date, units: units, unitCost: unitCost)
            }
        }
        return slots.map(CapacityUpsert.init(slots:))
    }

    private struct SlotKey: Hashable {
        var capability: Capability
        var date: Day
    }
}
