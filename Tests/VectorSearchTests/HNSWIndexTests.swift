import Foundation
import Testing
import VectorSearch

/// The small clustered set every HNSW test uses: 4,000 × 32 in 40 clusters, 100 queries from the same mixture.
private enum Fixture {
    static let base = try! clusteredStore(count: 4_000, dimension: 32, clusters: 40, seed: 11)
    static let queries = try! clusteredStore(count: 100, dimension: 32, clusters: 40, seed: 11, stream: 1)

    static func exact(_ metric: VectorMetric, k: Int = 10) throws -> [Int32] {
        try ExactSearch(store: base, metric: metric).search(queries, k: k, threads: 2).ids
    }
}

/// The ids `index` returns for every query, `k` each.
func searchAll(_ index: HNSWIndex, _ queries: VectorStore, k: Int, ef: Int) -> [Int32] {
    let context = index.makeContext()
    var ids = [Int32](repeating: -1, count: queries.count * k)
    ids.withUnsafeMutableBufferPointer { buffer in
        for query in 0..<queries.count {
            index.search(queries.row(query), k: k, ef: ef, context: context, ids: buffer.baseAddress! + query * k)
        }
    }
    return ids
}

@Suite struct HNSWIndexTests {
    @Test(arguments: VectorMetric.allCases)
    func recallAtTenIsHighAtEfOneHundred(metric: VectorMetric) throws {
        let index = try HNSWIndex.build(Fixture.base, parameters: HNSWParameters(metric: metric), threads: 2)
        let found = searchAll(index, Fixture.queries, k: 10, ef: 100)
        #expect(recall(found: found, exact: try Fixture.exact(metric), k: 10) >= 0.95)
    }

    /// pgvector's halfvec: half the bytes per vector, recall close to single precision's, and distances those
    /// of the rounded vectors.
    @Test(arguments: VectorMetric.allCases)
    func halfPrecisionHalvesTheVectorsAndKeepsRecall(metric: VectorMetric) throws {
        // One thread: the same graphs every time, so the comparison below cannot flake.
        let single = try HNSWIndex.build(Fixture.base, parameters: HNSWParameters(metric: metric), threads: 1)
        let half = try HNSWIndex.build(Fixture.base, parameters: HNSWParameters(metric: metric, precision: .float16), threads: 1)
        #expect(half.vectorBytes * 2 == single.vectorBytes)
        #expect(half.bytes < single.bytes)
        let exact = try Fixture.exact(metric)
        let singleRecall = recall(found: searchAll(single, Fixture.queries, k: 10, ef: 100), exact: exact, k: 10)
        let halfRecall = recall(found: searchAll(half, Fixture.queries, k: 10, ef: 100), exact: exact, k: 10)
        #expect(halfRecall >= 0.95 && abs(halfRecall - singleRecall) <= 0.02, "half \(halfRecall), single \(singleRecall)")
        let context = half.makeContext()
        var ids = [Int32](repeating: -1, count: 5)
        var distances = [Float](repeating: 0, count: 5)
        half.search(Fixture.queries.row(1), k: 5, ef: 50, context: context, ids: &ids, distances: &distances)
        let rounded = { (vector: [Float]) -> [Float] in
            let unit = metric.normalizes ? vector.map { $0 / vector.map { $0 * $0 }.reduce(0, +).squareRoot() } : vector
            return unit.map { Float(Float16($0)) }
        }
        let query = rounded(Fixture.queries.vector(1))
        for (id, distance) in zip(ids, distances) {
            let row = rounded(Fixture.base.vector(Int(id)))
            let dot = ScalarKernels.dotProduct(query, row, count: query.count)
            let expected: Float = switch metric {
            case .cosine: 1 - dot
            case .l2: ScalarKernels.squaredL2(query, row, count: query.count)
            case .innerProduct: -dot
            }
            #expect(abs(distance - expected) < 1e-4 * max(1, abs(expected)))
        }
    }

