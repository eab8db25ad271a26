/// Realtime change feeds (a scenario's `changeFeed`): `subscribers` logical replication subscribers, each on
/// its own replication connection with a TEMPORARY slot, reading a publication of `tables` in pgoutput, as
/// Supabase Realtime reads the database. Each measures, per transaction, the time from its commit (the
/// server's timestamp) to the arrival of its last message. The Realtime server's websocket fan-out to browsers
/// is not part of it. PostgreSQL only.
public struct ChangeFeedSpec: Sendable, Equatable {
    public var subscribers: Int
    /// The tables published: the architecture subscribes to `trips` (by user) and new `chat_messages`.
    public var tables: [String]

    public init(subscribers: Int, tables: [String] = ChangeFeedSpec.documentTables) {
        self.subscribers = subscribers
        self.tables = tables
    }

    /// The tables the architecture document's Realtime subscriptions read.
    public static let documentTables = ["trips", "chat_messages"]
    /// The tables a feed may publish: those of the TripSage schema a run writes.
    public static let publishable = ["trips", "chat_messages", "memory_embeddings", "chat_sessions"]
    /// The operation every run with a change feed reports its lag as, named in thresholds.
    public static let operationName = "change_lag"
    public static let maximumSubscribers = 500

    /// What thresholds may name in a run of `operations`: their names, and `change_lag` when a feed runs.
    public static func thresholdNames(_ operations: [String], feed: Bool) -> [String] {
        operations + (feed ? [Self.operationName] : [])
    }
}

extension Scenario {
    /// What this scenario's thresholds may name (``ChangeFeedSpec/thresholdNames(_:feed:)``).
    public var thresholdNames: [String] { ChangeFeedSpec.thresholdNames(self.operations.map(\.name), feed: self.changeFeed != nil) }
}

/// A connection pooler between the run's clients and PostgreSQL (a scenario's `pooler`): tripbench's own
/// pgbouncer in front of its local server, pooling as the architecture's (transaction mode). Its clients send
/// statements parsed with every execution (a transaction-mode pooler keeps no named statement), and the session
/// settings are the pooler's to apply (`connect_query`) when it opens a server connection.
public struct PoolerSpec: Sendable, Equatable {
    public var mode: String
    public var poolSize: Int
    public var reservePool: Int
    public var maxClients: Int

    public init(mode: String = "transaction", poolSize: Int = 20, reservePool: Int = 0, maxClients: Int = 2000) {
        self.mode = mode
        self.poolSize = poolSize
        self.reservePool = reservePool
        self.maxClients = maxClients
    }

    public static let modes = ["transaction", "session"]
}
