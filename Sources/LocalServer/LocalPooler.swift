import Foundation
import Logging
import Postgres

/// tripbench's own pgbouncer (Debian's package) in front of its local cluster: `pgbouncer.ini`, `userlist.txt`,
/// its log and PID file under `<state>/pgbouncer/`, its unix socket beside the cluster's (and 127.0.0.1 when
/// asked), run as the cluster's service account (pgbouncer, like PostgreSQL, will not run as root), stopped by
/// the PID in its file. Trust authentication, as the cluster's. All operations block.
public struct LocalPooler: Sendable {
    public static let defaultPort = 56432
    public static let executable = "/usr/sbin/pgbouncer"

    public let cluster: LocalCluster
    /// Where it listens (its unix socket beside the cluster's, and 127.0.0.1 when asked); poolers on other
    /// ports of the same cluster keep their files apart.
    public let port: Int
    public var directory: URL {
        self.cluster.stateDirectory.appendingPathComponent(self.port == Self.defaultPort ? "pgbouncer" : "pgbouncer-\(self.port)")
    }
    var configurationFile: URL { self.directory.appendingPathComponent("pgbouncer.ini") }
    var pidFile: URL { self.directory.appendingPathComponent("pgbouncer.pid") }
    public var logFile: URL { self.directory.appendingPathComponent("pgbouncer.log") }

    public init(cluster: LocalCluster, port: Int = LocalPooler.defaultPort) {
        self.cluster = cluster
        self.port = port
    }

    /// How the pooler pools: pgbouncer's `pool_mode`, `default_pool_size` (server connections per database
    /// and user), `reserve_pool_size` and `max_client_conn`.
    public struct Configuration: Sendable, Equatable {
        public var mode = "transaction"
        public var poolSize = 20
        public var reservePool = 0
        public var maxClients = 2000
        /// `127.0.0.1` to accept TCP connections too; nil for the unix socket only.
        public var listenAddress: String?
        /// Settings every server connection gets when the pooler opens it (`connect_query`): in transaction
        /// mode a client's own `SET` would hold for one transaction's server connection only.
        public var settings: [(name: String, value: String)] = []

        public init() {}

        public static func == (lhs: Configuration, rhs: Configuration) -> Bool {
            lhs.mode == rhs.mode && lhs.poolSize == rhs.poolSize && lhs.reservePool == rhs.reservePool
                && lhs.maxClients == rhs.maxClients && lhs.listenAddress == rhs.listenAddress
                && lhs.settings.elementsEqual(rhs.settings) { $0.name == $1.name && $0.value == $1.value }
        }

        /// The settings as one `connect_query`, quoted for pgbouncer's connection string (`''` for a quote).
        var connectQuery: String? {
            guard !self.settings.isEmpty else { return nil }
            let query = self.settings.map { "SELECT set_config('\($0.name.replacing("'", with: "''"))', '\($0.value.replacing("'", with: "''"))', false);" }
                .joined(separator: " ")
            return "connect_query='" + query.replacing("'", with: "''") + "'"
        }
    }

    var process: DaemonProcess { DaemonProcess(name: "pgbouncer", pidFile: self.pidFile, logFile: self.logFile) }

    /// The pooler's PID while it runs.
    public var pid: Int32? { self.process.pid }

    /// A libpq URL for `database` through the pooler (the superuser, no password).
    public func connectionURL(database: String = LocalCluster.databaseName) -> String {
        let socket = self.cluster.socketDirectory(port: self.cluster.savedConfiguration().port).path
        let host = socket.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? socket
        return "postgresql://\(LocalCluster.superuser)@/\(database)?host=\(host)&port=\(self.port)"
    }

