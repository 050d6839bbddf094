import Foundation
import WeftHTTP
import WeftStore

/// The 409 for an upsert that would set slots below their allocated units: a problem
/// document whose `errors` point at each slot (`slots[3].units`) and whose `slots` extension
/// lists them for programs. Built here because `HTTPError` has no extension members.
struct CapacityConflict: Encodable {
    struct Slot: Encodable {
        var index: Int
        var capability: String
        var date: String
        var units: Int64
        var allocated: Int64
    }

    var type = "https://weft.dev/problems/capacity-below-allocated"
    var title = "Capacity below allocated work"
    var status = 409
    var detail: String
    var errors: [FieldError]
    var slots: [Slot]
    /// All conflicting slots; `errors` and `slots` list at most `listed` of them.
    var conflictingSlots: Int
    var requestId: String?

    /// Entries listed at most, as with validation errors.
    static let listed = 100

    init(overbookings: [CapacityRecords.Overbooking]) {
        let shown = overbookings.prefix(Self.listed)
        conflictingSlots = overbookings.count
        detail = "\(overbookings.count) slot\(overbookings.count == 1 ? "" : "s") would drop below the units already allocated there; nothing was written. "
            + "Keep each at or above its allocated units, or repeat the request with ?displace=true to release the work that no longer fits and re-place those orders elsewhere."
        errors = shown.map { slot in
            FieldError(field: "slots[\(slot.index)].units",
                       message: "is \(slot.units), but \(slot.allocated) units are already allocated in the '\(slot.capability)' slot on \(slot.day.iso)")
        }
        slots = shown.map { Slot(index: $0.index, capability: $0.capability, date: $0.day.iso, units: $0.units, allocated: $0.allocated) }
    }

    func response(requestID: String) -> Response {
        var document = self
        document.requestId = requestID
        let body = (try? JSON.encoder.encode(document)).map(Array.init) ?? Array(#"{"status":409}"#.utf8)
        return Response(status: .conflict, headers: ["Content-Type": Response.problemContentType], body: body)
    }
}
