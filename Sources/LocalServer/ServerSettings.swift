import Foundation

/// The server settings tripbench writes into the local cluster's `tripbench.conf`.
///
/// The defaults follow the TripSage architecture document (`shared_buffers = 1GB`, `work_mem = 256MB`,
/// `maintenance_work_mem = 1GB`, `effective_cache_size = 4GB`, `random_page_cost = 1.1`,
/// `max_connections = 200`, `max_parallel_workers_per_gather = 4`) plus `pg_stat_statements` preloaded, so
/// reports can show per-statement figures, and two settings the document leaves out that a bulk load needs:
/// `max_wal_size = 16GB` and `checkpoint_timeout = 30min`. At PostgreSQL's default 1 GB a checkpoint came
/// every ~45,000 embeddings while loading (11 in 500,000 rows, each writing and syncing every dirty buffer);
/// at 16 GB a load of `large` (~7 GB of WAL) needs none. Change feeds (a scenario's `changeFeed`) read logical
/// replication, as Supabase Realtime does: `wal_level = logical` and room for 64 subscribers
/// (`max_wal_senders`, `max_replication_slots`). Any of them can be overridden, and others added.
public struct ServerSettings: Sendable, Equatable {
    public private(set) var entries: [(name: String, value: String)]

    public static let architectureDefaults = ServerSettings(entries: [
        ("shared_buffers", "1GB"),
        ("work_mem", "256MB"),
        ("maintenance_work_mem", "1GB"),
        ("effective_cache_size", "4GB"),
        ("random_page_cost", "1.1"),
        ("max_connections", "200"),
        ("max_parallel_workers_per_gather", "4"),
        ("max_wal_size", "16GB"),
        ("checkpoint_timeout", "30min"),
        ("shared_preload_libraries", "pg_stat_statements"),
        ("pg_stat_statements.track", "top"),
        ("wal_level", "logical"),
        ("max_wal_senders", "64"),
        ("max_replication_slots", "64"),
    ])

    public init(entries: [(name: String, value: String)]) { self.entries = entries }

    /// The value of setting `name`, if set.
    public subscript(name: String) -> String? { self.entries.first { $0.name == name }?.value }

    /// Sets `name` to `value`, replacing an earlier value.
    public mutating func set(_ name: String, _ value: String) {
        if let index = self.entries.firstIndex(where: { $0.name == name }) {
            self.entries[index].value = value
        } else {
            self.entries.append((name, value))
        }
    }

    /// Applies a `name=value` override as given on the command line.
    /// - Throws: ``LocalServerError`` (configuration) for a malformed assignment.
    public mutating func apply(assignment: String) throws {
        let parts = assignment.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count == 2, !parts[1].isEmpty,
            parts[0].wholeMatch(of: /[A-Za-z_][A-Za-z0-9_.]*/) != nil
        else {
            throw LocalServerError(.configuration, "--set \"\(assignment)\": expected NAME=VALUE, e.g. --set work_mem=64MB")
        }
        self.set(parts[0].lowercased(), parts[1])
    }

    /// The settings as `postgresql.conf` lines, every value single-quoted.
    public func render() -> String {
        self.entries.map { "\($0.name) = '\($0.value.replacing("'", with: "''"))'" }.joined(separator: "\n") + "\n"
    }

    public static func == (lhs: ServerSettings, rhs: ServerSettings) -> Bool {
        lhs.entries.elementsEqual(rhs.entries) { $0.name == $1.name && $0.value == $1.value }
    }
}
