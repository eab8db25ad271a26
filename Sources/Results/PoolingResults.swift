/// `pooling.json`: what a pooler costs — the same scenario run direct and through pgbouncer at each client
/// count, in alternating rounds (direct first in odd rounds, the pooler first in even ones, so the machine's
/// drift falls on both alike), each run a whole engine run with its own report.
public struct PoolingResults: Codable, Sendable {
    public static let currentSchemaVersion = 1
    public var schemaVersion = PoolingResults.currentSchemaVersion
    public var scenario: String
    public var dataset: String
    /// The offered rate (open loop), or nil for a closed loop.
    public var rate: Double?
    public var clients: [Int]
    public var rounds: Int
    public var durationSeconds: Double
    public var warmupSeconds: Double
    /// pgbouncer's server connections (`default_pool_size`) and mode.
    public var poolSize: Int
    public var poolMode: String
    /// Connection churn: each client opened a new connection every this many requests (nil: one for the run).
    public var reconnectEvery: Int?
    /// The server's `max_connections`: a direct run needs one server connection per client.
    public var maxConnections: Int?
    public var points: [Point] = []

    /// One run: a client count, a way of connecting, a round.
    public struct Point: Codable, Sendable {
        public var clients: Int
        /// `direct` or `pgbouncer`.
        public var mode: String
        public var round: Int
        /// The run's report directory, relative to the study's.
        public var report: String?
        /// Why the run could not be made (a direct run with more clients than the server takes).
        public var refused: String?
        public var requests: Int
        public var qps: Double
        public var errorRate: Double
        /// Latency of every request of the mix (their histograms merged), µs.
        public var p50Us: Double
        public var p95Us: Double
        public var p99Us: Double
        /// Through the pooler: the share of request time not spent waiting for a connection, the pooler's mean
        /// wait per transaction and the most server connections it held.
        public var efficiency: Double?
        public var poolerWaitMeanUs: Double?
        public var serverConnectionsMax: Int?
        /// Connection churn: how long opening a connection took.
        public var connectP50Us: Double?
        public var connectP95Us: Double?

        public init(clients: Int, mode: String, round: Int, refused: String) {
            self.clients = clients
            self.mode = mode
            self.round = round
            self.refused = refused
            self.requests = 0
            self.qps = 0
            self.errorRate = 0
            self.p50Us = 0
            self.p95Us = 0
            self.p99Us = 0
        }

        public init(clients: Int, mode: String, round: Int, report: String, of run: RunReport) {
            self.clients = clients
            self.mode = mode
            self.round = round
            self.report = report
            let target = TargetKind.postgres.rawValue
            let requests = run.operations.filter { $0.target == target && !$0.followsRequests && $0.unsupported == nil }
            let total = run.totals.first { $0.target == target }
            self.requests = total?.count ?? 0
            self.qps = total?.qps ?? 0
            self.errorRate = RunReport.counted(.errorRate, of: requests) ?? 0
            self.p50Us = run.measure(.p50, of: requests, target: target) ?? 0
            self.p95Us = run.measure(.p95, of: requests, target: target) ?? 0
            self.p99Us = run.measure(.p99, of: requests, target: target) ?? 0
            self.efficiency = run.pool?.efficiency
            self.poolerWaitMeanUs = run.pool?.pooler?.waitMeanUs
            self.serverConnectionsMax = run.pool?.pooler?.serverConnectionsMax
            if let connect = run.operations.first(where: { $0.target == target && $0.kind == "connect" }) {
                self.connectP50Us = Double(connect.latencyUs.p50)
                self.connectP95Us = Double(connect.latencyUs.p95)
            }
        }
    }

    public init(
        scenario: String, dataset: String, rate: Double?, clients: [Int], rounds: Int, durationSeconds: Double, warmupSeconds: Double,
        poolSize: Int, poolMode: String, reconnectEvery: Int?, maxConnections: Int?
    ) {
        self.scenario = scenario
        self.dataset = dataset
        self.rate = rate
        self.clients = clients
        self.rounds = rounds
        self.durationSeconds = durationSeconds
        self.warmupSeconds = warmupSeconds
        self.poolSize = poolSize
        self.poolMode = poolMode
        self.reconnectEvery = reconnectEvery
        self.maxConnections = maxConnections
    }

    /// The median of each figure over the rounds of one client count and mode (nil when none ran).
    public func median(clients: Int, mode: String) -> Point? {
        let runs = self.points.filter { $0.clients == clients && $0.mode == mode && $0.refused == nil }
        guard !runs.isEmpty else { return nil }
        func middle(_ values: [Double]) -> Double {
            let sorted = values.sorted()
            return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
        }
        func middle(_ values: [Double?]) -> Double? {
            let known = values.compactMap { $0 }
            return known.isEmpty ? nil : middle(known)
        }
        var point = runs[0]
        point.round = 0
        point.report = nil
        point.requests = Int(middle(runs.map { Double($0.requests) }))
        point.qps = middle(runs.map(\.qps))
        point.errorRate = middle(runs.map(\.errorRate))
        point.p50Us = middle(runs.map(\.p50Us))
        point.p95Us = middle(runs.map(\.p95Us))
        point.p99Us = middle(runs.map(\.p99Us))
        point.efficiency = middle(runs.map(\.efficiency))
        point.poolerWaitMeanUs = middle(runs.map(\.poolerWaitMeanUs))
        point.serverConnectionsMax = middle(runs.map { $0.serverConnectionsMax.map(Double.init) }).map { Int($0) }
        point.connectP50Us = middle(runs.map(\.connectP50Us))
        point.connectP95Us = middle(runs.map(\.connectP95Us))
        return point
    }
}
