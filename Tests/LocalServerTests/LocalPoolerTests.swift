import Foundation
import LocalServer
import Logging
import Postgres
import TestSupport
import Testing

/// tripbench's own pgbouncer in front of the test cluster: started, queried through in transaction mode with
/// its pool size, its console answering SHOW POOLS, and stopped with nothing left running.
@Suite(.serialized) struct LocalPoolerTests {
    @Test func aPoolerStartsPoolsAndStops() async throws {
        _ = try await TestServer.connectionString()
        let pooler = LocalPooler(cluster: TestServer.cluster, port: 56439)
        var configuration = LocalPooler.Configuration()
        configuration.poolSize = 3
        configuration.settings = [("work_mem", "77MB"), ("search_path", "public, \"it's\"")]
        let chosen = configuration
        let outcome = try await DedicatedThread.run { () throws -> (answer: Int64, mode: String, serverConnections: Int64, stopped: Bool, pid: Int32?) in
            let logger = Logger(label: "tests")
            let url = try pooler.up(chosen, logger: logger)
            defer { _ = try? pooler.down(logger: logger) }
            let pid = pooler.pid
            // Eight clients through three server connections, each in a transaction of its own.
            let clients = try (0..<8).map { _ in try PostgresConnection(PostgresConnectionString(url.replacingOccurrences(of: "/tripbench?", with: "/postgres?"))) }
            var sum: Int64 = 0
            for (number, client) in clients.enumerated() { sum += try client.query("SELECT $1::int8 + 1", [Int64(number)]).decode(Int64.self, row: 0, column: 0) }
            // Every server connection got the settings when the pooler opened it.
            for client in clients {
                let row = try client.query("SELECT current_setting('work_mem') || ' ' || current_setting('search_path')")
                let value = try row.decode(String.self, row: 0, column: 0)
                #expect(value == "77MB public, \"it's\"", "\(value)")
            }
            let console = try PostgresConnection(PostgresConnectionString(pooler.connectionURL(database: "pgbouncer")))
            let pools = try console.simpleQuery("SHOW POOLS")
            var mode = "", servers: Int64 = 0
            for row in 0..<pools.rowCount where pools.text(row: row, column: 0) == "postgres" {
                func value(_ name: String) -> String { pools.columnIndex(named: name).flatMap { pools.text(row: row, column: $0) } ?? "" }
                mode = value("pool_mode")
                servers = (Int64(value("sv_idle")) ?? 0) + (Int64(value("sv_used")) ?? 0) + (Int64(value("sv_active")) ?? 0)
            }
            let stopped = try pooler.down(logger: logger)
            return (sum, mode, servers, stopped, pid)
        }
        #expect(outcome.answer == (1...8).reduce(0, +))
        #expect(outcome.mode == "transaction")
        #expect(outcome.serverConnections >= 1 && outcome.serverConnections <= 3, "\(outcome.serverConnections) server connections for a pool of 3")
        #expect(outcome.stopped && pooler.pid == nil)
        // Gone, or a zombie left to a parent that does not reap (a container's init): not running either way.
        let pid = try #require(outcome.pid)
        let state = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)).flatMap { $0.split(separator: ")").last?.dropFirst().first }
        #expect(state == nil || state == "Z", "pgbouncer \(pid) is still \(state.map(String.init) ?? "")")
    }

    /// Statements parsed with every execution go through a transaction-mode pooler from many clients over few
    /// server connections, on both drivers, with parameters in binary and rows decoded.
    @Test(arguments: PostgresStatementDriver.allCases)
    func unnamedStatementsGoThroughTransactionPooling(driver: PostgresStatementDriver) async throws {
        _ = try await TestServer.connectionString()
        let pooler = LocalPooler(cluster: TestServer.cluster, port: 56439)
        var configuration = LocalPooler.Configuration()
        configuration.poolSize = 2
        let chosen = configuration
        let answers = try await DedicatedThread.run { () throws -> [Int64] in
            let logger = Logger(label: "tests")
            let url = try pooler.up(chosen, logger: logger).replacingOccurrences(of: "/tripbench?", with: "/postgres?")
            defer { _ = try? pooler.down(logger: logger) }
            let clients = try (0..<6).map { _ in try PostgresConnection(PostgresConnectionString(url)) }
            let statements = try clients.map { try $0.describe("SELECT $1::int8 * 2 + $2::int4") }
            #expect(statements.allSatisfy { $0.parsesEachTime && $0.parameterTypes.count == 2 })
            for client in clients { try client.enterNonBlockingMode(driver: driver) }
            var answers: [Int64] = []
            for round in 0..<5 {
                // Every client sends before any reads: six transactions in flight over two server connections.
                for (number, client) in clients.enumerated() {
                    try client.send(statements[number], [Int64(round * 10 + number), Int32(1)], keepingResult: true)
                    while try !client.flushOutput() { usleep(1000) }
                }
                for client in clients {
                    while true {
                        switch client.pollResult() {
                        case .pending: usleep(500); continue
                        case .failed(let error): throw error
                        case .finished(_, let rows): answers.append(try rows!.decode(Int64.self, row: 0, column: 0))
                        }
                        break
                    }
                }
            }
            return answers
        }
        var expected: [Int64] = []
        for round in 0..<5 {
            for number in 0..<6 { expected.append(Int64((round * 10 + number) * 2 + 1)) }
        }
        #expect(answers == expected)
    }
}
