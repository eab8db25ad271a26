import Foundation
import LocalServer
import Results
import Testing
import VectorSearch
@testable import Workload

/// Scenario files: the shipped ones parse, and every mistake is one message with file:line:column.
@Suite struct ScenarioParsingTests {
    static let root = ProjectLocator.projectRoot()
    static let datasets = root.appendingPathComponent("datasets")

    static let valid = """
        name: unit
        dataset: tiny
        executor: {type: constant-arrival-rate, rate: 50, clients: 2}
        warmup: 500ms
        duration: 2s
        settings:
          hnsw.ef_search: 40
          work_mem: 64MB
        operations:
          - {name: vector_search, weight: 3, filter: none}
          - name: lookup
            sql: SELECT $1::int + $2::int, $3::uuid
            parameters: [{type: uniform, min: 1, max: 10}, {type: zipf, min: 1, max: 100, exponent: 1.2}, {type: user}]
        thresholds:
          vector_search: ["p95 < 100ms", "recall >= 95%"]
          all: error_rate < 1%
        """

    static func parse(_ text: String) throws -> Scenario {
        try Scenario.parse(text, file: "unit.yaml", datasetsDirectory: self.datasets)
    }

    /// The message a bad scenario gets, which must name the file and a position.
    static func problem(_ text: String) -> String {
        badInputMessage { _ = try self.parse(text) }
    }

