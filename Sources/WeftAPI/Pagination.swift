import Foundation
import WeftHTTP

/// An opaque list cursor: the sort key of the last item returned (creation time and id),
/// so the next page starts strictly after it even while rows are being added.
public struct ListCursor: Sendable, Equatable {
    public var createdAt: Date
    public var id: String

    public init(createdAt: Date, id: String) {
        self.createdAt = createdAt
        self.id = id
    }

    /// base64url of `<microseconds since 1970>:<id>`.
    public var encoded: String {
        let micros = Int64((createdAt.timeIntervalSince1970 * 1_000_000).rounded())
        return Data("\(micros):\(id)".utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// The cursor in `text`; 422 when it is not one Weft handed out.
    public init(decoding text: String) throws {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard let data = Data(base64Encoded: base64), let plain = String(data: data, encoding: .utf8),
              let colon = plain.firstIndex(of: ":"), let micros = Int64(plain[..<colon]),
              // Outside 1970...9999 no row was ever created, and PostgreSQL cannot take the value (→ 500).
              (0...253_402_300_799_999_999).contains(micros) else {
            throw Self.invalid
        }
        self.createdAt = Date(timeIntervalSince1970: Double(micros) / 1_000_000)
        self.id = String(plain[plain.index(after: colon)...])
    }
}

/// A page of a list: `{"items": [...], "next_cursor": ...}`; `next_cursor` is null on the last page.
public struct Page<Item: Encodable & Sendable>: Encodable, Sendable {
    public var items: [Item]
    public var nextCursor: String?

    public init(items: [Item], nextCursor: String?) {
        self.items = items
        self.nextCursor = nextCursor
    }

    enum CodingKeys: String, CodingKey { case items, nextCursor }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(items, forKey: .items)
        try container.encode(nextCursor, forKey: .nextCursor) // explicit null, not omitted
    }
}
