import Foundation
import Testing
import VectorSearch

@Suite struct VectorFilesTests {
    @Test func fbinRoundTripsAndMatchesHandWrittenBytes() throws {
        let store = try VectorStore(dimension: 2, capacity: 2)
        [Float(1), 2].withUnsafeBufferPointer { store.append($0) }
        [Float(-1), 0.5].withUnsafeBufferPointer { store.append($0) }
        let path = temporaryPath("a.fbin")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try VectorFiles.writeFbin(store, to: path)
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(bytes == [2, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0x80, 0x3F, 0, 0, 0, 0x40, 0, 0, 0x80, 0xBF, 0, 0, 0, 0x3F])
        let back = try VectorFiles.readVectors(path)
        #expect(back.count == 2 && back.dimension == 2)
        #expect(back.vector(1) == [-1, 0.5])
    }

    @Test func ibinRoundTripsAndMatchesHandWrittenBytes() throws {
        let path = temporaryPath("gt.ibin")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try VectorFiles.writeIbin([3, -1, 7, 8], count: 2, k: 2, to: path)
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(bytes == [2, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 7, 0, 0, 0, 8, 0, 0, 0])
        let back = try VectorFiles.readIbin(path)
        #expect(back.ids == [3, -1, 7, 8] && back.count == 2 && back.k == 2)
    }

    @Test func fvecsIsReadRowByRow() throws {
        let path = temporaryPath("b.fvecs")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data([3, 0, 0, 0, 0, 0, 0x80, 0x3F, 0, 0, 0, 0x40, 0, 0, 0x40, 0x40,
                  3, 0, 0, 0, 0, 0, 0x80, 0x40, 0, 0, 0xA0, 0x40, 0, 0, 0xC0, 0x40]).write(to: URL(fileURLWithPath: path))
        let store = try VectorFiles.readVectors(path)
        #expect(store.count == 2 && store.vector(0) == [1, 2, 3] && store.vector(1) == [4, 5, 6])
    }

    @Test(arguments: [
        ([UInt8]([1, 0, 0]), "too short"),
        ([2, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0x80, 0x3F], "the header says 2 × 2"),
        ([1, 0, 0, 0, 0, 0, 0, 0], "width 0"),
    ])
    func malformedFbinIsRefusedNamingTheFile(bytes: [UInt8], reason: String) throws {
        let path = temporaryPath("bad.fbin")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        #expect { try VectorFiles.readVectors(path) } throws: { error in
            let error = error as! VectorSearchError
            return error.kind == .badInput && error.message.hasPrefix(path) && error.message.contains(reason)
        }
    }

    @Test func fvecsWithChangingDimensionIsRefused() throws {
        let path = temporaryPath("bad.fvecs")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data([1, 0, 0, 0, 0, 0, 0x80, 0x3F, 1, 0, 0, 0, 0, 0, 0x80, 0x3F, 2, 0, 0, 0, 0, 0, 0x80, 0x3F])
            .write(to: URL(fileURLWithPath: path))
        #expect { try VectorFiles.readVectors(path) } throws: { error in
            "\(error)".contains("row 2 has dimension 2")
        }
    }

    @Test func missingFileIsBadInput() {
        #expect { try VectorFiles.readIbin("/nonexistent/gt.ibin") } throws: { error in
            (error as? VectorSearchError)?.kind == .badInput && "\(error)".contains("/nonexistent/gt.ibin")
        }
    }

    @Test func aFailedWriteLeavesNothingBehind() throws {
        let directory = temporaryPath("dir")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/x.ibin"
        #expect(throws: VectorSearchError.self) {
            try VectorFiles.writeIbin([1], count: 1, k: 1, to: directory + "/missing/x.ibin")
        }
        try VectorFiles.writeIbin([1], count: 1, k: 1, to: path)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["x.ibin"])
    }
}
