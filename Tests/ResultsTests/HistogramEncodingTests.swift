import Foundation
import Histogram
import LocalServer
import Testing

@testable import Results

/// HdrHistogram's V2 layout: counts indices, the header, and the ZigZag LEB128 payload read back by hand; the
/// compressed form read back, whether tripbench or HdrHistogram's Python implementation wrote it.
@Suite struct HistogramEncodingTests {
    @Test func countsIndicesFollowHdrHistogramsLayout() {
        // The first bucket holds 0–2047 one by one; each next one the upper half of twice the range.
        #expect(HistogramEncoding.countsIndex(of: 1) == 1 && HistogramEncoding.countsIndex(of: 2047) == 2047)
        #expect(HistogramEncoding.countsIndex(of: 2048) == 2048 && HistogramEncoding.countsIndex(of: 2050) == 2049)
        #expect(HistogramEncoding.countsIndex(of: 4096) == 3072 && HistogramEncoding.countsIndex(of: 8192) == 4096)
    }

    @Test func thePayloadDecodesToTheRecordedCounts() {
        var histogram = LatencyHistogram()
        let values: [UInt64] = [1, 1, 5, 1_999, 2_050, 150_000, 150_000, 150_000, 3_000_000_000]
        for value in values { histogram.record(micros: value) }
        let bytes = HistogramEncoding.encoded(histogram)
        func word(_ offset: Int, _ size: Int) -> UInt64 { bytes[offset..<offset + size].reduce(0) { $0 << 8 | UInt64($1) } }
        #expect(word(0, 4) == UInt64(HistogramEncoding.encodingCookie) && word(4, 4) == UInt64(bytes.count - 40))
        #expect(word(12, 4) == 3 && word(16, 8) == 1 && word(24, 8) == LatencyHistogram.highestMicros)
        #expect(Double(bitPattern: word(32, 8)) == 1)
        // ZigZag LEB128: a negative number skips that many empty buckets.
        var counts: [Int: UInt64] = [:]
        var index = 0, offset = 40
        while offset < bytes.count {
            var raw: UInt64 = 0, shift: UInt64 = 0
            while true {
                let byte = bytes[offset]
                offset += 1
                if shift == 56 { raw |= UInt64(byte) << 56; break }
                raw |= UInt64(byte & 0x7f) << shift
                shift += 7
                if byte & 0x80 == 0 { break }
            }
            let value = Int64(bitPattern: raw >> 1) ^ -Int64(bitPattern: raw & 1)
            if value < 0 { index += Int(-value) } else { counts[index] = UInt64(value); index += 1 }
        }
        var expected: [Int: UInt64] = [:]
        for value in values { expected[HistogramEncoding.countsIndex(of: histogram.histogram.lowestEquivalentForValue(value)), default: 0] += 1 }
        #expect(counts == expected)
    }

    @Test func theCompressedFormHasItsCookieAndLength() throws {
        var histogram = LatencyHistogram()
        for value in 1...5_000 as ClosedRange<UInt64> { histogram.record(micros: value * 37) }
        let data = try HistogramEncoding.compressed(histogram)
        let header = [UInt8](data.prefix(8))
        #expect(header[0..<4].reduce(0) { $0 << 8 | UInt32($1) } == HistogramEncoding.compressedCookie)
        #expect(Int(header[4..<8].reduce(0) { $0 << 8 | UInt32($1) }) == data.count - 8)
        // zlib's stream header: deflate, 32 KB window.
        #expect(data[8] == 0x78)
    }

    static let values: [UInt64] = [1, 1, 5, 1_999, 2_047, 2_048, 2_050, 4_097, 150_000, 150_000, 150_000, 86_400_017, 3_000_000_000]

    @Test func countsIndicesMapBackToTheirLowestValues() {
        for value in Self.values + [2_049, 8_191, 8_192, LatencyHistogram.highestMicros] {
            let lowest = LatencyHistogram().histogram.lowestEquivalentForValue(value)
            #expect(HistogramEncoding.value(atCountsIndex: HistogramEncoding.countsIndex(of: lowest)) == lowest, "\(value)")
        }
    }

    @Test func theCompressedFormReadsBackBucketForBucket() throws {
        var histogram = LatencyHistogram()
        for value in Self.values { histogram.record(micros: value) }
        for value in 1...20_000 as ClosedRange<UInt64> { histogram.record(micros: value * value % 9_999_991) }
        let read = try HistogramEncoding.histogram(base64: try HistogramEncoding.base64(histogram))
        #expect(read.buckets == histogram.buckets && read.count == histogram.count)
        #expect(try HistogramEncoding.histogram(base64: try HistogramEncoding.base64(LatencyHistogram())).count == 0)
    }

    /// What HdrHistogram's Python implementation (the `hdrhistogram` package) encodes reads back as the same
    /// values recorded here.
    @Test func aHistogramEncodedByHdrHistogramsPythonReadsBack() throws {
        let script = """
            import sys
            from hdrh.histogram import HdrHistogram
            histogram = HdrHistogram(1, 3600000000, 3)
            for value in sys.argv[1:]:
                histogram.record_value(int(value))
            print(histogram.encode().decode())
            """
        let python = ProjectLocator.projectRoot().appendingPathComponent(".venv/bin/python").path
        let output = try CommandRunner().run(python, ["-c", script] + Self.values.map(String.init))
        try #require(output.succeeded, "\(output.text)")
        let read = try HistogramEncoding.histogram(base64: output.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines))
        var expected = LatencyHistogram()
        for value in Self.values { expected.record(micros: value) }
        #expect(read.buckets == expected.buckets)
    }

    @Test(arguments: [
        ("not base64!", "not base64"),
        ("AAAA", "not HdrHistogram's compressed V2 encoding"),
    ])
    func whatIsNotAHistogramIsRefused(text: String, message: String) {
        #expect { try HistogramEncoding.histogram(base64: text) } throws: { "\($0)".contains(message) }
    }

    @Test func aDamagedHistogramIsRefused() throws {
        var histogram = LatencyHistogram()
        for value in Self.values { histogram.record(micros: value) }
        var bytes = [UInt8](try HistogramEncoding.compressed(histogram))
        for offset in 12..<bytes.count - 4 { bytes[offset] ^= 0x5a }
        #expect { try HistogramEncoding.histogram(base64: Data(bytes).base64EncodedString()) } throws: { "\($0)".contains("damaged") }
    }
}
