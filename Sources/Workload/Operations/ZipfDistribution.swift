import Foundation
import VectorSearch

/// Integers `0..<count` with probability ∝ `1 / (i + 1)^exponent`, drawn by binary search in the cumulative
/// weights (exact for any exponent ≥ 0; `count` doubles of memory).
public struct ZipfDistribution: Sendable {
    private let cumulative: [Double]

    public init(count: Int, exponent: Double) {
        precondition(count >= 1 && exponent >= 0)
        var running = 0.0
        var cumulative = [Double](repeating: 0, count: count)
        for rank in 0..<count {
            running += 1 / Double(rank + 1).pow(exponent)
            cumulative[rank] = running
        }
        self.cumulative = cumulative.map { $0 / running }
    }

    public var count: Int { self.cumulative.count }

    /// The probability of `rank`.
    public func probability(_ rank: Int) -> Double {
        self.cumulative[rank] - (rank > 0 ? self.cumulative[rank - 1] : 0)
    }

    public func sample(_ random: inout SplitMix64) -> Int {
        let u = Double(random.next() >> 11) * 0x1p-53
        var low = 0, high = self.cumulative.count - 1
        while low < high {
            let middle = (low + high) / 2
            if self.cumulative[middle] <= u { low = middle + 1 } else { high = middle }
        }
        return low
    }
}

extension Double {
    fileprivate func pow(_ exponent: Double) -> Double { exponent == 1 ? self : Foundation.pow(self, exponent) }
}
