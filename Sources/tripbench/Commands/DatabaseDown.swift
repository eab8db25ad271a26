import ArgumentParser
import Foundation
import LocalServer
import Postgres

/// `tripbench db down`: stop the local server.
struct DatabaseDown: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "down",
        abstract: "Stop the local server (fast shutdown) and its pgbouncer, if one was left; harmless when none is running."
    )

    func run() async throws {
        let cluster = LocalCluster(stateDirectory: ProjectLocator.stateDirectory())
        // A run killed outright (SIGKILL) cannot stop its pgbouncer; the next run's or this stops it.
        if try await DedicatedThread.run({ try LocalPooler(cluster: cluster).down(logger: Console.logger) }) {
            Console.info("pgbouncer left by an earlier run stopped")
        }
        let stopped = try await DedicatedThread.run {
            let installation = try PostgresInstallation.find(projectRoot: ProjectLocator.projectRoot())
            return try cluster.down(installation: installation, logger: Console.logger)
        }
        Console.info(stopped ? "local server stopped" : "local server is not running")
    }
}
