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

/// Unit vectors drawn from a mixture of `clusters` spherical clusters (centres uniform on the sphere, spreads
/// between 0.5 and 2), like the reference sets in shared/notes/ann-reference.md. `stream` picks an
/// independent draw from the same mixture (queries use another stream than the base).
func clusteredStore(count: Int, dimension: Int, clusters: Int, seed: UInt64, stream: UInt64 = 0) throws -> VectorStore {
    var mixture = SplitMix64(seed: seed)
    var centres = [[Float]]()
    for _ in 0..<clusters {
        var centre = (0..<dimension).map { _ in mixture.nextGaussian() }
        centre.withUnsafeMutableBufferPointer { ScalarKernels.normalize($0.baseAddress!, count: dimension) }
        centres.append(centre)
    }
    let spreads = (0..<clusters).map { _ in Float(0.5 * pow(4.0, Double(mixture.nextUnitFloat()))) }
    var draw = SplitMix64(seed: seed, stream: stream + 1)
    let store = try VectorStore(dimension: dimension, capacity: count)
    var row = [Float](repeating: 0, count: dimension)
    let scale = 1 / Float(dimension).squareRoot()
    for _ in 0..<count {
        let cluster = Int(draw.next() % UInt64(clusters))
        for index in row.indices { row[index] = centres[cluster][index] + spreads[cluster] * scale * draw.nextGaussian() }
        row.withUnsafeBufferPointer { store.append($0, normalize: true) }
    }
    return store
}

/// Mean fraction of each query's exact top `k` that `found` (k ids per query) contains.
func recall(found: [Int32], exact: [Int32], k: Int) -> Double {
    precondition(found.count == exact.count)
    var hits = 0
    for start in stride(from: 0, to: found.count, by: k) {
        hits += Set(found[start..<(start + k)]).intersection(exact[start..<(start + k)]).count
    }
    return Double(hits) / Double(found.count)
}
