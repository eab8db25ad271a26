import Foundation

/// What a capacity search found.
public struct CapacityOutcome: Sendable, Codable {
    public var steps: [CapacityStep]
    /// The highest rate that met the objective; nil when none did.
    public var sustainableRate: Double?
    /// The lowest rate that did not; nil when none failed (the limit was never found).
    public var lowestFailingRate: Double?
    public var interrupted: Bool
    public var objective: CapacityObjective

    public init(steps: [CapacityStep], sustainableRate: Double?, lowestFailingRate: Double?, interrupted: Bool, objective: CapacityObjective) {
        self.steps = steps
        self.sustainableRate = sustainableRate
        self.lowestFailingRate = lowestFailingRate
        self.interrupted = interrupted
        self.objective = objective
    }

    /// The most requests per second the target completed in any step: where it saturated.
    public var saturationRate: Double? { self.steps.map(\.achievedRate).max() }

    /// The knee of the latency-versus-rate curve: after scaling both axes to 0…1, the step farthest below the
    /// straight line from the first to the last step (Kneedle, for a rising convex curve). Nil with fewer than
    /// three steps that completed requests.
    public var kneeRate: Double? {
        var best: (rate: Double, gap: Double)?
        for point in Self.knee(self.steps.compactMap { step in step.latencyUs.map { (step.offeredRate, $0) } }) {
            if point.gap > (best?.gap ?? 0) { best = point }
        }
        return best?.rate
    }

    static func knee(_ points: [(rate: Double, latency: Double)]) -> [(rate: Double, gap: Double)] {
        let sorted = points.sorted { $0.rate < $1.rate }
        guard sorted.count >= 3, let first = sorted.first, let last = sorted.last, last.rate > first.rate else { return [] }
        let lowest = sorted.map(\.latency).min()!, highest = sorted.map(\.latency).max()!
        guard highest > lowest else { return [] }
        return sorted.map { point in
            let x = (point.rate - first.rate) / (last.rate - first.rate)
            let y = (point.latency - lowest) / (highest - lowest)
            return (point.rate, x - y)
        }
    }
}
