import Foundation

/// Settings the API layer needs at run time (the command line fills them from flags and
/// environment variables).
public struct AppConfiguration: Sendable {
    /// Allocations on days before `as_of + freezeDays` are pinned (`WEFT_FREEZE_DAYS`).
    public var freezeDays: Int
    /// Serve this file at `/openapi.yaml` instead of the copy built into the binary.
    public var openAPIPath: String?

    public init(freezeDays: Int = 1, openAPIPath: String? = nil) {
        self.freezeDays = freezeDays
        self.openAPIPath = openAPIPath
    }
}
