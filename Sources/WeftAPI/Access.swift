import Foundation
import WeftHTTP

/// Who may touch what. The rule of the contract: a key never reaches another tenant's data,
/// and asking for another tenant's object looks exactly like asking for a missing one (404).
extension Principal {
    /// The caller, for handlers behind the `/v1` gate.
    public static func authenticated() throws -> Principal {
        guard let principal = Principal.current else { throw Authenticator.unauthorized }
        return principal
    }

    /// The caller when its role is one of `roles`; 403 otherwise.
    @discardableResult
    public static func require(_ roles: Role...) throws -> Principal {
        let principal = try authenticated()
        guard roles.contains(principal.role) else {
            // "an admin", "a factory": the article follows the first word.
            func article(_ role: Role) -> String { role == .admin ? "an" : "a" }
            throw HTTPError(.forbidden, detail: "This needs \(roles.first.map(article) ?? "a") \(roles.map(\.rawValue).joined(separator: " or ")) key; yours is \(article(principal.role)) \(principal.role.rawValue) key.")
        }
        return principal
    }

    /// Admins see every factory; a factory key sees only its own.
    public func mayAccess(factory id: UUID) -> Bool {
        role == .admin || (role == .factory && factoryID == id)
    }

    /// Admins see every broker's data; a broker key sees only its own.
    public func mayAccess(broker id: UUID) -> Bool {
        role == .admin || (role == .broker && brokerID == id)
    }
}

/// The 404 for an object that does not exist or belongs to someone else.
public func notFound(_ what: String, _ id: String) -> HTTPError {
    HTTPError(.notFound, detail: "No \(what) with id \(id) exists (or it is not visible to this key).")
}
