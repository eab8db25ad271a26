import Foundation
import Testing
import VectorSearch
@testable import Workload

/// Random damage to a real scenario file: the parser accepts it or refuses it with one line of bad input;
/// it never crashes, hangs or reports another kind of failure.
@Suite struct ScenarioFuzzTests {
    static let base = """
        name: fuzz
        description: A scenario to damage.
        target: both
        seed: 7
        executor: {type: constant-arrival-rate, rate: 100, clients: 4, arrivals: poisson}
        warmup: 1s
        duration: 3s
        timeout: 5s
        recallSample: 0.5
        settings: {hnsw.ef_search: 100}
        index: {m: 16, efConstruction: 200, efSearch: 100}
        operations:
          - {name: vector_search, weight: 30, limit: 10}
          - {name: trip_details, weight: 10, windowDays: 90}
          - name: custom
            sql: SELECT $1::int + $2::int
            weight: 5
            parameters:
              - {type: uniform, min: 1, max: 10}
              - {type: zipf, min: 1, max: 1000, exponent: 1.1}
        thresholds:
          vector_search: ["p95 < 100ms", "recall >= 0.9"]
          all: ["error_rate < 1%", "qps >= 50"]
        """

    /// Values that break arithmetic when taken at their word.
    static let hostile = [
        "1e308", "-1e308", "nan", ".inf", "-.inf", "9223372036854775807", "-9223372036854775808", "18446744073709551616",
        "0", "-1", "0.0000001", "1e12s", "9999999999h", "", "~", "[]", "{}", "\"\"", "!!binary AAAA", "&a", "*a", "|", ">",
        "ramping-arrival-rate", "constant-vus", "999999999999", "1e-320", "0x7fffffff", "\u{0}", "ß", "👍",
    ]

    @Test func randomDamageIsAcceptedOrRefusedInOneLine() {
        var random = SplitMix64(seed: 20_261_204)
        let lines = Self.base.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        for round in 0..<600 {
            var damaged = lines
            for _ in 0...(Int(random.next() % 3)) {
                let line = Int(random.next() % UInt64(damaged.count))
                switch random.next() % 6 {
                case 0: damaged.remove(at: line)
                case 1: damaged.insert(damaged[Int(random.next() % UInt64(damaged.count))], at: line)
                case 2:
                    // A number or value replaced by a hostile one.
                    let hostile = Self.hostile[Int(random.next() % UInt64(Self.hostile.count))]
                    damaged[line] = damaged[line].replacing(/[0-9]+(\.[0-9]+)?(ms|s|%)?/, with: hostile, maxReplacements: 1)
                case 3:
                    let text = damaged[line]
                    guard !text.isEmpty else { continue }
                    let cut = Int(random.next() % UInt64(text.count))
                    damaged[line] = String(text.prefix(cut))
                case 4: damaged[line] = String(repeating: " ", count: Int(random.next() % 5)) + damaged[line]
                default:
                    let hostile = Self.hostile[Int(random.next() % UInt64(Self.hostile.count))]
                    damaged[line] = damaged[line].replacing(/: [^,}\]]+/, with: ": " + hostile, maxReplacements: 1)
                }
            }
            let text = damaged.joined(separator: "\n")
            do {
                let scenario = try Scenario.parse(text, file: "fuzz.yaml")
                // What parses must be usable: the executors' arithmetic on it cannot overflow.
                _ = scenario.executor.isOpen ? LoadSchedule(rate: scenario.executor.rate ?? 1, warmup: scenario.warmup, duration: scenario.duration) : nil
            } catch let error as WorkloadError {
                #expect(error.kind == .badInput, "round \(round): \(error)")
                #expect(!error.message.isEmpty, "round \(round)")
            } catch {
                Issue.record("round \(round): \(type(of: error)) \(error)\n\(text)")
            }
        }
    }
}
