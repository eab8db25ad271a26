import Foundation
import Results

/// A live output of runs (a metrics endpoint, an interval log, a dashboard): the engine hands it each second
/// of a run as every worker has finished it, so the hot loop records once and every output reads the same
/// figures. Called from the run's progress thread, never a worker's; an implementation returns quickly.
public protocol RunSink: AnyObject, Sendable {
    /// A target's run is about to send its first request.
    func begin(_ run: LiveRun)
    /// The run moved on: warm-up, measuring, draining (sending stopped, answers still coming), finished.
    func phase(_ phase: LivePhase, of run: LiveRun)
    /// One complete second of the measured window (every operation's requests that finished in it).
    func second(_ second: LiveSecond, of run: LiveRun)
    /// The whole run (every target) is reported: the figures only known at the end (recall).
    func finished(_ report: RunReport)
}

public enum LivePhase: String, Sendable, CaseIterable {
    case warmup, measuring, draining, finished
}

/// One target's run as a live output sees it.
public struct LiveRun: Sendable {
    public var scenario: String
    public var target: TargetKind
    /// The scenario's operations by index (``LiveSecond/operations`` is indexed the same way).
    public var operations: [String]
    /// Open loop: the offered rate of the mix while measuring (the mean over a ramp), requests/s.
    public var offeredRate: Double?
    /// When the measured window opens, seconds since 1970.
    public var measureStart: Double
    /// Open loop: how many of the mix's requests have come due `seconds` after the measured window opened.
    let dueAfter: (@Sendable (Double) -> Int)?

    public init(
        scenario: String, target: TargetKind, operations: [String], offeredRate: Double?, measureStart: Double,
        dueAfter: (@Sendable (Double) -> Int)?
    ) {
        self.scenario = scenario
        self.target = target
        self.operations = operations
        self.offeredRate = offeredRate
        self.measureStart = measureStart
        self.dueAfter = dueAfter
    }

    /// Open loop: requests of the mix due in the measured window's first `seconds`.
    public func due(after seconds: Double) -> Int? { self.dueAfter?(seconds) }
}

/// A complete second of a run, all workers together.
public struct LiveSecond: Sendable {
    /// 0 is the measured window's first second.
    public var second: Int
    public var metrics: SecondMetrics
    /// The mix's requests sent and finished in the measured window up to the end of this second; nil for a
    /// stream of one operation beside the mix.
    public var sent: (sentSoFar: Int, finishedSoFar: Int)?

    public init(second: Int, metrics: SecondMetrics, sent: (sentSoFar: Int, finishedSoFar: Int)?) {
        self.second = second
        self.metrics = metrics
        self.sent = sent
    }
}
