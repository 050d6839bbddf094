import ArgumentParser
import Foundation
import WeftAPI
import WeftStore

/// `weft keys create`: issue an API key from the command line (the first admin key comes from here).
struct Keys: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Manage API keys.", subcommands: [Create.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Issue a key; its secret is printed once, as the last line of stdout.")

        @OptionGroup var database: DatabaseOptions

        @Option(help: "admin, factory or broker.")
        var role: String

        @Option(help: "The factory a factory key acts for.")
        var factory: String?

        @Option(help: "The broker a broker key acts for.")
        var broker: String?

        @Option(help: "A note to recognise the key by.")
        var label: String?

        func validate() throws {
            guard let role = Role(rawValue: role) else { throw ValidationError("--role must be admin, factory or broker") }
            if (role == .factory) != (factory != nil) { throw ValidationError("--factory ID is required with --role factory and only then") }
            if (role == .broker) != (broker != nil) { throw ValidationError("--broker ID is required with --role broker and only then") }
            for id in [factory, broker].compactMap({ $0 }) where UUID(uuidString: id) == nil {
                throw ValidationError("\(id) is not a factory or broker id (a UUID)")
            }
            if let label, label.count > 200 { throw ValidationError("--label must be 200 characters or fewer") }
        }

        func run() async throws {
            let settings = try database.settings()
            _ = database.bootstrapLogging(settings)
            let pool = PostgresPool(configuration: .init(connectionString: settings.databaseURL, maxConnections: 1))
            defer { pool.close() }
            let secret = try APIKeySecret.generate()
            let (role, factoryID, brokerID, label) = (role, factory.flatMap(UUID.init(uuidString:)), broker.flatMap(UUID.init(uuidString:)), label)
            do {
                let record = try await pool.transaction { connection in
                    try APIKeyRecords.insert(on: connection, role: role, factoryID: factoryID, brokerID: brokerID,
                                             label: label, prefix: secret.prefix, digest: secret.digest)
                }
                print("Created \(record.role) key \(record.id.uuidString.lowercased())\(label.map { " (\($0))" } ?? ""). Its secret is shown only now:")
                print(secret.text)
            } catch let error as PostgresError where error.sqlState == PostgresError.foreignKeyViolation {
                throw ValidationError("no \(factoryID != nil ? "factory" : "broker") with that id exists")
            }
        }
    }
}
