import Foundation
import Results

/// How figures are written in every report: `850µs`, `12.3ms`, `1.20s`; `471.2/s`; `0.10%`; `0.9812`.
public enum MetricText {
    public static func micros(_ value: UInt64) -> String {
        self.micros(Double(value))
    }

    public static func micros(_ value: Double) -> String {
        switch value {
        case ..<1000: String(format: "%.0fµs", value)
        case ..<1_000_000: String(format: "%.1fms", value / 1000)
        default: String(format: "%.2fs", value / 1_000_000)
        }
    }

    /// A plain axis number: `0`, `2.5`, `480`, `12k`.
    static func number(_ value: Double) -> String {
        switch abs(value) {
        case 10000...: String(format: "%.0fk", value / 1000)
        case 100...: String(format: "%.0f", value)
        case 10...: String(format: "%.0f", value)
        case 0: "0"
        default: String(format: "%.2g", value)
        }
    }

    public static func rate(_ value: Double) -> String { String(format: "%.1f/s", value) }

    public static func percent(_ fraction: Double) -> String { String(format: "%.2f%%", fraction * 100) }

    /// Bytes in binary units, as PostgreSQL's `pg_size_pretty` and its settings count them: `391 MB`, `7.9 GB`.
    public static func bytes(_ value: Int64) -> String {
        let units = ["bytes", "kB", "MB", "GB", "TB"]
        var size = Double(value), unit = 0
        while size >= 1024, unit < units.count - 1 {
            size /= 1024
            unit += 1
        }
        return unit == 0 ? "\(value) bytes" : String(format: size < 10 ? "%.1f " : "%.0f ", size) + units[unit]
    }

    /// A ratio to two decimals: `7.45`.
    public static func ratio(_ value: Double) -> String { String(format: "%.2f", value) }

    public static func recall(_ value: Double) -> String { String(format: "%.4f", value) }

    /// The driver's own cost of a target, and for PostgreSQL which code ran its statements:
    /// `driver CPU 5.8 µs/request (direct)`.
    static func driverCost(_ total: TotalsReport) -> String {
        String(format: "driver CPU %.1f µs/request", total.harnessCpuUsPerRequest) + (total.driver.map { " (\($0))" } ?? "")
    }

    /// What went wrong on `target` that a reader must see beside its figures, one phrase each: the server
    /// unreachable for a while, rows of another user returned. Empty when nothing did.
    /// When the server fell behind: what it served in the window, counting the backlog due before it (the
    /// table's QPS counts only requests due in the window, 0 when the warm-up's backlog outlasted it).
    static func servedNote(_ total: TotalsReport) -> String {
        guard let served = total.servedPerSecond, served > total.qps * 1.05 + 0.05 else { return "" }
        return String(format: "; it served %.1f requests/s while measured, counting those due before the window", served)
    }

    /// The time-to-searchable probe of `target`, when the run had one: `time_to_searchable: 199 inserted rows
    /// followed from their commit, 1159 searches, 1 never returned`.
    static func probeNote(_ report: RunReport, target: String) -> String? {
        guard let probe = report.operations.first(where: { $0.target == target && $0.polls != nil && $0.unsupported == nil }) else { return nil }
        let missed = probe.errorsByKind["not_searchable"] ?? 0
        return "\(probe.operation): \(probe.count) inserted rows followed from their commit, \(probe.polls ?? 0) searches"
            + (missed > 0 ? ", \(missed) never returned by a search for its own vector within the timeout" : "")
    }

    /// The run's change feed, on the postgres target: `change feed: 10 subscribers on trips, chat_messages
    /// (pgoutput, temporary slots), 1203 transactions each, P95 per subscriber 20.1ms–27.3ms, no slot left;
    /// the websocket fan-out is not measured`. Lost subscribers and slots left are ``problems(of:target:)``.
    static func changeFeedNote(_ report: RunReport, target: String) -> String? {
        guard target == "postgres", let feed = report.changeFeed else { return nil }
        let kept = feed.perSubscriber.filter { $0.lost == nil }
        let received = Set(kept.map(\.transactions))
        let each = received.count == 1 ? "\(received.first!) transactions each" : "\(received.min() ?? 0)–\(received.max() ?? 0) transactions"
        let p95 = kept.map(\.lagUs.p95)
        var note = "change feed: \(feed.subscribers) subscribers on \(feed.tables.joined(separator: ", ")) (pgoutput, temporary slots), \(each)"
        if let low = p95.min(), let high = p95.max() { note += ", P95 per subscriber \(self.micros(low))–\(self.micros(high))" }
        if feed.slotsLeft == 0 { note += ", no slot left" }
        return note + "; the websocket fan-out is not measured"
    }

