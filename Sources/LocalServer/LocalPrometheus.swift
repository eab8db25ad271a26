import Foundation
import Logging

/// A Prometheus server (Debian's package) that scrapes tripbench's metrics endpoints: `prometheus.yml`, its
/// TSDB, log and PID file under `<state>/prometheus/`, listening on 127.0.0.1 only, stopped by its PID. All
/// operations block.
public struct LocalPrometheus: Sendable {
    public static let defaultPort = 59090
    public static let executable = "/usr/bin/prometheus"

    public let directory: URL
    public let port: Int
    var pidFile: URL { self.directory.appendingPathComponent("prometheus.pid") }
    public var logFile: URL { self.directory.appendingPathComponent("prometheus.log") }
    /// Its HTTP API and pages.
    public var url: URL { URL(string: "http://127.0.0.1:\(self.port)")! }

    public init(stateDirectory: URL, port: Int = LocalPrometheus.defaultPort) {
        self.directory = stateDirectory.appendingPathComponent(port == Self.defaultPort ? "prometheus" : "prometheus-\(port)")
        self.port = port
    }

    var process: DaemonProcess { DaemonProcess(name: "prometheus", pidFile: self.pidFile, logFile: self.logFile) }

    /// The running server's PID.
    public var pid: Int32? { self.process.pid }

    /// Starts Prometheus scraping `targets` (`host:port` of tripbench metrics endpoints) every `interval`, on a
    /// fresh TSDB (a running one of this directory is stopped first), and waits until it is ready.
    /// - Throws: ``LocalServerError``: configuration when Prometheus is not installed (`make setup` installs it);
    ///   runtime when it does not become ready within 30 s (its log's last line says why).
    public func up(scraping targets: [String], interval: Duration = .seconds(1), logger: Logger) throws {
        guard FileManager.default.isExecutableFile(atPath: Self.executable) else {
            throw LocalServerError(.configuration, "Prometheus is not installed (\(Self.executable)): make setup installs Debian's package")
        }
        _ = try self.down(logger: logger)
        let data = self.directory.appendingPathComponent("data")
        try? FileManager.default.removeItem(at: data)
        do {
            try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        } catch {
            throw LocalServerError(.configuration, "cannot create \(data.path): \(error.localizedDescription)")
        }
        let seconds = max(Int(interval.components.seconds), 1)
        let configuration = """
            # Written by tripbench; rewritten at every start.
            global:
              scrape_interval: \(seconds)s
              evaluation_interval: \(seconds)s
            scrape_configs:
              - job_name: tripbench
                static_configs:
                  - targets: [\(targets.map { "'\($0)'" }.joined(separator: ", "))]

            """
        let configurationFile = self.directory.appendingPathComponent("prometheus.yml")
        do {
            try Data(configuration.utf8).write(to: configurationFile, options: .atomic)
        } catch {
            throw LocalServerError(.configuration, "cannot write \(configurationFile.path): \(error.localizedDescription)")
        }
        let arguments = [
            "--config.file=\(configurationFile.path)", "--storage.tsdb.path=\(data.path)", "--web.listen-address=127.0.0.1:\(self.port)",
            "--web.enable-lifecycle",
        ]
        // Prometheus does not detach: a shell starts it in the background and says its PID.
        let command = "exec \(Self.executable) \(arguments.map(Self.quoted).joined(separator: " ")) >\(Self.quoted(self.logFile.path)) 2>&1 </dev/null & echo $!"
        let output = try CommandRunner().run("/bin/sh", ["-c", command])
        guard output.succeeded, let pid = Int32(output.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw LocalServerError(.runtime, "Prometheus did not start: \(output.text)")
        }
        try? Data("\(pid)\n".utf8).write(to: self.pidFile, options: .atomic)
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            // Until the shell's child has exec'd, /proc names it sh: only a process gone (or a zombie) failed.
            guard DaemonProcess.exists(pid) else { break }
            if Self.get(port: self.port, path: "/-/ready")?.contains("Ready") == true {
                logger.info("Prometheus at \(self.url.absoluteString), scraping \(targets.joined(separator: ", ")) every \(seconds) s")
                return
            }
            Thread.sleep(forTimeInterval: 0.1)
        }
        // Stopped by the PID the shell gave, whatever /proc calls it yet: it is the one just started.
        kill(pid, SIGTERM)
        try? FileManager.default.removeItem(at: self.pidFile)
        throw LocalServerError(.runtime, "Prometheus did not become ready within 30 s: \(self.process.lastLogLine())")
    }

    /// Stops every Prometheus tripbench started under `stateDirectory` (any port). Returns how many.
    public static func stopAll(stateDirectory: URL, logger: Logger) -> Int {
        DaemonProcess.stopAll(
            named: "prometheus", in: stateDirectory, folderPrefix: "prometheus", pidFile: "prometheus.pid", logFile: "prometheus.log", logger: logger)
    }

    /// Stops Prometheus (SIGTERM) and waits for it to go.
    /// - Returns: false when none was running.
    @discardableResult
    public func down(logger: Logger) throws -> Bool { try self.process.stop(timeout: 20, logger: logger) }

    /// The body of `GET path` on 127.0.0.1:`port` (a plain socket: FoundationNetworking would bring libcurl
    /// and 17 MB of resident libraries into every tripbench process); nil when nothing answers in a second.
    static func get(port: Int, path: String) -> String? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 1, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return nil }
        let request = Array("GET \(path) HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n".utf8)
        guard request.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == request.count else { return nil }
        var response = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while response.count < 1 << 20 {
            let count = recv(fd, &buffer, buffer.count, 0)
            guard count > 0 else { break }
            response += buffer[0..<count]
        }
        return response.isEmpty ? nil : String(decoding: response, as: UTF8.self)
    }

    private static func quoted(_ text: String) -> String { "'" + text.replacing("'", with: "'\\''") + "'" }
}
