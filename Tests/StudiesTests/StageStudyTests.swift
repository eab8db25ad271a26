import Datasets
import Foundation
import Logging
import Postgres
import Results
import Studies
import TestSupport
import Testing
import Workload

/// A runbook on tiny, both targets, in a database of its own: each stage changes exactly the rows it says,
/// recall at each checkpoint is against the rows present then, and the table is put back at the end.
@Suite struct StageStudyTests {
    static let yaml = """
        name: unit-stages
        dataset: tiny
        target: both
        memoryRows: 50%
        executor: {type: constant-arrival-rate, rate: 50, clients: 2}
        recallSample: 0
        index: {m: 16, efConstruction: 64, efSearch: 100}
        settings: {hnsw.ef_search: 100}
        operations:
          - {name: vector_search, weight: 1, filter: none}
          - {name: insert_memory, rate: 200, clients: 4, timeToSearchable: {sample: 1, poll: 5ms, timeout: 2s}}
          - {name: delete_memory, rate: 400}
        runbook:
          checkpointQueries: 100
          stages:
            - {insert: 20%}
            - {insert: 10%, delete: 25%}
            - {delete: 10%}
        """

    @Test func stagesChangeTheirRowsAndRecallIsOverTheRowsPresent() async throws {
        let (directory, manifest) = try await TinyDataset.generated()
        let name = try await TestServer.createDatabase(migrated: false)
        let url = try await TestServer.connectionString(database: name)
        let scenario = try Scenario.parse(Self.yaml, file: "stages.yaml")
        var loader = DatasetLoader(directory: directory, manifest: manifest, target: url)
        loader.index = PostgresHNSWIndex(m: 16, efConstruction: 64)
        let study = StageStudy(
            scenario: scenario, scenarioFile: "stages.yaml", directory: directory, manifest: manifest, loader: loader, targets: [.postgres, .index],
            stop: StopSignal())
        let plan = try study.plan()
        #expect(plan.start == 0..<1000 && plan.stages == [0..<1400, 500..<1600, 700..<1600])
        let results = try await DedicatedThread.run { try study.run(logger: Logger(label: "tests")) { _ in } }
        #expect(results.complete, "\(results.stoppedBecause ?? "")")
        for target in [TargetKind.postgres, .index] {
            let stages = results.stages.filter { $0.target == target }
            #expect(stages.map(\.stage) == [0, 1, 2, 3])
            #expect(stages.map { $0.firstRow..<$0.endRow } == [0..<1000, 0..<1400, 500..<1600, 700..<1600])
            #expect(stages.map(\.inserted) == [0, 400, 200, 0] && stages.map(\.deleted) == [0, 0, 500, 200])
            for stage in stages {
                #expect((stage.recall ?? 0) >= 0.9, "\(target) stage \(stage.stage): recall \(stage.recall ?? -1)")
                #expect(stage.unfilteredRecall != nil && stage.scenarioRecall != nil)
                #expect(stage.checkpoint.reduce(0) { $0 + $1.count } == 200)
            }
            let writes = try #require(stages[2].operations)
            #expect(writes.first { $0.operation == "insert_memory" }?.count == 200)
            #expect(writes.first { $0.operation == "delete_memory" }?.count == 500)
            // Every insert followed until a search for its vector returned it (an HNSW node no search reaches
            // is possible, and counted as not_searchable); none in a stage that inserts nothing.
            for (stage, inserted) in [(1, 400), (2, 200), (3, 0)] {
                let searchable = try #require(stages[stage].operations?.first { $0.operation == "time_to_searchable" })
                #expect(searchable.count == inserted && searchable.errors <= inserted / 50, "\(target) stage \(stage): \(searchable.count), \(searchable.errorsByKind)")
            }
            #expect(stages[1].checkpoint.allSatisfy { $0.operation != "time_to_searchable" })
        }
        let postgres = results.stages.filter { $0.target == .postgres }
        #expect(postgres.map(\.liveTuples) == [1000, 1400, 1100, 900])
        #expect((postgres.last?.indexBytes ?? 0) > 0)
        // Put back: the first half of the rows, as loaded.
        let ids = try await PostgresConnection.withConnection(url) { (connection) throws -> Set<UUID> in
            let result = try connection.query("SELECT id FROM memory_embeddings")
            return Set(try (0..<result.rowCount).map { try result.decode(UUID.self, row: $0, column: 0) })
        }
        #expect(ids == Set((0..<1000).map { DatasetIDs.uuid(seed: manifest.spec.seed, table: .memoryEmbeddings, index: $0) }))
        try await TestServer.drop(name, admin: try await TestServer.connectionString())
    }

    @Test func aRunbookThatCannotFitIsRefusedBeforeStarting() async throws {
        let (directory, manifest) = try await TinyDataset.generated()
        let scenario = try Scenario.parse(Self.yaml.replacingOccurrences(of: "- {insert: 20%}", with: "- {insert: 60%}"), file: "stages.yaml")
        let study = StageStudy(
            scenario: scenario, scenarioFile: "stages.yaml", directory: directory, manifest: manifest, loader: nil, targets: [.index], stop: StopSignal())
        let error = #expect(throws: WorkloadError.self) { try study.plan() }
        #expect(error?.message == "stage 1 would need 2200 rows and the dataset has 2000; start from fewer (memoryRows) or insert less")
    }
}