    /// How a pooled run's requests got connections, on the postgres target: `connections: pgbouncer (tripbench's
    /// own), transaction mode, pool 20 (8 server connections used at most), 200 clients, 4684 transactions,
    /// waited 0.1 ms on average (max 2.0 ms, 3 clients waiting at most); application pool 20 + 30 overflow,
    /// wait P95 0.4 ms, 0 timeouts; pool efficiency 99.9 % (the architecture's 95 %)`.
    static func poolNote(_ report: RunReport, target: String) -> String? {
        guard target == "postgres", let pool = report.pool else { return nil }
        var parts: [String] = []
        if let pooler = pool.pooler {
            var text = "connections: \(pooler.server), \(pooler.mode) mode"
            if let size = pooler.poolSize { text += ", pool \(size)" + (pooler.reservePool.map { $0 > 0 ? " + \($0) reserve" : "" } ?? "") }
            if pooler.unavailable == nil {
                text += " (\(pooler.serverConnectionsMax) server connections used at most), \(pooler.clients) clients, \(pooler.transactions) transactions, "
                    + "waited \(self.micros(pooler.waitMeanUs)) on average (max \(self.micros(pooler.waitMaxUs)), \(pooler.clientsWaitingMax) clients waiting at most)"
            }
            parts.append(text + ", unnamed statements")
        }
        if let application = pool.application {
            parts.append("application pool \(application.size) + \(application.maxOverflow) overflow, wait P95 \(self.micros(application.waitUs.p95)), "
                + "\(application.timeouts) timeouts after \(String(format: "%g", application.timeoutSeconds)) s")
        }
        if let efficiency = pool.efficiency { parts.append("pool efficiency \(self.percent(efficiency)) (the architecture's 95 %)") }
        return parts.joined(separator: "; ")
    }

    static func problems(of report: RunReport, target: String) -> [String] {
        guard let total = report.totals.first(where: { $0.target == target }) else { return [] }
        var problems: [String] = []
        if let unreachable = total.unreachableSeconds, unreachable > 0 {
            problems.append(String(format: "server unreachable for %.1f s of %.1f s measured", unreachable, total.measuredSeconds))
        }
        let foreign = report.operations.filter { $0.target == target }.reduce(0) { $0 + $1.everyForeignRow }
        if foreign > 0 { problems.append("\(foreign) rows of another user returned (row-level security)") }
        if target == "postgres", let feed = report.changeFeed {
            if feed.lost > 0 { problems.append("\(feed.lost) change-feed subscribers lost (\(feed.perSubscriber.compactMap(\.lost).first ?? ""))") }
            if feed.slotsLeft != 0 { problems.append("\(feed.slotsLeft) replication slots left on the server") }
        }
        if target == "postgres", let missing = report.pool?.pooler?.unavailable { problems.append("pooler figures missing: \(missing)") }
        return problems
    }

    /// A value of `metric` in its unit.
    public static func format(_ value: Double, _ metric: Threshold.Metric) -> String {
        switch metric {
        case .qps: String(format: "%.2f/s", value)
        case .errorRate, .unreachable, .completed, .poolEfficiency: self.percent(value)
        case .recall, .recallAtStage: self.recall(value)
        case .foreignRows: String(format: "%.0f", value)
        default: self.micros(value)
        }
    }

    /// `btree 92 %: P95 1.2 ms, recall 1.0000; hnsw 8 %: P95 40 ms, recall 0.4100` over an operation's measured requests.
    static func planShares(_ shares: [DatabaseHealth.PlanShare]?) -> String {
        guard let shares, !shares.isEmpty else { return "" }
        return shares.map { share in
            var text = share.access + String(format: " %.0f %%: P95 ", share.share * 100) + self.micros(Double(share.latencyUs.p95))
            if let recall = share.recall { text += String(format: ", recall %.4f", recall) }
            return text
        }.joined(separator: "; ")
    }
}
