import ArgumentParser
import Foundation
import Datasets
import LocalServer
import Postgres

/// `tripbench db status`: is the server up, where, and what does it run.
struct DatabaseStatus: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show whether the server runs, its URL, versions and pgvector; exit 3 when it is down."
    )

    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        if let url = self.connection.externalURL {
            let target = try PostgresConnectionString(url)
            let info = try await PostgresConnection.withConnection(target) { try ServerInfo.read($0) }
            Console.out("server:   \(target.masked)")
            Console.out("runs:     \(info.summary)")
            Console.out("database: \(info.database) as \(info.user)")
            return
        }
        let cluster = LocalCluster(stateDirectory: ProjectLocator.stateDirectory())
        let status = cluster.status()
        guard let pid = status.pid else {
            let state = !status.initialized ? "not created" : status.stalePidFile ? "not running (stale pid file from a crash; `tripbench db up` recovers)" : "stopped"
            Console.out("local server: \(state)")
            Console.out("state:    \(cluster.stateDirectory.path)")
            throw ExitStatus.runtimeFailure
        }
        let url = cluster.connectionURL()
        let info = try await PostgresConnection.withConnection(try PostgresConnectionString(url)) { try ServerInfo.read($0) }
        let configuration = cluster.savedConfiguration()
        Console.out("local server: running (pid \(pid))")
        Console.out("url:      \(url)")
        if let address = configuration.listenAddress {
            Console.out("tcp:      postgresql://\(LocalCluster.superuser)@\(address):\(configuration.port)/\(LocalCluster.databaseName)")
        }
        Console.out("runs:     \(info.summary)")
        Console.out("data:     \(cluster.dataDirectory.path)")
        Console.out("log:      \(cluster.logFile.path)")
    }
}
