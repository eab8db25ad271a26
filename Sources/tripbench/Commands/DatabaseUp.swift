import ArgumentParser
import Foundation
import LocalServer
import Postgres

/// `tripbench db up`: make and start the local server.
struct DatabaseUp: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "up",
        abstract: "Start the local server (create it the first time); harmless when it is running.",
        discussion: """
            Settings follow the architecture document (shared_buffers 1GB, work_mem 256MB, \
            maintenance_work_mem 1GB, effective_cache_size 4GB, random_page_cost 1.1, max_connections 200, \
            pg_stat_statements preloaded), plus what a bulk load needs (max_wal_size 16GB, checkpoint_timeout \
            30min); --set overrides any of them. Prints the connection URL.
            """
    )

    @Option(help: "Port number (also names the unix socket). Default: the last one used, else 55432.")
    var port: Int?

    @Option(help: ArgumentHelp("Also accept TCP connections on this address (127.0.0.1 only is sensible).", valueName: "address"))
    var listen: String?

    @Option(name: .customLong("set"), help: ArgumentHelp("Override a server setting, e.g. --set work_mem=64MB (repeatable).", valueName: "name=value"))
    var settings: [String] = []

    @OptionGroup var connection: ConnectionOptions

    func validate() throws {
        if let port, !(1...65535).contains(port) { throw ValidationError("--port must be between 1 and 65535") }
    }

    func run() async throws {
        if let url = self.connection.externalURL {
            let target = try PostgresConnectionString(url)
            Console.info("using the existing server at \(target.summary) (--database-url / DATABASE_URL); nothing to start")
            return
        }
        let cluster = LocalCluster(stateDirectory: ProjectLocator.stateDirectory())
        var configuration = cluster.savedConfiguration()
        if let port = self.port { configuration.port = port }
        if let listen = self.listen { configuration.listenAddress = listen }
        // Earlier --set values stay until set again; new ones are added to them.
        var overrides = ServerSettings(entries: (configuration.settingOverrides ?? [:]).sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
        for assignment in self.settings { try overrides.apply(assignment: assignment) }
        if !overrides.entries.isEmpty {
            configuration.settingOverrides = Dictionary(overrides.entries.map { ($0.name, $0.value) }, uniquingKeysWith: { $1 })
        }
        var overridden = ServerSettings.architectureDefaults
        for entry in overrides.entries { overridden.set(entry.name, entry.value) }
        let settings = overridden
        let chosen = configuration
        let outcome = try await DedicatedThread.run {
            let installation = try PostgresInstallation.find(projectRoot: ProjectLocator.projectRoot())
            return try cluster.up(chosen, settings: settings, installation: installation, logger: Console.logger)
        }
        switch outcome {
        case .started:
            if ProcessInfo.processInfo.environment["TRIPBENCH_STATE_DIR"]?.isEmpty ?? true,
                let service = ProjectLocator.serviceRoot(projectRoot: ProjectLocator.projectRoot())
            {
                Console.info("the project is in a directory closed to other users: the server's state and a copy of PostgreSQL are in \(service.path)")
            }
            Console.info("local server started (\(cluster.dataDirectory.path))")
        case .alreadyRunning(let pending) where !self.settings.isEmpty:
            Console.info("local server already running: settings reloaded"
                + (pending.isEmpty ? "" : "; \(pending.joined(separator: ", ")) take effect after a restart (tripbench db down && tripbench db up)"))
        case .alreadyRunning: Console.info("local server already running")
        }
        Console.out(cluster.connectionURL())
    }
}
