import Foundation
import Reporting
import Results
import Workload

/// The one-line-a-second report of a running workload (as `pgbench -P 1`): elapsed seconds, requests per
/// second, P95 and errors in the last second, redrawn in place on a terminal.
final class LiveProgress: Sendable {
    let enabled: Bool

    init(enabled: Bool) { self.enabled = enabled }

    func show(_ line: WorkloadRunner.ProgressLine) {
        guard self.enabled else { return }
        let text = String(
            format: "%@ %4ds  %8d req/s  p95 %@  errors %d (total %d requests, %d errors)",
            line.target.rawValue, line.second, line.count, MetricText.micros(line.p95Micros), line.errors, line.total, line.totalErrors)
        FileHandle.standardError.write(Data("\r\u{1B}[K\(text)".utf8))
    }

    func finish() {
        if self.enabled { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }
}
