import Datasets
import Dispatch
import Foundation
import Logging
import Postgres
import Synchronization
import Testing
import VectorSearch

/// The generator on a small spec: determinism, invariants, ground truth against a naive search.
@Suite struct DatasetGeneratorTests {
    static let yaml = """
        name: unit
        seed: 7
        users: 40
        tripsPerUser: 2
        chatSessionsPerUser: 2
        messagesPerSession: 4
        embeddingsPerUser: 12
        dimension: 48
        clusters: 12
        homeClustersPerUser: 2
        queries: 30
        groundTruthK: 10
        """

    static func spec(seed: UInt64 = 7, metric: VectorMetric = .cosine) throws -> DatasetSpec {
        var spec = try DatasetSpec.parse(YAMLMapping.parse(self.yaml, file: "unit.yaml"))
        spec.seed = seed
        spec.metric = metric
        return spec
    }

    static func generate(_ spec: DatasetSpec, threads: Int = 2, rowsPerBlock: Int? = nil) throws -> (URL, DatasetManifest) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tripbench-dataset-\(UUID().uuidString)")
        var generator = DatasetGenerator(spec: spec, directory: directory, threads: threads)
        if let rowsPerBlock { generator.rowsPerBlock = rowsPerBlock }
        let outcome = try generator.generate(force: false, logger: Logger(label: "test"))
        guard case .generated(let manifest) = outcome else { throw DatasetError(.runtime, "expected a fresh dataset") }
        return (directory, manifest)
    }

    @Test func sameSeedSameBytesAnyThreadsOtherSeedDiffers() throws {
        let (first, a) = try Self.generate(try Self.spec(), threads: 1)
        let (second, b) = try Self.generate(try Self.spec(), threads: 3)
        let (third, c) = try Self.generate(try Self.spec(seed: 8))
        defer { [first, second, third].forEach { try? FileManager.default.removeItem(at: $0) } }
        #expect(a.files == b.files && a.checksum == b.checksum)
        #expect(a.checksum != c.checksum)
        #expect(try Data(contentsOf: first.appendingPathComponent("manifest.json")) == Data(contentsOf: second.appendingPathComponent("manifest.json")))
    }

    /// The checksum `make release` (AVX2 + FMA kernels) gives for this spec. Tests run a debug build without
    /// FMA, so this proves the bytes do not depend on the build or the CPU's instructions. A deliberate change
    /// to the generator bumps `DatasetGenerator.version` and this value with it.
    static let releaseBuildChecksum = "1ce09a425bc4dd09b1d8130f2ae4dc2faa48402b5b5ddb03e353a6103004fe97"

    @Test func bytesDoNotDependOnTheBuild() throws {
        let (directory, manifest) = try Self.generate(try Self.spec())
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(manifest.checksum == Self.releaseBuildChecksum)
    }

    /// Streamed in blocks of 7 rows (vectors, COPY rows, both ground-truth passes), on three threads: the
    /// same bytes as in one block. The checksum above was made before generation streamed, from the whole
    /// base in memory, so streaming changed no byte of the format.
    @Test func bytesDoNotDependOnTheBlockSize() throws {
        let (directory, manifest) = try Self.generate(try Self.spec(), threads: 3, rowsPerBlock: 7)
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(manifest.checksum == Self.releaseBuildChecksum)
    }

    /// A generation stopped after every step and every saved segment of the exact search (Ctrl-C each time,
    /// 17 segments of 28 rows here) resumes each time from what it finished, and ends with the bytes of one that
    /// ran through; the staging directory is gone once it is complete.
    @Test func aStoppedGenerationResumesToTheSameBytes() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tripbench-resume-\(UUID().uuidString)")
        let staging = URL(fileURLWithPath: directory.path + ".partial")
        defer { for path in [directory, staging] { try? FileManager.default.removeItem(at: path) } }
        var generator = DatasetGenerator(spec: try Self.spec(), directory: directory, threads: 3)
        generator.rowsPerBlock = 7
        generator.segmentRows = 28
        generator.shouldStop = { true }
        var stops: [String] = []
        while stops.count < 100 {
            do {
                guard case .generated(let manifest) = try generator.generate(force: false, logger: Logger(label: "test")) else { break }
                #expect(manifest.checksum == Self.releaseBuildChecksum)
                break
            } catch let error as DatasetError where error.kind == .stopped {
                stops.append(error.message)
                #expect(error.message.contains("the same command resumes from it"), "\(error.message)")
                #expect(FileManager.default.fileExists(atPath: staging.path))
            }
        }
        #expect(stops.first?.hasPrefix("stopped after writing the embeddings") == true, "\(stops)")
        #expect(stops.dropFirst().first?.hasPrefix("stopped after writing the tables") == true, "\(stops)")
        #expect(stops.filter { $0.contains("rows of the exact search") }.count >= 15, "\(stops)")
        #expect(!FileManager.default.fileExists(atPath: staging.path))
        #expect(try DatasetManifest.read(from: directory)?.checksum == Self.releaseBuildChecksum)
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("progress.json").path))
    }

    /// What another spec's stopped generation left is not resumed: it is replaced.
    @Test func aStoppedGenerationOfAnotherSpecIsNotResumed() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tripbench-other-\(UUID().uuidString)")
        defer { for path in [directory, URL(fileURLWithPath: directory.path + ".partial")] { try? FileManager.default.removeItem(at: path) } }
        var other = DatasetGenerator(spec: try Self.spec(seed: 8), directory: directory)
        other.shouldStop = { true }
        #expect(throws: DatasetError.self) { try other.generate(force: false, logger: Logger(label: "test")) }
        guard case .generated(let manifest) = try DatasetGenerator(spec: try Self.spec(), directory: directory)
            .generate(force: false, logger: Logger(label: "test"))
        else {
            Issue.record("expected a fresh dataset")
            return
        }
        #expect(manifest.checksum == Self.releaseBuildChecksum)
    }

    /// Four generations of one dataset at once (parallel commands needing it): one generates, the others wait
    /// and find it ready; none reads a directory another is replacing, and no lock file is left.
    @Test func generationsOfOneDatasetAtOnceTakeTurns() throws {
        let spec = try Self.spec()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tripbench-turns-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let outcomes = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            let outcome: String
            do {
                switch try DatasetGenerator(spec: spec, directory: directory).generate(force: false, logger: Logger(label: "test")) {
                case .generated: outcome = "generated"
                case .upToDate: outcome = "up to date"
                }
            } catch {
                outcome = "\(error)"
            }
            outcomes.withLock { $0.append(outcome) }
        }
        #expect(outcomes.withLock { $0.sorted() } == ["generated", "up to date", "up to date", "up to date"])
        #expect(!FileManager.default.fileExists(atPath: directory.path + ".lock"))
    }

    /// What a killed generation left (`<dataset>.partial-<pid>` of a process that is gone) is removed by the next.
    @Test func staleStagingDirectoriesAreRemoved() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tripbench-stale-\(UUID().uuidString)")
        let dead = URL(fileURLWithPath: directory.path + ".partial-2147483646")
        try FileManager.default.createDirectory(at: dead, withIntermediateDirectories: true)
        defer { for path in [directory, dead] { try? FileManager.default.removeItem(at: path) } }
        _ = try DatasetGenerator(spec: try Self.spec(), directory: directory).generate(force: false, logger: Logger(label: "test"))
        #expect(!FileManager.default.fileExists(atPath: dead.path))
        #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent("manifest.json").path))
    }

    @Test func secondRunVerifiesAndDetectsDamage() throws {
        let spec = try Self.spec()
        let (directory, manifest) = try Self.generate(spec)
        defer { try? FileManager.default.removeItem(at: directory) }
        let generator = DatasetGenerator(spec: spec, directory: directory)
        guard case .upToDate(let again) = try generator.generate(force: false, logger: Logger(label: "test")) else {
            Issue.record("a complete dataset should be reused")
            return
        }
        #expect(again == manifest)
        // Flip one byte of the ground truth: the checksum check names the file.
        let gt = directory.appendingPathComponent("gt.ibin")
        var bytes = try Data(contentsOf: gt)
        bytes[bytes.count - 1] ^= 0xFF
        try bytes.write(to: gt)
        #expect { try generator.generate(force: false, logger: Logger(label: "test")) } throws: { error in
            (error as? DatasetError)?.kind == .badInput && "\(error)".contains("gt.ibin") && "\(error)".contains("checksum")
        }
        // Another spec in the same directory is refused without --force, replaced with it.
        var other = spec
        other.users = 41
        #expect(throws: DatasetError.self) {
            try DatasetGenerator(spec: other, directory: directory).generate(force: false, logger: Logger(label: "test"))
        }
        guard case .generated = try DatasetGenerator(spec: other, directory: directory).generate(force: true, logger: Logger(label: "test")) else {
            Issue.record("--force should regenerate")
            return
        }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.deletingLastPathComponent().path)
            .filter { $0.hasPrefix(directory.lastPathComponent + ".partial") }
        #expect(leftovers.isEmpty)
    }

    /// A verified dataset is not re-read while its files keep their identity (size, inode, modification and
    /// change times); a file changed in place is hashed again, even with its modification time put back.
    /// The generator vouches for the files it has just hashed, so the first use of a large dataset does not
    /// read it all again; a file changed after that is still caught.
    @Test func aFreshDatasetIsStampedAsVerified() throws {
        let (directory, manifest) = try Self.generate(try Self.spec())
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent("verified.json").path))
        let labels = directory.appendingPathComponent("memory_labels.ibin")
        var bytes = try Data(contentsOf: labels)
        bytes[9] ^= 0x01
        try bytes.write(to: labels)
        #expect { try manifest.verify(in: directory) } throws: { "\($0)".contains("memory_labels.ibin") }
    }

    @Test func verificationSkipsOnlyFilesUnchangedSinceTheLastCheck() throws {
        let (directory, manifest) = try Self.generate(try Self.spec())
        defer { try? FileManager.default.removeItem(at: directory) }
        let old = Date(timeIntervalSinceNow: -3_600)
        for name in manifest.files.keys {
            try FileManager.default.setAttributes([.modificationDate: old], ofItemAtPath: directory.appendingPathComponent(name).path)
        }
        // Past the racy second, so the stamp vouches for every file.
        Thread.sleep(forTimeInterval: 1.2)
        try manifest.verify(in: directory)
        #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent("verified.json").path))
        // Damage a file in place, then give it back its size, inode and modification time, as `touch -d` does.
        let gt = directory.appendingPathComponent("gt.ibin")
        let modified = try #require(try FileManager.default.attributesOfItem(atPath: gt.path)[.modificationDate] as? Date)
        let handle = try FileHandle(forUpdating: gt)
        try handle.seek(toOffset: 100)
        let byte = try #require(try handle.read(upToCount: 1))
        try handle.seek(toOffset: 100)
        try handle.write(contentsOf: Data([byte[0] ^ 0xFF]))
        try handle.close()
        try FileManager.default.setAttributes([.modificationDate: modified], ofItemAtPath: gt.path)
        #expect { try manifest.verify(in: directory) } throws: { error in
            "\(error)".contains("gt.ibin") && "\(error)".contains("checksum")
        }
    }

    @Test(arguments: VectorMetric.allCases)
    func groundTruthMatchesANaiveSearch(metric: VectorMetric) throws {
        let (directory, manifest) = try Self.generate(try Self.spec(metric: metric))
        defer { try? FileManager.default.removeItem(at: directory) }
        let base = try VectorFiles.readVectors(directory.appendingPathComponent("base.fbin").path)
        let queries = try VectorFiles.readVectors(directory.appendingPathComponent("queries.fbin").path)
        let gt = try VectorFiles.readIbin(directory.appendingPathComponent("gt.ibin").path)
        let filtered = try VectorFiles.readIbin(directory.appendingPathComponent("gt_filtered.ibin").path)
        let rowLabels = try VectorFiles.readIbin(directory.appendingPathComponent("memory_labels.ibin").path).ids
        let queryLabels = try VectorFiles.readIbin(directory.appendingPathComponent("query_labels.ibin").path).ids
        #expect(gt.count == queries.count && gt.k == manifest.groundTruthK && base.count == manifest.counts["memory_embeddings"])
        let k = gt.k
        for query in 0..<queries.count {
            let q = queries.vector(query)
            func naive(_ rows: [Int]) -> [Int32] {
                rows.map { (row: $0, distance: self.distance(metric, q, base.vector($0))) }
                    .sorted { ($0.distance, $0.row) < ($1.distance, $1.row) }.prefix(k).map { Int32($0.row) }
            }
            // Float rounding may swap near-ties; compare as sets allowing one swap at the boundary.
            let unfiltered = Array(gt.ids[(query * k)..<((query + 1) * k)])
            #expect(Set(unfiltered).intersection(naive(Array(0..<base.count))).count >= k - 1)
            let allowed = (0..<base.count).filter {
                rowLabels[2 * $0] == queryLabels[2 * query] && rowLabels[2 * $0 + 1] == queryLabels[2 * query + 1]
            }
            let expected = naive(allowed)
            let answer = Array(filtered.ids[(query * k)..<((query + 1) * k)]).filter { $0 >= 0 }
            #expect(!allowed.isEmpty, "every query's filter matches at least one row")
            #expect(answer.count == expected.count)
            #expect(Set(answer).intersection(expected).count >= expected.count - 1)
        }
    }

    /// The ground truth over a prefix of the base (what a study that grows the table measures recall against):
    /// at full size it is `gt.ibin` itself; over the first third, only those rows, nearest first.
    @Test func prefixGroundTruthIsTheExactAnswerAmongTheFirstRows() throws {
        let (directory, manifest) = try Self.generate(try Self.spec())
        defer { try? FileManager.default.removeItem(at: directory) }
        let all = try #require(manifest.counts["memory_embeddings"])
        let gt = try VectorFiles.readIbin(directory.appendingPathComponent("gt.ibin").path)
        #expect(try manifest.prefixGroundTruth(in: directory, rows: all, threads: 2) == gt.ids)
        let rows = all / 3
        try self.expectExactAnswers(try manifest.prefixGroundTruth(in: directory, rows: rows, threads: 2), over: 0..<rows, in: directory, k: manifest.groundTruthK)
    }

    /// A runbook stage's rows: inserts appended at the end, the oldest deleted. The answer over the range is the
    /// brute-force one over those rows (ids of the whole dataset), and an empty or outside range is refused.
    @Test func rangeGroundTruthIsTheExactAnswerAmongTheRowsPresent() throws {
        let (directory, manifest) = try Self.generate(try Self.spec())
        defer { try? FileManager.default.removeItem(at: directory) }
        let all = try #require(manifest.counts["memory_embeddings"])
        let rows = (all / 4)..<(all * 3 / 4)
        try self.expectExactAnswers(try manifest.rangeGroundTruth(in: directory, rows: rows, threads: 2), over: rows, in: directory, k: manifest.groundTruthK)
        #expect(throws: DatasetError.self) { try manifest.rangeGroundTruth(in: directory, rows: 5..<5, threads: 1) }
        #expect(throws: DatasetError.self) { try manifest.rangeGroundTruth(in: directory, rows: 0..<(all + 1), threads: 1) }
    }

    /// Checks `answers` (k per query) against brute force over the dataset's rows `rows`: every id inside them,
    /// and all but a near-tie of each query's k among the naive k nearest.
    private func expectExactAnswers(_ answers: [Int32], over rows: Range<Int>, in directory: URL, k: Int) throws {
        let base = try VectorFiles.readVectors(directory.appendingPathComponent("base.fbin").path)
        let queries = try VectorFiles.readVectors(directory.appendingPathComponent("queries.fbin").path)
        #expect(answers.count == queries.count * k)
        for query in 0..<queries.count {
            let q = queries.vector(query)
            let naive = rows.map { (row: $0, distance: self.distance(.cosine, q, base.vector($0))) }
                .sorted { ($0.distance, $0.row) < ($1.distance, $1.row) }.prefix(k).map { Int32($0.row) }
            let answer = Array(answers[(query * k)..<((query + 1) * k)])
            #expect(answer.allSatisfy { rows.contains(Int($0)) })
            #expect(Set(answer).intersection(naive).count >= k - 1, "query \(query)")
        }
    }

    private func distance(_ metric: VectorMetric, _ a: [Float], _ b: [Float]) -> Float {
        switch metric {
        case .l2: ScalarKernels.squaredL2(a, b, count: a.count)
        case .innerProduct: -ScalarKernels.dotProduct(a, b, count: a.count)
        case .cosine:
            1 - ScalarKernels.dotProduct(a, b, count: a.count)
                / (ScalarKernels.dotProduct(a, a, count: a.count) * ScalarKernels.dotProduct(b, b, count: b.count)).squareRoot()
        }
    }

    @Test func embeddingsClusterPerUser() throws {
        let (directory, _) = try Self.generate(try Self.spec())
        defer { try? FileManager.default.removeItem(at: directory) }
        let base = try VectorFiles.readVectors(directory.appendingPathComponent("base.fbin").path)
        let labels = try VectorFiles.readIbin(directory.appendingPathComponent("memory_labels.ibin").path).ids
        var sameUser: [Float] = [], otherUser: [Float] = []
        for a in stride(from: 0, to: base.count, by: 3) {
            for b in stride(from: a + 1, to: base.count, by: 7) {
                let cosine = DistanceKernels.dotProduct(base.row(a), base.row(b), count: base.dimension)
                if labels[2 * a] == labels[2 * b] { sameUser.append(cosine) } else { otherUser.append(cosine) }
            }
        }
        let mean = { (values: [Float]) in values.reduce(0, +) / Float(values.count) }
        // A user's memories sit on a few home clusters: far more alike than two users' memories.
        #expect(mean(sameUser) > mean(otherUser) + 0.1, "same user \(mean(sameUser)), other users \(mean(otherUser))")
        for row in 0..<base.count {
            #expect(abs(DistanceKernels.dotProduct(base.row(row), base.row(row), count: base.dimension) - 1) < 1e-4)
        }
    }
}
