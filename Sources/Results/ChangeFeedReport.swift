/// What a run's logical replication subscribers received (a scenario's `changeFeed`): per subscriber, the
/// transactions committed in the measured window that reached it and how long after their commit. The lag of
/// all of them together is the `change_lag` operation of the report, which thresholds name.
public struct ChangeFeedReport: Codable, Sendable {
    public var subscribers: Int
    public var publication: String
    public var tables: [String]
    /// The protocol and what the lag spans: from the commit timestamp to the arrival of the transaction's
    /// commit message at a subscriber on this machine.
    public var measure: String
    public var perSubscriber: [Subscriber]
    /// Replication slots of the run still on the server after it (temporary slots go with their sessions):
    /// 0 unless the server kept one.
    public var slotsLeft: Int
    /// What is not measured: the Realtime server's websocket fan-out.
    public var notMeasured: String

    public struct Subscriber: Codable, Sendable {
        public var slot: String
        /// Transactions committed in the measured window that arrived, and the row changes in them.
        public var transactions: Int
        public var changes: Int
        public var lagUs: LatencySummary
        /// Why the subscriber stopped receiving before the end (its WAL sender ended, the connection broke).
        public var lost: String?

        public init(slot: String, transactions: Int, changes: Int, lagUs: LatencySummary, lost: String?) {
            self.slot = slot
            self.transactions = transactions
            self.changes = changes
            self.lagUs = lagUs
            self.lost = lost
        }
    }

    public init(subscribers: Int, publication: String, tables: [String], perSubscriber: [Subscriber], slotsLeft: Int) {
        self.subscribers = subscribers
        self.publication = publication
        self.tables = tables
        self.measure = "pgoutput over logical replication connections with TEMPORARY slots; lag = arrival of a transaction's commit message at the subscriber − its commit timestamp (same host clock)"
        self.perSubscriber = perSubscriber
        self.slotsLeft = slotsLeft
        self.notMeasured = "the Realtime server's websocket fan-out to clients (Supabase Realtime reads this same stream)"
    }

    /// Subscribers that stopped receiving before the end.
    public var lost: Int { self.perSubscriber.filter { $0.lost != nil }.count }
}
