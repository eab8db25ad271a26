import Foundation
import Testing
import VectorSearch

/// A store mapped from its file answers exactly as the same rows read into memory.
@Suite struct MappedVectorsTests {
    @Test(arguments: VectorMetric.allCases)
    func mappedAndCopiedStoresGiveTheSameAnswers(metric: VectorMetric) throws {
        let path = temporaryPath("mapped.fbin")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try VectorFiles.writeFbin(try randomStore(count: 3000, dimension: 40, seed: 21), to: path)
        let queries = try randomStore(count: 17, dimension: 40, seed: 22)
        let copied = try VectorFiles.readFbin(path), mapped = try VectorFiles.mapFbin(path)
        #expect(mapped.isMapped && !copied.isMapped)
        #expect(mapped.count == 3000 && mapped.dimension == 40)
        var exactOnCopy = ExactSearch(store: copied, metric: metric), exactOnMap = ExactSearch(store: mapped, metric: metric)
        exactOnCopy.rowsPerBlock = 512
        exactOnMap.rowsPerBlock = 512
        let a = try exactOnCopy.search(queries, k: 10, threads: 2), b = try exactOnMap.search(queries, k: 10, threads: 2)
        #expect(a.ids == b.ids && a.distances == b.distances)

        let parameters = HNSWParameters(metric: metric, m: 8, efConstruction: 40)
        let fromCopy = try HNSWIndex.build(copied, parameters: parameters, threads: 1)
        let fromMap = try HNSWIndex.build(mapped, parameters: parameters, threads: 1)
        let context = fromCopy.makeContext()
        var x = [Int32](repeating: -1, count: 10), y = x
        for query in 0..<queries.count {
            fromCopy.search(queries.row(query), k: 10, ef: 40, context: context, ids: &x)
            fromMap.search(queries.row(query), k: 10, ef: 40, context: context, ids: &y)
            #expect(x == y)
        }
    }

    /// Releasing a mapped block drops its pages from the process, not the rows: they read back unchanged.
    @Test func releasedRowsReadBackFromThePageCache() throws {
        let path = temporaryPath("released.fbin")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let store = try randomStore(count: 5000, dimension: 64, seed: 23)
        try VectorFiles.writeFbin(store, to: path)
        let mapped = try VectorFiles.mapFbin(path)
        let before = (0..<mapped.count).map { mapped.vector($0) }
        mapped.advise(.done, rows: 0..<mapped.count)
        mapped.advise(.random, rows: 100..<200)
        #expect((0..<mapped.count).map { mapped.vector($0) } == before)
        #expect(before[4999] == store.vector(4999))
    }

    /// Written a block at a time, byte for byte the file the whole store gives; a short write leaves nothing.
    @Test func fbinWrittenInBlocksMatchesTheWholeStore() throws {
        let store = try randomStore(count: 1000, dimension: 12, seed: 24)
        let whole = temporaryPath("whole.fbin"), blocks = temporaryPath("blocks.fbin")
        defer { [whole, blocks].forEach { try? FileManager.default.removeItem(atPath: $0) } }
        try VectorFiles.writeFbin(store, to: whole)
        try VectorFiles.writeFbin(to: blocks, count: 1000, dimension: 12) { write in
            for first in stride(from: 0, to: 1000, by: 300) {
                try write(UnsafeBufferPointer(start: store.row(first), count: min(300, 1000 - first) * 12))
            }
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: whole)) == Data(contentsOf: URL(fileURLWithPath: blocks)))
        #expect(throws: VectorSearchError.self) {
            try VectorFiles.writeFbin(to: blocks + ".short", count: 1000, dimension: 12) { write in
                try write(UnsafeBufferPointer(start: store.row(0), count: 12))
            }
        }
        #expect(!FileManager.default.fileExists(atPath: blocks + ".short"))
    }

    @Test func aTruncatedFileIsNotMapped() throws {
        let path = temporaryPath("short.fbin")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try VectorFiles.writeFbin(try randomStore(count: 10, dimension: 4, seed: 25), to: path)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.truncate(atOffset: 100)
        try handle.close()
        #expect(throws: VectorSearchError.self) { try VectorFiles.mapFbin(path) }
    }
}
