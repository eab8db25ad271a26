/// A distance function fixed at compile time. The graph loops are generic over it and called with a
/// concrete type chosen once per search, so each metric gets its own specialised, inlined loop: no switch
/// and no indirect call per distance (hnswlib pays one function-pointer call per distance).
protocol MetricKernel: SendableMetatype {
    static func distance(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ dimension: Int) -> Float
}

/// `1 − a·b` on unit vectors.
enum CosineKernel: MetricKernel {
    @inline(__always)
    static func distance(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ dimension: Int) -> Float {
        1 - DistanceKernels.dotProduct(a, b, count: dimension)
    }
}

/// Squared Euclidean distance.
enum L2Kernel: MetricKernel {
    @inline(__always)
    static func distance(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ dimension: Int) -> Float {
        DistanceKernels.squaredL2(a, b, count: dimension)
    }
}

/// `−a·b`.
enum InnerProductKernel: MetricKernel {
    @inline(__always)
    static func distance(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ dimension: Int) -> Float {
        -DistanceKernels.dotProduct(a, b, count: dimension)
    }
}
