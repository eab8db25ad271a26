import Foundation
import Synchronization
import Testing
@testable import VectorSearch

/// A growing index: rows inserted after the build and rows deleted are searched as a runbook needs, while
/// other threads search.
@Suite struct HNSWGrowthTests {
    static let base = try! clusteredStore(count: 6_000, dimension: 32, clusters: 60, seed: 41)
    static let queries = try! clusteredStore(count: 80, dimension: 32, clusters: 60, seed: 41, stream: 1)

    /// The exact `k` nearest among `rows`, per query.
    static func exact(among rows: [Int32], k: Int = 10) -> [Int32] {
        let search = ExactSearch(store: base, metric: .cosine)
        return (0..<queries.count).flatMap { query in rows.withUnsafeBufferPointer { search.search(queries.row(query), k: k, candidates: $0).ids } }
    }

    @Test func insertedRowsAreFoundAsIfBuiltAtOnce() throws {
        // One thread for both builds: the same graphs every time.
        let index = try HNSWIndex.growing(Self.base, initial: 2_000, parameters: HNSWParameters(m: 12, efConstruction: 100), threads: 1)
        #expect(index.isGrowing && index.insertedCount == 2_000)
        let context = index.makeContext()
        let early = searchAll(index, Self.queries, k: 10, ef: 100)
        #expect(early.allSatisfy { $0 >= 0 && $0 < 2_000 }, "only inserted rows are found")
        for row in 2_000..<Self.base.count { index.insert(row, context: context) }
        #expect(index.insertedCount == Self.base.count)
        let all = Self.exact(among: (0..<Int32(Self.base.count)).map { $0 })
        let grown = recall(found: searchAll(index, Self.queries, k: 10, ef: 100), exact: all, k: 10)
        let built = recall(found: searchAll(try HNSWIndex.build(Self.base, parameters: HNSWParameters(m: 12, efConstruction: 100), threads: 1), Self.queries, k: 10, ef: 100), exact: all, k: 10)
        #expect(grown >= 0.95 && abs(grown - built) <= 0.03, "grown \(grown), built at once \(built)")
    }

    /// Deleted rows never come back, recall against the rows that remain stays high, and recall measured
    /// against answers that still count the deleted rows falls: the check a runbook's per-stage truth makes.
    @Test func deletedRowsAreNeverReturnedAndStaleTruthUnderstatesRecall() throws {
        let index = try HNSWIndex.growing(Self.base, initial: Self.base.count, parameters: HNSWParameters(m: 12, efConstruction: 100), threads: 2)
        let everything = (0..<Int32(Self.base.count)).map { $0 }
        let stale = Self.exact(among: everything)
        // Retention: the oldest third of the rows goes, and with it every row some query ranks first.
        let firsts = Set(stride(from: 0, to: stale.count, by: 10).map { stale[$0] })
        let deleted = Set((0..<Int32(2_000)).map { $0 }).union(firsts)
        for row in deleted { index.markDeleted(Int(row)) }
        #expect(index.isDeleted(0) && !index.isDeleted(5_999))
        let found = searchAll(index, Self.queries, k: 10, ef: 100)
        #expect(found.allSatisfy { !deleted.contains($0) })
        let live = Self.exact(among: everything.filter { !deleted.contains($0) })
        let current = recall(found: found, exact: live, k: 10)
        let understated = recall(found: found, exact: stale, k: 10)
        #expect(current >= 0.95, "recall over the rows present: \(current)")
        #expect(understated < current - 0.2, "against the stale answers: \(understated), against the present rows: \(current)")
        // Filtered searches skip them too, on both paths.
        let allowed = AllowSet(stride(from: 0, to: Self.base.count, by: 3), nodes: Self.base.count)
        for strategy in [FilterStrategy.exact, .graph] {
            var ids = [Int32](repeating: -1, count: 10)
            _ = index.search(Self.queries.row(0), k: 10, ef: 100, allowing: allowed, strategy: strategy, context: index.makeContext(), ids: &ids)
            #expect(ids.allSatisfy { $0 >= 0 && !deleted.contains($0) && allowed.contains(Int($0)) }, "\(strategy)")
        }
    }

    /// A row above the initial top layer becomes the entry point; searches running meanwhile see a
    /// consistent graph and only rows inserted before they end.
    @Test func insertsWhileOthersSearchAndTheTopMoves() throws {
        let index = try HNSWIndex.growing(Self.base, initial: 3, parameters: HNSWParameters(m: 8, efConstruction: 40), threads: 1)
        let initialTop = index.top
        let inserted = Atomic<Int>(3)
        let done = Atomic<Bool>(false)
        let bad = Atomic<Int>(0)
        let searched = Atomic<Int>(0)
        let finished = DispatchSemaphore(value: 0)
        let searcher = Thread {
            let context = index.makeContext()
            var ids = [Int32](repeating: -1, count: 10)
            var query = 0
            while !done.load(ordering: .acquiring) || query == 0 {
                let found = index.search(Self.queries.row(query % Self.queries.count), k: 10, ef: 40, context: context, ids: &ids)
                let frontier = inserted.load(ordering: .acquiring) + 1
                if ids.prefix(found).contains(where: { $0 < 0 || Int($0) >= frontier }) { bad.add(1, ordering: .relaxed) }
                searched.add(1, ordering: .relaxed)
                query += 1
            }
            finished.signal()
        }
        searcher.start()
        let context = index.makeContext()
        for row in 3..<Self.base.count {
            index.insert(row, context: context)
            inserted.store(row + 1, ordering: .releasing)
        }
        done.store(true, ordering: .releasing)
        finished.wait()
        #expect(index.top.level > initialTop.level && index.top.entry != initialTop.entry)
        #expect(bad.load(ordering: .relaxed) == 0)
        #expect(searched.load(ordering: .relaxed) > 10, "searches while inserting: \(searched.load(ordering: .relaxed))")
        let all = Self.exact(among: (0..<Int32(Self.base.count)).map { $0 })
        #expect(recall(found: searchAll(index, Self.queries, k: 10, ef: 100), exact: all, k: 10) >= 0.9)
    }

    @Test func aGrowingIndexIsNotSavedAndStartsWithSomeRows() throws {
        let index = try HNSWIndex.growing(Self.base, initial: 100, parameters: HNSWParameters(), threads: 1)
        #expect(throws: VectorSearchError.self) { try index.save(to: temporaryPath("growing.hnsw")) }
        #expect(throws: VectorSearchError.self) { try HNSWIndex.growing(Self.base, initial: 0, parameters: HNSWParameters()) }
        #expect(throws: VectorSearchError.self) { try HNSWIndex.growing(Self.base, initial: Self.base.count + 1, parameters: HNSWParameters()) }
    }
}
