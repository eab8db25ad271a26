/// The application's own connection pool (a scenario's `pool`), as the architecture configures SQLAlchemy's:
/// at most `size + maxOverflow` connections, a request waits for a free one (open loop: the wait is part of
/// its latency, and reported as the operation `pool_wait`), and one that waited `timeout` fails
/// (`pool_timeout`) without being sent. The run's clients are the pool's connections.
public struct PoolSpec: Sendable, Equatable {
    public var size: Int
    public var maxOverflow: Int
    public var timeout: Duration

    public init(size: Int = 20, maxOverflow: Int = 30, timeout: Duration = .seconds(30)) {
        self.size = size
        self.maxOverflow = maxOverflow
        self.timeout = timeout
    }

    /// Connections the pool may hold at once.
    public var connections: Int { self.size + self.maxOverflow }

    /// The operation a pooled run reports the wait for a connection as, named in thresholds.
    public static let waitOperationName = "pool_wait"
    /// The error of a request that waited `timeout` for a connection.
    public static let timeoutError = "pool_timeout"
}

/// A connection pooler between the run's clients and PostgreSQL (a scenario's `pooler`): tripbench's own
/// pgbouncer in front of its local server, pooling as the architecture's (transaction mode), or one the user
/// runs (`run --pooler-url`). Its clients send statements parsed with every execution (a transaction-mode
/// pooler keeps no named statement), and the session settings are the pooler's to apply (`connect_query`)
/// when it opens a server connection.
public struct PoolerSpec: Sendable, Equatable {
    public var mode: String
    public var poolSize: Int
    public var reservePool: Int
    /// pgbouncer's `max_client_conn`; nil for room for the run's clients and a few more.
    public var maxClients: Int?

    public init(mode: String = "transaction", poolSize: Int = 20, reservePool: Int = 0, maxClients: Int? = nil) {
        self.mode = mode
        self.poolSize = poolSize
        self.reservePool = reservePool
        self.maxClients = maxClients
    }

    public static let modes = ["transaction", "session"]
    /// How statements reach the server through the pooler, for the report.
    public static let statements = "unnamed statements, parsed with every execution (Parse/Bind/Execute in one round trip); no named prepared statement and no session SET: the pooler applies the scenario's settings to each server connection (connect_query)"
}