    @Test func halfPrecisionRefusesValuesItCannotHold() throws {
        let large = try VectorStore(dimension: 4, capacity: 2)
        [Float](arrayLiteral: 1, 2, 3, 4).withUnsafeBufferPointer { large.append($0) }
        [Float](arrayLiteral: 1, 70_000, 3, 4).withUnsafeBufferPointer { large.append($0) }
        let error = #expect(throws: VectorSearchError.self) {
            try HNSWIndex.build(large, parameters: HNSWParameters(metric: .l2, precision: .float16))
        }
        #expect(error?.description == "base vector 1 has 70000.0 at dimension 1, beyond half precision's ±65504 (pgvector's halfvec refuses it too)")
        #expect(try HNSWIndex.build(large, parameters: HNSWParameters(metric: .l2)).count == 2)
    }

    @Test func recallGrowsWithEfAndDistancesAreSorted() throws {
        let index = try HNSWIndex.build(Fixture.base, parameters: HNSWParameters(m: 8, efConstruction: 40), threads: 1)
        let exact = try Fixture.exact(.cosine)
        let low = recall(found: searchAll(index, Fixture.queries, k: 10, ef: 10), exact: exact, k: 10)
        let high = recall(found: searchAll(index, Fixture.queries, k: 10, ef: 200), exact: exact, k: 10)
        #expect(low < high)
        let context = index.makeContext()
        var ids = [Int32](repeating: -1, count: 10)
        var distances = [Float](repeating: 0, count: 10)
        let found = index.search(Fixture.queries.row(0), k: 10, ef: 50, context: context, ids: &ids, distances: &distances)
        #expect(found == 10)
        #expect(distances == distances.sorted())
        let q = Fixture.queries.vector(0)
        for (id, distance) in zip(ids, distances) {
            #expect(abs(referenceDistance(.cosine, q, Fixture.base.vector(Int(id))) - distance) < 1e-4)
        }
    }

    @Test func efBelowKIsRaisedToK() throws {
        let index = try HNSWIndex.build(Fixture.base, parameters: HNSWParameters(), threads: 2)
        let context = index.makeContext()
        var ids = [Int32](repeating: -1, count: 50)
        #expect(index.search(Fixture.queries.row(3), k: 50, ef: 5, context: context, ids: &ids) == 50)
        #expect(Set(ids).count == 50 && !ids.contains(-1))
    }

    @Test func multiThreadedBuildReachesTheSameRecall() throws {
        let exact = try Fixture.exact(.cosine)
        let one = try HNSWIndex.build(Fixture.base, parameters: HNSWParameters(), threads: 1)
        let two = try HNSWIndex.build(Fixture.base, parameters: HNSWParameters(), threads: 2)
        let oneRecall = recall(found: searchAll(one, Fixture.queries, k: 10, ef: 20), exact: exact, k: 10)
        let twoRecall = recall(found: searchAll(two, Fixture.queries, k: 10, ef: 20), exact: exact, k: 10)
        #expect(abs(oneRecall - twoRecall) <= 0.02)
        #expect(one.layerSizes == two.layerSizes)
    }

    @Test func singleThreadedBuildsAreIdentical() throws {
        let first = temporaryPath("a.hnsw"), second = temporaryPath("b.hnsw")
        defer { unlink(first); unlink(second) }
        try HNSWIndex.build(Fixture.base, parameters: HNSWParameters(seed: 5), threads: 1).save(to: first)
        try HNSWIndex.build(Fixture.base, parameters: HNSWParameters(seed: 5), threads: 1).save(to: second)
        #expect(FileManager.default.contentsEqual(atPath: first, andPath: second))
    }

    @Test func levelsFollowTheGeometricDistribution() throws {
        let index = try HNSWIndex.build(Fixture.base, parameters: HNSWParameters(m: 16), threads: 2)
        let sizes = index.layerSizes
        #expect(sizes[0] == Fixture.base.count)
        // About 1/m of the nodes reach layer 1: 250 of 4,000 expected.
        #expect((180...320).contains(sizes[1]))
    }

    @Test func badInputIsRefused() throws {
        #expect(throws: VectorSearchError.self) { try HNSWIndex.build(Fixture.base, parameters: HNSWParameters(m: 1)) }
        #expect(throws: VectorSearchError.self) { try HNSWIndex.build(Fixture.base, parameters: HNSWParameters(efConstruction: 0)) }
        let empty = try VectorStore(dimension: 4, capacity: 0)
        #expect(throws: VectorSearchError.self) { try HNSWIndex.build(empty, parameters: HNSWParameters()) }
        let withNaN = try randomStore(count: 10, dimension: 4, seed: 1)
        withNaN.row(7)[2] = .nan
        let error = #expect(throws: VectorSearchError.self) { try HNSWIndex.build(withNaN, parameters: HNSWParameters()) }
        #expect(error?.description == "base vector 7 is not finite: dimension 2 is nan")
    }

    @Test func aSingleVectorIndexFindsIt() throws {
        let one = try randomStore(count: 1, dimension: 8, seed: 2)
        let index = try HNSWIndex.build(one, parameters: HNSWParameters(metric: .l2))
        let context = index.makeContext()
        var ids = [Int32](repeating: -1, count: 3)
        #expect(index.search(one.row(0), k: 3, ef: 10, context: context, ids: &ids) == 1)
        #expect(ids == [0, -1, -1])
    }
}