    @Test func shippedScenariosParse() throws {
        let directory = Self.root.appendingPathComponent("scenarios")
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".yaml") }
        #expect(Set(files).isSuperset(of: ["tripsage-mixed.yaml", "vector-search.yaml", "hybrid-search.yaml", "ci-smoke.yaml", "select1.yaml"]))
        // A sweep file is refused by `run` with a pointer to `sweep` (SweepSpecTests parse it).
        #expect(Self.problem("name: s\ngrid: {m: [16]}\n").contains("unit.yaml:1:1: this is a sweep file (it has a grid): run it with `tripbench sweep`"))
        for file in files where !["hnsw-sweep.yaml", "index-variants.yaml"].contains(file) {
            let scenario = try Scenario.load(directory.appendingPathComponent(file).path, scenariosDirectory: directory, datasetsDirectory: Self.datasets)
            #expect(!scenario.operations.isEmpty, "\(file)")
        }
    }

    @Test func readsEveryPart() throws {
        let scenario = try Self.parse(Self.valid)
        #expect(scenario.executor.type == .constantArrivalRate && scenario.executor.rate == 50 && scenario.executor.clients == 2)
        #expect(scenario.executor.arrivals == .uniform)
        #expect(try Self.parse(Self.valid.replacingOccurrences(of: "clients: 2}", with: "clients: 2, arrivals: poisson}")).executor.arrivals == .poisson)
        #expect(scenario.warmup == .milliseconds(500) && scenario.duration == .seconds(2))
        #expect(scenario.settings.map(\.name) == ["hnsw.ef_search", "work_mem"])
        #expect(scenario.operations[0].kind == .vectorSearch && scenario.operations[0].filter == .none && scenario.operations[0].weight == 3)
        #expect(scenario.operations[1].kind == .custom)
        #expect(scenario.operations[1].parameters == [.uniform(min: 1, max: 10), .zipf(min: 1, max: 100, exponent: 1.2), .user])
        #expect(scenario.thresholds.count == 3)
        #expect(scenario.thresholds[0].metric == .p95 && scenario.thresholds[0].value == 100_000)
        #expect(scenario.thresholds[1].metric == .recall && scenario.thresholds[1].value == 0.95)
        #expect(scenario.thresholds[2].operation == "all" && scenario.thresholds[2].value == 0.01)
    }

    /// The in-process index stores half precision when asked, or when every vector search is on halfvec.
    @Test func indexPrecisionIsReadOrFollowsTheSearches() throws {
        #expect(try Self.parse(Self.valid).index.precision == .float32)
        let asked = Self.valid.replacingOccurrences(of: "operations:", with: "index: {m: 8, precision: float16}\noperations:")
        #expect(try Self.parse(asked).index.precision == .float16)
        let halfvec = Self.valid.replacingOccurrences(of: "filter: none}", with: "filter: none, vectorType: halfvec}")
        #expect(try Self.parse(halfvec).index.precision == .float16)
        let overridden = halfvec.replacingOccurrences(of: "operations:", with: "index: {precision: float32}\noperations:")
        #expect(try Self.parse(overridden).index.precision == .float32)
        let bad = Self.problem(Self.valid.replacingOccurrences(of: "operations:", with: "index: {precision: float8}\noperations:"))
        #expect(bad.contains("unit.yaml:9:") && bad.contains("precision must be one of float32, float16, not float8"), "\(bad)")
    }

    @Test(arguments: [
        // (what to change, the expected position and words)
        ("executor: {type: constant-arrival-rate, rate: 50, clients: 2}", "executor: {type: constant-arrival-rate, rate: 50, clients: 2\n", "unit.yaml:5:7", "did not find expected ',' or '}'"),
        ("warmup: 500ms", "warmupp: 500ms", "unit.yaml:4:1", "did you mean warmup?"),
        ("{name: vector_search, weight: 3, filter: none}", "{name: vector_serch, weight: 3}", "unit.yaml:10:", "did you mean vector_search?"),
        ("{name: vector_search, weight: 3, filter: none}", "{name: vector_search, weight: 0}", "unit.yaml:10:", "weight must be above zero"),
        ("{name: vector_search, weight: 3, filter: none}", "{name: vector_search, weight: -2}", "unit.yaml:10:", "weight must be above zero"),
        ("{type: constant-arrival-rate, rate: 50, clients: 2}", "{type: constant-vus, rate: 50, clients: 2}", "unit.yaml:3:", "rate does not apply to constant-vus"),
        ("dataset: tiny", "dataset: tinny", "unit.yaml:2:10", "no dataset tinny (did you mean tiny?)"),
        ("duration: 2s", "duration: soon", "unit.yaml:5:11", "duration such as"),
        ("{type: uniform, min: 1, max: 10}", "{type: uniform, min: 10, max: 1}", "unit.yaml:", "min (10) is above max (1)"),
        ("{type: user}", "{type: usr}", "unit.yaml:", "unknown parameter type usr (did you mean user?)"),
        ("SELECT $1::int + $2::int, $3::uuid", "SELECT $1::int + $2::int", "unit.yaml:12:", "uses 2 parameters ($1…$n) but 3 are given"),
        ("\"p95 < 100ms\"", "\"p95 < 100 parsecs\"", "unit.yaml:15:", "is not `metric < value`"),
        ("\"p95 < 100ms\"", "\"p96 < 100ms\"", "unit.yaml:15:", "unknown threshold metric p96"),
        ("  all: error_rate < 1%", "  lookups: error_rate < 1%", "unit.yaml:16:3", "not an operation of this scenario (did you mean lookup?)"),
        ("constant-arrival-rate", "constant-arival-rate", "unit.yaml:3:", "did you mean constant-arrival-rate?"),
        ("rate: 50, clients: 2}", "rate: 50, clients: 2, arrivals: poison}", "unit.yaml:3:", "arrivals must be one of uniform, poisson, not poison (did you mean poisson?)"),
        ("{type: constant-arrival-rate, rate: 50, clients: 2}", "{type: constant-vus, clients: 2, arrivals: poisson}", "unit.yaml:3:", "arrivals does not apply to constant-vus"),
        ("{name: vector_search, weight: 3, filter: none}", "{name: insert_memory, weight: 3}", "unit.yaml:10:", "insert_memory runs on its own stream: give it a rate"),
        ("{name: vector_search, weight: 3, filter: none}", "{name: delete_memory, rate: 5, weight: 3}", "unit.yaml:10:", "weight does not apply to an operation with its own rate"),
        ("{name: vector_search, weight: 3, filter: none}", "{name: vector_search, clients: 3}", "unit.yaml:10:", "clients applies to an operation with its own rate"),
        ("{name: vector_search, weight: 3, filter: none}", "{name: insert_memory, rate: 5}\n  - {name: more, operation: insert_memory, rate: 5}", "unit.yaml:", "only one insert_memory stream"),
        ("{name: vector_search, weight: 3, filter: none}", "{name: vector_search, weight: 3, timeToSearchable: {}}", "unit.yaml:10:", "timeToSearchable follows the rows an insert_memory stream adds; vector_search adds none"),
        ("{name: vector_search, weight: 3, filter: none}", "{name: vector_search, weight: 3}\n  - {name: insert_memory, rate: 5, timeToSearchable: {poll: 1s, timeout: 10ms}}", "unit.yaml:11:", "timeout must be at least one poll"),
        ("{name: vector_search, weight: 3, filter: none}", "{name: vector_search, weight: 3}\n  - {name: insert_memory, rate: 5, timeToSearchable: {sampel: 0.5}}", "unit.yaml:11:", "did you mean sample?"),
    ])
    func badScenarioNamesTheFileAndPosition(original: String, replacement: String, position: String, words: String) {
        let text = Self.valid.replacingOccurrences(of: original, with: replacement)
        #expect(text != Self.valid)
        let message = Self.problem(text)
        #expect(message.hasPrefix(position) || message.contains(" \(position)") || message.contains(position), "\(message)")
        #expect(message.contains(words), "\(message)")
        #expect(!message.contains("\n"))
    }

    /// Operations with their own rate: parsed beside the mix, and a mix of nothing but them is refused.
    @Test func writeStreamsHaveTheirOwnRate() throws {
        let scenario = try Self.parse(Self.valid.replacingOccurrences(of: "  - name: lookup", with: "  - {name: insert_memory, rate: 25, clients: 3}\n  - name: lookup"))
        let insert = try #require(scenario.operations.first { $0.kind == .insertMemory })
        #expect(insert.rate == 25 && insert.clients == 3 && insert.hasOwnRate && scenario.index.growing)
        #expect(!scenario.operations[0].hasOwnRate)
        let only = Self.problem("name: w\ndataset: tiny\noperations:\n  - {name: insert_memory, rate: 5}\n")
        #expect(only.contains("the mix needs at least one operation with a weight"), "\(only)")
        let started = try Self.parse(Self.valid.replacingOccurrences(of: "warmup: 500ms", with: "warmup: 500ms\nmemoryRows: 75%"))
        #expect(started.memoryRows == .share(0.75) && started.memoryRows?.rows(of: 1000) == 750)
        #expect(RowAmount(text: "1200") == .count(1200) && RowAmount(text: "1200")?.rows(of: 1000) == 1000)
        #expect(RowAmount(text: "0%") == nil && RowAmount(text: "150%") == nil && RowAmount(text: "lots") == nil)
        let bad = Self.problem(Self.valid.replacingOccurrences(of: "warmup: 500ms", with: "warmup: 500ms\nmemoryRows: most"))
        #expect(bad.contains("unit.yaml:5:") && bad.contains("memoryRows must be a row count or a share such as 75%, not most"), "\(bad)")
        let counted = Self.problem(Self.valid.replacingOccurrences(of: "duration: 2s", with: "requests: 100")
            .replacingOccurrences(of: "  - name: lookup", with: "  - {name: insert_memory, rate: 25}\n  - name: lookup"))
        #expect(counted.contains("unit.yaml:5:") && counted.contains("give duration instead of requests"), "\(counted)")
    }

    /// An insert stream's timeToSearchable adds the probe's operation, searching as the scenario's vector
    /// searches do; thresholds may name it.
    @Test func timeToSearchableAddsItsProbe() throws {
        let scenario = try Self.parse(Self.valid
            .replacingOccurrences(of: "  - name: lookup", with: "  - {name: insert_memory, rate: 25, timeToSearchable: {sample: 0.5, poll: 20ms}}\n  - name: lookup")
            .replacingOccurrences(of: "  all: error_rate < 1%", with: "  all: error_rate < 1%\n  time_to_searchable: p95 < 200ms"))
        let insert = try #require(scenario.operations.firstIndex { $0.kind == .insertMemory })
        let probe = try #require(scenario.operations.last)
        #expect(probe.name == "time_to_searchable" && probe.probedInsert == insert && probe.kind == .vectorSearch && probe.filter == .none)
        #expect(scenario.operations[insert].searchable == SearchableProbe(sample: 0.5, poll: .milliseconds(20)))
        #expect(scenario.thresholds.contains { $0.operation == "time_to_searchable" })
    }

    @Test func everyProblemIsReportedAtOnce() {
        let text = Self.valid.replacingOccurrences(of: "warmup: 500ms", with: "warmupp: 500ms")
            .replacingOccurrences(of: "weight: 3", with: "weight: 0")
        let message = Self.problem(text)
        #expect(message.contains("warmupp") && message.contains("weight must be above zero") && message.contains("and 1 more"))
    }

    @Test func rampingNeedsStagesAndRefusesARate() {
        let ramp = Self.valid.replacingOccurrences(of: "{type: constant-arrival-rate, rate: 50, clients: 2}", with: "{type: ramping-arrival-rate, rate: 5, clients: 2}")
        let message = Self.problem(ramp)
        #expect(message.contains("rate does not apply to ramping-arrival-rate") && message.contains("needs at least one stage"), "\(message)")
        let good = Self.valid.replacingOccurrences(
            of: "{type: constant-arrival-rate, rate: 50, clients: 2}",
            with: "{type: ramp, startRate: 10, clients: 2, stages: [{duration: 1s, target: 20}, {duration: 2s, target: 20}]}")
        #expect((try? Self.parse(good))?.executor.stagesDuration == .seconds(3))
    }

    @Test func durationsAndThresholdUnits() throws {
        #expect(DurationText.parse("1m30s") == .seconds(90))
        #expect(DurationText.parse("250ms") == .milliseconds(250))
        #expect(DurationText.parse("2") == .seconds(2))
        #expect(DurationText.parse("2 weeks") == nil)
        #expect(try Threshold.parse("p99 <= 2s", operation: "x").get().value == 2_000_000)
        #expect(try Threshold.parse("qps >= 471", operation: "x").get().comparison.holds(480, 471))
        #expect(throws: ThresholdSyntaxError.self) { try Threshold.parse("qps >= 471ms", operation: "x").get() }
    }
}
