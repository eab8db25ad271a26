import Foundation
import Results

/// `pooling.md` and `pooling.html`: direct against pgbouncer at each client count — latency, throughput, pool
/// efficiency, the pooler's wait and server connections (and connection setup, with churn) — the median of the
/// rounds first, then every run.
public enum PoolingReport {
    public static func markdown(_ results: PoolingResults) -> String { self.document(results).markdown() }
    public static func html(_ results: PoolingResults) -> String { self.document(results).html() }

    static func document(_ results: PoolingResults) -> ReportDocument {
        var document = ReportDocument(
            title: "\(results.scenario) (pooling)",
            description: "The same scenario direct and through tripbench's pgbouncer at each client count, in alternating rounds.")
        document.headline = self.headline(results)
        let load = results.rate.map { "\(CapacityReport.rate($0)) offered (open loop)" } ?? "closed loop"
        document.facts = [
            ("load", "\(load), \(String(format: "%g", results.warmupSeconds)) s warm-up, \(String(format: "%g", results.durationSeconds)) s measured per run, \(results.rounds) round\(results.rounds == 1 ? "" : "s") per client count (direct first in odd rounds, pgbouncer first in even ones)"),
            ("pooler", "pgbouncer, \(results.poolMode) mode, \(results.poolSize) server connections; statements unnamed, settings applied by the pooler to each server connection"),
            ("connections", results.reconnectEvery.map { "a new connection every \($0) request\($0 == 1 ? "" : "s") per client (as pgbench -C)" } ?? "one per client for the run"),
            ("server", results.maxConnections.map { "max_connections \($0)" } ?? "max_connections not read"),
            ("dataset", results.dataset),
        ]
        let churn = results.reconnectEvery != nil
        var medians = ReportDocument.Section(title: "Direct against pgbouncer (median of the rounds)")
        var rows: [[String]] = []
        var failed: Set<Int> = []
        for clients in results.clients {
            for mode in ["direct", "pgbouncer"] {
                if let point = results.median(clients: clients, mode: mode) {
                    rows.append(self.row(point, churn: churn))
                } else if let refused = results.points.first(where: { $0.clients == clients && $0.mode == mode })?.refused {
                    failed.insert(rows.count)
                    rows.append(["\(clients)", mode, "not possible: \(refused)"] + Array(repeating: "", count: self.headers(churn: churn).count - 3))
                }
            }
        }
        medians.tables = [ReportDocument.Table(headers: self.headers(churn: churn), rows: rows, failed: failed)]
        medians.notes = [
            "Latency of every request of the mix from its scheduled start (open loop), their histograms merged. Pool efficiency: the share of the requests' time not spent waiting for a server connection (1 − pgbouncer's total_wait_time ÷ the summed latency); the architecture promises 95 %. Pooler wait: total_wait_time per transaction. Server connections: the most pgbouncer held in a one-second sample.",
        ]
        var every = ReportDocument.Section(title: "Every run")
        every.tables = [ReportDocument.Table(
            headers: ["round"] + self.headers(churn: churn) + ["report"],
            rows: results.points.map { point in
                point.refused.map { ["\(point.round)", "\(point.clients)", point.mode, "not possible: \($0)"] + Array(repeating: "", count: self.headers(churn: churn).count - 2) }
                    ?? ["\(point.round)"] + self.row(point, churn: churn) + [point.report ?? ""]
            })]
        document.sections = [medians, every]
        return document
    }

    static func headers(churn: Bool) -> [String] {
        ["clients", "connecting", "QPS", "P50", "P95", "P99", "errors", "pool efficiency", "pooler wait", "server connections"]
            + (churn ? ["connect P50", "connect P95"] : [])
    }

    static func row(_ point: PoolingResults.Point, churn: Bool) -> [String] {
        [
            "\(point.clients)", point.mode, String(format: "%.1f", point.qps), MetricText.micros(point.p50Us), MetricText.micros(point.p95Us),
            MetricText.micros(point.p99Us), MetricText.percent(point.errorRate), point.efficiency.map(MetricText.percent) ?? "",
            point.poolerWaitMeanUs.map(MetricText.micros) ?? "", point.serverConnectionsMax.map(String.init) ?? (point.mode == "direct" ? "\(point.clients)" : ""),
        ] + (churn ? [point.connectP50Us.map(MetricText.micros) ?? "", point.connectP95Us.map(MetricText.micros) ?? ""] : [])
    }

    /// The pooler's cost at the smallest client count, and what it makes possible at the largest.
    static func headline(_ results: PoolingResults) -> (text: String, good: Bool)? {
        var parts: [String] = []
        for clients in results.clients {
            let direct = results.median(clients: clients, mode: "direct")
            let pooled = results.median(clients: clients, mode: "pgbouncer")
            switch (direct, pooled) {
            case let (direct?, pooled?):
                parts.append("at \(clients) clients P95 \(MetricText.micros(pooled.p95Us)) through pgbouncer, \(MetricText.micros(direct.p95Us)) direct")
            case let (nil, pooled?):
                parts.append("at \(clients) clients only through pgbouncer: P95 \(MetricText.micros(pooled.p95Us)), \(String(format: "%.1f", pooled.qps)) requests/s")
            default:
                continue
            }
        }
        guard !parts.isEmpty else { return nil }
        let efficiencies = results.clients.compactMap { results.median(clients: $0, mode: "pgbouncer")?.efficiency }
        return (parts.joined(separator: "; "), efficiencies.allSatisfy { $0 >= 0.95 })
    }
}
