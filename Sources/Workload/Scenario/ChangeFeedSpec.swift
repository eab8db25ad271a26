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

}

extension Scenario {
    /// The operation a run with connection churn reports its connection setup as, named in thresholds.
    public static let connectOperationName = "connect"

    /// What thresholds may name in a run of `operations`: their names, `change_lag` when a feed runs,
    /// `pool_wait` with an application pool and `connect` with connection churn.
    public static func thresholdNames(_ operations: [String], feed: Bool, pooled: Bool, reconnects: Bool) -> [String] {
        operations + (feed ? [ChangeFeedSpec.operationName] : []) + (pooled ? [PoolSpec.waitOperationName] : [])
            + (reconnects ? [Self.connectOperationName] : [])
    }

    /// What this scenario's thresholds may name (``thresholdNames(_:feed:pooled:reconnects:)``).
    public var thresholdNames: [String] {
        Self.thresholdNames(self.operations.map(\.name), feed: self.changeFeed != nil, pooled: self.pool != nil, reconnects: self.reconnectEvery != nil)
    }
}
