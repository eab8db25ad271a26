/// How a pooled run's requests got their connections (a scenario's `pool` and/or `pooler`, postgres target):
/// the application pool's wait (the run's `pool_wait` operation), the pooler's own figures for the measured
/// window, and the pool efficiency both give.
public struct PoolReport: Codable, Sendable {
    public var application: ApplicationPool?
    public var pooler: Pooler?
    /// The share of the requests' time not spent waiting for a connection: 1 − (the application pool's wait +
    /// the pooler's wait) / the mix's summed latency, over the measured window. The architecture promises 95 %.
    public var efficiency: Double?
    /// What `efficiency` divides, µs: the wait for a connection (both levels) and the summed latency.
    public var waitTotalUs: Double
    public var latencyTotalUs: Double

    /// The application's pool (``PoolSpec`` in the scenario): requests wait for one of its connections.
    public struct ApplicationPool: Codable, Sendable {
        public var size: Int
        public var maxOverflow: Int
        public var timeoutSeconds: Double
        /// Requests that waited `timeoutSeconds` and failed without being sent (error `pool_timeout`).
        public var timeouts: Int
        /// From each request's due time to its send: the wait for a free connection.
        public var waitUs: LatencySummary

        public init(size: Int, maxOverflow: Int, timeoutSeconds: Double, timeouts: Int, waitUs: LatencySummary) {
            self.size = size
            self.maxOverflow = maxOverflow
            self.timeoutSeconds = timeoutSeconds
            self.timeouts = timeouts
            self.waitUs = waitUs
        }
    }

    /// A pgbouncer's figures for the window, from its admin console (`SHOW STATS` before and after, `SHOW POOLS`
    /// every second), for the run's database.
    public struct Pooler: Codable, Sendable {
        /// `pgbouncer (tripbench's own)` or `pgbouncer at <host>` (a pooler given with --pooler-url).
        public var server: String
        public var version: String?
        public var mode: String
        /// Server connections per database and user (`default_pool_size`) and reserve; nil for a pooler not
        /// started by tripbench (its configuration is its own).
        public var poolSize: Int?
        public var reservePool: Int?
        /// How the run's statements went through it (``PoolerSpec/statements``).
        public var statements: String
        /// Client connections the run opened through it, and the most server connections it held at once.
        public var clients: Int
        public var serverConnectionsMax: Int
        /// Transactions and queries it pooled in the window.
        public var transactions: Int
        public var queries: Int
        /// Time clients spent waiting for a server connection in the window (`total_wait_time`), its mean per
        /// transaction, and the longest wait seen in a one-second sample (`maxwait`).
        public var waitTotalUs: Double
        public var waitMeanUs: Double
        public var waitMaxUs: Double
        /// The most clients seen waiting for a server connection in a sample.
        public var clientsWaitingMax: Int
        /// One sample per second of the window.
        public var seconds: [Sample]
        /// Why the pooler's figures are missing (its console could not be read), when they are.
        public var unavailable: String?

        public struct Sample: Codable, Sendable {
            public var second: Int
            public var clientsActive: Int
            public var clientsWaiting: Int
            public var serversActive: Int
            public var serversIdle: Int
            public var maxWaitUs: Double

            public init(second: Int, clientsActive: Int, clientsWaiting: Int, serversActive: Int, serversIdle: Int, maxWaitUs: Double) {
                self.second = second
                self.clientsActive = clientsActive
                self.clientsWaiting = clientsWaiting
                self.serversActive = serversActive
                self.serversIdle = serversIdle
                self.maxWaitUs = maxWaitUs
            }
        }

        public init(server: String, mode: String, poolSize: Int?, reservePool: Int?, statements: String, clients: Int) {
            self.server = server
            self.poolSize = poolSize
            self.reservePool = reservePool
            self.mode = mode
            self.statements = statements
            self.clients = clients
            self.serverConnectionsMax = 0
            self.transactions = 0
            self.queries = 0
            self.waitTotalUs = 0
            self.waitMeanUs = 0
            self.waitMaxUs = 0
            self.clientsWaitingMax = 0
            self.seconds = []
        }
    }

    /// - Parameters:
    ///   - applicationWaitUs: the application pool's summed wait (its histogram's count × mean).
    ///   - latencyTotalUs: the mix's summed latency in the window.
    public init(application: ApplicationPool?, applicationWaitUs: Double, pooler: Pooler?, latencyTotalUs: Double) {
        self.application = application
        self.pooler = pooler
        self.latencyTotalUs = latencyTotalUs
        self.waitTotalUs = applicationWaitUs + (pooler?.unavailable == nil ? pooler?.waitTotalUs ?? 0 : 0)
        // Without the pooler's figures the share is not known.
        let known = latencyTotalUs > 0 && pooler?.unavailable == nil
        self.efficiency = known ? Swift.max(0, 1 - self.waitTotalUs / latencyTotalUs) : nil
    }
}
