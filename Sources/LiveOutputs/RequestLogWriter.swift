import Foundation
import Results
import Synchronization
import Workload

/// `--out-requests FILE`: one record per measured request (or a sampled share), for one's own analysis: JSON
/// Lines, or CSV when the file name ends in `.csv`. Times are µs from the measured window's start (`due_us` the
/// open loop's due time, or the send of a closed loop's), `end_unix` the answer's wall-clock time. Each second's
/// records come sorted by due time, seconds in order per stream. Written to a temporary name and renamed.
public final class RequestLogWriter: RunSink {
    public let path: String
    private let temporaryPath: String
    private let csv: Bool
    private struct State {
        var handle: FileHandle?
        var failure: String?
        var written = 0
    }
    private let state: Mutex<State>

    public init(path: String) throws {
        self.path = path
        self.temporaryPath = path + ".partial-\(getpid())"
        self.csv = path.lowercased().hasSuffix(".csv")
        guard FileManager.default.createFile(atPath: self.temporaryPath, contents: nil) else {
            throw LiveOutputError("--out-requests \(path): cannot create a file there", kind: .badInput)
        }
        let handle = FileHandle(forWritingAtPath: self.temporaryPath)
        self.state = Mutex(State(handle: handle))
        if self.csv { self.append("target,operation,due_us,sent_us,end_us,latency_us,service_us,rows,outcome,end_unix\n") }
    }

    /// Requests written so far.
    public var written: Int { self.state.withLock { $0.written } }

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
        self.append(text, records: second.metrics.requests.count)
    }

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
            throw LiveOutputError("--out-requests \(self.path): \(failure)")
        }
        if rename(self.temporaryPath, self.path) != 0 {
            throw LiveOutputError("--out-requests \(self.path): cannot rename \(self.temporaryPath) into place: \(String(cString: strerror(errno)))")
        }
    }

    private func append(_ text: String, records: Int = 0) {
        self.state.withLock { state in
            guard state.failure == nil, let handle = state.handle else { return }
            do {
                try handle.write(contentsOf: Data(text.utf8))
                state.written += records
            } catch {
                state.failure = "\(error)"
            }
        }
    }

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
