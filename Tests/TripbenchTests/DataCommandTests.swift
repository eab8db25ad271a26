import Foundation
import LocalServer
import TestSupport
import Testing

/// `generate` and `ground-truth` as a user meets them: bad input is exit 2 with the file named.
@Suite struct DataCommandTests {
    @Test func badSpecIsExitTwoWithLineAndColumn() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("spec-\(UUID().uuidString).yaml").path
        try "name: broken\nusers: 10\ndimension: 0\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let output = try TripbenchCLI.run(["generate", "--dataset", path])
        #expect(output.status == 2)
        #expect(output.standardError.contains("\(path):3:12: dimension must be between 1 and 16000, not 0"))
        #expect(output.standardError.split(separator: "\n").count == 1)
    }

    @Test func truncatedVectorFileIsExitTwo() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("short-\(UUID().uuidString).fbin").path
        try Data([10, 0, 0, 0, 4, 0, 0, 0, 0, 0]).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let output = try TripbenchCLI.run(["ground-truth", path, path])
        #expect(output.status == 2)
        #expect(output.standardError.contains(path) && output.standardError.contains("the header says 10 × 4"))
    }

    @Test func groundTruthOfAFileAgainstItselfFindsEachRow() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("rows-\(UUID().uuidString).fbin").path
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("gt-\(UUID().uuidString).ibin").path
        var bytes = Data([3, 0, 0, 0, 2, 0, 0, 0])
        for value: Float in [1, 0, 0, 1, -1, 0.2] { withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
        try bytes.write(to: URL(fileURLWithPath: path))
        defer { [path, output].forEach { try? FileManager.default.removeItem(atPath: $0) } }
        let run = try TripbenchCLI.run(["ground-truth", path, path, "--k", "1", "--metric", "l2", "--output", output])
        #expect(run.status == 0)
        let ids = try Data(contentsOf: URL(fileURLWithPath: output)).dropFirst(8)
        #expect(Array(ids) == [0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0])
    }
}
