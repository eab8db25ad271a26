import Datasets
import Foundation
import Logging
import Testing
import VectorSearch

/// `generate --vectors`: a dataset around embeddings the user brings.
@Suite struct ProvidedVectorsTests {
    private func writeVectors(count: Int, dimension: Int, seed: UInt64, scale: Float = 3) throws -> String {
        var random = SplitMix64(seed: seed)
        let store = try VectorStore(dimension: dimension, capacity: count)
        var row = [Float](repeating: 0, count: dimension)
        for _ in 0..<count {
            for index in row.indices { row[index] = random.nextGaussian() * scale }  // not unit length
            row.withUnsafeBufferPointer { store.append($0) }
        }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("mine-\(UUID().uuidString).fbin").path
        try VectorFiles.writeFbin(store, to: path)
        return path
    }

    @Test func heldOutQueriesAndExactGroundTruth() throws {
        let vectors = try self.writeVectors(count: 400, dimension: 24, seed: 11)
        let cache = FileManager.default.temporaryDirectory.appendingPathComponent("tripbench-provided-\(UUID().uuidString)")
        defer { [URL(fileURLWithPath: vectors), cache].forEach { try? FileManager.default.removeItem(at: $0) } }
        let shape = try DatasetGeneratorTests.spec()
        let (generator, input) = try DatasetGenerator.aroundVectors(.init(base: vectors, queries: nil), shape: shape, cacheDirectory: cache)
        guard case .generated(let manifest) = try generator.generate(force: false, logger: Logger(label: "test"), input: input) else {
            Issue.record("expected a new dataset")
            return
        }
        #expect(manifest.dimension == 24 && manifest.vectorSource == vectors)
        // At most a tenth held out: 30 asked, 40 allowed.
        #expect(manifest.counts["queries"] == 30 && manifest.counts["memory_embeddings"] == 370)
        let base = try VectorFiles.readVectors(generator.directory.appendingPathComponent("base.fbin").path)
        let queries = try VectorFiles.readVectors(generator.directory.appendingPathComponent("queries.fbin").path)
        let gt = try VectorFiles.readIbin(generator.directory.appendingPathComponent("gt.ibin").path)
        for query in 0..<queries.count {
            let reference = (0..<base.count)
                .map { (row: $0, distance: ScalarKernels.distance(.cosine, queries.row(query), base.row($0), count: 24)) }
                .sorted { ($0.distance, $0.row) < ($1.distance, $1.row) }.prefix(gt.k).map { Int32($0.row) }
            #expect(Array(gt.ids[(query * gt.k)..<((query + 1) * gt.k)]) == reference)
        }
        // The user's file changes: the old dataset is no longer theirs.
        try VectorFiles.writeFbin(try VectorFiles.readVectors(try self.writeVectors(count: 400, dimension: 24, seed: 12)), to: vectors)
        let (again, changed) = try DatasetGenerator.aroundVectors(.init(base: vectors, queries: nil), shape: shape, cacheDirectory: cache)
        #expect(throws: DatasetError.self) { try again.generate(force: false, logger: Logger(label: "test"), input: changed) }
    }

    @Test func givenQueriesAreUsedAsTheyAre() throws {
        let vectors = try self.writeVectors(count: 100, dimension: 16, seed: 13)
        let queries = try self.writeVectors(count: 7, dimension: 16, seed: 14)
        let cache = FileManager.default.temporaryDirectory.appendingPathComponent("tripbench-provided-\(UUID().uuidString)")
        defer { [URL(fileURLWithPath: vectors), URL(fileURLWithPath: queries), cache].forEach { try? FileManager.default.removeItem(at: $0) } }
        let (generator, input) = try DatasetGenerator.aroundVectors(.init(base: vectors, queries: queries), shape: try DatasetGeneratorTests.spec(), cacheDirectory: cache)
        _ = try generator.generate(force: false, logger: Logger(label: "test"), input: input)
        #expect(try VectorFiles.readVectors(generator.directory.appendingPathComponent("queries.fbin").path).vector(3)
            == VectorFiles.readVectors(queries).vector(3))
        let wrongDimension = try self.writeVectors(count: 5, dimension: 8, seed: 15)
        defer { try? FileManager.default.removeItem(atPath: wrongDimension) }
        #expect { try DatasetGenerator.aroundVectors(.init(base: vectors, queries: wrongDimension), shape: try DatasetGeneratorTests.spec(), cacheDirectory: cache) } throws: { error in
            (error as? DatasetError)?.kind == .badInput && "\(error)".contains("8-d queries")
        }
    }
}

@Suite struct GroundTruthFileTests {
    @Test func depthIsCheckedAndTruncated() throws {
        let (directory, manifest) = try DatasetGeneratorTests.generate(try DatasetGeneratorTests.spec())
        defer { try? FileManager.default.removeItem(at: directory) }
        let full = try manifest.groundTruth(in: directory, filtered: false, k: 10)
        let top3 = try manifest.groundTruth(in: directory, filtered: true, k: 3)
        #expect(full.count == 30 * 10 && top3.count == 30 * 3)
        let filtered = try manifest.groundTruth(in: directory, filtered: true, k: 10)
        #expect(Array(top3.prefix(3)) == Array(filtered.prefix(3)))
        #expect { try manifest.groundTruth(in: directory, filtered: false, k: 20) } throws: { error in
            (error as? DatasetError)?.kind == .badInput && "\(error)".contains("depth k 10, 20 asked")
        }
    }
}
