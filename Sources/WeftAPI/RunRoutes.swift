import Foundation
import WeftCore
import WeftHTTP
import WeftStore

/// Schedule runs (admins only): start one, poll it, read the history.
struct RunRoutes {
    let context: AppContext

    static let statuses = ["queued", "running", "succeeded", "failed"]

    func register(on builder: inout RouterBuilder) {
        builder.on(.POST, "/v1/schedule-runs") { try await start($0) }
        builder.on(.GET, "/v1/schedule-runs") { try await list($0) }
        builder.on(.GET, "/v1/schedule-runs/{id}") { try await get($0) }
    }

    /// 202 with the run: `running` in the background of this process, or `queued` behind a
    /// run that holds one of its capabilities (409 instead with `"if_busy": "refuse"`).
    private func start(_ request: Request) async throws -> Response {
        let principal = try Principal.require(.admin)
        try request.noQuery()
        // Every field is optional, so no body at all means the defaults, like `{}`.
        let blank = request.body.allSatisfy { [0x20, 0x09, 0x0A, 0x0D].contains($0) }
        let input = blank ? ScheduleRunInput() : try request.input(ScheduleRunInput.self)
        let run = try await context.runs.start(input, requestedBy: principal.keyID)
        var response = try Response.json(RunDTO(run), status: .accepted)
        response.headers.replaceOrAdd(name: "Location", value: "/v1/schedule-runs/\(run.id.lowercasedString)")
        return response
    }

    /// One run, with its diff if it is a dry run. A run found `running` whose process has died
    /// is marked failed on the way.
    private func get(_ request: Request) async throws -> Response {
        try Principal.require(.admin)
        try request.noQuery()
        let id = try request.entityID(of: "schedule run")
        let run = try await context.pool.withConnection { connection -> RunRecords.Run? in
            guard let run = try RunRecords.find(on: connection, id: id) else { return nil }
            guard run.status == "running" || run.status == "queued" else { return run }
            return try RunRecords.failAbandoned(on: connection, id: id).isEmpty ? run : try RunRecords.find(on: connection, id: id)
        }
        guard let run else { throw notFound("schedule run", id.lowercasedString) }
        return try Response.json(RunDTO(run))
    }

    /// The history, newest first, without diffs; `status` filters.
    private func list(_ request: Request) async throws -> Response {
        try Principal.require(.admin)
        let (statuses, limit, cursor) = try request.queryInput { reader in
            (reader.values("status", allowed: Self.statuses), reader.limit(), reader.cursor())
        }
        let paging = try KeysetPaging(limit: limit, cursor: cursor)
        let page = try await context.pool.withConnection { connection -> Page<RunDTO> in
            try RunRecords.failAbandoned(on: connection)
            let runs = try RunRecords.list(on: connection, statuses: statuses, before: paging.after.map { ($0.createdAt, $0.id) }, limit: limit)
            return paging.page(runs, position: { ListPosition(createdAt: $0.createdAt, id: $0.id) }) { RunDTO($0) }
        }
        return try Response.json(page)
    }
}
