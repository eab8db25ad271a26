import Foundation
import Testing
import VectorSearch

@Suite struct HNSWFileTests {
    static let base = try! clusteredStore(count: 2_000, dimension: 24, clusters: 20, seed: 31)
    static let queries = try! clusteredStore(count: 40, dimension: 24, clusters: 20, seed: 31, stream: 1)

    @Test(arguments: VectorMetric.allCases)
    func saveThenLoadGivesIdenticalAnswers(metric: VectorMetric) throws {
        let path = temporaryPath("index.hnsw")
        defer { unlink(path) }
        let built = try HNSWIndex.build(Self.base, parameters: HNSWParameters(metric: metric, m: 12, efConstruction: 64, seed: 9), threads: 2)
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
        try HNSWIndex.build(Self.base, parameters: HNSWParameters(m: 4, efConstruction: 16), threads: 1).save(to: path)
        return Array(try Data(contentsOf: URL(fileURLWithPath: path)))
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
        #expect(try Self.loadError(bytes) == "FILE: index file format version 99; this tripbench reads version 1 (rebuild the index)")
        #expect(try Self.loadError(Array("not an index at all, but long enough to have a header of sixty-four bytes".utf8))
            == "FILE: not a tripbench HNSW index file")
    }

    @Test func damageIsCaughtByTheChecksum() throws {
        var bytes = try Self.savedBytes()
        bytes[bytes.count / 2] ^= 0x10
        #expect(try Self.loadError(bytes) == "FILE: the checksum does not match (the file is damaged)")
    }
}
