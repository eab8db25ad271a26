import Foundation
import Glibc
import Postgres
import TestSupport
import Testing

/// Statements sent without waiting, as the load driver sends them, through both drivers: tripbench's own
/// protocol code and libpq's. Each test runs once per driver against the real server and expects the same.
@Suite struct PostgresNonBlockingTests {
    /// Sends `statement` and drives it to its end, waiting on the socket (writable while a send is pending).
    ///
    /// libpq's PQconsumeInput also flushes pending output in non-blocking mode, so with the libpq driver the
    /// last part of a large send can leave inside ``PostgresConnection/pollResult()`` and the answer be read
    /// in the same call, before this loop's own flush has seen it done. What must hold at the end is that
    /// nothing is left unsent, which is what is checked (it was `flushed`, which failed on a busy machine).
    private func run(
        _ connection: PostgresConnection, _ statement: PostgresPreparedStatement, _ parameters: [(any PostgresEncodable)?],
        keep: Bool = false
    ) throws -> PostgresPollResult {
        try connection.send(statement, parameters, keepingResult: keep)
        var flushed = try connection.flushOutput()
        while true {
            var descriptor = pollfd(fd: connection.socketDescriptor, events: Int16(POLLIN) | (flushed ? 0 : Int16(POLLOUT)), revents: 0)
            _ = poll(&descriptor, 1, 5_000)
            if !flushed { flushed = try connection.flushOutput() }
            let outcome = connection.pollResult()
            if case .pending = outcome { continue }
            #expect(try connection.flushOutput(), "output was left unsent after the statement ended")
            return outcome
        }
    }

    /// The rows of a finished statement, or nil (and an issue recorded) when it did not finish.
    private func finished(_ outcome: PostgresPollResult) -> (rows: Int, result: PostgresRows?)? {
        guard case .finished(let rows, let result) = outcome else {
            Issue.record("the statement did not finish: \(outcome)")
            return nil
        }
        return (rows, result)
    }

    @Test(arguments: PostgresStatementDriver.allCases)
    func statementsReportRowsAndKeepThemOnlyWhenAsked(driver: PostgresStatementDriver) async throws {
        try await TestServer.withDatabase(migrated: false) { (connection) throws in
            let series = try connection.prepare("SELECT g FROM generate_series(1, $1::int4) g")
            let division = try connection.prepare("SELECT 1 / $1::int4")
            try connection.enterNonBlockingMode(driver: driver)
            #expect(connection.driver == driver)
            guard let counted = self.finished(try self.run(connection, series, [Int32(3)])) else { return }
            #expect(counted.rows == 3)
            #expect(counted.result == nil)
            guard let kept = self.finished(try self.run(connection, series, [Int32(5)], keep: true)) else { return }
            #expect(kept.rows == 5)
            #expect(kept.result?.count == 5)
            #expect(try kept.result?.decode(Int32.self, row: 4, column: 0) == 5)
            #expect(throws: PostgresError.self) { try kept.result?.decode(Int32.self, row: 5, column: 0) }
            guard case .failed(let error) = try self.run(connection, division, [Int32(0)]) else {
                Issue.record("a division by zero did not fail")
                return
            }
            #expect(error.sqlState == "22012")
            #expect(error.message.contains("division by zero"))
            // The connection goes on after a failed statement.
            #expect(self.finished(try self.run(connection, series, [Int32(2)]))?.rows == 2)
            #expect(connection.isHealthy)
        }
    }

    @Test(arguments: PostgresStatementDriver.allCases)
    func largeAnswersAndParametersCrossManyReadsAndWrites(driver: PostgresStatementDriver) async throws {
        try await TestServer.withDatabase(migrated: false) { (connection) throws in
            // About 6 MB of rows, with NULLs and values of every length up to 99 bytes.
            let rows = try connection.prepare("""
                SELECT g, CASE WHEN g % 7 = 0 THEN NULL ELSE repeat('x', g % 100) END FROM generate_series(1, $1::int4) g
                """)
            let length = try connection.prepare("SELECT octet_length($1::bytea), $2::text IS NULL, $3::text")
            try connection.enterNonBlockingMode(driver: driver)
            guard let answer = self.finished(try self.run(connection, rows, [Int32(100_000)], keep: true)),
                let result = answer.result
            else { return }
            #expect(answer.rows == 100_000 && result.count == 100_000)
            for row in [0, 6, 98, 54_321, 99_999] {
                let g = row + 1
                #expect(try result.decode(Int32.self, row: row, column: 0) == Int32(g))
                #expect(try result.decode(String?.self, row: row, column: 1) == (g % 7 == 0 ? nil : String(repeating: "x", count: g % 100)))
            }
            // An 8 MiB parameter fills the socket: the send finishes in parts as the server reads it.
            let big = Data(repeating: 0xA5, count: 8 << 20)
            guard let sent = self.finished(try self.run(connection, length, [big, nil, "after"], keep: true))?.result else { return }
            #expect(try sent.decode(Int32.self, row: 0, column: 0) == Int32(8 << 20))
            #expect(try sent.decode(Bool.self, row: 0, column: 1))
            #expect(try sent.decode(String.self, row: 0, column: 2) == "after")
        }
    }

