import ArgumentParser
import Foundation
import LocalServer
import Postgres

/// `--database-url`, shared by every command that talks to a server.
struct ConnectionOptions: ParsableArguments {
    @Option(
        name: .customLong("database-url"),
        help: ArgumentHelp(
            "Use this existing server instead of the local one (libpq URL or key=value string; default: $DATABASE_URL).",
            valueName: "url"
        )
    )
    var databaseURL: String?

    /// The URL given by option or `DATABASE_URL`, if any.
    var externalURL: String? {
        if let url = self.databaseURL, !url.isEmpty { return url }
        if let url = ProcessInfo.processInfo.environment["DATABASE_URL"], !url.isEmpty { return url }
        return nil
    }

    /// The server to talk to: the external one, or the local cluster, which must be running.
    /// - Throws: `CommandFailure` (runtime) when no external URL is given and the local server is down.
    func resolve() throws -> PostgresConnectionString {
        if let url = self.externalURL { return try PostgresConnectionString(url) }
        let cluster = LocalCluster(stateDirectory: ProjectLocator.stateDirectory())
        guard cluster.status().running else {
            throw CommandFailure(.runtimeFailure, "the local server is not running: start it with `tripbench db up`, or pass --database-url (or set DATABASE_URL) for an existing server")
        }
        return try PostgresConnectionString(cluster.connectionURL())
    }
}
