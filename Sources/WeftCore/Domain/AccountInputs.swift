/// The body of `POST /v1/brokers`: `{"name"}`, 1..200 characters.
public struct BrokerInput: BodyInput, Equatable {
    /// `name`, 1..200 characters.
    public var name: String

    /// A broker body with this name.
    public init(name: String) { self.name = name }

    public static func read(from r: inout ObjectReader) -> BrokerInput? {
        r.string("name", required: true).map(BrokerInput.init(name:))
    }
}

/// The role an API key acts in.
public enum APIKeyRole: String, CaseIterable, Sendable, Hashable {
    case admin, factory, broker
}

/// What an API key may reach: everything, or one factory, or one broker.
public enum APIKeyScope: Sendable, Hashable {
    case admin
    case factory(EntityID)
    case broker(EntityID)

    /// The role this scope belongs to.
    public var role: APIKeyRole {
        switch self {
        case .admin: return .admin
        case .factory: return .factory
        case .broker: return .broker
        }
    }
}

/// The body of `POST /v1/api-keys`: `{"role", "factory_id"?, "broker_id"?, "label"?}`.
///
/// `factory_id` is required exactly when `role` is `factory`, `broker_id` exactly when it
/// is `broker`; giving one that does not belong is refused rather than ignored, because
/// the caller evidently meant something else. `label` is up to 200 characters ("" = none).
/// Whether the ids exist is for the API layer to check.
public struct APIKeyInput: BodyInput, Equatable {
    /// From `role` with `factory_id` / `broker_id`.
    public var scope: APIKeyScope
    /// `label`, nil when absent or empty.
    public var label: String?

    /// A key body with this scope and label.
    public init(scope: APIKeyScope, label: String? = nil) {
        self.scope = scope
        self.label = label
    }

    public static func read(from r: inout ObjectReader) -> APIKeyInput? {
        let role = r.enumeration("role", required: true, as: APIKeyRole.self)
        let factoryID = r.id("factory_id")
        let brokerID = r.id("broker_id")
        let label = r.string("label", length: 0...200)
        if let role {
            requireIdExactly(&r, "factory_id", role: role, owner: .factory)
            requireIdExactly(&r, "broker_id", role: role, owner: .broker)
        }
        guard r.issues.isEmpty, let role else { return nil }
        let scope: APIKeyScope
        switch role {
        case .admin: scope = .admin
        case .factory: guard let factoryID else { return nil }; scope = .factory(factoryID)
        case .broker: guard let brokerID else { return nil }; scope = .broker(brokerID)
        }
        return APIKeyInput(scope: scope, label: label?.isEmpty == true ? nil : label)
    }

    private static func requireIdExactly(_ r: inout ObjectReader, _ key: String, role: APIKeyRole, owner: APIKeyRole) {
        let given = r.contains(key) && r.object[key] != .null
        if role == owner, !given {
            r.report(key, "is required for a \(owner.rawValue) key")
        } else if role != owner, given {
            r.report(key, "is only allowed for a \(owner.rawValue) key")
        }
    }
}
