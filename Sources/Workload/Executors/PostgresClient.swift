import CPoll
import Foundation
import Glibc
import Postgres

/// One worker's PostgreSQL clients and how their sessions are opened, at the start and again after the
/// server drops one.
///
/// `@unchecked Sendable`: it is connected on the runner's thread, then handed to its worker thread, which
/// alone uses it from then on.
final class PostgresClientGroup: @unchecked Sendable {
    let clients: [PostgresClient]
    let target: PostgresConnectionString
    let scenario: Scenario
    let sql: [OperationSQL]
    let catalog: DatasetCatalog
    let driver: PostgresStatementDriver
    /// Through a pooler: the statements' types, learned by the first session and used by every other.
    let descriptions: StatementDescriptions

    /// - Parameter clientIDs: the global client numbers of this group; `actingUsers` is indexed by them.
    init(
        clientIDs: [Int], actingUsers: [Int?], target: PostgresConnectionString, scenario: Scenario, sql: [OperationSQL],
        catalog: DatasetCatalog, driver: PostgresStatementDriver, descriptions: StatementDescriptions = StatementDescriptions()
    ) {
        self.clients = clientIDs.map { PostgresClient(id: $0, actingUser: actingUsers[$0]) }
        self.target = target
        self.scenario = scenario
        self.sql = sql
        self.catalog = catalog
        self.driver = driver
        self.descriptions = descriptions
    }

    /// Opens every client's session; called before the run starts.
    func connect() throws {
        for client in self.clients {
            client.session = try self.openSession(actingUser: client.actingUser)
        }
    }

    /// Settings a churning client's new connections start with (libpq `options`); nil through a pooler, which
    /// applies them itself (and may refuse the startup parameter).
    var startupOptions: String? {
        self.scenario.pooler != nil ? nil : PostgresConnection.startupOptions(self.scenario.sessionSettings.map { ($0.name, $0.value) })
    }

    /// A session on a connection just opened for one request or a few (connection churn): the settings came
    /// with it, the statements are those the first sessions described; nothing more is asked of the server.
    func session(on connection: PostgresConnection) throws -> PostgresClientSession {
        try PostgresClientSession(connected: connection, descriptions: self.descriptions, driver: self.driver)
    }

    /// Opens a session for a client acting as `actingUser` (row-level security); blocks the calling thread.
    func openSession(actingUser: Int?) throws -> PostgresClientSession {
        try PostgresClientSession(
            target: self.target, scenario: self.scenario, sql: self.sql, actingUser: actingUser.map { self.catalog.userID($0) },
            driver: self.driver, descriptions: self.descriptions)
    }
}

/// One simulated client: its connection and the request it has in flight.
final class PostgresClient {
    let id: Int
    let actingUser: Int?
    var session: PostgresClientSession?
    var finished = false
    /// Closed loop: the client's next request (its requests are `id`, `id + clients`, …).
    var nextSlot = 0
    var thinkUntil: Int64 = 0
    var reconnectAt: Int64 = 0
    /// The wait before the next connection attempt after a failed one: 100 ms, doubling up to 1 s. The cap
    /// bounds how much of the unreachable time the clients' own waiting adds after the server is back (with
    /// 5 s, a 3 s restart read as 11 s), at one attempt a second per client against a server that is down.
    var backoff = PostgresClient.firstBackoff
    static let firstBackoff: Int64 = 100_000_000
    /// A session being opened on another thread.
    var reconnection: Reconnection?
    /// When the client lost its connection (monotonic ns), until it has a new one.
    var lostAt: Int64?
    /// Connection churn: the connection being opened for the request in flight, when it began, and the
    /// requests the current connection has served.
    var attempt: PostgresConnectionAttempt?
    var attemptStarted: Int64 = 0
    var requestsOnConnection = 0

    var inFlight = false
    var flushPending = false
    var operation = 0
    /// The plan the request in flight takes (``PlanClassifier``).
    var planClass: UInt8 = 0
    /// The request's draw, kept only when a later statement or the recall sample needs it again.
    var draw = RequestDraw(index: 0, operation: 0)
    var step = 0
    var intended: Int64 = 0
    var sentAt: Int64 = 0
    var measured = false
    var rows = 0
    var memoryRows: [Int32]?
    /// A measured request whose recall is measured.
    var sampled = false
    var previousID: UUID?
    /// A time-to-searchable probe's search in flight: the row it looks for, and whether the answer held it.
    var probe: ProbeQueue.Probe?
    var probeFound = false
    var rollingBack = false
    var error: String?

    init(id: Int, actingUser: Int?) {
        self.id = id
        self.actingUser = actingUser
    }

    /// Puts the next connection attempt off by the back-off, and doubles the back-off (up to 1 s).
    func backOff(now: Int64) {
        self.reconnectAt = now + self.backoff
        self.backoff = min(self.backoff * 2, 1_000_000_000)
    }

    /// What to wait for on the socket of the request in flight: its answer, and room to write when a send is
    /// still pending.
    var pollDescriptor: pollfd {
        if let attempt = self.attempt {
            return pollfd(fd: attempt.socketDescriptor, events: attempt.waitsToWrite ? Int16(POLLOUT) : Int16(POLLIN), revents: 0)
        }
        return pollfd(fd: self.session!.connection.socketDescriptor, events: Int16(POLLIN) | (self.flushPending ? Int16(POLLOUT) : 0), revents: 0)
    }
}

/// A session opened on a thread of its own for a worker's client: the opening thread finishes it once, the
/// worker takes the outcome. The session is handed over whole and used by the worker alone from then on.
final class Reconnection: @unchecked Sendable {
    private let lock = NSLock()
    private var outcome: Result<PostgresClientSession, any Error>?

    func finish(_ outcome: Result<PostgresClientSession, any Error>) { self.lock.withLock { self.outcome = outcome } }

    /// The outcome once the attempt has ended, else nil.
    func take() -> Result<PostgresClientSession, any Error>? { self.lock.withLock { self.outcome } }
}
