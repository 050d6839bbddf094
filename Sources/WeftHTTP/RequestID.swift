/// Request ids: one per request, echoed in `X-Request-Id`, logs and problem documents.
public enum RequestID {
    /// The header that carries the id in both directions.
    public static let headerName = "X-Request-Id"

    /// The client's id if it is 1...128 characters of `[A-Za-z0-9._-]`, else nil.
    ///
    /// Anything else is refused rather than sanitised: ids end up in logs, and a client
    /// must not be able to inject text there.
    public static func accept(_ candidate: String?) -> String? {
        guard let candidate, (1...128).contains(candidate.utf8.count) else { return nil }
        let valid = candidate.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
                true
            default:
                false
            }
        }
        return valid ? candidate : nil
    }

    /// 16 random lowercase hex characters.
    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        let value = generator.next() as UInt64
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
