import Testing
import VectorSearch

@Suite struct DistanceKernelsTests {
    /// Lengths around every loop boundary: the 64-float main loop, the 16-float loop and the scalar tail.
    @Test(arguments: [1, 7, 15, 16, 17, 63, 64, 65, 100, 128, 384, 768, 1536])
    func kernelsMatchTheScalarReference(dimension: Int) throws {
        let store = try randomStore(count: 6, dimension: dimension, seed: UInt64(dimension))
        for (i, j) in [(0, 1), (2, 3), (4, 5), (0, 0)] {
            let a = store.row(i), b = store.row(j)
            let dot = DistanceKernels.dotProduct(a, b, count: dimension)
            let l2 = DistanceKernels.squaredL2(a, b, count: dimension)
            let scale = Float(dimension).squareRoot() * 1e-5
            #expect(abs(dot - ScalarKernels.dotProduct(a, b, count: dimension)) <= scale * 10)
            #expect(abs(l2 - ScalarKernels.squaredL2(a, b, count: dimension)) <= scale * Float(dimension) * 0.1)
        }
    }

    /// Half-precision rows: lengths around the 32-half loop, the 8-half loop and the scalar tail, against the
    /// same halves widened and summed in double precision.
    @Test(arguments: [1, 7, 8, 9, 31, 32, 33, 100, 384, 1536])
    func halfKernelsMatchTheScalarReferenceOnTheRoundedValues(dimension: Int) throws {
        let store = try randomStore(count: 4, dimension: dimension, seed: UInt64(dimension) + 77)
        let halves = (0..<4).map { row in store.vector(row).map { Float16($0) } }
        let widened = halves.map { $0.map(Float.init) }
        for (i, j) in [(0, 1), (2, 3), (1, 1)] {
            let dot = halves[i].withUnsafeBytes { a in halves[j].withUnsafeBytes { b in HalfKernels.dotProduct(a.baseAddress!, b.baseAddress!, count: dimension) } }
            let l2 = halves[i].withUnsafeBytes { a in halves[j].withUnsafeBytes { b in HalfKernels.squaredL2(a.baseAddress!, b.baseAddress!, count: dimension) } }
            let scale = Float(dimension).squareRoot() * 1e-5
            #expect(abs(dot - ScalarKernels.dotProduct(widened[i], widened[j], count: dimension)) <= scale * 10)
            #expect(abs(l2 - ScalarKernels.squaredL2(widened[i], widened[j], count: dimension)) <= scale * Float(dimension) * 0.1)
        }
    }

    @Test func normalizeGivesUnitLengthAndLeavesZeroAlone() throws {
        let store = try randomStore(count: 1, dimension: 1536, seed: 9)
        DistanceKernels.normalize(store.row(0), count: 1536)
        #expect(abs(DistanceKernels.dotProduct(store.row(0), store.row(0), count: 1536) - 1) < 1e-5)
        var zero = [Float](repeating: 0, count: 8)
        zero.withUnsafeMutableBufferPointer { DistanceKernels.normalize($0.baseAddress!, count: 8) }
        #expect(zero.allSatisfy { $0 == 0 })
    }

    @Test func metricsAreDistances() throws {
        let a: [Float] = [1, 0], b: [Float] = [0, 2]
        #expect(VectorMetric.l2.distance(a, b, count: 2) == 5)
        #expect(VectorMetric.innerProduct.distance(a, a, count: 2) == -1)
        #expect(VectorMetric.cosine.distance(a, a, count: 2) == 0)  // normalised input
    }

    @Test func seededGeneratorsRepeatAndDiffer() {
        var a = SplitMix64(seed: 42), b = SplitMix64(seed: 42), c = SplitMix64(seed: 43)
        let first = (0..<4).map { _ in a.next() }
        #expect(first == (0..<4).map { _ in b.next() })
        #expect(first != (0..<4).map { _ in c.next() })
        var stream1 = SplitMix64(seed: 42, stream: 1), stream2 = SplitMix64(seed: 42, stream: 2)
        #expect(stream1.next() != stream2.next())
        // First value of SplitMix64 seeded with 0, a published constant.
        var zero = SplitMix64(seed: 0)
        #expect(zero.next() == 0xE220_A839_7B1D_CDAF)
    }
}
