import Results

/// Hands a target's complete seconds on as the run goes: to the progress line (the mix's latest second and
/// totals) and to each live output (every context's seconds: the mix's and those of the streams beside it).
/// Lives on the thread that waits for the workers.
struct LiveFeed {
    let run: LiveRun
    let sinks: [any RunSink]
    let progress: (@Sendable (WorkloadRunner.ProgressLine) -> Void)?
    let mix: RunContext
    let lanes: [RunContext]
    private var phase = LivePhase.warmup
    private var sent = 0
    private var finished = 0
    private var errors = 0

    init(run: LiveRun, sinks: [any RunSink], progress: (@Sendable (WorkloadRunner.ProgressLine) -> Void)?, mix: RunContext, lanes: [RunContext]) {
        self.run = run
        self.sinks = sinks
        self.progress = progress
        self.mix = mix
        self.lanes = lanes
    }

    mutating func phase(_ phase: LivePhase) {
        guard phase != self.phase else { return }
        self.phase = phase
        for sink in self.sinks { sink.phase(phase, of: self.run) }
    }

    /// Takes the seconds every worker has finished (`all`: every second, once the workers are done).
    mutating func handOn(all: Bool) {
        let seconds = self.mix.board.takeComplete(all: all)
        for (second, metrics) in seconds {
            self.sent += metrics.sent
            self.finished += metrics.count
            self.errors += metrics.errors
            let live = LiveSecond(second: second, metrics: metrics, sent: (self.sent, self.finished))
            for sink in self.sinks { sink.second(live, of: self.run) }
            self.mix.board.recycle(metrics)
        }
        if let progress = self.progress, let last = seconds.last {
            progress(WorkloadRunner.ProgressLine(
                target: self.run.target, second: last.second + 1, count: last.metrics.count, errors: last.metrics.errors,
                p95Micros: last.metrics.latency.percentile(95), total: self.finished, totalErrors: self.errors))
        }
        for lane in self.lanes {
            for (second, metrics) in lane.board.takeComplete(all: all) {
                let live = LiveSecond(second: second, metrics: metrics, sent: nil)
                for sink in self.sinks { sink.second(live, of: self.run) }
                lane.board.recycle(metrics)
            }
        }
    }
}
