import ArgumentParser
import Foundation
import Results
import Studies
import Workload

/// How `capacity` and `scale` search for the highest rate that meets an SLO: the objective, the rates, and
/// each step's length.
struct CapacitySearchOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The objective: a latency percentile below a limit.", valueName: "condition"))
    var slo = "p95<100ms"

    @Option(help: ArgumentHelp("The highest error rate a passing step may have (requests never sent count).", valueName: "rate"))
    var maxErrorRate = "0.1%"

    @Option(help: "The operation the SLO applies to, or all (every operation's latencies merged).")
    var operation = "all"

    @Option(help: "The first rate, requests/s (default: the scenario's rate, else 100).")
    var startRate: Double?

    @Option(help: "Never offer more than this many requests/s.")
    var maxRate: Double?

    @Option(help: "Multiply the rate by this while steps pass.")
    var growth = 2.0

    @Option(help: ArgumentHelp("Stop bisecting when passing and failing rates are this close (e.g. 5%).", valueName: "share"))
    var precision = "5%"

    @Option(help: ArgumentHelp("Measured length of each step.", valueName: "duration"))
    var step = "10s"

    @Option(help: ArgumentHelp("Warm-up before each step.", valueName: "duration"))
    var stepWarmup = "2s"

    @Option(help: "At most this many steps per target.")
    var maxSteps = 20

    func validate() throws {
        try OptionBounds.check("--start-rate", self.startRate, in: Scenario.Limits.rate)
        try OptionBounds.check("--max-rate", self.maxRate, in: Scenario.Limits.rate)
        guard self.growth > 1, self.growth <= 100 else { throw ValidationError("--growth must be above 1 and at most 100") }
        try OptionBounds.check("--max-steps", self.maxSteps, in: 1...1_000)
        for (name, value) in [("--step", self.step), ("--step-warmup", self.stepWarmup)] {
            guard DurationText.parse(value) != nil else { throw ValidationError("\(name) must be \(DurationText.expected), not \(value)") }
        }
        guard let step = DurationText.parse(self.step), step >= .seconds(2) else {
            throw ValidationError("--step must be at least 2s: shorter steps are not stable")
        }
        _ = try self.precisionShare()
        if case .failure(let error) = CapacityObjective.parse(slo: self.slo, operation: self.operation, maxErrorRate: self.maxErrorRate) {
            throw ValidationError(error.message)
        }
    }

    func precisionShare() throws -> Double {
        let text = self.precision.trimmingCharacters(in: .whitespaces)
        let value = text.hasSuffix("%") ? Double(text.dropLast()).map { $0 / 100 } : Double(text)
        guard let value, value > 0, value < 1 else { throw ValidationError("--precision must be a share such as 5% or 0.05, not \(self.precision)") }
        return value
    }

    /// The objective, checked against the scenario's operations.
    func objective(for scenario: Scenario) throws -> CapacityObjective {
        guard scenario.executor.type != .rampingArrivalRate || self.startRate != nil else {
            throw CommandFailure(.badInput, "\(scenario.name) ramps its rate: give --start-rate for the capacity search")
        }
        let names = scenario.operations.map(\.name) + ["all"]
        guard names.contains(self.operation) else {
            throw CommandFailure(.badInput, "--operation \(self.operation): the scenario has \(names.joined(separator: ", "))")
        }
        return try CapacityObjective.parse(slo: self.slo, operation: self.operation, maxErrorRate: self.maxErrorRate).get()
    }

    /// The search for `scenario`, starting at --start-rate, else the scenario's rate, else 100/s.
    func search(for scenario: Scenario) throws -> CapacitySearch {
        var search = CapacitySearch(objective: try self.objective(for: scenario), startRate: self.startRate ?? scenario.executor.rate ?? 100)
        search.growth = self.growth
        search.precision = try self.precisionShare()
        search.maxRate = self.maxRate
        search.maxSteps = self.maxSteps
        return search
    }

    /// Each step's measured length and warm-up.
    var durations: (step: Duration, warmup: Duration) { (DurationText.parse(self.step)!, DurationText.parse(self.stepWarmup)!) }
}
