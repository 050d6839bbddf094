/// A capability a factory offers, with the fixed cost it charges once per order it takes on
/// and the cost and size of one production batch.
public struct CapabilitySetupCost: Sendable, Hashable {
    /// `capability`.
    public var capability: Capability
    /// Money, minor units.
    public var setupCost: Int64
    /// `batch_cost`: the fixed cost of one batch on one day, money (default 0).
    public var batchCost: Int64
    /// `batch_units`: the most units one batch holds; nil = unlimited.
    public var batchUnits: Int?

    /// A capability with its setup cost and batch terms.
    public init(capability: Capability, setupCost: Int64, batchCost: Int64 = 0, batchUnits: Int? = nil) {
        self.capability = capability
        self.setupCost = setupCost
        self.batchCost = batchCost
        self.batchUnits = batchUnits
    }
}

/// A change to a field that can also be cleared (PATCH with `null`).
public enum FieldUpdate<Value: Sendable & Equatable>: Sendable, Equatable {
    /// The field was left out: keep the current value.
    case keep
    /// The field was given: store this value.
    case set(Value)
    /// The field was `null`: remove the stored value.
    case clear
}

/// Limits of factory profiles.
public enum FactoryLimits {
    /// `lead_days`.
    public static let leadDays = 0...60
    /// Entries in `certifications`.
    public static let maxCertifications = 32
    /// Entries in `capabilities`.
    public static let maxCapabilities = 256
    /// `lat`, degrees.
    public static let latitude: ClosedRange<Double> = -90...90
    /// `lon`, degrees.
    public static let longitude: ClosedRange<Double> = -180...180
    /// `batch_units`: a slot holds at most 1,000,000,000 units.
    public static let batchUnits = 1...1_000_000_000
}

/// The body of `POST /v1/factories`.
///
/// Required: `name` (1..200 characters), `region` (`CodeRule.region`), `lead_days` (0..60).
/// Optional: `lat` (-90...90) and `lon` (-180...180), the only fractional numbers in the API;
/// `certifications` (distinct codes, at most 32, default none); `capabilities`
/// (`[{capability, setup_cost, batch_cost?, batch_units?}]`, distinct capabilities, at most 256,
/// default none; `batch_cost` money, default 0; `batch_units` 1..1,000,000,000 or null/absent
/// for unlimited);
/// `active` (default true).
public struct FactoryInput: BodyInput, Equatable {
    /// `name`.
    public var name: String
    /// `region`.
    public var region: String
    /// `lat`, nil when absent or null.
    public var lat: Double?
    /// `lon`, nil when absent or null.
    public var lon: Double?
    /// `lead_days`.
    public var leadDays: Int
    /// `certifications`, distinct, in the order given.
    public var certifications: [String]
    /// `capabilities`, distinct by capability, in the order given.
    public var capabilities: [CapabilitySetupCost]
    /// `active`.
    public var active: Bool

    /// A factory body with these values.
    public init(name: String, region: String, lat: Double? = nil, lon: Double? = nil, leadDays: Int,
                certifications: [String] = [], capabilities: [CapabilitySetupCost] = [], active: Bool = true) {
        self.name = name
        self.region = region
        self.lat = lat
        self.lon = lon
        self.leadDays = leadDays
        self.certifications = certifications
        self.capabilities = capabilities
        self.active = active
    }

    public static func read(from r: inout ObjectReader) -> FactoryInput? {
        let name = r.string("name", required: true)
        let region = r.code("region", required: true, rule: .region)
        let lat = r.number("lat", in: FactoryLimits.latitude)
        let lon = r.number("lon", in: FactoryLimits.longitude)
        let leadDays = r.int("lead_days", required: true, in: FactoryLimits.leadDays)
        let certifications = r.stringSet("certifications", max: FactoryLimits.maxCertifications, rule: .certification)
        let capabilities = readCapabilities(&r)
        let active = r.bool("active")
        guard r.issues.isEmpty, let name, let region, let leadDays else { return nil }
        return FactoryInput(name: name, region: region, lat: lat, lon: lon, leadDays: leadDays,
                            certifications: certifications ?? [], capabilities: capabilities ?? [], active: active ?? true)
    }
}

