import Foundation
import Results
import Synchronization
import Workload

/// `--hlog FILE`: HdrHistogram's interval log (format 1.3), one line a second for each target and operation
/// (`Tag=postgres.vector_search`), latencies in µs, readable by HdrHistogram's own log readers, processors and
/// plotters. Written to a temporary name as the run goes and renamed when it ends.
public final class IntervalLogWriter: RunSink {
    private let file: LogFile
    /// The first run's measured start: every interval's timestamp counts from it (a capacity search or a sweep
    /// is many runs in one log).
    private let baseTime = Mutex<Double?>(nil)

    /// Creates the temporary file next to `path` (refused when its directory does not exist).
    public init(path: String) throws { self.file = try LogFile(path: path, option: "--hlog") }

    public var path: String { self.file.path }

    public func begin(_ run: LiveRun) {
        let first = self.baseTime.withLock { base in
            defer { base = base ?? run.measureStart }
            return base == nil
        }
        guard first else { return }
        let start = String(format: "%.3f", run.measureStart)
        let date = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: run.measureStart))
        self.file.append("""
            #[Histogram log format version 1.3]
            #[tripbench \(run.scenario): latencies in microseconds, one interval per second of the measured window]
            #[StartTime: \(start) (seconds since epoch), \(date)]
            #[BaseTime: \(start) (seconds since epoch)]
            "StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"

            """)
    }

    public func phase(_ phase: LivePhase, of run: LiveRun) {}

    public func second(_ second: LiveSecond, of run: LiveRun) {
        var lines = ""
        let base = self.baseTime.withLock { $0 } ?? run.measureStart
        let start = String(format: "%.3f", run.measureStart - base + Double(second.second))
        for (index, metrics) in second.metrics.operations.enumerated() where metrics.count > 0 && index < run.operations.count {
            do {
                let encoded = try HistogramEncoding.base64(metrics.latency)
                // Interval_Max in milliseconds (the log's max-value unit ratio of 1,000 for µs values).
                lines += "Tag=\(run.target.rawValue).\(run.operations[index]),\(start),1.000,"
                    + String(format: "%.3f", Double(metrics.latency.max) / 1000) + ",\(encoded)\n"
            } catch {
                self.file.fail("\(error)")
            }
        }
        if !lines.isEmpty { self.file.append(lines) }
    }

    public func finished(_ report: RunReport) {}

    /// Closes the log and removes it (the run failed before its report).
    public func discard() { self.file.discard() }

    /// Closes the log and renames it into place; says why when it could not be written.
    public func close() throws { try self.file.close() }
}
