import Testing
@testable import WeftCore

@Suite("MIP wire format (server ⇄ weft-mip-worker)")
struct MIPWireTests {
    func sample() -> Scheduling.MIPProblem {
        let p = Scheduling.generateInstance(Scheduling.InstanceSpec(shape: .pooled, orders: 12, factories: 4, days: 4, seed: 2))
        let index = ProblemIndex(p)
        let model = ExactModel(index, columnLimit: 100_000)!
        var mip = model.mipProblem(objective: model.columns.map(\.cost), extraRow: ([(0, 1), (1, 2)], 3),
                                   start: model.columns.map(\.lower), seconds: 1.5, nodes: 40)
        mip.parameters = ["cuts=off", "preprocess=on"]
        return mip
    }

    @Test("a problem and a result come back as they went")
    func roundTrip() {
        let mip = sample()
        #expect(mip.isWellFormed)
        #expect(Scheduling.MIPProblem(decoding: mip.encoded()) == mip)
        var noStart = mip
        noStart.start = nil
        noStart.nodeLimit = nil
        #expect(Scheduling.MIPProblem(decoding: noStart.encoded()) == noStart)
        let result = Scheduling.MIPResult(values: mip.lower, objective: 12, bestBound: 11.5, proven: true, nodes: 7)
        #expect(Scheduling.MIPResult(decoding: result.encoded(), columns: mip.columnCount) == result)
        #expect(Scheduling.MIPResult(decoding: Scheduling.MIPResult.nothing.encoded(), columns: 3) == .nothing)
    }

    @Test("truncated, extended, corrupted or inconsistent bytes decode to nil")
    func malformed() {
        let bytes = sample().encoded()
        for cut in [0, 3, 4, 12, bytes.count / 2, bytes.count - 1] {
            #expect(Scheduling.MIPProblem(decoding: Array(bytes.prefix(cut))) == nil, "cut at \(cut)")
        }
        #expect(Scheduling.MIPProblem(decoding: bytes + [0]) == nil)
        var badTag = bytes
        badTag[0] = 0
        #expect(Scheduling.MIPProblem(decoding: badTag) == nil)
        // A row index out of range: the column starts say where the first index is.
        var bad = sample()
        bad.rowIndex[0] = Int32(bad.rowCount)
        #expect(Scheduling.MIPProblem(decoding: bad.encoded()) == nil)
        var huge = bytes
        for k in 4..<12 { huge[k] = 0xff }   // the first array's length: negative
        #expect(Scheduling.MIPProblem(decoding: huge) == nil)

        let result = Scheduling.MIPResult(values: [1, 2], objective: 3, bestBound: 2, proven: true, nodes: 1).encoded()
        #expect(Scheduling.MIPResult(decoding: result, columns: 3) == nil)   // wrong width
        #expect(Scheduling.MIPResult(decoding: Array(result.dropLast()), columns: 2) == nil)
        let unproven = Scheduling.MIPResult(values: nil, objective: nil, bestBound: 2, proven: true, nodes: 1).encoded()
        #expect(Scheduling.MIPResult(decoding: unproven, columns: 2) == nil)   // a proof without a solution
    }
}
