import Dispatch
import Foundation
import Postgres
import Results
import Synchronization

/// A run's realtime subscribers (``ChangeFeedSpec``): a publication of the chosen tables, and one thread per
/// subscriber reading its own logical replication stream (pgoutput, a TEMPORARY slot) for the whole run. Each
/// measures, for every transaction committed in the measured window, the time from its commit timestamp to the
/// arrival of its commit message. The run's requests are timed by the engine as always; the feed only listens.
///
/// A subscriber whose stream ends (its WAL sender terminated, the connection broken) is reported lost and the
/// run goes on. At the end every subscriber reads up to a marker committed after the window, so what the run
/// wrote has arrived; then the streams close and the server drops their slots with their sessions (also when
/// tripbench is killed). The publication is dropped.
final class ChangeFeed: Sendable {
    let spec: ChangeFeedSpec
    let database: PostgresConnectionString
    let publication: String
    private let slotPrefix: String
    /// The measured window on the server's clock (µs since 2000): commits inside it count.
    private let windowStart = Atomic<Int64>(.max)
    private let windowEnd = Atomic<Int64>(.max)
    /// The marker's position once written: a subscriber that has received past it is done.
    private let endLSN = Atomic<UInt64>(0)
    private let stopNow = Atomic<Bool>(false)
    /// Each subscriber's figures once it has stopped, with its lag histogram (merged into `change_lag`).
    private let results: Mutex<[(report: ChangeFeedReport.Subscriber, lag: LatencyHistogram)?]>
    private let readers = DispatchGroup()

    /// Checks the server can take `spec`'s subscribers, creates the publication, and starts every subscriber;
    /// nil when `stop` came first (nothing is left running).
    ///
    /// PostgreSQL creates a logical slot only once every transaction running on the server when it was asked
    /// has ended, and a WAL sender waiting for that does not notice its client leaving: a long transaction
    /// elsewhere holds the feed's start. After `within`, or on a stop, the waiting WAL senders are terminated
    /// from `admin`, so no slot is left waiting.
    /// - Throws: ``WorkloadError``: bad input when the server's `wal_level` is not logical or it has fewer free
    ///   replication slots or WAL senders than subscribers (nothing started); runtime when a subscriber could
    ///   not start in time (the others are stopped).
    init?(
        spec: ChangeFeedSpec, database: PostgresConnectionString, admin: PostgresConnection, runTag: String, stop: StopSignal,
        within: Duration = .seconds(60)
    ) throws {
        self.spec = spec
        self.database = database
        let tag = String(runTag.lowercased().filter(\.isHexDigit).prefix(12))
        self.publication = "tripbench_feed_\(tag)"
        self.slotPrefix = "tripbench_\(tag)_"
        self.results = Mutex(Array(repeating: nil, count: spec.subscribers))
        try Self.checkRoom(for: spec, admin: admin)
        let tables = spec.tables.map(PostgresConnection.quoteIdentifier).joined(separator: ", ")
        try admin.execute(script: "CREATE PUBLICATION \(PostgresConnection.quoteIdentifier(self.publication)) FOR TABLE \(tables)")
        let opened = DispatchGroup()
        let failures = Mutex<[String]>([])
        for subscriber in 0..<spec.subscribers {
            opened.enter()
            self.readers.enter()
            let thread = Thread { [self] in
                defer { self.readers.leave() }
                let stream: PostgresReplicationStream
                do {
                    stream = try PostgresReplicationStream(database, slot: self.slot(subscriber), publication: self.publication)
                } catch {
                    failures.withLock { $0.append("subscriber \(subscriber + 1): \(error)") }
                    opened.leave()
                    return
                }
                opened.leave()
                self.read(stream, subscriber: subscriber)
            }
            thread.name = "tripbench-feed-\(subscriber)"
            thread.start()
        }
        let deadline = ContinuousClock.now + within
        var gaveUp = false
        while opened.wait(timeout: .now() + .milliseconds(100)) == .timedOut {
            guard !gaveUp, stop.isSet || ContinuousClock.now > deadline else { continue }
            gaveUp = true
            _ = try? admin.query(
                "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE starts_with(slot_name, $1) AND active_pid IS NOT NULL",
                [self.slotPrefix])
        }
        let failure = failures.withLock { $0.first }
        guard gaveUp || failure != nil else { return }
        self.stopNow.store(true, ordering: .relaxed)
        self.readers.wait()
        try? admin.execute(script: "DROP PUBLICATION IF EXISTS \(PostgresConnection.quoteIdentifier(self.publication))")
        if stop.isSet { return nil }
        if gaveUp {
            throw WorkloadError(.runtime, "the change feed's replication slots were not ready within \(DurationText.format(within)): PostgreSQL creates a logical slot only after every transaction running on the server has ended (pg_stat_activity shows the oldest xact_start)")
        }
        throw WorkloadError(.runtime, "the change feed could not start: \(failure!)")
    }

