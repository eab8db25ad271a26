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

    /// A project whose dataset cache is a 2 MB file system: generate refuses the 25 MB dataset up front with the
    /// figures; forced, the disk fills and the error names the file being written, with no Foundation code.
    @Test(.enabled(if: geteuid() == 0, "mounting a small tmpfs needs root"))
    func aFullDiskIsRefusedUpFrontAndNamedWhenForced() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("small-disk-\(UUID().uuidString.prefix(8))")
        let cache = root.appendingPathComponent("datasets/.cache")
        try FileManager.default.createDirectory(at: cache, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: root.appendingPathComponent("scenarios"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            at: ProjectLocator.projectRoot().appendingPathComponent("datasets/tiny.yaml"), to: root.appendingPathComponent("datasets/tiny.yaml"))
        let mount = try CommandRunner().run("/bin/mount", ["-t", "tmpfs", "-o", "size=2m", "tmpfs", cache.path])
        #expect(mount.succeeded, "\(mount.text)")
        defer {
            _ = try? CommandRunner().run("/bin/umount", [cache.path])
            try? FileManager.default.removeItem(at: root)
        }
        let refused = try TripbenchCLI.run(["generate", "--dataset", "tiny"], environment: ["TRIPBENCH_HOME": root.path])
        #expect(refused.status == 2, "\(refused.standardError)")
        #expect(refused.standardError.contains("needs about") && refused.standardError.contains("GB free") && refused.standardError.contains("--force"),
                "\(refused.standardError)")
        let forced = try TripbenchCLI.run(["generate", "--dataset", "tiny", "--force"], environment: ["TRIPBENCH_HOME": root.path])
        #expect(forced.status == 3, "\(forced.standardError)")
        let error = forced.standardError.split(separator: "\n").last.map(String.init) ?? ""
        #expect(error.contains(cache.path) && error.contains("No space left on device") && !error.contains("NSCocoaErrorDomain"), "\(error)")
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
