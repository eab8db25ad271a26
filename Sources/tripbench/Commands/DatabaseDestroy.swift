import ArgumentParser
import Foundation
import LocalServer
import Postgres

/// `tripbench db destroy`: stop the local server and delete its state directory.
struct DatabaseDestroy: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "destroy",
        abstract: "Stop the local server and delete its data, log and socket directories."
    )

    func run() async throws {
        let cluster = LocalCluster(stateDirectory: ProjectLocator.stateDirectory())
        try await DedicatedThread.run {
            if cluster.status().running {
                let installation = try PostgresInstallation.find(projectRoot: ProjectLocator.projectRoot())
                try cluster.down(installation: installation, logger: Console.logger)
            }
            let socket = cluster.socketDirectory(port: cluster.savedConfiguration().port)
            for directory in [socket, cluster.stateDirectory] where FileManager.default.fileExists(atPath: directory.path) {
                try FileManager.default.removeItem(at: directory)
            }
        }
        Console.info("removed \(cluster.stateDirectory.path)")
    }
}