    private func slot(_ subscriber: Int) -> String { "\(self.slotPrefix)\(subscriber + 1)" }

    /// Refuses a feed the server cannot carry, before anything starts.
    private static func checkRoom(for spec: ChangeFeedSpec, admin: PostgresConnection) throws {
        let row = try admin.query("""
            SELECT current_setting('wal_level'), current_setting('max_replication_slots')::int8 - (SELECT count(*) FROM pg_replication_slots),
                current_setting('max_wal_senders')::int8 - (SELECT count(*) FROM pg_stat_replication)
            """)
        let level = try row.decode(String.self, row: 0, column: 0)
        let slots = try row.decode(Int64.self, row: 0, column: 1), senders = try row.decode(Int64.self, row: 0, column: 2)
        guard level == "logical" else {
            throw WorkloadError(.badInput, "a change feed needs wal_level = logical and the server has \(level): tripbench's local server sets it (tripbench db down; tripbench db up); another server needs ALTER SYSTEM SET wal_level = logical and a restart")
        }
        let free = min(slots, senders)
        guard free >= spec.subscribers else {
            throw WorkloadError(.badInput, "changeFeed asks for \(spec.subscribers) subscribers and the server has \(slots) free replication slots and \(senders) free WAL senders: lower subscribers or raise max_replication_slots and max_wal_senders (restart)")
        }
    }

    /// Commits from now on count (the measured window opens).
    func beginWindow() { self.windowStart.store(PostgresReplicationStream.postgresMicros(), ordering: .relaxed) }

    /// Closes the window, lets every subscriber receive what the run wrote (up to a marker committed now, at
    /// most `catchUp`), stops them, drops the publication, and reports; `stopped` skips the catching up.
    func finish(admin: PostgresConnection, stopped: Bool, catchUp: Duration = .seconds(30)) -> (report: ChangeFeedReport, operation: OperationReport) {
        self.windowEnd.store(PostgresReplicationStream.postgresMicros(), ordering: .relaxed)
        if !stopped, let marker = try? admin.query("SELECT pg_logical_emit_message(true, 'tripbench_feed_end', '')::text").decode(String.self, row: 0, column: 0) {
            self.endLSN.store(Self.lsn(marker) ?? 1, ordering: .relaxed)
            _ = self.readers.wait(timeout: .now() + .nanoseconds(Int(catchUp.nanoseconds)))
        }
        self.stopNow.store(true, ordering: .relaxed)
        self.readers.wait()
        try? admin.execute(script: "DROP PUBLICATION IF EXISTS \(PostgresConnection.quoteIdentifier(self.publication))")
        let results = self.results.withLock { $0 }
        let subscribers = results.enumerated().map { subscriber, result in
            result?.report ?? ChangeFeedReport.Subscriber(slot: self.slot(subscriber), transactions: 0, changes: 0, lagUs: LatencySummary(LatencyHistogram()), lost: "never reported")
        }
        var merged = LatencyHistogram()
        for result in results { if let lag = result?.lag { merged.add(lag) } }
        let report = ChangeFeedReport(
            subscribers: self.spec.subscribers, publication: self.publication, tables: self.spec.tables, perSubscriber: subscribers,
            slotsLeft: self.slotsLeft(admin))
        return (report, self.operation(subscribers, lag: merged))
    }

