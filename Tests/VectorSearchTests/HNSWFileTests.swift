import Foundation
import Testing
@testable import VectorSearch

@Suite struct HNSWFileTests {
    static let base = try! clusteredStore(count: 2_000, dimension: 24, clusters: 20, seed: 31)
    static let queries = try! clusteredStore(count: 40, dimension: 24, clusters: 20, seed: 31, stream: 1)

    @Test(arguments: VectorMetric.allCases, VectorPrecision.allCases)
    func saveThenLoadGivesIdenticalAnswers(metric: VectorMetric, precision: VectorPrecision) throws {
        let path = temporaryPath("index.hnsw")
        defer { unlink(path) }
        let parameters = HNSWParameters(metric: metric, m: 12, efConstruction: 64, seed: 9, precision: precision)
        let built = try HNSWIndex.build(Self.base, parameters: parameters, threads: 2)
        try built.save(to: path)
        let loaded = try HNSWIndex.load(from: path)
        #expect(loaded.parameters == built.parameters)
        #expect(loaded.count == built.count && loaded.dimension == built.dimension && loaded.bytes == built.bytes)
        #expect(searchAll(loaded, Self.queries, k: 10, ef: 30) == searchAll(built, Self.queries, k: 10, ef: 30))
    }

    /// Writes a small index and returns its bytes.
    static func savedBytes() throws -> [UInt8] {
        let path = temporaryPath("index.hnsw")
        defer { unlink(path) }
        try Self.small.save(to: path)
        return Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    static let small = try! HNSWIndex.build(base, parameters: HNSWParameters(m: 4, efConstruction: 16), threads: 1)

    /// Files written before half precision (format version 1: a 64-byte header) still load, as single precision.
    @Test func versionOneFilesStillLoad() throws {
        let current = try Self.savedBytes()
        var header = Array(current.prefix(64))
        header[8] = 1
        let sections = Array(current[72..<(current.count - 8)])
        let count = Self.small.count, stride = Self.small.graph.stride
        var summary = header
        for range in [0..<count, count..<(count + count * stride), (count + count * stride)..<sections.count] {
            let hash = sections[range].withUnsafeBytes { XXH64.hash($0) }
            withUnsafeBytes(of: hash.littleEndian) { summary.append(contentsOf: $0) }
        }
        let checksum = summary.withUnsafeBytes { XXH64.hash($0) }
        let path = temporaryPath("version1.hnsw")
        defer { unlink(path) }
        try Data(header + sections + withUnsafeBytes(of: checksum.littleEndian, Array.init)).write(to: URL(fileURLWithPath: path))
        let loaded = try HNSWIndex.load(from: path)
        #expect(loaded.parameters == Self.small.parameters && loaded.parameters.precision == .float32)
        #expect(searchAll(loaded, Self.queries, k: 10, ef: 30) == searchAll(Self.small, Self.queries, k: 10, ef: 30))
    }

    /// The error loading `bytes` from a file gives.
    static func loadError(_ bytes: [UInt8]) throws -> String? {
        let path = temporaryPath("damaged.hnsw")
        defer { unlink(path) }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        do {
            _ = try HNSWIndex.load(from: path)
            return nil
        } catch let error as VectorSearchError {
            #expect(error.kind == .badInput)
            return error.description.replacingOccurrences(of: path, with: "FILE")
        }
    }

    @Test func truncatedFilesAreRefused() throws {
        let bytes = try Self.savedBytes()
        #expect(try Self.loadError(Array(bytes.dropLast(100)))?.hasPrefix("FILE: the file is truncated: ") == true)
        #expect(try Self.loadError(Array(bytes.prefix(10))) == "FILE: 10 bytes is too short for an HNSW index (truncated?)")
    }

    @Test func otherVersionsAndOtherFilesAreRefused() throws {
        var bytes = try Self.savedBytes()
        bytes[8] = 99
        #expect(try Self.loadError(bytes) == "FILE: index file format version 99; this tripbench reads versions 1 and 2 (rebuild the index)")
        #expect(try Self.loadError(Array("not an index at all, but long enough to have a header of sixty-four bytes".utf8))
            == "FILE: not a tripbench HNSW index file")
    }

    @Test func damageIsCaughtByTheChecksum() throws {
        var bytes = try Self.savedBytes()
        bytes[bytes.count / 2] ^= 0x10
        #expect(try Self.loadError(bytes) == "FILE: the checksum does not match (the file is damaged)")
    }
}
