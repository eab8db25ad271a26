/// How closeness is measured. Every metric is expressed as a distance, smaller meaning closer, so one
/// top-k routine serves all three.
public enum VectorMetric: String, Sendable, Codable, CaseIterable {
    /// `1 − cos(a, b)`, pgvector's `<=>`. Vectors are normalised once when stored, so it is `1 − a·b`.
    case cosine
    /// Squared Euclidean distance (`<->` squared: the same order, no square root).
    case l2
    /// Negative inner product, pgvector's `<#>`.
    case innerProduct = "ip"

    /// Whether stored vectors and queries are scaled to unit length first.
    public var normalizes: Bool { self == .cosine }

    /// The distance between `a` and `b`, both `count` floats long (already normalised for cosine).
    @inline(__always)
    public func distance(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        switch self {
        case .cosine: 1 - DistanceKernels.dotProduct(a, b, count: count)
        case .l2: DistanceKernels.squaredL2(a, b, count: count)
        case .innerProduct: -DistanceKernels.dotProduct(a, b, count: count)
        }
    }
}
