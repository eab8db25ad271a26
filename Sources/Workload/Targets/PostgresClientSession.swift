import Foundation
import Postgres
import Synchronization

/// One client's connection, ready for the load: session settings applied, every operation's statements
/// prepared, non-blocking. Opened again after the server drops it.
final class PostgresClientSession {
    let connection: PostgresConnection
    /// Per operation, its statements in order.
    let statements: [[PostgresPreparedStatement]]
    let rollback: PostgresPreparedStatement

    /// Opens and prepares a session; blocks the calling thread (a worker, before the run or while reconnecting).
    /// - Parameters:
    ///   - actingUser: with row-level security, the dataset user this client acts as.
    ///   - driver: which code runs the load's statements (``PostgresConnection/driver`` says which was taken).
    init(
        target: PostgresConnectionString, scenario: Scenario, sql: [OperationSQL], actingUser: UUID?, driver: PostgresStatementDriver,
        descriptions: StatementDescriptions
    ) throws {
        let connection = try PostgresConnection(target)
        // Through a pooler the session's settings are the pooler's to apply to each server connection it opens
        // (``Scenario/sessionSettings``); here they would hold for one transaction's server connection only.
        let throughPooler = scenario.pooler != nil
        // Statements sent unnamed: through a pooler, and on connections opened for a request or a few.
        let unnamed = throughPooler || scenario.reconnectEvery != nil
        if !throughPooler {
            for setting in scenario.sessionSettings {
                do {
                    try connection.query("SELECT set_config($1, $2, false)", [setting.name, setting.value])
                } catch var error as PostgresError {
                    error.message = "setting \(setting.name) = \(setting.value): \(error.message)"
                    throw error
                }
            }
        }
        if let actingUser {
            try connection.query("SELECT set_config('request.jwt.claim.sub', $1, false)", [actingUser.uuidString.lowercased()])
            try connection.execute(script: "SET ROLE authenticated")
        }
        if unnamed, let known = descriptions.known {
            (self.statements, self.rollback) = known
        } else {
            self.statements = try zip(scenario.operations, sql).map { spec, operation in
                do {
                    return try operation.statements.map { unnamed ? try connection.describe($0) : try connection.prepare($0) }
                } catch let error as PostgresError where error.sqlState?.hasPrefix("42") == true {
                    // A syntax error, an unknown table or column: the scenario's SQL is wrong. Say whose it is.
                    throw WorkloadError(.badInput, "operation \(spec.name): \(error.description)")
                }
            }
            self.rollback = unnamed ? try connection.describe("ROLLBACK") : try connection.prepare("ROLLBACK")
            if unnamed { descriptions.keep(self.statements, rollback: self.rollback) }
        }
        try connection.enterNonBlockingMode(driver: driver)
        self.connection = connection
    }

    /// A session on a connection opened with the settings in its startup options, sending the statements
    /// another session described (``StatementDescriptions``): no round trip before the first request.
    init(connected connection: PostgresConnection, descriptions: StatementDescriptions, driver: PostgresStatementDriver) throws {
        guard let known = descriptions.known else {
            throw WorkloadError(.runtime, "no session described the statements before a churning client connected")
        }
        (self.statements, self.rollback) = known
        try connection.enterNonBlockingMode(driver: driver)
        self.connection = connection
    }

    /// Sends statement `step` of operation `operation` (or the ROLLBACK) without waiting, and writes what it can.
    /// - Parameter keep: whether its rows are kept for decoding (see ``PostgresConnection/send(_:_:keepingResult:)``).
    /// - Returns: true when all of it is sent, false when the socket was full (wait until it is writable).
    func send(operation: Int, step: Int, rollback: Bool, _ parameters: [(any PostgresEncodable)?], keepingResult keep: Bool) throws -> Bool {
        try self.connection.send(rollback ? self.rollback : self.statements[operation][step], parameters, keepingResult: keep)
        return try self.connection.flushOutput()
    }
}

/// A pooled run's statements as the first session described them (unnamed, parsed with every execution):
/// nothing of them lives on a server connection, so every other session sends the same ones without asking
/// again (a thousand clients through a pooler would otherwise describe every statement a thousand times).
final class StatementDescriptions: Sendable {
    private let described = Mutex<(statements: [[PostgresPreparedStatement]], rollback: PostgresPreparedStatement)?>(nil)

    init() {}

    var known: (statements: [[PostgresPreparedStatement]], rollback: PostgresPreparedStatement)? { self.described.withLock { $0 } }

    func keep(_ statements: [[PostgresPreparedStatement]], rollback: PostgresPreparedStatement) {
        self.described.withLock { if $0 == nil { $0 = (statements, rollback) } }
    }
}

/// How an error is counted in reports.
enum ErrorKind {
    static func of(_ error: PostgresError) -> String {
        switch error.code {
        case .connectionLost, .connectionFailed: return "connection_lost"
        case .encoding, .decoding: return "client"
        default: break
        }
        switch error.sqlState {
        case "57014"?: return "timeout"
        case "57P01"?, "57P02"?, "57P03"?, "08006"?, "08003"?, "08000"?: return "connection_lost"
        case let state?: return "sqlstate_\(state)"
        case nil: return "server"
        }
    }
}
