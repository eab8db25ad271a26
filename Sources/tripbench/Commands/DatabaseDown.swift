import ArgumentParser
import Foundation
import LocalServer
import Postgres

/// `tripbench db down`: stop the local server.
struct DatabaseDown: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "down",
        abstract: "Stop the local server (fast shutdown); harmless when it is not running."
    )

    func run() async throws {
        let cluster = LocalCluster(stateDirectory: ProjectLocator.stateDirectory())
        let stopped = try await DedicatedThread.run {
            let installation = try PostgresInstallation.find(projectRoot: ProjectLocator.projectRoot())
            return try cluster.down(installation: installation, logger: Console.logger)
        }
        Console.info(stopped ? "local server stopped" : "local server is not running")
    }
}
