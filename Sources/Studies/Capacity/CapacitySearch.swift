import Foundation
import Results
import Workload

/// Finds the highest open-loop arrival rate that meets a ``CapacityObjective``: raises the rate by `growth`
/// from `startRate` until a step fails (lowers it when the first one fails), then bisects between the highest
/// passing and the lowest failing rate until they are within `precision` of each other.
///
/// The search only decides which rate to try next; the step itself is the caller's (`probe`): a real run
/// against a server, or a simulation in tests.
public struct CapacitySearch: Sendable {
    public var objective: CapacityObjective
    public var startRate: Double
    public var growth = 2.0
    /// Stop when (lowest failing − highest passing) / highest passing is at most this.
    public var precision = 0.05
    /// Never offer more than this (nil: no limit); reaching it passing ends the search.
    public var maxRate: Double?
    public var maxSteps = 20

    public init(objective: CapacityObjective, startRate: Double) {
        self.objective = objective
        self.startRate = startRate
    }

    /// Runs the search; `probe` measures one rate, or returns nil when the user stopped the search.
    /// `report` sees each judged step as it finishes.
    public func run(
        probe: (Double) throws -> CapacityStep?, report: (CapacityStep) -> Void = { _ in }
    ) rethrows -> CapacityOutcome {
        var steps: [CapacityStep] = []
        var passing: Double?, failing: Double?
        var interrupted = false
        func attempt(_ rate: Double, _ phase: CapacityStep.Phase) throws -> Bool? {
            guard steps.count < self.maxSteps, var step = try probe(rate) else {
                interrupted = steps.count < self.maxSteps
                return nil
            }
            step.phase = phase
            (step.passed, step.reason) = self.objective.judge(step)
            steps.append(step)
            report(step)
            if step.passed { passing = max(passing ?? 0, rate) } else { failing = min(failing ?? .infinity, rate) }
            return step.passed
        }
        var rate = self.maxRate.map { min(self.startRate, $0) } ?? self.startRate
        // Ramp: up while passing, or down until one passes.
        while let passed = try attempt(rate, .ramp) {
            if passed {
                let limit = self.maxRate ?? .infinity
                if failing != nil || rate >= limit { break }
                rate = min(rate * self.growth, limit)
            } else {
                if passing != nil { break }
                rate /= self.growth
                if rate < self.startRate / 1024 { break }
            }
        }
        // Bisect.
        while !interrupted, let low = passing, let high = failing, (high - low) / low > self.precision {
            guard try attempt((low + high) / 2, .bisect) != nil else { break }
        }
        return CapacityOutcome(steps: steps, sustainableRate: passing, lowestFailingRate: failing, interrupted: interrupted, objective: self.objective)
    }
}
