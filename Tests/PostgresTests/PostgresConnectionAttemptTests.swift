import Foundation
import Glibc
import Postgres
import TestSupport
import Testing

/// Connections opened without blocking, as a churning client opens them: the settings given as startup options
/// hold in the session from its first statement, and a refused connection is an error naming the server.
@Suite struct PostgresConnectionAttemptTests {
    /// Polls the attempt, waiting on its socket, until it hands over the connection.
    static func open(_ attempt: PostgresConnectionAttempt) throws -> PostgresConnection {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if let connection = try attempt.poll() { return connection }
            var descriptor = pollfd(fd: attempt.socketDescriptor, events: attempt.waitsToWrite ? Int16(POLLOUT) : Int16(POLLIN), revents: 0)
            _ = Glibc.poll(&descriptor, 1, 1_000)
        }
        throw PostgresError(.connectionFailed, "the attempt did not finish within 10 s")
    }

    @Test func settingsGivenAtStartupHoldFromTheFirstStatement() async throws {
        let url = try await TestServer.connectionString()
        let settings = [("work_mem", "7MB"), ("search_path", "public, \"it's a\\path\""), ("statement_timeout", "1234ms")]
        let options = PostgresConnection.startupOptions(settings)
        let values = try await DedicatedThread.run { () throws -> [String] in
            let connection = try Self.open(try PostgresConnectionAttempt(url, options: options))
            return try ["work_mem", "search_path", "statement_timeout"].map {
                try connection.query("SELECT current_setting($1)", [$0]).decode(String.self, row: 0, column: 0)
            }
        }
        #expect(values == ["7MB", "public, \"it's a\\path\"", "1234ms"])
    }

    @Test func aRefusedConnectionSaysWhy() async throws {
        let url = try await TestServer.connectionString(database: "no_such_database")
        let refusal = try await DedicatedThread.run { () -> String in
            do {
                _ = try Self.open(try PostgresConnectionAttempt(url))
                return "connected"
            } catch { return "\(error)" }
        }
        #expect("\(refusal)".contains("no_such_database") && "\(refusal)".contains("does not exist"), "\(refusal)")
    }
}
