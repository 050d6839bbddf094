import Foundation
import Testing
import WeftCore
@testable import WeftAPI
@testable import WeftStore
import WeftHTTP

/// The order and factory bodies are written by hand for speed (``JSONBytes``); they must be
/// the bytes JSONEncoder writes for the same values.
@Suite("Order and factory bodies: hand-written JSON equals the encoder's")
struct DTOJSONTests {
    static let awkward = "q\"uote \\ back/slash\nnew\rret\ttab\u{8}\u{c}\u{1}\u{1f}\u{7f} é \u{2028} 😀"
    /// Whole seconds, fractions just below the next second, before 1970, far ahead, a leap day.
    static let dates: [Date] = [
        Date(timeIntervalSince1970: 0), Date(timeIntervalSince1970: 1_796_195_832.999_999), Date(timeIntervalSince1970: -1.5),
        Date(timeIntervalSince1970: -315_619_200.25), Date(timeIntervalSince1970: 253_402_300_799), Date(timeIntervalSince1970: 951_782_400.5),
        Date(timeIntervalSince1970: 4_107_542_399.000_001),
    ]

    static func order(_ n: Int) -> OrderRecords.Order {
        let odd = n % 2 == 1
        return OrderRecords.Order(
            id: UUID(), brokerID: UUID(), capability: "pcb.fab", quantity: 10 + n, dueDate: Day(iso: "2026-12-1\(n % 10)")!,
            releaseDate: Day(iso: "2024-02-29")!, maxUnitCost: odd ? Int64(n) * 7 : nil, regions: odd ? ["CN-GD", awkward] : [],
            certifications: odd ? [] : ["ISO9001", "IATF16949"], minLot: n, maxFactories: 8, priority: -n, reference: odd ? awkward : nil,
            status: "partial", allocatedUnits: n, unscheduledReason: odd ? nil : awkward, createdAt: dates[n % dates.count],
            updatedAt: dates[(n + 3) % dates.count], cancelledAt: odd ? dates[(n + 1) % dates.count] : nil, pool: odd ? "fr4.2l.hasl" : nil)
    }

    static func allocation(_ n: Int) -> OrderRecords.Allocation {
        OrderRecords.Allocation(id: Int64(n) * 1_000_003, orderID: UUID(), slotID: Int64(n), factoryID: UUID(), capability: "pcb.fab",
                                day: Day(iso: "2027-01-0\(1 + n % 9)")!, units: n * 3, unitCost: Int64.max - Int64(n), status: n % 2 == 0 ? "planned" : "confirmed",
                                runID: nil, createdAt: dates[n % dates.count], confirmedAt: nil)
    }

    @Test(arguments: 0..<8)
    func orderBodiesMatch(_ n: Int) throws {
        let dto = OrderDTO(Self.order(n), allocations: (0..<(n % 4)).map(Self.allocation), cost: Int64(n) * -12_345)
        #expect(String(decoding: try dto.encoded(), as: UTF8.self) == String(decoding: try JSON.encoder.encode(dto), as: UTF8.self))
        // Allocations listed with their order id (the allocations routes) keep the same order of keys.
        var withOrder = dto
        withOrder.allocations = (0..<2).map { AllocationDTO(Self.allocation($0), withOrder: true) }
        #expect(String(decoding: try withOrder.encoded(), as: UTF8.self) == String(decoding: try JSON.encoder.encode(withOrder), as: UTF8.self))
    }

    @Test(arguments: [nil, 0.0, -0.0, 22.5431, -114.057_9, 0.1 + 0.2, 1e-7, 1e22, 100, -90, 179.999_999_999_9, 5e-324])
    func factoryBodiesMatch(_ coordinate: Double?) throws {
        let capabilities = [
            CapabilitySetupCost(capability: Capability("pcb.fab")!, setupCost: 100, batchCost: 1000, batchUnits: 50),
            CapabilitySetupCost(capability: Capability("pcb.assembly")!, setupCost: 0, batchCost: 0, batchUnits: nil),
        ]
        for count in [0, 2] {
            let record = FactoryRecords.Record(
                id: UUID(), name: Self.awkward, region: "CN-GD", lat: coordinate, lon: coordinate.map { -$0 }, leadDays: 3,
                certifications: count == 0 ? [] : ["ISO9001", Self.awkward], capabilities: Array(capabilities.prefix(count)),
                active: count == 0, createdAt: Self.dates[count], updatedAt: Self.dates[count + 1])
            let dto = FactoryDTO(record)
            #expect(String(decoding: dto.encoded(), as: UTF8.self) == String(decoding: try JSON.encoder.encode(dto), as: UTF8.self))
        }
    }
}
