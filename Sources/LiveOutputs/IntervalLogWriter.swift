import Foundation
import Results
import Synchronization
import Workload

/// `--hlog FILE`: HdrHistogram's interval log (format 1.3), one line a second for each target and operation
/// (`Tag=postgres.vector_search`), latencies in µs, readable by HdrHistogram's own log readers, processors and
/// plotters. Written to a temporary name as the run goes and renamed when it ends.
public final class IntervalLogWriter: RunSink {
    public let path: String
    private let temporaryPath: String
    private struct State {
        var handle: FileHandle?
        /// The first run's measured start: every interval's timestamp counts from it (a capacity search or a
        /// sweep is many runs in one log).
        var baseTime: Double?
        var failure: String?
    }
    private let state: Mutex<State>

    /// Creates the temporary file next to `path` (refused when its directory does not exist).
    public init(path: String) throws {
        self.path = path
        self.temporaryPath = path + ".partial-\(getpid())"
        guard FileManager.default.createFile(atPath: self.temporaryPath, contents: nil) else {
            throw LiveOutputError("--hlog \(path): cannot create a file there", kind: .badInput)
        }
        self.state = Mutex(State(handle: FileHandle(forWritingAtPath: self.temporaryPath)))
    }

    public func begin(_ run: LiveRun) {
        self.write { state in
            guard state.baseTime == nil else { return nil }
            state.baseTime = run.measureStart
            let start = String(format: "%.3f", run.measureStart)
            let date = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: run.measureStart))
            return """
                #[Histogram log format version 1.3]
                #[tripbench \(run.scenario): latencies in microseconds, one interval per second of the measured window]
                #[StartTime: \(start) (seconds since epoch), \(date)]
                #[BaseTime: \(start) (seconds since epoch)]
                "StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"

                """
        }
    }

    public func phase(_ phase: LivePhase, of run: LiveRun) {}

    public func second(_ second: LiveSecond, of run: LiveRun) {
        var lines = ""
        let base = self.state.withLock { $0.baseTime } ?? run.measureStart
        let start = String(format: "%.3f", run.measureStart - base + Double(second.second))
        for (index, metrics) in second.metrics.operations.enumerated() where metrics.count > 0 && index < run.operations.count {
            do {
                let encoded = try HistogramEncoding.base64(metrics.latency)
                // Interval_Max in milliseconds (the log's max-value unit ratio of 1,000 for µs values).
                lines += "Tag=\(run.target.rawValue).\(run.operations[index]),\(start),1.000,"
                    + String(format: "%.3f", Double(metrics.latency.max) / 1000) + ",\(encoded)\n"
            } catch {
                self.state.withLock { $0.failure = "\(error)" }
            }
        }
        guard !lines.isEmpty else { return }
        self.write { _ in lines }
    }

    public func finished(_ report: RunReport) {}

    /// Closes the log and removes it (the run failed before its report).
    public func discard() {
        let handle = self.state.withLock { state in
            defer { state.handle = nil }
            return state.handle
        }
        try? handle?.close()
        try? FileManager.default.removeItem(atPath: self.temporaryPath)
    }

    /// Closes the log and renames it into place; says why when it could not be written.
    public func close() throws {
        let (handle, failure) = self.state.withLock { state in
            defer { state.handle = nil }
            return (state.handle, state.failure)
        }
        try? handle?.close()
        if let failure {
            try? FileManager.default.removeItem(atPath: self.temporaryPath)
            throw LiveOutputError("--hlog \(self.path): \(failure)")
        }
        if rename(self.temporaryPath, self.path) != 0 {
            throw LiveOutputError("--hlog \(self.path): cannot rename \(self.temporaryPath) into place: \(String(cString: strerror(errno)))")
        }
    }

    private func write(_ text: (inout State) -> String?) {
        self.state.withLock { state in
            guard state.failure == nil, let handle = state.handle, let text = text(&state) else { return }
            do { try handle.write(contentsOf: Data(text.utf8)) } catch { state.failure = "\(error)" }
        }
    }
}
