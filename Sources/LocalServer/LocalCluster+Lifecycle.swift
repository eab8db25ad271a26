import Foundation
import Logging
import Postgres

extension LocalCluster {
    /// What `up` did.
    public enum UpOutcome: Sendable, Equatable {
        case started
        /// It was running already; nothing was changed.
        /// The server was running; when settings were given they were written and reloaded, and these of them
        /// wait for a restart (`pending_restart`).
        case alreadyRunning(pendingRestart: [String])
    }

    /// Makes the cluster (first time), writes its settings and starts it; harmless when it is already running.
    ///
    /// As root, the server runs as an unprivileged account (see `ServiceAccount`) that owns the data, log and
    /// socket directories. A stale `postmaster.pid` left by a crash is handled: PostgreSQL replaces it when
    /// its PID is dead, and tripbench removes it when the PID now belongs to another program.
    /// - Throws: ``LocalServerError``: `.configuration` for what the user can fix (port in use, a directory
    ///   owned by someone else, binaries the server account cannot reach), `.runtime` otherwise.
    public func up(
        _ configuration: Configuration, settings: ServerSettings, installation: PostgresInstallation,
        environment: [String: String] = ProcessInfo.processInfo.environment, logger: Logger
    ) throws -> UpOutcome {
        if self.status().running {
            // An earlier `up` may have been interrupted between starting the server and creating the database.
            let running = self.savedConfiguration()
            try self.createDatabase(configuration: running)
            guard configuration.settingOverrides != running.settingOverrides else { return .alreadyRunning(pendingRestart: []) }
            // New settings for the running server: written, reloaded now, and kept for the next start.
            var kept = running
            kept.settingOverrides = configuration.settingOverrides
            let account = try ServiceAccount.resolve(environment: environment, logger: logger)
            try self.writeSettings(settings, configuration: kept, account: account)
            try self.save(kept)
            return .alreadyRunning(pendingRestart: try self.reloadSettings(configuration: kept))
        }
        let account = try ServiceAccount.resolve(environment: environment, logger: logger)
        try self.prepareDirectories(account: account, port: configuration.port)
        try self.checkReachable(account: account, installation: installation)
        if !self.status().initialized { try self.initialize(account: account, installation: installation, logger: logger) }
        try self.writeSettings(settings, configuration: configuration, account: account)
        if self.status().stalePidFile { try self.clearStaleLocks(port: configuration.port, logger: logger) }
        if let address = configuration.listenAddress { try Self.checkPortFree(address: address, port: configuration.port) }
        try self.start(account: account, installation: installation, logger: logger)
        try self.save(configuration)
        try self.createDatabase(configuration: configuration)
        return .started
    }

    /// Stops the server (fast shutdown: open sessions are ended, nothing is lost).
    /// - Returns: false when it was not running.
    @discardableResult
    public func down(
        installation: PostgresInstallation, environment: [String: String] = ProcessInfo.processInfo.environment,
        logger: Logger
    ) throws -> Bool {
        guard self.status().running else { return false }
        let account = try ServiceAccount.resolve(environment: environment, logger: logger)
        let output = try account.runner.run(
            installation.tool("pg_ctl"), ["stop", "-D", self.dataDirectory.path, "-m", "fast", "-w", "-t", "60"]
        )
        guard output.succeeded else {
            throw LocalServerError(.runtime, "pg_ctl stop failed: \(output.text.singleLine)")
        }
        return true
    }

    /// After a crash or `kill -9`: waits for the old server's backends to exit, then removes its
    /// `postmaster.pid` and socket lock. PostgreSQL would replace them itself if their PID were gone, but a
    /// zombie or a reused PID looks alive to it and it would refuse to start.
    private func clearStaleLocks(port: Int, logger: Logger) throws {
        var waited = 0
        while !self.orphanedServerProcesses().isEmpty {
            guard waited < 100 else {
                throw LocalServerError(.runtime, "processes of the previous server (\(self.orphanedServerProcesses().map(String.init).joined(separator: ", "))) are still running after 10 s; stop them and retry")
            }
            Thread.sleep(forTimeInterval: 0.1)
            waited += 1
        }
        logger.info("the previous server did not shut down cleanly; removing its stale lock files")
        let socketLock = self.socketDirectory(port: port).appendingPathComponent(".s.PGSQL.\(port).lock")
        for file in [self.pidFile, socketLock] { try? FileManager.default.removeItem(at: file) }
    }

