import Foundation

/// When each request of an open-loop run is due, in nanoseconds from the start of the warm-up.
///
/// Arrival `a` (a position on the count of arrivals, not necessarily whole: ``WorkerSchedule`` chooses them) falls
/// where the integral of the rate reaches `a`: at `a / rate` for a constant rate, and for a ramp where the rate,
/// moving linearly through the stages, has added up to `a`.
struct LoadSchedule: Sendable {
    /// Piecewise-linear rate: the rate at each knot's start, and the knot's start time (ns).
    private let knots: [(start: Double, rate: Double, slope: Double, arrivalsBefore: Double)]
    let end: Double

    /// A constant `rate` for the warm-up and the measured part together.
    init(rate: Double, warmup: Duration, duration: Duration) {
        let end = Double((warmup + duration).nanoseconds)
        self.knots = [(0, rate / 1e9, 0, 0)]
        self.end = end
    }

    /// The warm-up at `startRate`, then each stage ramping linearly to its target.
    init(startRate: Double, stages: [ExecutorConfiguration.Stage], warmup: Duration) {
        var knots: [(start: Double, rate: Double, slope: Double, arrivalsBefore: Double)] = []
        var time = 0.0, rate = startRate / 1e9, arrivals = 0.0
        if warmup > .zero {
            knots.append((0, rate, 0, 0))
            time = Double(warmup.nanoseconds)
            arrivals = rate * time
        }
        for stage in stages {
            let length = Double(stage.duration.nanoseconds)
            let target = stage.target / 1e9
            let slope = (target - rate) / length
            knots.append((time, rate, slope, arrivals))
            arrivals += (rate + target) / 2 * length
            time += length
            rate = target
        }
        self.knots = knots
        self.end = time
    }

    /// How many arrivals have come due `time` ns after the start (the inverse of ``dueTime(atArrival:)``),
    /// counting no further than the end.
    func arrivals(before time: Double) -> Double {
        let time = min(max(time, 0), self.end)
        guard let knot = self.knots.last(where: { $0.start <= time }) else { return 0 }
        let offset = time - knot.start
        return knot.arrivalsBefore + knot.rate * offset + knot.slope * offset * offset / 2
    }

    /// When arrival `target` is due (ns from the start), or nil when it falls after the end.
    func dueTime(atArrival target: Double) -> Int64? {
        guard let knot = self.knots.last(where: { $0.arrivalsBefore <= target }) else { return nil }
        let remaining = target - knot.arrivalsBefore
        let offset: Double
        if abs(knot.slope) < 1e-30 {
            guard knot.rate > 0 else { return nil }
            offset = remaining / knot.rate
        } else {
            // rate·t + slope·t²/2 = remaining
            let discriminant = knot.rate * knot.rate + 2 * knot.slope * remaining
            guard discriminant >= 0 else { return nil }
            offset = (-knot.rate + discriminant.squareRoot()) / knot.slope
        }
        let time = knot.start + offset
        return time < self.end ? Int64(time) : nil
    }
}
