import Postgres

/// The server facts tripbench reports: versions, and whether pgvector is installed or available.
public struct ServerInfo: Sendable {
    /// `server_version`, e.g. `18.6`.
    public var serverVersion: String
    /// pgvector's version in this database, if `CREATE EXTENSION vector` has run.
    public var vectorInstalled: String?
    /// pgvector's version the server could install, if it has pgvector at all.
    public var vectorAvailable: String?
    public var database: String
    public var user: String

    public static func read(_ connection: PostgresConnection) throws -> ServerInfo {
        let row = try connection.query("""
            SELECT current_setting('server_version'),
                   (SELECT extversion FROM pg_extension WHERE extname = 'vector'),
                   (SELECT default_version FROM pg_available_extensions WHERE name = 'vector'),
                   current_database()::text, current_user::text
            """).rows[0]
        return ServerInfo(
            serverVersion: try row.decode(0), vectorInstalled: try row.decode(1), vectorAvailable: try row.decode(2),
            database: try row.decode(3), user: try row.decode(4)
        )
    }

    /// `PostgreSQL 18.6, pgvector 0.8.6` (or what is missing).
    public var summary: String {
        let vector = self.vectorInstalled.map { "pgvector \($0)" }
            ?? self.vectorAvailable.map { "pgvector \($0) available (not yet created; run tripbench db migrate)" }
            ?? "no pgvector on this server"
        return "PostgreSQL \(self.serverVersion), \(vector)"
    }
}
