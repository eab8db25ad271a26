/// Distance kernels over rows of `Float16`: each eight halves widened to a `SIMD8<Float>` (one `vcvtph2ps`
/// where the build targets F16C, as `-target-cpu haswell` does), then the single-precision loop of
/// ``DistanceKernels``: four independent accumulators, 32 components a step, a scalar tail. The widening is
/// written lane by lane: LLVM turns it into one `vcvtph2ps`, where the standard library's generic
/// `SIMD8<Float>(_:)` was left as a function call in the build's larger loops (seen in the disassembly).
public enum HalfKernels {
    /// `Σ a[i]·b[i]` over `count` halves at `a` and `b`, in single precision.
    @inline(__always)
    public static func dotProduct(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, count: Int) -> Float {
        var s0 = SIMD8<Float>(), s1 = SIMD8<Float>(), s2 = SIMD8<Float>(), s3 = SIMD8<Float>()
        var i = 0
        while i &+ 32 <= count {
            let o = i &* 2
            DistanceKernels.multiplyAdd(&s0, self.load(a, o), self.load(b, o))
            DistanceKernels.multiplyAdd(&s1, self.load(a, o &+ 16), self.load(b, o &+ 16))
            DistanceKernels.multiplyAdd(&s2, self.load(a, o &+ 32), self.load(b, o &+ 32))
            DistanceKernels.multiplyAdd(&s3, self.load(a, o &+ 48), self.load(b, o &+ 48))
            i &+= 32
        }
        while i &+ 8 <= count {
            DistanceKernels.multiplyAdd(&s0, self.load(a, i &* 2), self.load(b, i &* 2))
            i &+= 8
        }
        var sum = ((s0 + s1) + (s2 + s3)).sum()
        while i < count {
            sum += self.scalar(a, i) * self.scalar(b, i)
            i &+= 1
        }
        return sum
    }

    /// `Σ (a[i] − b[i])²` over `count` halves at `a` and `b`, in single precision.
    @inline(__always)
    public static func squaredL2(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, count: Int) -> Float {
        var s0 = SIMD8<Float>(), s1 = SIMD8<Float>(), s2 = SIMD8<Float>(), s3 = SIMD8<Float>()
        var i = 0
        while i &+ 32 <= count {
            let o = i &* 2
            let d0 = self.load(a, o) - self.load(b, o)
            let d1 = self.load(a, o &+ 16) - self.load(b, o &+ 16)
            let d2 = self.load(a, o &+ 32) - self.load(b, o &+ 32)
            let d3 = self.load(a, o &+ 48) - self.load(b, o &+ 48)
            DistanceKernels.multiplyAdd(&s0, d0, d0)
            DistanceKernels.multiplyAdd(&s1, d1, d1)
            DistanceKernels.multiplyAdd(&s2, d2, d2)
            DistanceKernels.multiplyAdd(&s3, d3, d3)
            i &+= 32
        }
        while i &+ 8 <= count {
            let d = self.load(a, i &* 2) - self.load(b, i &* 2)
            DistanceKernels.multiplyAdd(&s0, d, d)
            i &+= 8
        }
        var sum = ((s0 + s1) + (s2 + s3)).sum()
        while i < count {
            let d = self.scalar(a, i) - self.scalar(b, i)
            sum += d * d
            i &+= 1
        }
        return sum
    }

    /// Eight halves at `byteOffset`, widened.
    @inline(__always)
    private static func load(_ row: UnsafeRawPointer, _ byteOffset: Int) -> SIMD8<Float> {
        let h = row.loadUnaligned(fromByteOffset: byteOffset, as: SIMD8<Float16>.self)
        return SIMD8<Float>(Float(h[0]), Float(h[1]), Float(h[2]), Float(h[3]), Float(h[4]), Float(h[5]), Float(h[6]), Float(h[7]))
    }

    @inline(__always)
    private static func scalar(_ row: UnsafeRawPointer, _ index: Int) -> Float {
        Float(row.loadUnaligned(fromByteOffset: index &* 2, as: Float16.self))
    }
}
