import Dispatch
import Foundation
import Synchronization
import VectorSearch

/// Exact answers, identical on every machine and build: the BLAS scan (whose rounding depends on the CPU)
/// only shortlists; the final order comes from double-precision distances, ties broken by row id.
///
/// Both ground truths are computed over a base that may be far larger than memory: the shortlist scans it
/// block by block (``ExactSearch``), and the re-ranking of the shortlist and the filtered search (among one
/// user's rows of one content type, the architecture document's filtered vector search) share one more
/// sequential pass, releasing each block's pages behind it.
enum GroundTruth {
    /// How many extra candidates the float scan keeps, so rounding cannot push a true neighbour out.
    static let margin = 16

    /// Per row of the base and per query: its user and content type.
    struct Labels {
        let users: [Int32]
        let types: [UInt8]
        let queryUsers: [Int32]
        let queryTypes: [UInt8]
    }

    /// Where and how the shortlist scan saves its progress (see ``ShortlistScan``).
    struct Resumption {
        var checkpoint: URL
        var segmentRows: Int
        /// Asked after each saved segment: true stops the computation there.
        var shouldStop: () -> Bool
        /// Told the rows a saved shortlist already covers, when the scan resumes from one.
        var resumed: (Int) -> Void
    }

    /// `queries × k` row ids (-1 padded), unfiltered and filtered.
    /// - Throws: ``DatasetError`` `.stopped` when `resumption` asked to stop.
    static func compute(
        base: VectorStore, queries: VectorStore, labels: Labels, metric: VectorMetric, k: Int, rowsPerBlock: Int,
        threads: Int, resumption: Resumption? = nil, progress: (@Sendable (Int) -> Void)? = nil
    ) throws -> (unfiltered: [Int32], filtered: [Int32]) {
        let depth = min(k + self.margin, base.count)
        var search = ExactSearch(store: base, metric: metric)
        search.rowsPerBlock = rowsPerBlock
        let scan = ShortlistScan(
            search: search, queries: queries, depth: depth, threads: threads,
            segmentRows: resumption?.segmentRows ?? base.count, checkpoint: resumption?.checkpoint)
        let shortlist = try scan.run(shouldStop: resumption?.shouldStop ?? { false }, resumed: resumption?.resumed ?? { _ in }, progress: progress)
        // Which queries want each row: those that shortlisted it, and those whose filter it matches.
        let shortlisted = (0..<queries.count).reduce(into: [Int32: [Int32]]()) { lists, query in
            for row in shortlist.ids(ofQuery: query) where row >= 0 { lists[row, default: []].append(Int32(query)) }
        }
        let filters = (0..<queries.count).reduce(into: [Int: [Int32]]()) { lists, query in
            lists[Int(labels.queryUsers[query]) * 4 + Int(labels.queryTypes[query]), default: []].append(Int32(query))
        }
        let blocks = (base.count + rowsPerBlock - 1) / rowsPerBlock
        let workers = max(1, min(threads, blocks))
        let found = CandidateLists()
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            var unfiltered = [Candidates](repeating: Candidates(), count: queries.count)
            var filtered = [Candidates](repeating: Candidates(), count: queries.count)
            for block in stride(from: worker, to: blocks, by: workers) {
                let rows = (block * rowsPerBlock)..<min((block + 1) * rowsPerBlock, base.count)
                base.advise(.sequential, rows: rows)
                for row in rows {
                    let wanted = shortlisted[Int32(row)]
                    let filter = filters[Int(labels.users[row]) * 4 + Int(labels.types[row])]
                    guard wanted != nil || filter != nil else { continue }
                    func distance(_ query: Int32) -> Double {
                        ScalarKernels.distance(metric, queries.row(Int(query)), base.row(row), count: base.dimension)
                    }
                    // A row a query both shortlisted and matches by filter is measured once.
                    var measured: [Int32: Double] = [:]
                    for query in wanted ?? [] {
                        let d = distance(query)
                        if filter != nil { measured[query] = d }
                        unfiltered[Int(query)].add(d, Int32(row), keep: k)
                    }
                    for query in filter ?? [] {
                        filtered[Int(query)].add(measured[query] ?? distance(query), Int32(row), keep: k)
                    }
                }
                base.advise(.done, rows: rows)
            }
            found.set(worker, unfiltered: unfiltered, filtered: filtered)
        }
        return (found.ranked(\.unfiltered, k: k), found.ranked(\.filtered, k: k))
    }

    /// One query's candidates as (double distance, row): appended, and cut back to the best `keep` whenever
    /// they reach four times that, so memory stays bounded however many rows a filter matches.
    struct Candidates {
        var entries: [(distance: Double, row: Int32)] = []

        mutating func add(_ distance: Double, _ row: Int32, keep: Int) {
            self.entries.append((distance, row))
            if self.entries.count >= 4 * max(keep, 16) { self.entries = Array(self.best(keep)) }
        }

        /// The best `count`, nearest first, ties by row.
        func best(_ count: Int) -> ArraySlice<(distance: Double, row: Int32)> { ScalarKernels.nearest(self.entries, count: count) }
    }

    /// Each worker's lists, merged per query once all have finished.
    private final class CandidateLists: Sendable {
        private let lists: Mutex<[Int: (unfiltered: [Candidates], filtered: [Candidates])]> = Mutex([:])

        func set(_ worker: Int, unfiltered: [Candidates], filtered: [Candidates]) {
            self.lists.withLock { $0[worker] = (unfiltered, filtered) }
        }

        func ranked(_ kind: KeyPath<(unfiltered: [Candidates], filtered: [Candidates]), [Candidates]>, k: Int) -> [Int32] {
            let perWorker = self.lists.withLock { $0.values.map { $0[keyPath: kind] } }
            let queries = perWorker.first?.count ?? 0
            var ids = [Int32](repeating: -1, count: queries * k)
            for query in 0..<queries {
                var merged = Candidates()
                for worker in perWorker { merged.entries += worker[query].entries }
                for (slot, entry) in merged.best(k).enumerated() { ids[query * k + slot] = entry.row }
            }
            return ids
        }
    }
}