    private func prepareDirectories(account: ServiceAccount, port: Int) throws {
        do {
            try FileManager.default.createDirectory(at: self.stateDirectory, withIntermediateDirectories: true)
        } catch {
            throw LocalServerError(.configuration, "cannot create the state directory \(self.stateDirectory.path): \(error.localizedDescription)")
        }
        try account.prepareDirectory(self.dataDirectory, mode: 0o700)
        try account.prepareDirectory(self.logFile.deletingLastPathComponent(), mode: 0o755)
        try account.prepareDirectory(self.socketDirectory(port: port), mode: 0o700)
    }

    /// As root, checks that the server account can write the data directory and run the binaries: a parent
    /// directory closed to other users (a project under /root, say) would stop it.
    private func checkReachable(account: ServiceAccount, installation: PostgresInstallation) throws {
        guard account.switchesUser else { return }
        guard try account.runner.run("/usr/bin/test", ["-w", self.dataDirectory.path]).succeeded else {
            throw LocalServerError(.configuration, "PostgreSQL runs as \(account.name), who cannot reach \(self.dataDirectory.path) (a parent directory is closed to other users); set TRIPBENCH_STATE_DIR to a directory it can reach, such as /var/tmp/tripbench")
        }
        guard try account.runner.run(installation.tool("postgres"), ["--version"]).succeeded else {
            throw LocalServerError(.configuration, "PostgreSQL runs as \(account.name), who cannot run \(installation.tool("postgres")) (a parent directory is closed to other users); move the project or set TRIPBENCH_PG_BIN to binaries it can reach")
        }
    }

    private func initialize(account: ServiceAccount, installation: PostgresInstallation, logger: Logger) throws {
        logger.info("initdb \(self.dataDirectory.path) (\(installation.origin))")
        let output = try account.runner.run(
            installation.tool("initdb"),
            ["-D", self.dataDirectory.path, "-U", Self.superuser, "--auth=trust", "-E", "UTF8", "--locale=C", "--no-instructions"]
        )
        guard output.succeeded else {
            throw LocalServerError(.runtime, "initdb failed: \(output.text.singleLine)")
        }
    }

    /// Writes `tripbench.conf` (settings, port, socket, listen address) and includes it from `postgresql.conf`.
    private func writeSettings(_ settings: ServerSettings, configuration: Configuration, account: ServiceAccount) throws {
        var all = settings
        all.set("port", String(configuration.port))
        all.set("listen_addresses", configuration.listenAddress ?? "")
        all.set("unix_socket_directories", self.socketDirectory(port: configuration.port).path)
        let file = self.dataDirectory.appendingPathComponent("tripbench.conf")
        let main = self.dataDirectory.appendingPathComponent("postgresql.conf")
        do {
            try ("# Written by tripbench db up; changes are overwritten at the next start.\n" + all.render())
                .write(to: file, atomically: true, encoding: .utf8)
            _ = chown(file.path, account.uid, account.gid)
            let include = "include_if_exists = 'tripbench.conf'"
            let text = try String(contentsOf: main, encoding: .utf8)
            if !text.contains(include) {
                let handle = try FileHandle(forWritingTo: main)
                defer { try? handle.close() }
                try handle.seekToEnd()
                try handle.write(contentsOf: Data("\n\(include)\n".utf8))
            }
        } catch {
            throw LocalServerError(.configuration, "cannot write the server settings in \(self.dataDirectory.path): \(error.localizedDescription)")
        }
    }