    /// All subscribers' lag as one operation: every delivery of a transaction to a subscriber is a request.
    private func operation(_ subscribers: [ChangeFeedReport.Subscriber], lag: LatencyHistogram) -> OperationReport {
        let lost = subscribers.filter { $0.lost != nil }.count
        let seconds = max(Double(self.windowEnd.load(ordering: .relaxed) - self.windowStart.load(ordering: .relaxed)) / 1e6, 1e-9)
        let count = subscribers.reduce(0) { $0 + $1.transactions }
        let changes = subscribers.reduce(0) { $0 + $1.changes }
        return OperationReport(
            target: TargetKind.postgres.rawValue, operation: ChangeFeedSpec.operationName, kind: "change_feed", count: count, errors: lost,
            errorsByKind: lost > 0 ? ["subscriber_lost": lost] : [:], qps: Double(count) / seconds, rows: changes,
            rowsPerRequest: count > 0 ? Double(changes) / Double(count) : 0, latencyUs: LatencySummary(lag))
    }

    /// One subscriber's loop, on its own thread, until the marker has arrived, a stop, or the stream ends.
    private func read(_ stream: PostgresReplicationStream, subscriber: Int) {
        var lag = LatencyHistogram()
        var transactions = 0, changes = 0, pending = 0
        var lost: String?
        while !self.stopNow.load(ordering: .relaxed) {
            do {
                let message = try stream.next(waitingAtMost: 50_000_000)
                let arrived = PostgresReplicationStream.postgresMicros()
                switch message {
                case .begin: pending = 0
                case .change: pending += 1
                case .commit(let committed, _):
                    if committed >= self.windowStart.load(ordering: .relaxed), committed <= self.windowEnd.load(ordering: .relaxed) {
                        lag.record(nanos: max(arrived - committed, 0) * 1000)
                        transactions += 1
                        changes += pending
                    }
                default: break
                }
                let end = self.endLSN.load(ordering: .relaxed)
                if end > 0, stream.receivedLSN >= end { break }
            } catch {
                lost = "\(error)"
                break
            }
        }
        let end = self.endLSN.load(ordering: .relaxed)
        if lost == nil, end > 1, stream.receivedLSN < end {
            // Stopped before the marker came: what the run committed last never arrived within the catch-up.
            lost = "still behind when the feed stopped after the run: received up to \(Self.text(lsn: stream.receivedLSN)) of \(Self.text(lsn: end))"
        }
        stream.close()
        let result = ChangeFeedReport.Subscriber(slot: stream.slot, transactions: transactions, changes: changes, lagUs: LatencySummary(lag), lost: lost)
        self.results.withLock { $0[subscriber] = (result, lag) }
    }

    /// The run's slots still on the server, waiting up to 5 s for WAL senders to exit after their sessions.
    private func slotsLeft(_ admin: PostgresConnection) -> Int {
        var left = 0
        for _ in 0..<50 {
            left = (try? admin.query("SELECT count(*) FROM pg_replication_slots WHERE starts_with(slot_name, $1)", [self.slotPrefix]).decode(Int64.self, row: 0, column: 0)).map(Int.init) ?? -1
            if left == 0 { break }
            Thread.sleep(forTimeInterval: 0.1)
        }
        return left
    }

    static func text(lsn: UInt64) -> String { String(lsn >> 32, radix: 16, uppercase: true) + "/" + String(lsn & 0xFFFF_FFFF, radix: 16, uppercase: true) }

    /// `16/B374D848` as a number.
    static func lsn(_ text: String) -> UInt64? {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let high = UInt64(parts[0], radix: 16), let low = UInt64(parts[1], radix: 16) else { return nil }
        return high << 32 | low
    }
}
