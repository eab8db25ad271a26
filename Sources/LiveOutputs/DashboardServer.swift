import Foundation
import Results
import Synchronization
import Workload

/// `--dashboard-listen`: a page that follows the run while it goes (report.html's look, no external assets):
/// each target's operations with count, rate, P50/P95/P99 and errors so far, and per-second charts of throughput
/// and latency. The page polls `/live.json` once a second.
public final class DashboardServer: Sendable {
    public let dashboard: LiveDashboard
    private let listener: HTTPListener
    private let closed = Atomic<Bool>(false)

    public init(address: String) throws {
        let (page, dashboard) = (DashboardPage.html, LiveDashboard())
        self.dashboard = dashboard
        self.listener = try HTTPListener(address: address, option: "--dashboard-listen") { path in
            switch path {
            case "/": HTTPListener.Response(contentType: "text/html; charset=utf-8", body: page)
            case "/live.json": HTTPListener.Response(contentType: "application/json", body: dashboard.json())
            default: HTTPListener.Response.notFound
            }
        }
    }

    /// Where it listens, `host:port`.
    public var address: String { self.listener.address }

    /// Stops listening; when the page was open during the run, first waits (5 s at most) for it to fetch the
    /// finished figures, so a browser left on the dashboard shows the run's final numbers.
    public func close() {
        guard !self.closed.exchange(true, ordering: .relaxed) else { return }
        if self.dashboard.viewed {
            let deadline = Date().addingTimeInterval(5)
            while !self.dashboard.finalFiguresServed, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        }
        self.listener.stop()
    }
}

/// The dashboard's figures: the merged seconds the engine hands on, so when the run ends they are report.json's.
public final class LiveDashboard: RunSink {
    private struct OperationState {
        var latency = LatencyHistogram()
        var count = 0
        var errors = 0
        var recall: Double?
    }

    private struct TargetState {
        var phase = LivePhase.warmup
        var offeredRate: Double?
        var operations: [String] = []
        var figures: [String: OperationState] = [:]
        /// Per second: count, errors, P50, P95, P99 (µs) of every operation together.
        var seconds: [[Double]] = []
    }

    private struct State {
        var scenario = ""
        var targets: [String: TargetState] = [:]
        var order: [String] = []
        var finished = false
        var updates = 0
        var viewed = false
        var finalFiguresServed = false
    }

    private let state = Mutex(State())

    public init() {}

    public func begin(_ run: LiveRun) {
        self.state.withLock { state in
            state.scenario = run.scenario
            let target = run.target.rawValue
            if state.targets[target] == nil { state.order.append(target) }
            state.targets[target] = TargetState(offeredRate: run.offeredRate, operations: run.operations)
        }
    }

    public func phase(_ phase: LivePhase, of run: LiveRun) {
        self.state.withLock { $0.targets[run.target.rawValue]?.phase = phase }
    }

    public func second(_ second: LiveSecond, of run: LiveRun) {
        let target = run.target.rawValue
        self.state.withLock { state in
            guard var figures = state.targets[target] else { return }
            for (index, metrics) in second.metrics.operations.enumerated() where metrics.count > 0 && index < run.operations.count {
                var operation = figures.figures[run.operations[index], default: OperationState()]
                operation.latency.add(metrics.latency)
                operation.count += metrics.count
                operation.errors += metrics.errors.values.reduce(0, +)
                figures.figures[run.operations[index]] = operation
            }
            // The mix's seconds make the charts; a stream beside it only its operation's row.
            if second.sent != nil {
                while figures.seconds.count <= second.second { figures.seconds.append([0, 0, 0, 0, 0]) }
                let latency = second.metrics.latency
                figures.seconds[second.second] = [
                    Double(second.metrics.count), Double(second.metrics.errors), Double(latency.percentile(50)),
                    Double(latency.percentile(95)), Double(latency.percentile(99)),
                ]
            }
            state.targets[target] = figures
            state.updates += 1
        }
    }

    public func finished(_ report: RunReport) {
        self.state.withLock { state in
            for operation in report.operations {
                state.targets[operation.target]?.figures[operation.operation]?.recall = operation.recall?.mean
            }
            state.finished = true
            state.updates += 1
        }
    }

    /// Whether the page has fetched the figures, and whether it has fetched the finished run's.
    var viewed: Bool { self.state.withLock { $0.viewed } }
    var finalFiguresServed: Bool { self.state.withLock { $0.finalFiguresServed } }

    /// What the page shows, as JSON.
    func json() -> String {
        let state = self.state.withLock { state in
            state.viewed = true
            if state.finished { state.finalFiguresServed = true }
            return state
        }
        var targets: [[String: Any]] = []
        for name in state.order {
            let target = state.targets[name]!
            let measured = max(Double(target.seconds.count), 1)
            let operations: [[String: Any]] = target.operations.compactMap { operation in
                guard let figures = target.figures[operation] else { return nil }
                var row: [String: Any] = [
                    "operation": operation, "count": figures.count, "errors": figures.errors, "qps": Double(figures.count) / measured,
                    "p50_us": Int(figures.latency.percentile(50)), "p95_us": Int(figures.latency.percentile(95)),
                    "p99_us": Int(figures.latency.percentile(99)),
                ]
                if let recall = figures.recall { row["recall"] = recall }
                return row
            }
            var entry: [String: Any] = ["target": name, "phase": target.phase.rawValue, "operations": operations, "seconds": target.seconds]
            if let rate = target.offeredRate { entry["offered_rate"] = rate }
            targets.append(entry)
        }
        let document: [String: Any] = ["scenario": state.scenario, "finished": state.finished, "updates": state.updates, "targets": targets]
        let data = (try? JSONSerialization.data(withJSONObject: document, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
