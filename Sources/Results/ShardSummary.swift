import Foundation

/// Which part of a sharded run a report covers: one shard's (`run --shard i/N`), or the shards a merged report
/// joins (`tripbench merge`). The merge reads it to refuse a shard given twice or shards of different runs, and
/// to name the shards that are missing.
public struct ShardSummary: Codable, Sendable, Equatable {
    /// How many shards the run had.
    public var count: Int
    /// The shards this report covers, ascending: one for a shard's own report.
    public var indexes: [Int]
    /// The agreed start (`--start-at`), seconds since 1970; nil when each shard started when it was ready.
    public var startAt: Double?
    /// True for `tripbench merge`'s report.
    public var merged: Bool

    public init(count: Int, indexes: [Int], startAt: Double?, merged: Bool = false) {
        self.count = count
        self.indexes = indexes
        self.startAt = startAt
        self.merged = merged
    }

    /// The run's shards this report does not cover.
    public var missing: [Int] { (0..<self.count).filter { !self.indexes.contains($0) } }

    /// One line for the reports.
    public var summary: String {
        let start = self.startAt.map { ", common start " + ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: $0)) } ?? ""
        guard self.merged else {
            return "shard \(self.indexes.first ?? 0)/\(self.count)\(start): this shard's share of the run; tripbench merge judges the whole"
        }
        let absent = self.missing.isEmpty ? "" : " (missing: \(self.missing.map { "\($0)/\(self.count)" }.joined(separator: ", ")))"
        let setup = self.indexes.contains(0) ? "; database health and plans from shard 0" : "; no database health: shard 0 is missing"
        return "merged from \(self.indexes.count) of \(self.count) shards\(absent)\(start)\(setup)"
    }
}
