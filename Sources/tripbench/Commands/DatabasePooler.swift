import ArgumentParser
import Foundation
import LocalServer
import Postgres
import Workload

/// `tripbench db pooler up|down`: tripbench's pgbouncer in front of the local server, kept running for tools
/// of one's own (an application, pgbench) as `run` starts it for a scenario.
struct DatabasePooler: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pooler",
        abstract: "Start or stop tripbench's pgbouncer in front of the local server, for tools of your own.",
        discussion: """
            up starts pgbouncer (Debian's package; `make setup` installs it) on the local server's unix socket \
            directory, port 56432, and prints the URL to connect through it; down stops it. A run whose scenario \
            has a pooler starts and stops its own (the same one: up again replaces it).
            """,
        subcommands: [Up.self, Down.self]
    )

    struct Up: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "up", abstract: "Start pgbouncer and print its URL.")

        @Option(help: "pool_mode: transaction or session.")
        var mode = "transaction"

        @Option(name: .customLong("pool-size"), help: "Server connections per database and user (default_pool_size).")
        var poolSize = 20

        @Option(name: .customLong("max-clients"), help: "Client connections it accepts (max_client_conn).")
        var maxClients = 2000

        func validate() throws {
            guard PoolerSpec.modes.contains(self.mode) else { throw ValidationError("--mode must be one of \(PoolerSpec.modes.joined(separator: ", ")), not \(self.mode)") }
            try OptionBounds.check("--pool-size", self.poolSize, in: 1...10_000)
            try OptionBounds.check("--max-clients", self.maxClients, in: 1...100_000)
        }

        func run() async throws {
            var configuration = LocalPooler.Configuration()
            configuration.mode = self.mode
            configuration.poolSize = self.poolSize
            configuration.maxClients = self.maxClients
            let chosen = configuration
            let url = try await DedicatedThread.run {
                try LocalPooler(cluster: LocalCluster(stateDirectory: ProjectLocator.stateDirectory())).up(chosen, logger: Console.logger)
            }
            Console.out(url)
        }
    }

    struct Down: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "down", abstract: "Stop pgbouncer; harmless when it is not running.")

        func run() async throws {
            let stopped = try await DedicatedThread.run {
                try LocalPooler(cluster: LocalCluster(stateDirectory: ProjectLocator.stateDirectory())).down(logger: Console.logger)
            }
            if !stopped { Console.info("pgbouncer is not running") }
        }
    }
}
