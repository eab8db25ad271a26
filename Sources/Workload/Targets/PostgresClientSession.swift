import Foundation
import Postgres

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
        target: PostgresConnectionString, scenario: Scenario, sql: [OperationSQL], actingUser: UUID?, driver: PostgresStatementDriver
    ) throws {
        let connection = try PostgresConnection(target)
        // Through a pooler the session's settings are the pooler's to apply to each server connection it opens
        // (``Scenario/sessionSettings``); here they would hold for one transaction's server connection only.
        let pooled = scenario.pooler != nil
        let timeoutMillis = max(1, scenario.timeout.nanoseconds / 1_000_000)
        if !pooled { try connection.query("SELECT set_config('statement_timeout', $1, false)", ["\(timeoutMillis)ms"]) }
        for setting in scenario.settings where !pooled {
            do {
                try connection.query("SELECT set_config($1, $2, false)", [setting.name, setting.value])
            } catch var error as PostgresError {
                error.message = "setting \(setting.name) = \(setting.value): \(error.message)"
                throw error
            }
        }
        if let actingUser {
            try connection.query("SELECT set_config('request.jwt.claim.sub', $1, false)", [actingUser.uuidString.lowercased()])
            try connection.execute(script: "SET ROLE authenticated")
        }
        self.statements = try zip(scenario.operations, sql).map { spec, operation in
            do {
                return try operation.statements.map { pooled ? try connection.describe($0) : try connection.prepare($0) }
            } catch let error as PostgresError where error.sqlState?.hasPrefix("42") == true {
                // A syntax error, an unknown table or column: the scenario's SQL is wrong. Say whose it is.
                throw WorkloadError(.badInput, "operation \(spec.name): \(error.description)")
            }
        }
        self.rollback = pooled ? try connection.describe("ROLLBACK") : try connection.prepare("ROLLBACK")
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
