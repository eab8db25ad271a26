import ArgumentParser
import Foundation
import LocalServer
import Postgres

/// `tripbench db down`: stop the local server.
struct DatabaseDown: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "down",
        abstract: "Stop the local server (fast shutdown), and any pgbouncer or Prometheus tripbench left beside it; harmless when none is running."
    )

    func run() async throws {
        let cluster = LocalCluster(stateDirectory: ProjectLocator.stateDirectory())
        // A run or test killed outright (SIGKILL) cannot stop its pgbouncer or Prometheus; this stops them.
        let (poolers, prometheus) = try await DedicatedThread.run {
            (LocalPooler.stopAll(cluster: cluster, logger: Console.logger), LocalPrometheus.stopAll(stateDirectory: cluster.stateDirectory, logger: Console.logger))
        }
        if poolers > 0 { Console.info("pgbouncer left by an earlier run stopped") }
        if prometheus > 0 { Console.info("Prometheus left by an earlier run stopped") }
        let stopped = try await DedicatedThread.run {
            let installation = try PostgresInstallation.find(projectRoot: ProjectLocator.projectRoot())
            return try cluster.down(installation: installation, logger: Console.logger)
        }
        Console.info(stopped ? "local server stopped" : "local server is not running")
    }
}
