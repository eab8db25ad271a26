/// How an index stores each component of a vector: single precision, or IEEE half precision as pgvector's
/// `halfvec` stores it (half the bytes; 11 significant bits, finite up to ±65504). Half-precision indexes
/// compare rows and queries both rounded to half precision and sum in single precision, as pgvector does
/// when a query is cast to `halfvec`, so their recall predicts an HNSW index on `embedding::halfvec`.
public enum VectorPrecision: String, Sendable, Codable, CaseIterable {
    case float32, float16

    /// Bytes per component.
    public var bytes: Int { self == .float32 ? 4 : 2 }

    /// Writes `count` floats from `source` into `destination` in this precision.
    @inline(__always)
    func encode(_ source: UnsafePointer<Float>, into destination: UnsafeMutableRawPointer, count: Int) {
        switch self {
        case .float32: destination.copyMemory(from: source, byteCount: count &* 4)
        case .float16:
            let halves = destination.bindMemory(to: Float16.self, capacity: count)
            for i in 0..<count { halves[i] = Float16(source[i]) }
        }
    }

    /// The first component of `vector` that half precision cannot hold (beyond ±65504), if any.
    static func firstBeyondHalfRange(_ vector: UnsafePointer<Float>, count: Int) -> Int? {
        let limit = Float(Float16.greatestFiniteMagnitude)
        return (0..<count).first { abs(vector[$0]) > limit }
    }
}

/// How the distance kernels read a row: a generic parameter of the metric kernels, so each precision gets
/// its own inlined loop.
protocol RowFormat {
    static func dotProduct(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, count: Int) -> Float
    static func squaredL2(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, count: Int) -> Float
}

/// Rows of `Float`.
enum SingleRows: RowFormat {
    @inline(__always)
    static func dotProduct(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, count: Int) -> Float {
        DistanceKernels.dotProduct(a.assumingMemoryBound(to: Float.self), b.assumingMemoryBound(to: Float.self), count: count)
    }

    @inline(__always)
    static func squaredL2(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, count: Int) -> Float {
        DistanceKernels.squaredL2(a.assumingMemoryBound(to: Float.self), b.assumingMemoryBound(to: Float.self), count: count)
    }
}

/// Rows of `Float16`.
enum HalfRows: RowFormat {
    @inline(__always)
    static func dotProduct(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, count: Int) -> Float {
        HalfKernels.dotProduct(a, b, count: count)
    }

    @inline(__always)
    static func squaredL2(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, count: Int) -> Float {
        HalfKernels.squaredL2(a, b, count: count)
    }
}
