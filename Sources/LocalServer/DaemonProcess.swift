import Foundation
import Logging

/// A program tripbench starts in the background beside its local server (pgbouncer, Prometheus) and knows by the
/// PID in a file: whether it runs, how to stop it, what its log said last. One lifecycle for all of them.
struct DaemonProcess: Sendable {
    /// The program's name as `/proc/PID/stat` gives it (`pgbouncer`, `prometheus`), so a reused PID is not taken
    /// for it.
    let name: String
    let pidFile: URL
    let logFile: URL

    /// Its PID while it runs (not a zombie, not another program that reused the PID).
    var pid: Int32? {
        guard let text = try? String(contentsOf: self.pidFile, encoding: .utf8),
            let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), self.isRunning(pid)
        else { return nil }
        return pid
    }

    /// Whether `pid` is this program, alive. An orphan whose parent never reaps it stays a zombie: that counts as
    /// gone.
    func isRunning(_ pid: Int32) -> Bool {
        Self.exists(pid) && ((try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8))?.contains("(\(self.name))") ?? false)
    }

    /// Whether `pid` is alive, whatever program it runs (not gone, not a zombie).
    static func exists(_ pid: Int32) -> Bool {
        guard pid > 0, let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")"),
            let state = stat[stat.index(after: close)...].first(where: { !$0.isWhitespace })
        else { return false }
        return state != "Z" && state != "X"
    }

    /// Stops it (SIGTERM) and waits for it to go.
    /// - Returns: false when it was not running.
    /// - Throws: ``LocalServerError`` (runtime) when it is still there after `timeout` seconds.
    func stop(timeout: Double, logger: Logger) throws -> Bool {
        guard let pid = self.pid else { return false }
        kill(pid, SIGTERM)
        let deadline = Date().addingTimeInterval(timeout)
        while self.isRunning(pid) {
            guard Date() < deadline else { throw LocalServerError(.runtime, "\(self.name) (PID \(pid)) did not stop within \(Int(timeout)) s") }
            Thread.sleep(forTimeInterval: 0.02)
        }
        try? FileManager.default.removeItem(at: self.pidFile)
        logger.info("\(self.name) stopped")
        return true
    }

    /// The last line of its log, for a message saying why it did not start.
    func lastLogLine() -> String {
        ((try? String(contentsOf: self.logFile, encoding: .utf8)) ?? "").split(separator: "\n").last.map(String.init) ?? "no log"
    }

    /// Stops every `name` whose PID file is `pidFile` in a folder of `directory` whose name starts with `prefix`
    /// (one per port): what a test or run killed outright left behind. Returns how many it stopped.
    static func stopAll(named name: String, in directory: URL, folderPrefix prefix: String, pidFile: String, logFile: String, logger: Logger) -> Int {
        let folders = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return folders.filter { $0.hasPrefix(prefix) }.filter { folder in
            let base = directory.appendingPathComponent(folder)
            let process = DaemonProcess(name: name, pidFile: base.appendingPathComponent(pidFile), logFile: base.appendingPathComponent(logFile))
            return (try? process.stop(timeout: 20, logger: logger)) == true
        }.count
    }
}
