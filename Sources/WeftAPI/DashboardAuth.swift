import Foundation
import NIOHTTP1
import WeftCore
import WeftHTTP
import WeftStore

/// Dashboard sign-in: an admin pastes a key into a form once and gets a session cookie.
///
/// The key travels only in a POST body, never in a URL. The cookie holds 32 random bytes
/// (hex); the database holds only their SHA-256 with the key's id and the expiry, so every
/// server process shares sessions and a leaked table opens nothing. The cookie is HttpOnly
/// (no script can read it), SameSite=Strict (no other site can make the browser send it,
/// which is also what protects the dashboard's forms against cross-site requests) and scoped
/// to `/dashboard`, so it never accompanies API calls.
struct DashboardAuth {
    let context: AppContext

    static let cookieName = "weft_session"
    /// How long a session lasts: a working day.
    static let lifetimeSeconds = 8 * 3600

    /// The admin key behind a valid session cookie; nil when there is none, it is malformed,
    /// expired, signed out, or its key was revoked.
    func session(_ request: Request) async throws -> DashboardSessionRecords.Session? {
        guard let token = Self.cookieToken(request) else { return nil }
        let digest = sha256(Array(token.utf8))
        return try await context.pool.withConnection { connection in
            try DashboardSessionRecords.find(on: connection, tokenHash: digest)
        }
    }

    /// The session token from the `Cookie` header, when shaped like one of ours.
    static func cookieToken(_ request: Request) -> String? {
        for header in request.headers["Cookie"] {
            for pair in header.split(separator: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                guard parts.count == 2, parts[0] == cookieName else { continue }
                let token = parts[1]
                if token.utf8.count == 64, token.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }) {
                    return token
                }
            }
        }
        return nil
    }

    /// `GET /dashboard/login`: the form (or straight on when already signed in).
    func loginForm(_ request: Request) async throws -> Response {
        let next = Self.safeNext(request.query["next"])
        if try await session(request) != nil { return DashboardHTML.redirect(to: next) }
        return Self.formPage(next: next, message: nil, status: .ok)
    }

    /// `POST /dashboard/login` with `key` (and `next`) as a form: a valid admin key opens a
    /// session; anything else shows the form again with the reason, as 401 or 403.
    func login(_ request: Request) async throws -> Response {
        var reader = QueryReader(rawQuery: String(decoding: request.body, as: UTF8.self))
        let key = reader.text("key")?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        let next = Self.safeNext(reader.text("next"))
        guard !key.isEmpty else {
            return Self.formPage(next: next, message: "Paste an admin API key to sign in.", status: .unauthorized)
        }
        var probe = request
        probe.headers.replaceOrAdd(name: "Authorization", value: "Bearer \(key)")
        let principal: Principal
        do {
            principal = try await Authenticator(pool: context.pool, cache: context.apiKeys).authenticate(probe)
        } catch let error as HTTPError where error.status == .unauthorized {
            return Self.formPage(next: next, message: "That key is not valid: it is unknown, revoked or mistyped.", status: .unauthorized)
        }
        guard principal.role == .admin else {
            return Self.formPage(next: next, message: "That is a \(principal.role.rawValue) key; the dashboard needs an admin key.", status: .forbidden)
        }
        let token = try Self.newToken()
        let digest = sha256(Array(token.utf8))
        let keyID = principal.keyID
        _ = try await context.pool.transaction { connection in
            try DashboardSessionRecords.create(on: connection, tokenHash: digest, keyID: keyID, lifetime: Self.lifetimeSeconds)
        }
        let secure = request.headers.first(name: "X-Forwarded-Proto")?.lowercased() == "https" ? "; Secure" : ""
        return DashboardHTML.redirect(to: next, headers: [
            "Set-Cookie": "\(Self.cookieName)=\(token); Path=/dashboard; Max-Age=\(Self.lifetimeSeconds); HttpOnly; SameSite=Strict\(secure)",
        ])
    }

    /// `POST /dashboard/logout`: ends the session in the database and clears the cookie.
    func logout(_ request: Request) async throws -> Response {
        if let token = Self.cookieToken(request) {
            let digest = sha256(Array(token.utf8))
            try await context.pool.withConnection { connection in
                try DashboardSessionRecords.delete(on: connection, tokenHash: digest)
            }
        }
        return DashboardHTML.redirect(to: "/dashboard/login", headers: [
            "Set-Cookie": "\(Self.cookieName)=; Path=/dashboard; Max-Age=0; HttpOnly; SameSite=Strict",
        ])
    }

    /// Where to go after signing in: a dashboard path only, so the parameter cannot send
    /// anyone to another site.
    static func safeNext(_ value: String?) -> String {
        guard let value, value == "/dashboard" || value.hasPrefix("/dashboard/") || value.hasPrefix("/dashboard?"),
              !value.contains("//"), !value.contains("\\"), value.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7f }),
              !value.hasPrefix("/dashboard/login"), !value.hasPrefix("/dashboard/logout") else {
            return "/dashboard"
        }
        return value
    }

    static func newToken() throws -> String {
        guard let bytes = secureRandomBytes(32) else {
            throw HTTPError(.internalServerError, detail: "The system random number generator failed.")
        }
        return lowercaseHex(bytes)
    }

    static func formPage(next: String, message: String?, status: HTTPResponseStatus) -> Response {
        struct View { var next: String; var message: String? }
        return DashboardHTML.response(DashboardHTML.document("login", title: "Sign in", current: nil, view: View(next: next, message: message)), status: status)
    }
}