    /// Why ``run(_:_:_:keep:)`` checks for output left unsent rather than its own flush: libpq's PQconsumeInput
    /// sends pending output itself, so a large statement can be sent and answered with no further flush by the
    /// caller (the flaky `#expect(flushed)` of a busy CI run).
    @Test func libpqSendsPendingOutputWhileReading() async throws {
        try await TestServer.withDatabase(migrated: false) { (connection) throws in
            let length = try connection.prepare("SELECT octet_length($1::bytea)")
            try connection.enterNonBlockingMode(driver: .libpq)
            try connection.send(length, [Data(repeating: 1, count: 8 << 20)], keepingResult: true)
            #expect(try connection.flushOutput() == false, "8 MiB fitted in the socket's buffers at once")
            let deadline = ContinuousClock.now + .seconds(30)
            while ContinuousClock.now < deadline {
                var descriptor = pollfd(fd: connection.socketDescriptor, events: Int16(POLLIN) | Int16(POLLOUT), revents: 0)
                _ = poll(&descriptor, 1, 1_000)
                let outcome = connection.pollResult()
                if case .pending = outcome { continue }
                guard case .finished(_, let result) = outcome else {
                    Issue.record("the statement failed: \(outcome)")
                    return
                }
                #expect(try result?.decode(Int32.self, row: 0, column: 0) == Int32(8 << 20))
                return
            }
            Issue.record("the statement did not finish without a flush by the caller")
        }
    }

    @Test(arguments: PostgresStatementDriver.allCases)
    func aStatementTimeoutAndANoticeLeaveTheConnectionUsable(driver: PostgresStatementDriver) async throws {
        try await TestServer.withDatabase(migrated: false) { (connection) throws in
            try connection.execute(script: """
                CREATE FUNCTION noisy() RETURNS int LANGUAGE plpgsql AS $$ BEGIN RAISE NOTICE 'hello'; RETURN 7; END $$;
                """)
            let sleep = try connection.prepare("SELECT pg_sleep(5)")
            let noisy = try connection.prepare("SELECT noisy()")
            // After the setup, and well above any statement but the sleep: a CI run with tests beside this one
            // saw the setup itself canceled at 100 ms.
            try connection.execute(script: "SET statement_timeout = '1s'")
            try connection.enterNonBlockingMode(driver: driver)
            guard case .failed(let error) = try self.run(connection, sleep, []) else {
                Issue.record("the sleep outlived statement_timeout")
                return
            }
            #expect(error.sqlState == "57014")
            #expect(connection.isHealthy)
            let answer = self.finished(try self.run(connection, noisy, [], keep: true))
            #expect(try answer?.result?.decode(Int32.self, row: 0, column: 0) == 7)
        }
    }

    @Test(arguments: PostgresStatementDriver.allCases)
    func aTerminatedSessionFailsAndIsNoLongerHealthy(driver: PostgresStatementDriver) async throws {
        try await TestServer.withDatabase(migrated: false) { (connection) throws in
            let pid = try connection.query("SELECT pg_backend_pid()").decode(Int32.self, row: 0, column: 0)
            let select = try connection.prepare("SELECT 1")
            try connection.enterNonBlockingMode(driver: driver)
            #expect(self.finished(try self.run(connection, select, []))?.rows == 1)
            let other = try PostgresConnection(connection.connectionString)
            try other.query("SELECT pg_terminate_backend($1)", [pid])
            // The server has sent its FATAL and closed the socket: the next statement fails, whichever part of
            // the exchange notices first (the send or the read).
            var failure: PostgresError?
            do {
                if case .failed(let error) = try self.run(connection, select, []) { failure = error }
            } catch let error as PostgresError {
                failure = error
            }
            guard let failure else {
                Issue.record("a statement on a terminated session did not fail")
                return
            }
            #expect(failure.code == .connectionLost || failure.sqlState == "57P01")
            #expect(!connection.isHealthy)
        }
    }
}
