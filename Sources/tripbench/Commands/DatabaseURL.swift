import ArgumentParser
import Foundation
import LocalServer

/// `tripbench db url`: the local server's connection URL, for psql, pgbench and scripts.
struct DatabaseURL: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "url",
        abstract: "Print the local server's connection URL (e.g. psql \"$(tripbench db url)\").",
        discussion: "The URL names the unix socket and needs no password (the local server uses trust authentication)."
    )

    func run() throws {
        Console.out(LocalCluster(stateDirectory: ProjectLocator.stateDirectory()).connectionURL())
    }
}
