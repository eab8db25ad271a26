/// The distance kernels: explicit `SIMD16<Float>` loops with four independent accumulators and a scalar tail.
///
/// Swift does not vectorise a float reduction by itself (no fast-math), so the vectors are explicit. Fused
/// multiply-add is used only when the build targets a CPU that has it (`-Xswiftc -DVS_FMA` together with
/// `-target-cpu haswell` or newer, set by the Makefile after checking the CPU): at the baseline x86-64 target
/// `addProduct` compiles to one `fmaf` library call per lane, 20–30× slower (shared/notes/hnsw.md §5.2).
/// ``ScalarKernels`` is the plain reference the tests compare against.
public enum DistanceKernels {
    /// `Σ a[i]·b[i]`.
    @inline(__always)
    public static func dotProduct(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        let x = UnsafeRawPointer(a)
        let y = UnsafeRawPointer(b)
        var s0 = SIMD16<Float>(), s1 = SIMD16<Float>(), s2 = SIMD16<Float>(), s3 = SIMD16<Float>()
        var i = 0
        while i &+ 64 <= count {
            let o = i &* 4
            multiplyAdd(&s0, x.loadUnaligned(fromByteOffset: o, as: SIMD16<Float>.self), y.loadUnaligned(fromByteOffset: o, as: SIMD16<Float>.self))
            multiplyAdd(&s1, x.loadUnaligned(fromByteOffset: o &+ 64, as: SIMD16<Float>.self), y.loadUnaligned(fromByteOffset: o &+ 64, as: SIMD16<Float>.self))
            multiplyAdd(&s2, x.loadUnaligned(fromByteOffset: o &+ 128, as: SIMD16<Float>.self), y.loadUnaligned(fromByteOffset: o &+ 128, as: SIMD16<Float>.self))
            multiplyAdd(&s3, x.loadUnaligned(fromByteOffset: o &+ 192, as: SIMD16<Float>.self), y.loadUnaligned(fromByteOffset: o &+ 192, as: SIMD16<Float>.self))
            i &+= 64
        }
        while i &+ 16 <= count {
            let o = i &* 4
            multiplyAdd(&s0, x.loadUnaligned(fromByteOffset: o, as: SIMD16<Float>.self), y.loadUnaligned(fromByteOffset: o, as: SIMD16<Float>.self))
            i &+= 16
        }
        var sum = ((s0 + s1) + (s2 + s3)).sum()
        while i < count {
            sum += a[i] * b[i]
            i &+= 1
        }
        return sum
    }

    /// `Σ (a[i] − b[i])²`.
    @inline(__always)
    public static func squaredL2(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        let x = UnsafeRawPointer(a)
        let y = UnsafeRawPointer(b)
        var s0 = SIMD16<Float>(), s1 = SIMD16<Float>(), s2 = SIMD16<Float>(), s3 = SIMD16<Float>()
        var i = 0
        while i &+ 64 <= count {
            let o = i &* 4
            let d0 = x.loadUnaligned(fromByteOffset: o, as: SIMD16<Float>.self) - y.loadUnaligned(fromByteOffset: o, as: SIMD16<Float>.self)
            let d1 = x.loadUnaligned(fromByteOffset: o &+ 64, as: SIMD16<Float>.self) - y.loadUnaligned(fromByteOffset: o &+ 64, as: SIMD16<Float>.self)
            let d2 = x.loadUnaligned(fromByteOffset: o &+ 128, as: SIMD16<Float>.self) - y.loadUnaligned(fromByteOffset: o &+ 128, as: SIMD16<Float>.self)
            let d3 = x.loadUnaligned(fromByteOffset: o &+ 192, as: SIMD16<Float>.self) - y.loadUnaligned(fromByteOffset: o &+ 192, as: SIMD16<Float>.self)
            multiplyAdd(&s0, d0, d0)
            multiplyAdd(&s1, d1, d1)
            multiplyAdd(&s2, d2, d2)
            multiplyAdd(&s3, d3, d3)
            i &+= 64
        }
        while i &+ 16 <= count {
            let o = i &* 4
            let d = x.loadUnaligned(fromByteOffset: o, as: SIMD16<Float>.self) - y.loadUnaligned(fromByteOffset: o, as: SIMD16<Float>.self)
            multiplyAdd(&s0, d, d)
            i &+= 16
        }
        var sum = ((s0 + s1) + (s2 + s3)).sum()
        while i < count {
            let d = a[i] - b[i]
            sum += d * d
            i &+= 1
        }
        return sum
    }

    /// `accumulator += a * b`, fused where the build targets a CPU with FMA (the single- and half-precision
    /// kernels' step, on 16 and 8 lanes).
    @inline(__always)
    static func multiplyAdd<Vector: SIMD>(_ accumulator: inout Vector, _ a: Vector, _ b: Vector) where Vector.Scalar: FloatingPoint {
        #if VS_FMA || arch(arm64)
        accumulator.addProduct(a, b)
        #else
        accumulator += a * b
        #endif
    }

    /// Scales `vector` to unit length in place; a zero vector stays zero.
    public static func normalize(_ vector: UnsafeMutablePointer<Float>, count: Int) {
        let norm = self.dotProduct(vector, vector, count: count).squareRoot()
        guard norm > 0 else { return }
        let scale = 1 / norm
        for i in 0..<count { vector[i] *= scale }
    }
}

/// Plain loops, one float at a time, accumulating in double precision: the reference the SIMD kernels are
/// tested against, and the arithmetic of everything that must give the same bits on every machine and build
/// (generated vectors, ground-truth ranking): Swift never fuses these multiplies and adds.
public enum ScalarKernels {
    /// Scales `vector` to unit length in place; a zero vector stays zero.
    public static func normalize(_ vector: UnsafeMutablePointer<Float>, count: Int) {
        let norm = Double(self.dotProduct(vector, vector, count: count)).squareRoot()
        guard norm > 0 else { return }
        let scale = 1 / norm
        for i in 0..<count { vector[i] = Float(Double(vector[i]) * scale) }
    }

    public static func dotProduct(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        Float(self.preciseDotProduct(a, b, count: count))
    }

    public static func squaredL2(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        var sum: Double = 0
        for i in 0..<count {
            let d = Double(a[i]) - Double(b[i])
            sum += d * d
        }
        return Float(sum)
    }

    static func preciseDotProduct(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Double {
        var sum: Double = 0
        for i in 0..<count { sum += Double(a[i]) * Double(b[i]) }
        return sum
    }

    /// The `count` nearest of `candidates` by exact distance, nearest first, ties by row: the order every
    /// exact answer (ground truth, the recall of a filtered search) is given in.
    public static func nearest(_ candidates: [(distance: Double, row: Int32)], count: Int) -> ArraySlice<(distance: Double, row: Int32)> {
        candidates.sorted { ($0.distance, $0.row) < ($1.distance, $1.row) }.prefix(count)
    }

    /// The distance by `metric` in double precision (cosine divides by both norms, so inputs need not be unit).
    public static func distance(_ metric: VectorMetric, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Double {
        switch metric {
        case .l2:
            var sum: Double = 0
            for i in 0..<count {
                let d = Double(a[i]) - Double(b[i])
                sum += d * d
            }
            return sum
        case .innerProduct: return -self.preciseDotProduct(a, b, count: count)
        case .cosine:
            let norms = (self.preciseDotProduct(a, a, count: count) * self.preciseDotProduct(b, b, count: count)).squareRoot()
            return norms > 0 ? 1 - self.preciseDotProduct(a, b, count: count) / norms : 1
        }
    }
}
