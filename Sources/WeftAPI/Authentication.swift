import Foundation
import NIOHTTP1
import WeftHTTP
import WeftStore

/// Who may do what: the three roles of the contract.
public enum Role: String, Sendable, Codable, CaseIterable {
    case admin, factory, broker
}

/// The caller behind a valid API key.
public struct Principal: Sendable, Equatable {
    public var keyID: UUID
    public var role: Role
    /// Set for factory keys: the one factory the key may act for.
    public var factoryID: UUID?
    /// Set for broker keys: the one broker the key may act for.
    public var brokerID: UUID?

    /// The principal of the request being handled, set by the `/v1` key check.
    @TaskLocal public static var current: Principal?
}

/// An API key secret: `wft_<prefix>_<secret>`. The prefix (public, indexed) finds the key's
/// row; the SHA-256 digest of the whole string is what is stored and compared.
public struct APIKeySecret: Sendable, Equatable {
    public let text: String
    public let prefix: String

    /// A new key from 30 bytes of OpenSSL randomness.
    public static func generate() throws -> APIKeySecret {
        guard let bytes = secureRandomBytes(30) else {
            throw HTTPError(.internalServerError, detail: "The system random number generator failed.")
        }
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567".utf8)
        let encoded = bytes.map { alphabet[Int($0) & 31] }
        let prefix = String(decoding: encoded[0..<10], as: UTF8.self)
        let secret = String(decoding: encoded[10...], as: UTF8.self)
        return APIKeySecret(text: "wft_\(prefix)_\(secret)", prefix: prefix)
    }

    /// Splits a presented key; nil when it is not shaped like one of ours.
    public init?(presented text: String) {
        let parts = text.split(separator: "_", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "wft", parts[1].count == 10, parts[2].count == 20,
              text.utf8.allSatisfy({ $0 == UInt8(ascii: "_") || ($0 >= 0x61 && $0 <= 0x7a) || ($0 >= 0x32 && $0 <= 0x37) }) else {
            return nil
        }
        self.init(text: text, prefix: String(parts[1]))
    }

    private init(text: String, prefix: String) {
        self.text = text
        self.prefix = prefix
    }

    /// What the database stores instead of the secret.
    public var digest: [UInt8] { sha256(Array(text.utf8)) }
}

/// Finds the principal behind a presented key: by its prefix, through the process's
/// ``APIKeyCache`` (a database read at most every few hundred milliseconds per key), with the
/// SHA-256 digests compared in constant time.
public struct Authenticator: Sendable {
    let pool: PostgresPool
    let cache: APIKeyCache

    public init(pool: PostgresPool, cache: APIKeyCache) {
        self.pool = pool
        self.cache = cache
    }

    static let unauthorized = HTTPError(
        .unauthorized,
        detail: "A valid API key is required: send it as `Authorization: Bearer <key>`. Keys are issued by an admin (`weft keys create` or POST /v1/api-keys).",
        headers: ["WWW-Authenticate": "Bearer"]
    )

    /// The principal for the request's bearer key; 401 when missing, malformed, unknown or revoked.
    public func authenticate(_ request: Request) async throws -> Principal {
        guard let header = request.headers.first(name: "Authorization"), let secret = Self.bearerSecret(header),
              let principal = try await cache.principal(for: secret, pool: pool) else {
            throw Self.unauthorized
        }
        return principal
    }

    /// The key in `Bearer <key>` (scheme case-insensitive, blanks around the key ignored).
    static func bearerSecret(_ header: String) -> APIKeySecret? {
        let utf8 = header.utf8
        guard utf8.count > 7, utf8.prefix(6).elementsEqual("bearer".utf8, by: { $0 | 0x20 == $1 }),
              utf8.dropFirst(6).first == UInt8(ascii: " ") else { return nil }
        let key = utf8.dropFirst(7).drop(while: { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") })
        let trimmed = key.reversed().drop(while: { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") })
        return APIKeySecret(presented: String(decoding: key.prefix(trimmed.count), as: UTF8.self))
    }
}

/// Every request under `/v1` needs a valid key, whether or not the route exists, so that
/// nothing about the API's shape is revealed without one.
struct APIKeyGate: Responder {
    let next: any Responder
    let authenticator: Authenticator

    func respond(to request: Request) async throws -> Response {
        guard request.path == "/v1" || request.path.hasPrefix("/v1/") else {
            return try await next.respond(to: request)
        }
        let principal = try await authenticator.authenticate(request)
        return try await Principal.$current.withValue(principal) {
            try await next.respond(to: request)
        }
    }
}
