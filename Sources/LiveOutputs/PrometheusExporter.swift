import Foundation
import Histogram
import Results
import Synchronization
import Workload

/// The runs' figures in Prometheus's text exposition format, for `/metrics`: counters and histograms that
/// grow as each second of the measured window completes (so `rate()` over them is the served rate), gauges
/// for what is happening now. Names follow Prometheus's conventions: base units, `_total` for counters.
public final class PrometheusExporter: RunSink {
    /// Histogram bucket bounds, seconds: 13 a decade from 10 µs to 60 s (steps of at most a third), the
    /// architecture's targets (50, 75, 100, 200 ms) among them, so a P95 near a target is placed within 7–25 %.
    public static let bounds: [Double] = {
        let steps: [Double] = [1, 1.25, 1.5, 2, 2.5, 3, 4, 5, 6, 7, 7.5, 8, 9]
        // Divided, not multiplied by 10^-k: 7.5 / 100 is the double nearest 0.075, as the literal is.
        var bounds = (1...5).reversed().flatMap { exponent in steps.map { $0 / pow(10, Double(exponent)) } } + steps
        bounds += [10, 12.5, 15, 20, 25, 30, 40, 50, 60]
        return bounds
    }()
    private static let boundsMicros: [UInt64] = bounds.map { UInt64(($0 * 1e6).rounded()) }

    private struct Series {
        var requests: UInt64 = 0
        var errors: [String: UInt64] = [:]
        /// Per bound (not cumulative), then the overflow.
        var buckets = [UInt64](repeating: 0, count: PrometheusExporter.bounds.count + 1)
        var sumSeconds = 0.0
        var recall: Double?
    }

    private struct TargetState {
        var phase: LivePhase = .warmup
        var offeredRate: Double?
        var inFlight = 0
        var unsent = 0
    }

    private struct State {
        var scenario = ""
        /// By target, then operation name, in the order first seen.
        var series: [String: [String: Series]] = [:]
        var operationOrder: [String: [String]] = [:]
        var targets: [String: TargetState] = [:]
        var targetOrder: [String] = []
    }

    private let state = Mutex(State())

    public init() {}

    public func begin(_ run: LiveRun) {
        self.state.withLock { state in
            state.scenario = run.scenario
            let target = run.target.rawValue
            if state.targets[target] == nil { state.targetOrder.append(target) }
            state.targets[target, default: TargetState()].phase = .warmup
            state.targets[target]?.offeredRate = run.offeredRate
            for operation in run.operations where state.series[target]?[operation] == nil {
                state.series[target, default: [:]][operation] = Series()
                state.operationOrder[target, default: []].append(operation)
            }
        }
    }

    public func phase(_ phase: LivePhase, of run: LiveRun) {
        self.state.withLock { state in
            state.targets[run.target.rawValue]?.phase = phase
            if phase == .finished {
                state.targets[run.target.rawValue]?.inFlight = 0
            }
        }
    }

    public func second(_ second: LiveSecond, of run: LiveRun) {
        let target = run.target.rawValue
        // Bucket the second's histograms before taking the lock: scrapes wait only for the additions.
        let additions = second.metrics.operations.enumerated().compactMap { index, metrics -> (String, Series)? in
            guard metrics.count > 0, index < run.operations.count else { return nil }
            var series = Series()
            series.requests = UInt64(metrics.count)
            series.errors = metrics.errors.mapValues(UInt64.init)
            for bucket in metrics.latency.histogram.recordedValues() {
                let slot = Self.boundsMicros.firstIndex { bucket.value <= $0 } ?? Self.bounds.count
                series.buckets[slot] += bucket.count
                series.sumSeconds += Double(bucket.value) * Double(bucket.count) / 1e6
            }
            return (run.operations[index], series)
        }
        self.state.withLock { state in
            for (operation, addition) in additions {
                if state.series[target]?[operation] == nil { state.operationOrder[target, default: []].append(operation) }
                var series = state.series[target, default: [:]][operation, default: Series()]
                series.requests += addition.requests
                series.errors.merge(addition.errors, uniquingKeysWith: +)
                for slot in series.buckets.indices { series.buckets[slot] += addition.buckets[slot] }
                series.sumSeconds += addition.sumSeconds
                state.series[target]![operation] = series
            }
            if let sent = second.sent {
                state.targets[target]?.inFlight = max(sent.sentSoFar - sent.finishedSoFar, 0)
                if let due = run.due(after: Double(second.second + 1)) { state.targets[target]?.unsent = max(due - sent.sentSoFar, 0) }
            }
        }
    }