/// The body of `PATCH /v1/factories/{id}`: every field optional, same rules as creation.
///
/// A field left out keeps its value. `capabilities`, when given, replaces the whole set
/// (so `[]` removes them all); `certifications` likewise. `lat`/`lon` may be `null` to
/// clear them; `null` for any other field is refused, because it cannot mean anything.
public struct FactoryPatch: BodyInput, Equatable {
    /// `name`; nil keeps it.
    public var name: String?
    /// `region`; nil keeps it.
    public var region: String?
    /// `lat`: keep, set or clear.
    public var lat: FieldUpdate<Double>
    /// `lon`: keep, set or clear.
    public var lon: FieldUpdate<Double>
    /// `lead_days`; nil keeps it.
    public var leadDays: Int?
    /// `certifications`: the new set; nil keeps the current one.
    public var certifications: [String]?
    /// `capabilities`: the new set with setup costs; nil keeps the current one.
    public var capabilities: [CapabilitySetupCost]?
    /// `active`; nil keeps it.
    public var active: Bool?

    /// A patch with these changes; the defaults change nothing.
    public init(name: String? = nil, region: String? = nil, lat: FieldUpdate<Double> = .keep, lon: FieldUpdate<Double> = .keep,
                leadDays: Int? = nil, certifications: [String]? = nil, capabilities: [CapabilitySetupCost]? = nil, active: Bool? = nil) {
        self.name = name
        self.region = region
        self.lat = lat
        self.lon = lon
        self.leadDays = leadDays
        self.certifications = certifications
        self.capabilities = capabilities
        self.active = active
    }

    /// Whether the patch changes nothing (an empty body).
    public var isEmpty: Bool { self == FactoryPatch() }

    public static func read(from r: inout ObjectReader) -> FactoryPatch? {
        r.nullPolicy = .refused
        var patch = FactoryPatch()
        patch.name = r.string("name")
        patch.region = r.code("region", rule: .region)
        patch.lat = coordinate(&r, "lat", FactoryLimits.latitude)
        patch.lon = coordinate(&r, "lon", FactoryLimits.longitude)
        patch.leadDays = r.int("lead_days", in: FactoryLimits.leadDays)
        patch.certifications = r.stringSet("certifications", max: FactoryLimits.maxCertifications, rule: .certification)
        patch.capabilities = readCapabilities(&r)
        patch.active = r.bool("active")
        return r.issues.isEmpty ? patch : nil
    }

    private static func coordinate(_ r: inout ObjectReader, _ key: String, _ range: ClosedRange<Double>) -> FieldUpdate<Double> {
        if r.isNull(key) { return .clear }
        return r.number(key, in: range).map { .set($0) } ?? .keep
    }
}

/// `capabilities: [{capability, setup_cost, batch_cost?, batch_units?}]`, shared by creation and
/// patch. `batch_units` may be `null` (unlimited, as when absent) even in a patch: the
/// capability set is replaced whole.
private func readCapabilities(_ r: inout ObjectReader) -> [CapabilitySetupCost]? {
    var firstIndex: [Capability: Int] = [:]
    return r.array("capabilities", count: 0...FactoryLimits.maxCapabilities) { element in
        let index = element.index
        let parentPath = element.parentPath
        return element.object { item -> CapabilitySetupCost? in
            let capability = item.capability("capability", required: true)
            let setupCost = item.money("setup_cost", required: true)
            // Null is refused in creation and patch alike (0 is the default), so one schema fits both.
            if item.isNull("batch_cost") { item.report("batch_cost", "must not be null; leave it out for no batch cost (0)") }
            let batchCost = item.money("batch_cost")
            let unlimited = item.isNull("batch_units")
            let batchUnits = unlimited ? nil : item.int("batch_units", in: FactoryLimits.batchUnits)
            guard let capability, let setupCost, item.issues.isEmpty else { return nil }
            if let first = firstIndex[capability] {
                item.report("capability", ValidationMessage.repeats("'\(capability.code)'", at: "\(parentPath)[\(first)]"))
                return nil
            }
            firstIndex[capability] = index
            return CapabilitySetupCost(capability: capability, setupCost: setupCost, batchCost: batchCost ?? 0, batchUnits: batchUnits)
        }
    }
}
