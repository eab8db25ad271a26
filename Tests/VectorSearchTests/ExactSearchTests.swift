import Testing
@testable import VectorSearch

@Suite struct ExactSearchTests {
    /// Against a naive search with the scalar reference: every returned id is at the distance claimed, the
    /// list is sorted, and nothing closer than the k-th answer was left out.
    @Test(arguments: VectorMetric.allCases, [13, 128])
    func matchesANaiveSearch(metric: VectorMetric, dimension: Int) throws {
        let base = try randomStore(count: 700, dimension: dimension, seed: 1)
        let queries = try randomStore(count: 9, dimension: dimension, seed: 2)
        let raw = (0..<base.count).map { base.vector($0) }
        let k = 10
        let result = try ExactSearch(store: base, metric: metric).search(queries, k: k, threads: 2)
        for query in 0..<queries.count {
            let q = queries.vector(query)
            let reference = raw.enumerated().map { (id: $0.offset, distance: referenceDistance(metric, q, $0.element)) }
                .sorted { $0.distance < $1.distance }
            let ids = Array(result.ids(ofQuery: query))
            let distances = Array(result.distances[(query * k)..<((query + 1) * k)])
            #expect(distances == distances.sorted())
            for (slot, id) in ids.enumerated() {
                #expect(abs(referenceDistance(metric, q, raw[Int(id)]) - distances[slot]) < 1e-3)
            }
            #expect(distances[k - 1] <= reference[k - 1].distance + 1e-3)
            #expect(Set(ids).count == k)
        }
    }

    /// Blocks of 64 rows, so three threads share them out differently from one.
    @Test(arguments: VectorMetric.allCases)
    func resultsDoNotDependOnThreads(metric: VectorMetric) throws {
        let base = try randomStore(count: 500, dimension: 64, seed: 3)
        let queries = try randomStore(count: 11, dimension: 64, seed: 4)
        var search = ExactSearch(store: base, metric: metric)
        search.rowsPerBlock = 64
        let one = try search.search(queries, k: 5, threads: 1)
        let many = try search.search(queries, k: 5, threads: 3)
        #expect(one.ids == many.ids && one.distances == many.distances)
    }

    /// Parts of the base searched on their own and merged give the whole's answer (how the ground truth's scan
    /// resumes); a part outside the base is bad input.
    @Test(arguments: VectorMetric.allCases)
    func partsMergeToTheWholeAnswer(metric: VectorMetric) throws {
        let base = try randomStore(count: 500, dimension: 32, seed: 5)
        let queries = try randomStore(count: 7, dimension: 32, seed: 6)
        var search = ExactSearch(store: base, metric: metric)
        search.rowsPerBlock = 64
        let whole = try search.search(queries, k: 9, threads: 2)
        let parts = try [0..<128, 128..<384, 384..<500].map { try search.search(queries, k: 9, rows: $0, threads: 2) }
        let merged = parts.dropFirst().reduce(parts[0]) { $0.merged(with: $1) }
        #expect(merged.ids == whole.ids && merged.distances == whole.distances)
        #expect(parts[1].ids.allSatisfy { 128..<384 ~= $0 })
        #expect(throws: VectorSearchError.self) { try search.search(queries, k: 9, rows: 400..<501) }
    }

    @Test func kLargerThanTheRowsPadsWithMinusOne() throws {
        let base = try randomStore(count: 3, dimension: 4, seed: 5)
        let result = try ExactSearch(store: base, metric: .l2).search(base, k: 5)
        #expect(Array(result.ids(ofQuery: 0).prefix(1)) == [0])  // each row is its own nearest
        #expect(Array(result.ids(ofQuery: 0).suffix(2)) == [-1, -1])
    }

    @Test func filteredSearchLooksOnlyAtCandidates() throws {
        let base = try randomStore(count: 200, dimension: 16, seed: 6)
        let search = ExactSearch(store: base, metric: .cosine)
        let candidates: [Int32] = [5, 17, 42, 99, 150]
        let query = base.vector(42)
        let (ids, distances) = query.withUnsafeBufferPointer { q in
            candidates.withUnsafeBufferPointer { search.search(q.baseAddress!, k: 3, candidates: $0) }
        }
        #expect(ids[0] == 42 && abs(distances[0]) < 1e-5)
        #expect(Set(ids).isSubset(of: Set(candidates)))
    }

    @Test func mismatchedDimensionsAreBadInput() throws {
        let base = try randomStore(count: 3, dimension: 4, seed: 7)
        let queries = try randomStore(count: 1, dimension: 5, seed: 8)
        #expect(throws: VectorSearchError.self) { try ExactSearch(store: base, metric: .l2).search(queries, k: 1) }
    }

    /// The scan's test of sixteen distances against a heap's threshold: a lane equal to it counts, as `<=` did;
    /// an empty heap (threshold infinity) takes anything finite; the infinity padding of a short block never
    /// counts against a finite threshold.
    @Test func sixteenLanesAreTestedAgainstTheThresholdAsLessOrEqual() {
        var lanes = SIMD16<Float>((0..<16).map { Float($0) + 10 })
        #expect(!BlockScan.anyAtMost(lanes, 9.5))
        #expect(BlockScan.anyAtMost(lanes, 10))
        lanes[11] = -3
        #expect(BlockScan.anyAtMost(lanes, 0) && !BlockScan.anyAtMost(lanes, -3.5))
        #expect(BlockScan.anyAtMost(SIMD16(repeating: 1e30), .infinity))
        #expect(!BlockScan.anyAtMost(SIMD16(repeating: .infinity), 1e30))
        #expect(BlockScan.anyAtMost(SIMD16(repeating: -0.0), 0))
    }
}
