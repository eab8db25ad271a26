import Foundation
import Results
import Workload

/// `--out-requests FILE`: one record per measured request (or a sampled share), for one's own analysis: JSON
/// Lines, or CSV when the file name ends in `.csv`. Times are µs from the measured window's start (`due_us` the
/// open loop's due time, or the send of a closed loop's), `end_unix` the answer's wall-clock time. Each second's
/// records come sorted by due time, seconds in order per stream. Written to a temporary name and renamed.
public final class RequestLogWriter: RunSink {
    private let file: LogFile
    private let csv: Bool

    public init(path: String) throws {
        self.file = try LogFile(path: path, option: "--out-requests")
        self.csv = path.lowercased().hasSuffix(".csv")
        if self.csv { self.file.append("target,operation,due_us,sent_us,end_us,latency_us,service_us,rows,outcome,end_unix\n") }
    }

    public var path: String { self.file.path }

    /// Requests written so far.
    public var written: Int { self.file.records }

    public func begin(_ run: LiveRun) {}
    public func phase(_ phase: LivePhase, of run: LiveRun) {}
    public func finished(_ report: RunReport) {}

    public func second(_ second: LiveSecond, of run: LiveRun) {
        guard !second.metrics.requests.isEmpty else { return }
        var text = ""
        let target = run.target.rawValue
        for request in second.metrics.requests.sorted(by: { $0.due < $1.due }) {
            let operation = Int(request.operation) < run.operations.count ? run.operations[Int(request.operation)] : "\(request.operation)"
            let (due, sent, end) = (request.due / 1000, request.sent / 1000, request.end / 1000)
            let unix = String(format: "%.6f", run.measureStart + Double(request.end) / 1e9)
            let outcome = request.error ?? "ok"
            if self.csv {
                text += "\(target),\(Self.csvField(operation)),\(due),\(sent),\(end),\(end - due),\(end - sent),\(request.rows),\(Self.csvField(outcome)),\(unix)\n"
            } else {
                text += #"{"target":"\#(target)","operation":\#(Self.jsonString(operation)),"due_us":\#(due),"sent_us":\#(sent),"end_us":\#(end),"#
                    + #""latency_us":\#(end - due),"service_us":\#(end - sent),"rows":\#(request.rows),"outcome":\#(Self.jsonString(outcome)),"end_unix":\#(unix)}"#
                    + "\n"
            }
        }
        self.file.append(text, records: second.metrics.requests.count)
    }

    /// Closes the log and removes it (the run failed before its report).
    public func discard() { self.file.discard() }

    /// Closes the log and renames it into place; says why when it could not be written.
    public func close() throws { try self.file.close() }

    static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    static func csvField(_ text: String) -> String {
        text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
    }
}
