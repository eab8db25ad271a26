import CZlib
import Foundation
import Histogram
import Results

/// HdrHistogram's transportable form (V2, compressed), as its Java, C and Python implementations read it:
/// the counts array as ZigZag LEB128 varints (a run of empty buckets as one negative number) behind a 40-byte
/// big-endian header, deflated behind an 8-byte one, and base64 for a log line.
///
/// ``LatencyHistogram`` is HdrHistogram's layout with a lowest discernible value of 1 µs and 3 significant
/// digits: 2,048 sub-buckets, of which each bucket after the first uses the upper half.
enum HistogramEncoding {
    static let encodingCookie: UInt32 = 0x1c84_9303 | 0x10
    static let compressedCookie: UInt32 = 0x1c84_9304 | 0x10
    private static let subBucketHalfCountMagnitude = 10
    private static let subBucketHalfCount = 1 << 10
    /// 64 − (unit magnitude 0) − (sub-bucket count magnitude 11).
    private static let leadingZeroCountBase = 53

    /// The base64 of the compressed encoding, as an interval log's histogram column.
    static func base64(_ histogram: LatencyHistogram) throws -> String {
        try self.compressed(histogram).base64EncodedString()
    }

    static func compressed(_ histogram: LatencyHistogram) throws -> Data {
        let encoded = self.encoded(histogram)
        var deflated = [UInt8](repeating: 0, count: Int(compressBound(uLong(encoded.count))))
        var length = uLongf(deflated.count)
        let status = encoded.withUnsafeBufferPointer { source in
            compress2(&deflated, &length, source.baseAddress, uLong(source.count), Z_DEFAULT_COMPRESSION)
        }
        guard status == Z_OK else { throw LiveOutputError("zlib could not compress a histogram (status \(status))") }
        var out = [UInt8]()
        out.reserveCapacity(8 + Int(length))
        self.append(self.compressedCookie, to: &out)
        self.append(UInt32(length), to: &out)
        out.append(contentsOf: deflated[0..<Int(length)])
        return Data(out)
    }

    /// The uncompressed encoding: header, then the counts up to the last non-empty bucket.
    static func encoded(_ histogram: LatencyHistogram) -> [UInt8] {
        var counts: [(index: Int, count: UInt64)] = histogram.histogram.recordedValues().map {
            (self.countsIndex(of: histogram.histogram.lowestEquivalentForValue($0.value)), $0.count)
        }
        counts.sort { $0.index < $1.index }
        var payload: [UInt8] = []
        var next = 0
        for (index, count) in counts {
            if index > next { self.appendVarint(-Int64(index - next), to: &payload) }
            self.appendVarint(Int64(count), to: &payload)
            next = index + 1
        }
        var out: [UInt8] = []
        out.reserveCapacity(40 + payload.count)
        self.append(self.encodingCookie, to: &out)
        self.append(UInt32(payload.count), to: &out)
        self.append(UInt32(0), to: &out)  // normalizing index offset
        self.append(UInt32(3), to: &out)  // significant digits
        self.append(UInt64(1), to: &out)  // lowest discernible value
        self.append(LatencyHistogram.highestMicros, to: &out)
        self.append(Double(1).bitPattern, to: &out)  // integer-to-double conversion ratio
        out.append(contentsOf: payload)
        return out
    }

    /// Where `value` is counted in HdrHistogram's counts array.
    static func countsIndex(of value: UInt64) -> Int {
        let bucket = self.leadingZeroCountBase - (value | UInt64(2 * self.subBucketHalfCount - 1)).leadingZeroBitCount
        let subBucket = Int(value >> UInt64(bucket))
        return ((bucket + 1) << self.subBucketHalfCountMagnitude) + subBucket - self.subBucketHalfCount
    }

    private static func appendVarint(_ value: Int64, to out: inout [UInt8]) {
        var zigzag = UInt64(bitPattern: (value << 1) ^ (value >> 63))
        // LEB128 as HdrHistogram writes it: at most 9 bytes, the ninth carrying 8 bits.
        for _ in 0..<8 {
            if zigzag < 0x80 {
                out.append(UInt8(zigzag))
                return
            }
            out.append(UInt8(zigzag & 0x7f) | 0x80)
            zigzag >>= 7
        }
        out.append(UInt8(truncatingIfNeeded: zigzag))
    }

    private static func append<T: FixedWidthInteger>(_ value: T, to out: inout [UInt8]) {
        withUnsafeBytes(of: value.bigEndian) { out.append(contentsOf: $0) }
    }
}
