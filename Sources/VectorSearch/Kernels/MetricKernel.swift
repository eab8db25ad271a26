/// A distance function fixed at compile time, over two rows stored in one ``RowFormat``. The graph loops are
/// generic over it and called with a concrete type chosen once per search (``HNSWParameters/withKernel(_:)``),
/// so each metric and precision gets its own specialised, inlined loop: no switch and no indirect call per
/// distance (hnswlib pays one function-pointer call per distance).
protocol MetricKernel: SendableMetatype {
    static func distance(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ dimension: Int) -> Float
}

/// `1 − a·b` on unit vectors.
enum CosineKernel<Rows: RowFormat>: MetricKernel {
    @inline(__always)
    static func distance(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ dimension: Int) -> Float {
        1 - Rows.dotProduct(a, b, count: dimension)
    }
}

/// Squared Euclidean distance.
enum L2Kernel<Rows: RowFormat>: MetricKernel {
    @inline(__always)
    static func distance(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ dimension: Int) -> Float {
        Rows.squaredL2(a, b, count: dimension)
    }
}

/// `−a·b`.
enum InnerProductKernel<Rows: RowFormat>: MetricKernel {
    @inline(__always)
    static func distance(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ dimension: Int) -> Float {
        -Rows.dotProduct(a, b, count: dimension)
    }
}

/// Work to run with the kernel of an index's metric and precision: a generic method, so the one switch in
/// ``HNSWParameters/withKernel(_:)`` hands every entry point (search, build, filtered search) a concrete type.
protocol KernelTask {
    associatedtype Output
    func callAsFunction<Kernel: MetricKernel>(_: Kernel.Type) -> Output
}

extension HNSWParameters {
    /// Runs `task` with the kernel for this metric and precision.
    @inline(__always)
    func withKernel<Task: KernelTask>(_ task: Task) -> Task.Output {
        switch (self.metric, self.precision) {
        case (.cosine, .float32): task(CosineKernel<SingleRows>.self)
        case (.cosine, .float16): task(CosineKernel<HalfRows>.self)
        case (.l2, .float32): task(L2Kernel<SingleRows>.self)
        case (.l2, .float16): task(L2Kernel<HalfRows>.self)
        case (.innerProduct, .float32): task(InnerProductKernel<SingleRows>.self)
        case (.innerProduct, .float16): task(InnerProductKernel<HalfRows>.self)
        }
    }
}
