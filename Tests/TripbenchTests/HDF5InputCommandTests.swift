import Foundation
import LocalServer
import Postgres
import TestSupport
import Testing

/// ann-benchmarks HDF5 files (train, test, neighbors, the distance attribute) written by h5py, through
/// `ground-truth` and `index bench`: the same answers as the same vectors in `.fbin`, whether the file stores them
/// contiguous (mapped in place) or chunked and compressed (read).
@Suite struct HDF5InputCommandTests {
    /// Writes, into a new directory: `glove-like.hdf5` (contiguous, angular, with numpy's exact neighbours),
    /// `gzip.hdf5` (the same vectors chunked and compressed), `train.fbin`, `test.fbin`, and `broken.hdf5` (no
    /// `train`; `test` holds integers).
    static func files() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tripbench-hdf5-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let script = """
            import sys, h5py, numpy as np
            rng = np.random.default_rng(7)
            train = rng.standard_normal((3000, 24)).astype(np.float32)
            test = rng.standard_normal((60, 24)).astype(np.float32)
            unit = lambda a: a / np.linalg.norm(a, axis=1, keepdims=True)
            neighbors = np.argsort(-(unit(test) @ unit(train).T), axis=1, kind="stable")[:, :10].astype(np.int32)
            with h5py.File("glove-like.hdf5", "w") as f:
                f.attrs["distance"] = "angular"
                f.create_dataset("train", data=train)
                f.create_dataset("test", data=test)
                f.create_dataset("neighbors", data=neighbors)
            with h5py.File("gzip.hdf5", "w") as f:
                f.attrs["distance"] = "angular"
                f.create_dataset("train", data=train, chunks=(256, 24), compression="gzip")
                f.create_dataset("test", data=test, compression="gzip")
                f.create_dataset("neighbors", data=neighbors, compression="gzip")
            with h5py.File("broken.hdf5", "w") as f:
                f.create_dataset("test", data=np.arange(24, dtype=np.int32).reshape(2, 12))
            for name, matrix in (("train.fbin", train), ("test.fbin", test)):
                with open(name, "wb") as out:
                    np.array(matrix.shape, dtype=np.int32).tofile(out)
                    matrix.tofile(out)
            """
        let python = ProjectLocator.projectRoot().appendingPathComponent(".venv/bin/python").path
        let output = try CommandRunner().run("/bin/sh", ["-c", "cd '\(directory.path)' && exec '\(python)' -c \"$0\"", script])
        try #require(output.succeeded, "h5py could not write the files (make setup installs it): \(output.text)")
        return directory
    }

    @Test func groundTruthAndIndexBenchAnswerAsForFbin() async throws {
        let directory = try Self.files()
        defer { try? FileManager.default.removeItem(at: directory) }
        @Sendable func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
        let runs = try await DedicatedThread.run { () -> [CommandRunner.Output] in
            [
                try TripbenchCLI.run(["ground-truth", path("glove-like.hdf5"), "--k", "10", "--output", path("hdf5.ibin")]),
                try TripbenchCLI.run(["ground-truth", path("gzip.hdf5"), "--k", "10", "--output", path("gzip.ibin")]),
                try TripbenchCLI.run(["ground-truth", path("train.fbin"), path("test.fbin"), "--k", "10", "--metric", "cosine", "--output", path("fbin.ibin")]),
                try TripbenchCLI.run(["index", "bench", "--base", path("glove-like.hdf5"), "--k", "10", "--ef-search", "20,60", "--threads", "1", "--json", path("hdf5.json")]),
                try TripbenchCLI.run([
                    "index", "bench", "--base", path("train.fbin"), "--queries", path("test.fbin"), "--gt", path("fbin.ibin"), "--metric", "cosine",
                    "--k", "10", "--ef-search", "20,60", "--threads", "1", "--json", path("fbin.json"),
                ]),
            ]
        }
        for run in runs { #expect(run.status == 0, "\(run.text)") }
        // The file's distance (angular) chose cosine; numpy's neighbours agree with the exact search.
        #expect(runs[0].standardOutput.contains("(cosine)") && runs[0].standardOutput.contains("100.00 % of each top-10 shared"), "\(runs[0].standardOutput)")
        let answers = try ["hdf5.ibin", "gzip.ibin", "fbin.ibin"].map { try Data(contentsOf: directory.appendingPathComponent($0)) }
        #expect(answers[0].count == 8 + 60 * 10 * 4)
        #expect(answers[0] == answers[2] && answers[1] == answers[2], "the HDF5 files' answers differ from the .fbin's")
        // One build thread: the same graph from the same vectors, so the same recall at every ef_search.
        func recalls(_ name: String) throws -> [Double] {
            let json = try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent(name))) as? [String: Any]
            let points = try #require(json?["results"] as? [[String: Any]], "\(String(describing: json))")
            return points.compactMap { $0["recall"] as? Double }
        }
        let (fromHDF5, fromFbin) = (try recalls("hdf5.json"), try recalls("fbin.json"))
        // (Equal to the last bit but one: the mean is summed on threads.)
        #expect(fromHDF5.count == 2 && zip(fromHDF5, fromFbin).allSatisfy { abs($0 - $1) < 1e-9 }, "recall \(fromHDF5) from HDF5, \(fromFbin) from .fbin")
    }

    @Test func aFileWithoutTheMatricesIsBadInput() async throws {
        let directory = try Self.files()
        defer { try? FileManager.default.removeItem(at: directory) }
        let broken = directory.appendingPathComponent("broken.hdf5").path
        let runs = try await DedicatedThread.run {
            [
                try TripbenchCLI.run(["ground-truth", broken, "--k", "10"]),
                try TripbenchCLI.run(["ground-truth", directory.appendingPathComponent("train.fbin").path, broken, "--k", "10"]),
                try TripbenchCLI.run(["ground-truth", directory.appendingPathComponent("missing.hdf5").path, "--k", "10"]),
            ]
        }
        #expect(runs.allSatisfy { $0.status == 2 }, "\(runs.map { "\($0.status): \($0.standardError)" })")
        #expect(runs[0].standardError.contains("no dataset train"), "\(runs[0].standardError)")
        #expect(runs[1].standardError.contains("test holds integers, not float32 vectors"), "\(runs[1].standardError)")
        #expect(runs[2].standardError.contains("no such file"), "\(runs[2].standardError)")
        #expect(runs.allSatisfy { $0.standardError.split(separator: "\n").count == 1 }, "\(runs.map(\.standardError))")
    }
}
