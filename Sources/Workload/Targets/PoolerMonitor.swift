import Foundation
import Postgres
import Results
import Synchronization

/// Reads a pgbouncer's admin console (the `pgbouncer` database) around a run's measured window: `SHOW STATS`
/// at both edges for the transactions, queries and wait it pooled for the run's database, and `SHOW POOLS`
/// in the middle of every second of the window, on a thread of its own, for clients waiting, server
/// connections and the longest wait then. A
/// console it cannot read (a pooler whose `stats_users` leaves tripbench out) makes the figures missing,
/// with the reason, and never stops the run.
final class PoolerMonitor: Sendable {
    private let target: PostgresConnectionString
    private let database: String
    private let base: PoolReport.Pooler
    private let seconds: Int
    private let state = Mutex(State())
    private let stop = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)

    private struct State {
        var before: Totals?
        var samples: [PoolReport.Pooler.Sample] = []
        var serversMax = 0
        var failure: String?
        var sampling = false
    }

    private struct Totals {
        var transactions: Int
        var queries: Int
        var waitUs: Double
    }

    /// - Parameters:
    ///   - target: the URL the run's clients connect to through the pooler (its console is the `pgbouncer`
    ///     database there).
    ///   - base: what is known before the run (server, mode, pool size, statements, clients).
    ///   - seconds: the measured window's planned length, the samples taken (one in the middle of each second).
    init(target: PostgresConnectionString, base: PoolReport.Pooler, seconds: Int) {
        self.seconds = max(1, seconds)
        self.target = target
        self.database = target.options["dbname"] ?? target.options["user"] ?? "postgres"
        self.base = base
    }

    /// Takes the first `SHOW STATS` and starts sampling `SHOW POOLS` every second.
    func beginWindow() {
        do {
            let console = try self.console()
            let totals = try self.totals(console)
            self.state.withLock { $0.before = totals; $0.sampling = true }
        } catch {
            self.state.withLock { $0.failure = "\(error)" }
            return
        }
        let thread = Thread { [self] in
            defer { self.finished.signal() }
            guard let console = try? self.console() else { return }
            var second = 0
            let start = Date()
            while second < self.seconds, !self.stop.load(ordering: .relaxed) {
                let next = start.addingTimeInterval(Double(second) + 0.5)
                while Date() < next, !self.stop.load(ordering: .relaxed) { Thread.sleep(forTimeInterval: min(0.05, max(0, next.timeIntervalSinceNow))) }
                guard !self.stop.load(ordering: .relaxed), let sample = try? self.sample(console, second: second) else { break }
                self.state.withLock {
                    $0.samples.append(sample.sample)
                    $0.serversMax = max($0.serversMax, sample.servers)
                }
                second += 1
            }
        }
        thread.name = "tripbench-pooler-monitor"
        thread.start()
    }

    /// Stops sampling, takes the last `SHOW STATS` and gives the window's figures.
    func endWindow() -> PoolReport.Pooler {
        let sampling = self.state.withLock { $0.sampling }
        if sampling {
            self.stop.store(true, ordering: .relaxed)
            self.finished.wait()
        }
        var report = self.base
        report.version = (try? self.console()).flatMap { try? $0.simpleQuery("SHOW VERSION").text(row: 0, column: 0) }
        let state = self.state.withLock { $0 }
        guard let before = state.before else {
            report.unavailable = "the pooler's console (database pgbouncer) could not be read: \(state.failure ?? "unknown")"
            return report
        }
        do {
            let console = try self.console()
            let after = try self.totals(console)
            report.transactions = after.transactions - before.transactions
            report.queries = after.queries - before.queries
            report.waitTotalUs = after.waitUs - before.waitUs
            report.waitMeanUs = report.transactions > 0 ? report.waitTotalUs / Double(report.transactions) : 0
            report.seconds = state.samples
            report.serverConnectionsMax = state.serversMax
            report.clientsWaitingMax = state.samples.map(\.clientsWaiting).max() ?? 0
            report.waitMaxUs = state.samples.map(\.maxWaitUs).max() ?? 0
        } catch {
            report.unavailable = "the pooler's console (database pgbouncer) could not be read after the run: \(error)"
        }
        return report
    }

    private func console() throws -> PostgresConnection {
        try PostgresConnection(self.target, database: "pgbouncer")
    }

    /// The run database's counters in `SHOW STATS` (wait in µs).
    private func totals(_ console: PostgresConnection) throws -> Totals {
        let stats = try console.simpleQuery("SHOW STATS")
        for row in 0..<stats.rowCount where Self.value(stats, row, "database") == self.database {
            return Totals(
                transactions: Int(Self.value(stats, row, "total_xact_count")) ?? 0, queries: Int(Self.value(stats, row, "total_query_count")) ?? 0,
                waitUs: Double(Self.value(stats, row, "total_wait_time")) ?? 0)
        }
        // No row yet: the pooler has not pooled this database since it started.
        return Totals(transactions: 0, queries: 0, waitUs: 0)
    }

    /// The run database's pools (every user) in `SHOW POOLS`, and the server connections they hold.
    private func sample(_ console: PostgresConnection, second: Int) throws -> (sample: PoolReport.Pooler.Sample, servers: Int) {
        let pools = try console.simpleQuery("SHOW POOLS")
        var sample = PoolReport.Pooler.Sample(second: second, clientsActive: 0, clientsWaiting: 0, serversActive: 0, serversIdle: 0, maxWaitUs: 0)
        var servers = 0
        for row in 0..<pools.rowCount where Self.value(pools, row, "database") == self.database {
            func number(_ name: String) -> Int { Int(Self.value(pools, row, name)) ?? 0 }
            sample.clientsActive += number("cl_active")
            sample.clientsWaiting += number("cl_waiting")
            sample.serversActive += number("sv_active")
            sample.serversIdle += number("sv_idle") + number("sv_used")
            sample.maxWaitUs = max(sample.maxWaitUs, Double(number("maxwait")) * 1e6 + Double(number("maxwait_us")))
            servers += number("sv_active") + number("sv_idle") + number("sv_used") + number("sv_tested") + number("sv_login")
        }
        return (sample, servers)
    }

    private static func value(_ result: PostgresResult, _ row: Int, _ column: String) -> String {
        result.columnIndex(named: column).flatMap { result.text(row: row, column: $0) } ?? ""
    }
}
