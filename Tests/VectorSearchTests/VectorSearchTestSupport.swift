import Foundation
import VectorSearch

/// A store of `count` seeded random vectors (Gaussian components).
func randomStore(count: Int, dimension: Int, seed: UInt64) throws -> VectorStore {
    var generator = SplitMix64(seed: seed)
    let store = try VectorStore(dimension: dimension, capacity: count)
    var row = [Float](repeating: 0, count: dimension)
    for _ in 0..<count {
        for index in row.indices { row[index] = generator.nextGaussian() }
        row.withUnsafeBufferPointer { store.append($0) }
    }
    return store
}

/// The distance by the scalar reference kernels (normalising copies for cosine).
func referenceDistance(_ metric: VectorMetric, _ a: [Float], _ b: [Float]) -> Float {
    switch metric {
    case .l2: return ScalarKernels.squaredL2(a, b, count: a.count)
    case .innerProduct: return -ScalarKernels.dotProduct(a, b, count: a.count)
    case .cosine:
        let na = ScalarKernels.dotProduct(a, a, count: a.count).squareRoot()
        let nb = ScalarKernels.dotProduct(b, b, count: b.count).squareRoot()
        return 1 - ScalarKernels.dotProduct(a, b, count: a.count) / (na * nb)
    }
}

/// A fresh temporary file path for a test.
func temporaryPath(_ name: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("tripbench-\(UUID().uuidString)-\(name)").path
}
