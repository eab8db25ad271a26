import Foundation
import Results
import Studies
import Testing
import Workload

/// The capacity search against simulated servers whose capacity is known, so the rate it finds can be checked.
struct CapacitySearchTests {
    /// A server of `workers` that each take `serviceSeconds` per request (× a seeded jitter of ±`jitter`),
    /// fed on a fixed schedule at `rate` for `seconds`, first come first served: a discrete-event
    /// simulation of an open-loop step. Its capacity is `workers / serviceSeconds` requests per second.
    struct SimulatedServer {
        var workers: Int
        var serviceSeconds: Double
        var jitter = 0.0
        var seconds = 10.0
        var seed: UInt64 = 7

        var capacity: Double { Double(self.workers) / self.serviceSeconds }

        func step(rate: Double) -> CapacityStep {
            var free = [Double](repeating: 0, count: self.workers)
            var state = self.seed
            var latencies: [Double] = []
            let count = Int(rate * self.seconds)
            var lastDone = 0.0
            for request in 0..<count {
                let due = Double(request) / rate
                let worker = free.indices.min { free[$0] < free[$1] }!
                state = state &* 6364136223846793005 &+ 1442695040888963407
                let noise = (Double(state >> 11) / Double(1 << 53)) * 2 - 1
                let done = max(due, free[worker]) + self.serviceSeconds * (1 + self.jitter * noise)
                free[worker] = done
                latencies.append(done - due)
                lastDone = max(lastDone, done)
            }
            latencies.sort()
            func percentile(_ p: Double) -> Double { latencies[min(latencies.count - 1, Int(p * Double(latencies.count)))] * 1e6 }
            return CapacityStep(
                offeredRate: rate, achievedRate: Double(count) / max(lastDone, self.seconds), latencyUs: percentile(0.95),
                p50Us: percentile(0.5), p99Us: percentile(0.99), errorRate: 0, seconds: self.seconds)
        }
    }

    static let objective = CapacityObjective(
        latency: Threshold(operation: "all", metric: .p95, comparison: .less, value: 100_000, expression: "p95<100ms"), maxErrorRate: 0.001)

    @Test(arguments: [
        (SimulatedServer(workers: 4, serviceSeconds: 0.010), 50.0),
        (SimulatedServer(workers: 2, serviceSeconds: 0.002, jitter: 0.5), 471.0),
        (SimulatedServer(workers: 8, serviceSeconds: 0.050, jitter: 0.3), 5000.0),
    ])
    func findsTheKnownCapacityWithinTenPercent(server: SimulatedServer, start: Double) {
        let outcome = CapacitySearch(objective: Self.objective, startRate: start).run { server.step(rate: $0) }
        let found = try! #require(outcome.sustainableRate)
        #expect(abs(found - server.capacity) / server.capacity <= 0.10, "found \(found)/s for a capacity of \(server.capacity)/s")
        // The bracket closed: a failing rate within the precision above the passing one.
        let failing = try! #require(outcome.lowestFailingRate)
        #expect(failing > found && (failing - found) / found <= 0.05 + 1e-9)
        #expect(outcome.steps.count <= 20)
        // Every passing step is below every failing one, as the search assumes.
        #expect(outcome.steps.filter(\.passed).map(\.offeredRate).max()! < outcome.steps.filter { !$0.passed }.map(\.offeredRate).min()!)
    }

    @Test func aFirstStepPastCapacityRampsDown() {
        let server = SimulatedServer(workers: 1, serviceSeconds: 0.010)
        let outcome = CapacitySearch(objective: Self.objective, startRate: 1000).run { server.step(rate: $0) }
        #expect(outcome.steps.first?.passed == false)
        #expect(outcome.steps.prefix(while: { !$0.passed }).allSatisfy { $0.phase == .ramp })
        let found = try! #require(outcome.sustainableRate)
        #expect(abs(found - 100) / 100 <= 0.10, "found \(found)")
    }

    @Test func aMaximumRateThatPassesEndsTheSearchThere() {
        let server = SimulatedServer(workers: 4, serviceSeconds: 0.001)
        var search = CapacitySearch(objective: Self.objective, startRate: 100)
        search.maxRate = 700
        let outcome = search.run { server.step(rate: $0) }
        #expect(outcome.sustainableRate == 700 && outcome.lowestFailingRate == nil)
        #expect(outcome.steps.map(\.offeredRate) == [100, 200, 400, 700])
    }

    @Test func aStopFromTheProbeEndsTheSearchWithWhatItFound() {
        let server = SimulatedServer(workers: 4, serviceSeconds: 0.010)
        var calls = 0
        let outcome = CapacitySearch(objective: Self.objective, startRate: 50).run { rate -> CapacityStep? in
            calls += 1
            return calls > 2 ? nil : server.step(rate: rate)
        }
        #expect(outcome.interrupted && outcome.steps.count == 2 && outcome.sustainableRate == 100)
    }

    @Test func theObjectiveFailsStepsThatErrStopEarlyOrFallBehind() {
        var step = CapacityStep(offeredRate: 100, achievedRate: 100, latencyUs: 5000, errorRate: 0, seconds: 10)
        #expect(Self.objective.judge(step).passed)
        step.errorRate = 0.01
        #expect(Self.objective.judge(step).reason?.contains("error rate 1.00 %") == true)
        step.errorRate = 0
        step.achievedRate = 80
        #expect(Self.objective.judge(step).reason == "served 80/s of the 100/s offered")
        step.achievedRate = 100
        step.stoppedEarly = true
        #expect(Self.objective.judge(step).reason?.hasPrefix("stopped early") == true)
    }

    @Test func earlyStopNeedsConsecutiveSecondsFarPastTheLimit() {
        var rule = EarlyStopRule()
        // 2.5×, then a slow second back under 2×, then two seconds past 2×: only the last one stops.
        let decisions = [250_000.0, 150_000, 300_000, 400_000].map { rule.observe(latencyUs: $0, limitUs: 100_000) }
        #expect(decisions == [false, false, false, true])
    }

    @Test func theKneeIsWhereLatencyTurnsUp() {
        let latencies: [(Double, Double)] = [(100, 5_000), (200, 5_200), (400, 5_600), (800, 7_000), (1000, 30_000), (1100, 90_000)]
        let steps = latencies.map { CapacityStep(offeredRate: $0.0, achievedRate: $0.0, latencyUs: $0.1, errorRate: 0, seconds: 10) }
        let outcome = CapacityOutcome(steps: steps, sustainableRate: 1100, lowestFailingRate: nil, interrupted: false, objective: Self.objective)
        #expect(outcome.kneeRate == 800)
        #expect(outcome.saturationRate == 1100)
    }

    @Test(arguments: [
        ("p95<100ms", "0.1%", nil),
        ("p99 <= 250ms", "0.001", nil),
        ("p95>100ms", "0.1%", "--slo must bound a latency percentile from above"),
        ("qps<100", "0.1%", "--slo must bound a latency percentile from above"),
        ("p96<100ms", "0.1%", "unknown threshold metric p96"),
        ("p95 under 100ms", "0.1%", "is not `metric < value`"),
        ("p95<100ms", "lots", "--max-error-rate must be a percentage"),
    ])
    func sloParsing(slo: String, errorRate: String, problem: String?) {
        switch CapacityObjective.parse(slo: slo, operation: "all", maxErrorRate: errorRate) {
        case .success: #expect(problem == nil)
        case .failure(let error): #expect(problem.map { error.message.contains($0) } == true, "\(error.message)")
        }
    }
}
