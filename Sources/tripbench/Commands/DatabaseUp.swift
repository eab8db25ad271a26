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
            pg_stat_statements preloaded); --set overrides any of them. Prints the connection URL.
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
        var overridden = ServerSettings.architectureDefaults
        for assignment in self.settings { try overridden.apply(assignment: assignment) }
        let settings = overridden
        let cluster = LocalCluster(stateDirectory: ProjectLocator.stateDirectory())
        var configuration = cluster.savedConfiguration()
        if let port = self.port { configuration.port = port }
        if let listen = self.listen { configuration.listenAddress = listen }
        let chosen = configuration
        let outcome = try await DedicatedThread.run {
            let installation = try PostgresInstallation.find(projectRoot: ProjectLocator.projectRoot())
            return try cluster.up(chosen, settings: settings, installation: installation, logger: Console.logger)
        }
        switch outcome {
        case .started: Console.info("local server started (\(cluster.dataDirectory.path))")
        case .alreadyRunning: Console.info("local server already running; settings apply at the next start")
        }
        Console.out(cluster.connectionURL())
    }
}
