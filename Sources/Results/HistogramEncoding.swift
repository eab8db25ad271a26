import CZlib
import Foundation
import Histogram

/// A histogram's transportable form that cannot be read back.
public struct HistogramEncodingError: Error, Sendable, CustomStringConvertible {
    public let description: String
}

/// HdrHistogram's transportable form (V2, compressed), as its Java, C and Python implementations write and read
/// it: the counts array as ZigZag LEB128 varints (a run of empty buckets as one negative number) behind a 40-byte
/// big-endian header, deflated behind an 8-byte one, and base64 for a log line or a JSON string (an interval
/// log's histograms, a shard's per-second histograms in report.json).
///
/// ``LatencyHistogram`` is HdrHistogram's layout with a lowest discernible value of 1 µs and 3 significant
/// digits: 2,048 sub-buckets, of which each bucket after the first uses the upper half.
public enum HistogramEncoding {
    static let encodingCookie: UInt32 = 0x1c84_9303 | 0x10
    static let compressedCookie: UInt32 = 0x1c84_9304 | 0x10
    private static let subBucketHalfCountMagnitude = 10
    private static let subBucketHalfCount = 1 << 10
    /// 64 − (unit magnitude 0) − (sub-bucket count magnitude 11).
    private static let leadingZeroCountBase = 53

    /// The base64 of the compressed encoding, as an interval log's histogram column.
    public static func base64(_ histogram: LatencyHistogram) throws -> String {
        try self.compressed(histogram).base64EncodedString()
    }

    /// The histogram a base64 compressed encoding holds (written by ``base64(_:)`` or by another HdrHistogram
    /// with 3 significant digits and a unit of 1).
    public static func histogram(base64 text: String) throws -> LatencyHistogram {
        guard let data = Data(base64Encoded: text) else { throw HistogramEncodingError(description: "a histogram is not base64") }
        let bytes = [UInt8](data)
        guard bytes.count >= 8, self.word(bytes, 0, 4) == self.compressedCookie, Int(self.word(bytes, 4, 4)) == bytes.count - 8 else {
            throw HistogramEncodingError(description: "a histogram is not HdrHistogram's compressed V2 encoding")
        }
        // The uncompressed form is at most the header and 9 bytes a bucket: 3 significant digits up to an hour.
        var encoded = [UInt8](repeating: 0, count: 40 + 9 * self.countsIndex(of: LatencyHistogram.highestMicros) + 9)
        var length = uLongf(encoded.count)
        let status = bytes[8...].withUnsafeBufferPointer { source in
            uncompress(&encoded, &length, source.baseAddress, uLong(source.count))
        }
        guard status == Z_OK, length >= 40, self.word(encoded, 0, 4) == self.encodingCookie,
              Int(self.word(encoded, 4, 4)) == Int(length) - 40, self.word(encoded, 8, 4) == 0,
              self.word(encoded, 12, 4) == 3, self.word(encoded, 16, 8) == 1
        else {
            throw HistogramEncodingError(description: "a histogram's encoding is damaged or not of 3 significant digits from 1 µs")
        }
        var histogram = LatencyHistogram()
        var offset = 40, index = 0
        while offset < Int(length) {
            let value = try self.readVarint(encoded, at: &offset, end: Int(length))
            if value < 0 {
                index += Int(-value)
            } else {
                if value > 0 { histogram.record(micros: self.value(atCountsIndex: index), count: UInt64(value)) }
                index += 1
            }
        }
        return histogram
    }

    static func compressed(_ histogram: LatencyHistogram) throws -> Data {
        let encoded = self.encoded(histogram)
        var deflated = [UInt8](repeating: 0, count: Int(compressBound(uLong(encoded.count))))
        var length = uLongf(deflated.count)
        let status = encoded.withUnsafeBufferPointer { source in
            compress2(&deflated, &length, source.baseAddress, uLong(source.count), Z_DEFAULT_COMPRESSION)
        }
        guard status == Z_OK else { throw HistogramEncodingError(description: "zlib could not compress a histogram (status \(status))") }
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

    /// The lowest value counted at `index` of HdrHistogram's counts array (``countsIndex(of:)`` reversed).
    static func value(atCountsIndex index: Int) -> UInt64 {
        var bucket = (index >> self.subBucketHalfCountMagnitude) - 1
        var subBucket = (index & (self.subBucketHalfCount - 1)) + self.subBucketHalfCount
        if bucket < 0 {
            subBucket -= self.subBucketHalfCount
            bucket = 0
        }
        return UInt64(subBucket) << UInt64(bucket)
    }

    private static func readVarint(_ bytes: [UInt8], at offset: inout Int, end: Int) throws -> Int64 {
        var raw: UInt64 = 0
        for shift in stride(from: UInt64(0), through: 56, by: 7) {
            guard offset < end else { throw HistogramEncodingError(description: "a histogram's encoding ends inside a number") }
            let byte = bytes[offset]
            offset += 1
            if shift == 56 {
                raw |= UInt64(byte) << 56
                break
            }
            raw |= UInt64(byte & 0x7f) << shift
            if byte & 0x80 == 0 { break }
        }
        return Int64(bitPattern: raw >> 1) ^ -Int64(bitPattern: raw & 1)
    }

    private static func word(_ bytes: [UInt8], _ offset: Int, _ size: Int) -> UInt64 {
        bytes[offset..<offset + size].reduce(0) { $0 << 8 | UInt64($1) }
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
