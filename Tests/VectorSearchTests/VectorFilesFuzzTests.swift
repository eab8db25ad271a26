import Foundation
import Testing
@testable import VectorSearch

/// Random headers and bodies for .fbin, .ibin and .fvecs: each file is read or refused as bad input, never
/// allowed to overflow a size or allocate what its header claims without the bytes to back it.
@Suite struct VectorFilesFuzzTests {
    static let widths: [UInt32] = [0, 1, 2, 3, 16, 1536, 65_536, 65_537, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF]

    @Test func randomHeadersAndBodiesAreReadOrRefused() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fuzz-vectors-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var random = SplitMix64(seed: 42)
        for round in 0..<400 {
            let count = Self.widths[Int(random.next() % UInt64(Self.widths.count))]
            let width = Self.widths[Int(random.next() % UInt64(Self.widths.count))]
            var bytes = Data()
            withUnsafeBytes(of: count.littleEndian) { bytes.append(contentsOf: $0) }
            withUnsafeBytes(of: width.littleEndian) { bytes.append(contentsOf: $0) }
            // A body that sometimes matches the header and mostly does not.
            let consistent = Double(count) * Double(width) * 4
            let length = random.next() % 3 == 0 && consistent < 1_048_576 ? Int(consistent) : Int(random.next() % 4096)
            bytes.append(contentsOf: (0..<length).map { _ in UInt8(truncatingIfNeeded: random.next()) })
            if random.next() % 4 == 0, !bytes.isEmpty { bytes.removeLast(Int(random.next() % UInt64(bytes.count))) }
            for kind in ["fbin", "ibin", "fvecs"] {
                let file = directory.appendingPathComponent("round\(round).\(kind)")
                try bytes.write(to: file)
                do {
                    switch kind {
                    case "ibin":
                        let read = try VectorFiles.readIbin(file.path)
                        #expect(read.ids.count == read.count * read.k && read.ids.count * 4 + 8 == bytes.count)
                    default:
                        let store = try VectorFiles.readVectors(file.path)
                        #expect(store.dimension > 0 && store.dimension <= VectorFiles.maximumDimension)
                    }
                } catch let error as VectorSearchError {
                    #expect(error.kind == .badInput, "round \(round) \(kind): \(error)")
                    #expect(error.message.hasPrefix(file.path), "round \(round) \(kind): \(error)")
                }
            }
        }
    }
}
