import Datasets
import Foundation
import Logging
import Postgres
import TestSupport
import Testing
@testable import Workload

/// A sweep point is measured by the workload engine: its clients are real sessions, each busy, and its
/// latency is what `run` reports for the same statement at the same concurrency.
@Suite(.serialized) struct SweepMeasurementTests {
    static func measurement(_ catalog: DatasetCatalog, database: PostgresConnectionString, clients: Int) throws -> SweepMeasurement {
        let spec = try SweepSpec.parse("""
            name: unit-sweep
            dataset: tiny
            target: postgres
            grid: {m: [16], efConstruction: [200], efSearch: [40]}
            clients: \(clients)
            """, file: "unit-sweep.yaml")
        var measurement = SweepMeasurement(
            spec: spec, catalog: catalog, database: database, requests: 200, stopSignal: StopSignal(), threads: 2)
        measurement.concurrentSeconds = 3
        return measurement
    }

    /// One look at the sessions running the sweep's statement: their backends, and those executing it.
    struct Sample {
        var open: Set<Int32>
        var active: Set<Int32>
    }

    /// Samples the sessions running the sweep's statement every 20 ms until `done` is set.
    static func sample(_ database: PostgresConnectionString, until done: StopSignal) throws -> [Sample] {
        let connection = try PostgresConnection(database)
        var samples: [Sample] = []
        while !done.isSet {
            let rows = try connection.query("""
                SELECT pid, state = 'active' FROM pg_stat_activity
                WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE 'SELECT id%ORDER BY embedding <=> $1%'
                """)
            var sample = Sample(open: [], active: [])
            for row in 0..<rows.rowCount {
                let pid = try rows.decode(Int32.self, row: row, column: 0)
                sample.open.insert(pid)
                if try rows.decode(Bool.self, row: row, column: 1) { sample.active.insert(pid) }
            }
            samples.append(sample)
            usleep(20_000)
        }
        return samples
    }

    /// Eight clients are eight sessions, each executing the statement, many of them at once. The test's
    /// driver is a debug build, slower than the server at tiny's usual search: ef_search 1000 makes the
    /// server the busy side (PostgreSQL then scans the 2,000 rows), as it is in a release build at any setting.
    @Test func eightClientsHoldEightSessionsBusy() async throws {
        let loaded = try await TinyDataset.loaded()
        let catalog = try DatasetCatalog(directory: loaded.directory, manifest: loaded.manifest)
        let measurement = try Self.measurement(catalog, database: loaded.database, clients: 8)
        let done = StopSignal()
        let sampler = StartedThread { try Self.sample(loaded.database, until: done) }
        let point = try await DedicatedThread.run {
            defer { done.set() }
            return try measurement.measure(target: .postgres, build: BuildKey(m: 16, efConstruction: 200), efSearch: 1000, index: nil, logger: Logger(label: "tests"))
        }
        let samples = try await sampler.value
        // The one-client passes hold one session, the concurrent pass eight, never more; each of the eight
        // executes, and more than two at once (libdispatch's concurrentPerform, which the sweep used before,
        // never ran more than two on this machine's 2 cores).
        let concurrent = samples.filter { $0.open.count == 8 }
        #expect(samples.map(\.open.count).max() == 8, "sessions open: \(samples.map(\.open.count))")
        #expect(concurrent.count >= 20, "the concurrent pass lasts 3 s: \(concurrent.count) samples with 8 sessions")
        let everActive = concurrent.reduce(into: Set<Int32>()) { $0.formUnion($1.active) }
        #expect(everActive.count == 8, "sessions seen executing: \(everActive.count)")
        let most = concurrent.map(\.active.count).max() ?? 0
        #expect(most >= 5, "at most \(most) sessions executing at once: \(concurrent.map(\.active.count))")
        let measured = try #require(point)
        #expect(measured.plan != nil && measured.recall > 0.9)
        #expect(measured.qpsAll > 0 && measured.concurrent != nil)
    }

    /// The sweep's concurrent pass and `run` with the scenario it runs give the same P95 within noise: one
    /// code path, so the only difference left is the machine's.
    @Test func theConcurrentPassIsARunOfTheSameScenario() async throws {
        let loaded = try await TinyDataset.loaded()
        let catalog = try DatasetCatalog(directory: loaded.directory, manifest: loaded.manifest)
        let measurement = try Self.measurement(catalog, database: loaded.database, clients: 4)
        let build = BuildKey(m: 16, efConstruction: 200)
        let point = try await DedicatedThread.run {
            try measurement.measure(target: .postgres, build: build, efSearch: 40, index: nil, logger: Logger(label: "tests"))
        }
        let scenario = measurement.scenario(.postgres, filter: .none, clients: 4, efSearch: 40)
        #expect(scenario.executor == ExecutorConfiguration(type: .constantVUs, clients: 4))
        #expect(scenario.settings.last == Scenario.Setting(name: "hnsw.ef_search", value: "40"))
        let runner = WorkloadRunner(scenario: scenario, scenarioFile: "unit-sweep", catalog: catalog, database: loaded.database, stopSignal: StopSignal())
        let report = try await DedicatedThread.run { try runner.run(logger: Logger(label: "tests")) }
        let run = try #require(report.operations.first)
        #expect(point?.plan == "hnsw" && report.health?.plans.first?.vectorAccess == "hnsw")
        let sweep = try #require(point?.concurrent)
        let ratio = sweep.p95Us / Double(run.latencyUs.p95)
        #expect(ratio > 0.5 && ratio < 2, "sweep P95 \(sweep.p95Us) µs, run P95 \(run.latencyUs.p95) µs")
        let qps = try #require(point?.qpsAll) / report.totals[0].qps
        #expect(qps > 0.5 && qps < 2, "sweep \(point?.qpsAll ?? 0) QPS, run \(report.totals[0].qps)")
    }
}
