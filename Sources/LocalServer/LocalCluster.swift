import Foundation
import Logging
import Postgres

/// tripbench's own throw-away PostgreSQL cluster: one data directory, a log and a unix socket under a state
/// directory (`.tripbench/` in the project unless `TRIPBENCH_STATE_DIR` says otherwise).
///
/// The cluster is made with `initdb --auth=trust`, listens on its unix socket only (and on 127.0.0.1 when
/// asked), and holds a database `tripbench` owned by the superuser `postgres`. All operations block: call
/// them on a ``DedicatedThread``.
public struct LocalCluster: Sendable {
    public static let defaultPort = 55432
    public static let databaseName = "tripbench"
    public static let superuser = "postgres"

    public let stateDirectory: URL
    public var dataDirectory: URL { self.stateDirectory.appendingPathComponent("data") }
    public var logFile: URL { self.stateDirectory.appendingPathComponent("log/postgresql.log") }
    var configurationFile: URL { self.stateDirectory.appendingPathComponent("cluster.json") }

    public init(stateDirectory: URL) { self.stateDirectory = stateDirectory.standardizedFileURL }

    /// How the cluster listens; saved by ``up(_:settings:installation:environment:logger:)`` so later commands
    /// find the server where it was started.
    public struct Configuration: Codable, Sendable, Equatable {
        public var port: Int
        /// `127.0.0.1` to accept TCP connections too; nil for the unix socket only.
        public var listenAddress: String?
        /// Settings given with `db up --set`, kept for every later start until set again (absent in
        /// configurations saved before they were kept).
        public var settingOverrides: [String: String]?

        public init(port: Int = LocalCluster.defaultPort, listenAddress: String? = nil) {
            self.port = port
            self.listenAddress = listenAddress
        }
    }

    /// The configuration saved by the last `up`, or the defaults.
    public func savedConfiguration() -> Configuration {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        guard let data = try? Data(contentsOf: self.configurationFile),
            let saved = try? decoder.decode(SavedConfiguration.self, from: data)
        else { return Configuration() }
        return saved.configuration
    }

    /// The directory holding the server's socket: `run/` in the state directory, or a short path in /tmp
    /// when that would exceed the 107-byte limit on socket paths.
    public func socketDirectory(port: Int) -> URL {
        let preferred = self.stateDirectory.appendingPathComponent("run")
        if "\(preferred.path)/.s.PGSQL.\(port)".utf8.count <= 100 { return preferred }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a of the state directory: stable across commands
        for byte in self.stateDirectory.path.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return URL(fileURLWithPath: "/tmp/tripbench-\(getuid())-\(String(hash, radix: 16).prefix(12))")
    }

    /// A libpq URL for `database` over the unix socket, as the superuser (no password: trust auth).
    public func connectionURL(database: String = LocalCluster.databaseName, configuration: Configuration? = nil) -> String {
        let configuration = configuration ?? self.savedConfiguration()
        let socket = self.socketDirectory(port: configuration.port).path
        let host = socket.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? socket
        return "postgresql://\(Self.superuser)@/\(database)?host=\(host)&port=\(configuration.port)"
    }

    /// What the cluster looks like from outside.
    public struct Status: Sendable {
        /// `initdb` has run.
        public var initialized: Bool
        /// The postmaster's PID, when one is running for this data directory.
        public var pid: Int32?
        /// A `postmaster.pid` is left from a server that is no longer running (a crash or `kill -9`).
        public var stalePidFile: Bool
        public var running: Bool { self.pid != nil }
    }

    public func status() -> Status {
        let initialized = FileManager.default.fileExists(atPath: self.dataDirectory.appendingPathComponent("PG_VERSION").path)
        guard let pid = self.pidFileProcessID() else { return Status(initialized: initialized, pid: nil, stalePidFile: false) }
        return Self.isPostgresProcess(pid)
            ? Status(initialized: initialized, pid: pid, stalePidFile: false)
            : Status(initialized: initialized, pid: nil, stalePidFile: true)
    }

    var pidFile: URL { self.dataDirectory.appendingPathComponent("postmaster.pid") }

    func pidFileProcessID() -> Int32? {
        guard let text = try? String(contentsOf: self.pidFile, encoding: .utf8),
            let line = text.split(separator: "\n").first
        else { return nil }
        return Int32(line.trimmingCharacters(in: .whitespaces))
    }

    /// Whether `pid` is a live PostgreSQL process: not gone, not a zombie (a killed server whose parent never
    /// reaped it, common in containers), and not another program that reused the PID.
    static func isPostgresProcess(_ pid: Int32) -> Bool {
        guard pid > 0, let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
        // The state follows the command name in parentheses: "1234 (postgres) S …".
        guard let close = stat.lastIndex(of: ")"),
            let state = stat[stat.index(after: close)...].first(where: { !$0.isWhitespace }),
            state != "Z", state != "X"
        else { return false }
        guard let command = try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline")) else { return false }
        return String(decoding: command, as: UTF8.self).contains("postgres")
    }

    /// Live processes whose working directory is the data directory: the backends of a server whose
    /// postmaster was killed, which exit on their own once they notice.
    func orphanedServerProcesses() -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { pid in
            guard let cwd = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/cwd") else { return false }
            return cwd == self.dataDirectory.path && Self.isPostgresProcess(pid)
        }
    }
}

/// `cluster.json`: the saved configuration, versioned like every file tripbench writes.
struct SavedConfiguration: Codable {
    var schemaVersion = 1
    var configuration: LocalCluster.Configuration
}
