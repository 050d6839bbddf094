import Synchronization

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

    /// 16 lowercase hex characters, never the same twice in a process and unrelated between
    /// processes: a per-process random start plus a counter, scrambled by multiplying with an
    /// odd constant (a bijection on 64 bits). Ids correlate lines and reports; they are not
    /// secrets, so the system random generator (a `getrandom` call each) is asked only once.
    public static func generate() -> String {
        let value = (seed &+ counter.wrappingAdd(1, ordering: .relaxed).oldValue) &* 0x9E37_79B9_7F4A_7C15
        return String(unsafeUninitializedCapacity: 16) { buffer in
            for index in 0..<16 {
                let nibble = Int((value >> UInt64(60 - 4 * index)) & 0xF)
                buffer[index] = nibble < 10 ? UInt8(ascii: "0") + UInt8(nibble) : UInt8(ascii: "a") + UInt8(nibble - 10)
            }
            return 16
        }
    }

    private static let seed = UInt64.random(in: .min ... .max)
    private static let counter = Atomic<UInt64>(0)
}
