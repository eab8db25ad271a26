import Datasets
import Foundation
import Logging
import Postgres
import Results
import TestSupport
import Testing

@testable import Workload

/// Shards of one run: each process sends its part, and the parts together are the single run's requests (the
/// same due times and the same draws), open and closed loop.
@Suite struct RunShardTests {
    /// Collects every request record the engine hands on.
    final class Records: RunSink, @unchecked Sendable {
        private let lock = NSLock()
        private var records: [RequestRecord] = []
        func begin(_ run: LiveRun) {}
        func phase(_ phase: LivePhase, of run: LiveRun) {}
        func finished(_ report: RunReport) {}
        func second(_ second: LiveSecond, of run: LiveRun) { self.lock.withLock { self.records += second.metrics.requests } }
        var all: [RequestRecord] { self.lock.withLock { self.records } }
    }

    /// The requests (operation, due time in µs from the window's start) one process of a run sent.
    static func requests(_ yaml: String, shard: RunShard, threads: Int) async throws -> [String] {
        let loaded = try await TinyDataset.loaded()
        let scenario = try Scenario.parse(yaml, file: "shard.yaml")
        let catalog = try DatasetCatalog(directory: loaded.directory, manifest: loaded.manifest)
        let records = Records()
        var runner = WorkloadRunner(scenario: scenario, scenarioFile: "shard.yaml", catalog: catalog, database: nil, stopSignal: StopSignal())
        runner.shard = shard
        runner.threads = threads
        runner.sinks = [records]
        runner.requestSample = 1
        let configured = runner
        _ = try await DedicatedThread.run { try configured.run(logger: Logger(label: "tests")) }
        return records.all.map { "\($0.operation)@\($0.due / 1000)" }
    }

    @Test func parsesShardsAndDealsTheirParts() {
        #expect(RunShard("1/4") == RunShard(index: 1, count: 4) && RunShard("4/4") == nil && RunShard("0/0") == nil && RunShard("x") == nil)
        let shards = (0..<3).map { RunShard(index: $0, count: 3) }
        #expect(shards.map { $0.share(of: 10) } == [4, 3, 3])
        #expect(shards.flatMap { $0.clients(of: 8) }.sorted() == Array(0..<8))
    }

    /// A shard's share of the first n slots (its live backlog and offered rate): the slots dealt to its workers.
    @Test func aShardsSlotsAreThoseDealtToItsWorkers() {
        for (count, workers) in [(1, 2), (2, 1), (3, 2), (4, 3)] {
            let shards = (0..<count).map { RunShard(index: $0, count: count) }
            for slots in [0, 1, 5, 17, 100, 1_001] {
                let shares = shards.map { $0.slots(below: slots, workers: workers) }
                // Slot s goes to global worker s mod (count · workers), of shard (s mod (count · workers)) / workers.
                let dealt = shards.map { shard in (0..<slots).filter { $0 % (count * workers) / workers == shard.index }.count }
                #expect(shares == dealt && shares.reduce(0, +) == slots, "\(count) shards of \(workers) workers, \(slots) slots")
            }
        }
    }

    @Test func theOpenLoopsShardsSendTheSingleRunsRequests() async throws {
        let single = """
            name: sharded
            target: index
            executor: {type: constant-arrival-rate, rate: 400, clients: 4}
            warmup: 0s
            duration: 2s
            recallSample: 0
            operations:
              - {name: vector_search, weight: 1}
            """
        let whole = try await Self.requests(single, shard: .whole, threads: 2)
        var parts: [String] = []
        for index in 0..<2 { parts += try await Self.requests(single, shard: RunShard(index: index, count: 2), threads: 1) }
        #expect(whole.count == 800, "\(whole.count) requests in the single run")
        #expect(parts.sorted() == whole.sorted(), "\(parts.count) requests from the shards, \(whole.count) from one run")
    }

    @Test func aClosedLoopsRequestCountIsSharedOut() async throws {
        let yaml = """
            name: sharded-closed
            target: index
            executor: {type: constant-vus, clients: 5}
            requests: 301
            warmup: 0s
            recallSample: 0
            operations:
              - {name: vector_search, weight: 1}
            """
        var counts: [Int] = []
        for index in 0..<2 { counts.append(try await Self.requests(yaml, shard: RunShard(index: index, count: 2), threads: 2).count) }
        #expect(counts == [151, 150], "\(counts)")
    }
}
