import Datasets
import Foundation
import LocalServer
import Logging
import Postgres
import Synchronization

/// The project's `tiny` dataset (datasets/tiny.yaml), generated once per test process into a temporary
/// directory and loaded once into a database of its own on the shared test server.
public enum TinyDataset {
    public struct Loaded: Sendable {
        public let directory: URL
        public let manifest: DatasetManifest
        /// The database holding it, loaded with HNSW m 16, ef_construction 200.
        public let database: PostgresConnectionString
    }

    /// Generated only (no server).
    public static func generated() async throws -> (URL, DatasetManifest) { try await self.generation.value }

    /// Generated and loaded.
    public static func loaded() async throws -> Loaded { try await self.loading.value }

    private static let generation = Task<(URL, DatasetManifest), any Error> {
        try await DedicatedThread.run {
            let spec = try DatasetSpec.load("tiny", datasetsDirectory: ProjectLocator.projectRoot().appendingPathComponent("datasets"))
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tripbench-tiny-\(UUID().uuidString)")
            removeAtExit(directory)
            let outcome = try DatasetGenerator(spec: spec, directory: directory).generate(force: false, logger: Logger(label: "tests"))
            return (directory, outcome.manifest)
        }
    }

    /// The generated directory, removed when the test process exits (each `swift test` makes its own).
    private static let generatedPath = Mutex<String?>(nil)

    private static func removeAtExit(_ directory: URL) {
        generatedPath.withLock { $0 = directory.path }
        atexit {
            if let path = TinyDataset.generatedPath.withLock({ $0 }) { try? FileManager.default.removeItem(atPath: path) }
        }
    }

    private static let loading = Task<Loaded, any Error> {
        let (directory, manifest) = try await generation.value
        let name = try await TestServer.createDatabase(migrated: false)
        let target = try await TestServer.connectionString(database: name)
        let loader = DatasetLoader(directory: directory, manifest: manifest, target: target)
        _ = try await DedicatedThread.run { try loader.load(logger: Logger(label: "tests")) { _ in } }
        return Loaded(directory: directory, manifest: manifest, database: target)
    }
}