    public func finished(_ report: RunReport) {
        self.state.withLock { state in
            for operation in report.operations {
                guard let recall = operation.recall?.mean else { continue }
                state.series[operation.target, default: [:]][operation.operation, default: Series()].recall = recall
            }
        }
    }

    /// The exposition: `text/plain; version=0.0.4`.
    public func render() -> String {
        let state = self.state.withLock { $0 }
        var out = ""
        let scenario = Self.escape(state.scenario)
        func header(_ name: String, _ type: String, _ help: String) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
        }
        func each(_ body: (String, String, Series) -> Void) {
            for target in state.targetOrder {
                for operation in state.operationOrder[target] ?? [] { body(target, operation, state.series[target]![operation]!) }
            }
        }
        func labels(_ target: String, _ operation: String) -> String {
            "scenario=\"\(scenario)\",target=\"\(target)\",operation=\"\(Self.escape(operation))\""
        }
        header("tripbench_requests_total", "counter", "Requests finished in the measured window (answered or failed).")
        each { target, operation, series in out += "tripbench_requests_total{\(labels(target, operation))} \(series.requests)\n" }
        header("tripbench_request_errors_total", "counter", "Failed requests by kind (timeout, connection_lost, sqlstate_XXXXX, ...).")
        each { target, operation, series in
            for kind in series.errors.keys.sorted() {
                out += "tripbench_request_errors_total{\(labels(target, operation)),kind=\"\(Self.escape(kind))\"} \(series.errors[kind]!)\n"
            }
        }
        header(
            "tripbench_request_duration_seconds", "histogram",
            "Latency from the intended start (open loop: the due time) to the last byte of the answer.")
        each { target, operation, series in
            var cumulative: UInt64 = 0
            for (slot, bound) in Self.bounds.enumerated() {
                cumulative += series.buckets[slot]
                out += "tripbench_request_duration_seconds_bucket{\(labels(target, operation)),le=\"\(Self.format(bound))\"} \(cumulative)\n"
            }
            cumulative += series.buckets[Self.bounds.count]
            out += "tripbench_request_duration_seconds_bucket{\(labels(target, operation)),le=\"+Inf\"} \(cumulative)\n"
            out += "tripbench_request_duration_seconds_sum{\(labels(target, operation))} \(Self.format(series.sumSeconds))\n"
            out += "tripbench_request_duration_seconds_count{\(labels(target, operation))} \(cumulative)\n"
        }
        header("tripbench_recall", "gauge", "Recall@k of the operation's sampled searches against exact answers (set when the run ends).")
        each { target, operation, series in
            if let recall = series.recall { out += "tripbench_recall{\(labels(target, operation))} \(Self.format(recall))\n" }
        }
        header("tripbench_requests_in_flight", "gauge", "Requests of the mix sent and not yet answered, at the end of the last complete second.")
        for target in state.targetOrder {
            out += "tripbench_requests_in_flight{scenario=\"\(scenario)\",target=\"\(target)\"} \(state.targets[target]!.inFlight)\n"
        }
        header("tripbench_requests_unsent", "gauge", "Open loop: requests of the mix due and not yet sent (the backlog).")
        for target in state.targetOrder {
            out += "tripbench_requests_unsent{scenario=\"\(scenario)\",target=\"\(target)\"} \(state.targets[target]!.unsent)\n"
        }
        header("tripbench_offered_rate_requests_per_second", "gauge", "Open loop: the rate the mix is offered at.")
        for target in state.targetOrder {
            if let rate = state.targets[target]!.offeredRate {
                out += "tripbench_offered_rate_requests_per_second{scenario=\"\(scenario)\",target=\"\(target)\"} \(Self.format(rate))\n"
            }
        }
        header("tripbench_run_phase", "gauge", "1 for the phase each target's run is in.")
        for target in state.targetOrder {
            for phase in LivePhase.allCases {
                let value = state.targets[target]!.phase == phase ? 1 : 0
                out += "tripbench_run_phase{scenario=\"\(scenario)\",target=\"\(target)\",phase=\"\(phase.rawValue)\"} \(value)\n"
            }
        }
        return out
    }

    /// A label value with backslash, quote and newline escaped.
    static func escape(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
    }

    /// A number as Prometheus reads it, without exponent noise for the bounds.
    static func format(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        var text = String(format: "%.9f", value)
        while text.hasSuffix("0") { text.removeLast() }
        return text
    }
}