    static func checkPortFree(address: String, port: Int) throws {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { return }
        defer { close(socket) }
        var reuse: Int32 = 1
        setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
        var socketAddress = sockaddr_in()
        socketAddress.sin_family = sa_family_t(AF_INET)
        socketAddress.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, address, &socketAddress.sin_addr) == 1 else {
            throw LocalServerError(.configuration, "--listen \(address) is not an IPv4 address (use 127.0.0.1)")
        }
        let bound = withUnsafePointer(to: &socketAddress) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if bound != 0, errno == EADDRINUSE {
            throw LocalServerError(.configuration, "port \(port) on \(address) is in use by another program; choose another with --port")
        }
    }

    /// `pg_ctl start`, retrying briefly while processes of a killed server still hold its shared memory.
    func start(account: ServiceAccount, installation: PostgresInstallation, logger: Logger) throws {
        for attempt in 1...10 {
            let logStart = (try? FileManager.default.attributesOfItem(atPath: self.logFile.path)[.size] as? Int) ?? 0
            let output = try account.runner.run(
                installation.tool("pg_ctl"),
                ["start", "-D", self.dataDirectory.path, "-l", self.logFile.path, "-w", "-t", "120"]
            )
            if output.succeeded { return }
            let log = self.logText(from: logStart)
            if log.contains("pre-existing shared memory block"), attempt < 10 {
                logger.info("processes of the previous server still hold its shared memory; waiting")
                Thread.sleep(forTimeInterval: 1)
                continue
            }
            throw Self.startError(log: log, output: output.text, logFile: self.logFile)
        }
    }

    private func logText(from offset: Int) -> String {
        guard let handle = try? FileHandle(forReadingFrom: self.logFile) else { return "" }
        defer { try? handle.close() }
        try? handle.seek(toOffset: UInt64(offset))
        return String(decoding: (try? handle.readToEnd()) ?? Data(), as: UTF8.self)
    }

    /// One line for a failed start, from the server's FATAL message.
    static func startError(log: String, output: String, logFile: URL) -> LocalServerError {
        let lines = log.split(separator: "\n").map(String.init)
        let fatal = lines.first { $0.contains("FATAL:") } ?? lines.last { $0.contains("LOG:") || $0.contains("ERROR:") }
        let reason = (fatal.map { $0.components(separatedBy: "FATAL:").last ?? $0 } ?? output).singleLine
        if log.contains("Address already in use") {
            return LocalServerError(.configuration, "the server could not listen: the port is in use by another program; choose another with --port (\(reason))")
        }
        if log.contains("incompatible with server") {
            return LocalServerError(.configuration, "the data directory was made by another PostgreSQL version: \(reason); run `tripbench db destroy` or use another TRIPBENCH_STATE_DIR")
        }
        return LocalServerError(.runtime, "the server did not start: \(reason) (log: \(logFile.path))")
    }

    /// Has the running server read its configuration files again (`pg_reload_conf()`), and returns the
    /// settings that only a restart applies.
    /// - Throws: ``LocalServerError`` (configuration) when the server refused a value; it keeps its old one.
    private func reloadSettings(configuration: Configuration) throws -> [String] {
        let url = try PostgresConnectionString(self.connectionURL(database: "postgres", configuration: configuration))
        let admin = try PostgresConnection(url)
        let before = try admin.query("SELECT pg_conf_load_time()::text").decode(String.self, row: 0, column: 0)
        try admin.query("SELECT pg_reload_conf()")
        // The postmaster rereads the files after the signal; a new session sees the outcome.
        var session = try PostgresConnection(url)
        for _ in 0..<50 where try session.query("SELECT pg_conf_load_time()::text").decode(String.self, row: 0, column: 0) == before {
            usleep(100_000)
            session = try PostgresConnection(url)
        }
        let refused = try session.query("SELECT coalesce(name, '') || ': ' || error FROM pg_file_settings WHERE error IS NOT NULL AND error <> 'setting could not be applied' LIMIT 1")
        if refused.rowCount > 0 {
            throw LocalServerError(.configuration, "the server refused the new settings (\(try refused.decode(String.self, row: 0, column: 0))); it keeps its earlier ones")
        }
        let pending = try session.query("SELECT name FROM pg_settings WHERE pending_restart ORDER BY name")
        return try (0..<pending.rowCount).map { try pending.decode(String.self, row: $0, column: 0) }
    }

    private func save(_ configuration: Configuration) throws {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(SavedConfiguration(configuration: configuration))
        try data.write(to: self.configurationFile, options: .atomic)
    }

    private func createDatabase(configuration: Configuration) throws {
        do {
            let admin = try PostgresConnection(
                PostgresConnectionString(self.connectionURL(database: "postgres", configuration: configuration))
            )
            let exists = try admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [Self.databaseName])
            if exists.rowCount == 0 {
                try admin.execute(script: "CREATE DATABASE \(PostgresConnection.quoteIdentifier(Self.databaseName))")
            }
        } catch let error as PostgresError {
            throw LocalServerError(.runtime, "the server started but the database could not be created: \(error)")
        }
    }
}
