#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A small, fast, seeded random number generator (Steele, Lea & Flood's SplitMix64): the same seed gives the
/// same sequence on every machine. Every random choice tripbench makes comes from one of these, derived from
/// the run's seed, never from the system generator.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { self.state = seed }

    /// A generator for sub-stream `stream` of `seed` (a table, a worker, a node), independent of the others.
    public init(seed: UInt64, stream: UInt64) {
        var mixer = SplitMix64(seed: seed ^ (stream &* 0x9E37_79B9_7F4A_7C15))
        self.state = mixer.next()
    }

    public mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A float uniform in [0, 1), from the top 24 bits.
    public mutating func nextUnitFloat() -> Float { Float(self.next() >> 40) * 0x1p-24 }

    /// A standard normal deviate (Box–Muller).
    public mutating func nextGaussian() -> Float {
        let u1 = max(Double(self.next() >> 11) * 0x1p-53, .leastNonzeroMagnitude)
        let u2 = Double(self.next() >> 11) * 0x1p-53
        return Float((-2 * log(u1)).squareRoot() * cos(2 * .pi * u2))
    }
}
