import Datasets
import Foundation
import LocalServer
import Logging
import Postgres

/// The real PostgreSQL + pgvector server the integration tests share, started once per test process.
///
/// It is tripbench's own local cluster in `.build/test-cluster` (or `TRIPBENCH_TEST_STATE_DIR`) on port
/// 55439, so it never touches the user's `.tripbench` server. `make test` stops it afterwards. If it cannot
/// start, every integration test fails with the reason: none is skipped.
public enum TestServer {
    public static let port = 55439

    public static var stateDirectory: URL {
        if let directory = ProcessInfo.processInfo.environment["TRIPBENCH_TEST_STATE_DIR"], !directory.isEmpty {
            return URL(fileURLWithPath: directory)
        }
        return ProjectLocator.projectRoot().appendingPathComponent(".build/test-cluster")
    }

    public static var cluster: LocalCluster { LocalCluster(stateDirectory: self.stateDirectory) }

    /// Starts the server once; later calls wait for the same start.
    private static let started = Task<Void, any Error> {
        try await DedicatedThread.run {
            let installation = try PostgresInstallation.find(projectRoot: ProjectLocator.projectRoot())
            var settings = ServerSettings.architectureDefaults
            settings.set("shared_buffers", "256MB")  // tests need little; keeps CI light
            settings.set("fsync", "off")  // throw-away test data only
            _ = try cluster.up(
                LocalCluster.Configuration(port: port), settings: settings, installation: installation,
                logger: Logger(label: "tripbench.tests")
            )
        }
    }

    /// The connection string of `database` on the shared server, once it runs.
    public static func connectionString(database: String = "postgres") async throws -> PostgresConnectionString {
        try await self.started.value
        return try PostgresConnectionString(
            self.cluster.connectionURL(database: database, configuration: LocalCluster.Configuration(port: self.port))
        )
    }

    /// Creates a fresh database (with the TripSage schema when `migrated`), runs `body` on a dedicated thread
    /// with a connection to it, then drops it.
    @discardableResult
    public static func withDatabase<T: Sendable>(
        migrated: Bool = true, _ body: @escaping @Sendable (PostgresConnection) throws -> T
    ) async throws -> T {
        let name = try await self.createDatabase(migrated: migrated)
        let target = try await self.connectionString(database: name)
        let admin = try await self.connectionString()
        do {
            let value = try await PostgresConnection.withConnection(target, body)
            try await self.drop(name, admin: admin)
            return value
        } catch {
            try? await self.drop(name, admin: admin)
            throw error
        }
    }

    /// Creates an empty or migrated database with a unique name and returns the name; the caller drops it.
    public static func createDatabase(migrated: Bool) async throws -> String {
        let admin = try await self.connectionString()
        let template = migrated ? try await self.migratedTemplate.value : "template1"
        let name = "test_\(UUID().uuidString.prefix(8).lowercased())"
        try await PostgresConnection.withConnection(admin) { connection in
            try connection.execute(script: "CREATE DATABASE \(name) TEMPLATE \(template)")
        }
        return name
    }

    public static func drop(_ database: String, admin: PostgresConnectionString) async throws {
        try await PostgresConnection.withConnection(admin) { connection in
            try connection.execute(script: "DROP DATABASE IF EXISTS \(database) WITH (FORCE)")
        }
    }

    /// A database migrated once, copied for each test (much faster than migrating each time).
    private static let migratedTemplate = Task<String, any Error> {
        let name = "tripbench_template_\(UUID().uuidString.prefix(8).lowercased())"
        let admin = try await connectionString()
        try await PostgresConnection.withConnection(admin) { connection in
            try connection.execute(script: "CREATE DATABASE \(name)")
        }
        try await PostgresConnection.withConnection(try await connectionString(database: name)) { connection in
            _ = try SchemaMigrator().migrate(connection)
        }
        return name
    }
}
