import Histogram

/// Latencies in microseconds, 3 significant digits, 1 µs to 1 hour: HdrHistogram's layout (hdrhistogram-swift).
///
/// Histograms are merged, never averaged: per-worker histograms are added bucket by bucket at the end of
/// each interval. The package has no `add`, so ``add(_:)`` replays the other's recorded buckets (a few
/// hundred for a typical run).
public struct LatencyHistogram: Sendable {
    public private(set) var histogram = Histogram<UInt64>(
        lowestDiscernibleValue: 1, highestTrackableValue: Self.highestMicros, numberOfSignificantValueDigits: .three)

    /// One hour: anything slower is clamped there (and is a failure anyway).
    public static let highestMicros: UInt64 = 3_600_000_000

    public init() {}

    public var count: UInt64 { self.histogram.totalCount }

    @inline(__always)
    public mutating func record(micros: UInt64) {
        self.histogram.record(Swift.min(Swift.max(micros, 1), Self.highestMicros))
    }

    /// Records `count` latencies of `micros` each.
    public mutating func record(micros: UInt64, count: UInt64) {
        self.histogram.record(Swift.min(Swift.max(micros, 1), Self.highestMicros), count: count)
    }

    /// Records a latency given in nanoseconds.
    @inline(__always)
    public mutating func record(nanos: Int64) {
        self.record(micros: UInt64(Swift.max(nanos, 0) / 1000))
    }

    /// Adds every value recorded in `other`.
    public mutating func add(_ other: LatencyHistogram) {
        for bucket in other.histogram.recordedValues() {
            self.histogram.record(other.histogram.lowestEquivalentForValue(bucket.value), count: bucket.count)
        }
    }

    public mutating func reset() { self.histogram.reset() }

    /// The value at `percentile` (0…100), in µs; 0 when empty.
    public func percentile(_ percentile: Double) -> UInt64 {
        self.count == 0 ? 0 : self.histogram.valueAtPercentile(percentile)
    }

    public var max: UInt64 { self.count == 0 ? 0 : self.histogram.max }
    public var mean: Double { self.count == 0 ? 0 : self.histogram.mean }

    /// The recorded buckets as `[value, count]` pairs (value: the bucket's lowest equivalent µs): the form
    /// report.json keeps, from which ``init(buckets:)`` rebuilds an identical histogram to merge later.
    public var buckets: [[UInt64]] {
        self.histogram.recordedValues().map { [self.histogram.lowestEquivalentForValue($0.value), $0.count] }
    }

    public init(buckets: [[UInt64]]) {
        for pair in buckets where pair.count == 2 { self.histogram.record(Swift.min(pair[0], Self.highestMicros), count: pair[1]) }
    }
}
