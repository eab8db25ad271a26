import Foundation
import VectorSearch

/// Topic clusters on the unit sphere: each has a random unit centre, a spread, and a travel topic (a
/// destination, an activity, a category) that the text of its memories talks about.
///
/// A member vector is `normalise(centre + spread · g / √d)` with `g` standard normal, so its cosine to the
/// centre is about `1 / √(1 + spread²)`: 0.89 at spread 0.5, 0.71 at 1, 0.45 at 2.
struct ClusterMixture: Sendable {
    let dimension: Int
    let centres: VectorStore
    let spreads: [Float]

    init(spec: DatasetSpec) throws {
        self.dimension = spec.dimension
        var random = SplitMix64(seed: spec.seed, stream: DatasetPlan.Stream.clusters.rawValue)
        let centres = try VectorStore(dimension: spec.dimension, capacity: spec.clusters)
        var row = [Float](repeating: 0, count: spec.dimension)
        for _ in 0..<spec.clusters {
            for index in row.indices { row[index] = random.nextGaussian() }
            row.withUnsafeMutableBufferPointer { ScalarKernels.normalize($0.baseAddress!, count: $0.count) }
            row.withUnsafeBufferPointer { centres.append($0) }
        }
        self.centres = centres
        let (low, high) = (log(max(spec.clusterSpreadMin, 1e-6)), log(max(spec.clusterSpreadMax, 1e-6)))
        self.spreads = (0..<spec.clusters).map { _ in
            spec.clusterSpreadMin == spec.clusterSpreadMax
                ? Float(spec.clusterSpreadMin) : Float(exp(low + (high - low) * Double(random.nextUnitFloat())))
        }
    }

    /// Writes a unit vector from cluster `cluster` into `destination`, drawing noise from `random`.
    func sample(cluster: Int, into destination: UnsafeMutablePointer<Float>, random: inout SplitMix64) {
        let centre = self.centres.row(cluster)
        let scale = self.spreads[cluster] / Float(self.dimension).squareRoot()
        for index in 0..<self.dimension { destination[index] = centre[index] + scale * random.nextGaussian() }
        // Scalar, double-precision normalisation: the same bits with or without FMA, on any machine.
        ScalarKernels.normalize(destination, count: self.dimension)
    }

    /// The travel topic of `cluster`.
    static func topic(_ cluster: Int) -> (destination: TravelVocabulary.Destination, activity: String, category: String) {
        let destination = TravelVocabulary.destinations[cluster % TravelVocabulary.destinations.count]
        let activity = TravelVocabulary.activities[(cluster * 7 + cluster / TravelVocabulary.destinations.count) % TravelVocabulary.activities.count]
        return (destination, activity.name, activity.category)
    }
}