    /// Writes the configuration and starts pgbouncer in front of the running cluster; a running pooler is
    /// stopped first (its configuration may differ). Returns the URL clients connect to.
    /// - Throws: ``LocalServerError``: configuration when pgbouncer is not installed (`make setup` installs it)
    ///   or the cluster is not running; runtime when it does not start (its log's last line says why).
    @discardableResult
    public func up(_ configuration: Configuration, environment: [String: String] = ProcessInfo.processInfo.environment, logger: Logger) throws -> String {
        guard FileManager.default.isExecutableFile(atPath: Self.executable) else {
            throw LocalServerError(.configuration, "pgbouncer is not installed (\(Self.executable)): make setup installs Debian's package")
        }
        guard self.cluster.status().running else {
            throw LocalServerError(.configuration, "the local server is not running: tripbench db up first")
        }
        _ = try self.down(logger: logger)
        let account = try ServiceAccount.resolve(environment: environment, logger: logger)
        try account.prepareDirectory(self.directory, mode: 0o700)
        let server = self.cluster.savedConfiguration()
        let socket = self.cluster.socketDirectory(port: server.port).path
        let ini = """
            ; Written by tripbench pooler up; rewritten at every start.
            [databases]
            * = host=\(socket) port=\(server.port)\(configuration.connectQuery.map { " " + $0 } ?? "")

            [pgbouncer]
            listen_addr = \(configuration.listenAddress ?? "")
            listen_port = \(self.port)
            unix_socket_dir = \(socket)
            auth_type = trust
            auth_file = \(self.directory.appendingPathComponent("userlist.txt").path)
            admin_users = \(LocalCluster.superuser)
            stats_users = \(LocalCluster.superuser)
            pool_mode = \(configuration.mode)
            default_pool_size = \(configuration.poolSize)
            reserve_pool_size = \(configuration.reservePool)
            max_client_conn = \(configuration.maxClients)
            ignore_startup_parameters = extra_float_digits,options
            logfile = \(self.logFile.path)
            pidfile = \(self.pidFile.path)

            """
        try self.write(ini, to: self.configurationFile, account: account)
        try self.write("\"\(LocalCluster.superuser)\" \"\"\n", to: self.directory.appendingPathComponent("userlist.txt"), account: account)
        let arguments = ["-d"] + (account.switchesUser ? ["-u", account.name] : []) + [self.configurationFile.path]
        let output = try CommandRunner().run(Self.executable, arguments)
        guard output.succeeded else {
            throw LocalServerError(.runtime, "pgbouncer did not start: \(output.text.singleLine.isEmpty ? self.process.lastLogLine() : output.text.singleLine)")
        }
        let url = self.connectionURL()
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if self.pid != nil, (try? PostgresConnection(PostgresConnectionString(self.connectionURL(database: "pgbouncer")))) != nil {
                logger.info("pgbouncer \(configuration.mode) pooling, \(configuration.poolSize) server connections (+\(configuration.reservePool) reserve), at \(url)")
                return url
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        _ = try? self.down(logger: logger)
        throw LocalServerError(.runtime, "pgbouncer did not accept connections within 10 s: \(self.process.lastLogLine())")
    }

    /// Stops every pgbouncer tripbench started for `cluster` (any port). Returns how many.
    public static func stopAll(cluster: LocalCluster, logger: Logger) -> Int {
        DaemonProcess.stopAll(
            named: "pgbouncer", in: cluster.stateDirectory, folderPrefix: "pgbouncer", pidFile: "pgbouncer.pid", logFile: "pgbouncer.log", logger: logger)
    }

    /// Stops the pooler (SIGTERM: at once, clients disconnected) and waits for it to go.
    /// - Returns: false when none was running.
    @discardableResult
    public func down(logger: Logger) throws -> Bool { try self.process.stop(timeout: 10, logger: logger) }

    private func write(_ text: String, to file: URL, account: ServiceAccount) throws {
        do {
            try Data(text.utf8).write(to: file, options: .atomic)
        } catch {
            throw LocalServerError(.configuration, "cannot write \(file.path): \(error.localizedDescription)")
        }
        if account.switchesUser { chown(file.path, account.uid, account.gid) }
    }
}
