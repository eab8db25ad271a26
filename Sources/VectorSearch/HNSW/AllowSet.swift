/// The nodes a filtered search may return, e.g. one user's memories of one content type: a sorted id list
/// (for exact search over the set) and a bitset over all nodes (for membership tests during a graph walk).
/// Build it once per filter value and reuse it; it is immutable and may be shared across threads.
public struct AllowSet: Sendable {
    /// The allowed ids, ascending, without duplicates.
    public let ids: [UInt32]
    let bits: [UInt64]

    /// - Precondition: every id is in `0..<nodes`.
    public init(_ ids: some Sequence<Int>, nodes: Int) {
        var bits = [UInt64](repeating: 0, count: (nodes + 63) / 64)
        for id in ids {
            precondition(id >= 0 && id < nodes, "id \(id) is not a node of a \(nodes)-node index")
            bits[id >> 6] |= 1 << UInt64(id & 63)
        }
        var sorted: [UInt32] = []
        for (word, value) in bits.enumerated() {
            var remaining = value
            while remaining != 0 {
                sorted.append(UInt32(word * 64 + remaining.trailingZeroBitCount))
                remaining &= remaining - 1
            }
        }
        self.ids = sorted
        self.bits = bits
    }

    public var count: Int { self.ids.count }

    /// The fraction of `nodes` allowed.
    public func selectivity(of nodes: Int) -> Double { nodes > 0 ? Double(self.count) / Double(nodes) : 0 }

    public func contains(_ id: Int) -> Bool { id >= 0 && id >> 6 < self.bits.count && self.bits[id >> 6] & (1 << UInt64(id & 63)) != 0 }
}

/// How a filtered search found its answers.
public enum FilteredSearchPath: String, Sendable, Codable, CaseIterable {
    /// Distances to every allowed node: the set was small enough that this is cheaper than a graph walk.
    case exact
    /// A graph walk that expands every node but keeps only allowed ones, until `ef` allowed were found.
    case graph
    /// The graph walk measured more nodes than the set holds, so it stopped and searched the set exactly.
    case graphThenExact = "graph-then-exact"
}

/// Which plan a filtered search may use.
public enum FilterStrategy: String, Sendable, Codable, CaseIterable {
    /// Exact when the set is small, else a widened graph walk that falls back to exact when it runs long.
    case automatic
    case exact
    /// Always the graph walk, without the fallback (to measure it).
    case graph
}
