import ArgumentParser
import Foundation
import Datasets
import Postgres

/// `tripbench db migrate`: create or update the TripSage schema.
struct DatabaseMigrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Create the TripSage schema, or apply the migrations it lacks.",
        discussion: """
            Migrations are versioned and recorded in schema_migrations; each runs in a transaction, and running \
            migrate again changes nothing. The HNSW index is not part of the schema: see `tripbench db index-hnsw`.
            """
    )

    @Flag(help: "Show the migrations and the schema instead of applying anything.")
    var status = false

    @Option(help: "Dimension of memory_embeddings.embedding (set when the table is created).")
    var dimension = 1536

    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        let target = try self.connection.resolve()
        let migrator = SchemaMigrator(dimension: self.dimension)
        if self.status {
            let (states, summary) = try await PostgresConnection.withConnection(target) { connection in
                (try migrator.status(connection), try SchemaSummary.read(connection))
            }
            SchemaReport.print(states: states, summary: summary)
            return
        }
        let report = try await PostgresConnection.withConnection(target) { try migrator.migrate($0) }
        if report.applied.isEmpty {
            Console.info("schema is up to date (\(report.alreadyApplied.count) migrations applied earlier)")
        } else {
            Console.info("applied migrations \(report.applied.joined(separator: ", ")) to \(target.summary)")
        }
    }
}

/// Prints migration states and the schema summary as aligned text.
enum SchemaReport {
    static func print(states: [SchemaMigrator.MigrationState], summary: SchemaSummary) {
        Console.out("migrations:")
        for state in states {
            let applied = state.appliedAt.map { "applied \($0.formatted(.iso8601))" } ?? "pending"
            Console.out("  \(state.version)  \(applied.padding(toLength: 30, withPad: " ", startingAt: 0))  \(state.description)")
        }
        Console.out("tables:")
        for table in summary.tables {
            let rows = table.rows < 0 ? "rows not counted yet" : "~\(table.rows) rows"
            Console.out("  \(table.name.padding(toLength: 20, withPad: " ", startingAt: 0)) \(rows.padding(toLength: 22, withPad: " ", startingAt: 0)) row-level security \(table.rowLevelSecurity ? "on" : "off")")
        }
        Console.out("indexes:")
        for index in summary.indexes {
            Console.out("  \(index.name.padding(toLength: 40, withPad: " ", startingAt: 0)) \(index.method.padding(toLength: 6, withPad: " ", startingAt: 0)) on \(index.table)")
        }
        Console.out("embedding: \(summary.embeddingType ?? "no memory_embeddings table")")
    }
}
