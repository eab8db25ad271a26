import Dispatch
import Foundation
import VectorSearch

/// `manifest.json`: what a dataset directory holds and the SHA-256 of every file. Written last, so a directory
/// with a manifest is complete; verified before the dataset is used.
public struct DatasetManifest: Codable, Sendable, Equatable {
    public var schemaVersion = 1
    public var generatorVersion: Int
    public var spec: DatasetSpec
    public var dimension: Int
    public var metric: VectorMetric
    /// Rows per table, and `queries`.
    public var counts: [String: Int]
    /// Depth of `gt.ibin` and `gt_filtered.ibin`.
    public var groundTruthK: Int
    /// Where the vectors came from: `generated`, or the path of the user's file.
    public var vectorSource: String
    /// SHA-256 over the user's vector files, when the vectors are theirs.
    public var vectorSourceChecksum: String?
    /// Per file (relative path): size and SHA-256.
    public var files: [String: FileEntry]
    /// SHA-256 over the files' digests: the dataset's fingerprint.
    public var checksum: String

    public struct FileEntry: Codable, Sendable, Equatable {
        public var bytes: Int
        public var sha256: String
    }

    public static let fileName = "manifest.json"

    /// Checksums `names` (paths relative to `directory`) on all cores.
    static func entries(for names: [String], in directory: URL) throws -> [String: FileEntry] {
        let results = ResultSlots<FileEntry>(count: names.count)
        DispatchQueue.concurrentPerform(iterations: names.count) { index in
            let path = directory.appendingPathComponent(names[index]).path
            results.set(index, Result {
                let size = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
                return FileEntry(bytes: size, sha256: try SHA256.hex(ofFile: path))
            })
        }
        var entries: [String: FileEntry] = [:]
        for (index, name) in names.enumerated() { entries[name] = try results.get(index) }
        return entries
    }

    static func fingerprint(_ files: [String: FileEntry]) -> String {
        var hasher = SHA256()
        for name in files.keys.sorted() { hasher.update(Data("\(name) \(files[name]!.sha256)\n".utf8)) }
        return hasher.finalize()
    }

    /// The manifest in `directory`, or nil when there is none.
    public static func read(from directory: URL) throws -> DatasetManifest? {
        let url = directory.appendingPathComponent(self.fileName)
        guard let data = try? Data(contentsOf: url) else { return nil }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        do {
            return try decoder.decode(DatasetManifest.self, from: data)
        } catch {
            throw DatasetError(.badInput, "\(url.path): not a tripbench dataset manifest (\(error))")
        }
    }

    func write(to directory: URL) throws {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try encoder.encode(self).write(to: directory.appendingPathComponent(Self.fileName), options: .atomic)
    }

    /// Checks every file's size and SHA-256. Hashing is skipped for files unchanged since they were last
    /// verified (``VerifiedStamp``): a large dataset is not re-read on every run.
    /// - Throws: ``DatasetError`` (bad input) naming the first file that is missing or differs.
    public func verify(in directory: URL) throws {
        for (name, entry) in self.files {
            let path = directory.appendingPathComponent(name).path
            let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? nil
            guard let size else { throw DatasetError(.badInput, "\(path): missing from the dataset (listed in its manifest)") }
            guard size == entry.bytes else {
                throw DatasetError(.badInput, "\(path): \(size) bytes, the manifest says \(entry.bytes); regenerate with --force")
            }
        }
        let stamp = VerifiedStamp.read(from: directory)
        let unverified = self.files.keys.filter { stamp?.vouches(for: $0, in: directory, checksum: self.checksum) != true }
        guard !unverified.isEmpty else { return }
        let actual = try Self.entries(for: unverified, in: directory)
        for name in unverified.sorted() where actual[name]?.sha256 != self.files[name]?.sha256 {
            throw DatasetError(.badInput, "\(directory.appendingPathComponent(name).path): checksum does not match the manifest; regenerate with --force")
        }
        VerifiedStamp(checksum: self.checksum, files: Array(self.files.keys), in: directory).write(to: directory)
    }
}

/// One result slot per worker, in raw memory: workers write disjoint slots, and the owner reads them after
/// all have finished. (A Swift array property would trip the exclusivity checks under concurrent writes.)
private final class ResultSlots<T>: @unchecked Sendable {
    private let slots: UnsafeMutablePointer<Result<T, any Error>?>
    private let count: Int

    init(count: Int) {
        self.count = count
        self.slots = .allocate(capacity: count)
        self.slots.initialize(repeating: nil, count: count)
    }

    deinit {
        self.slots.deinitialize(count: self.count)
        self.slots.deallocate()
    }

    func set(_ index: Int, _ value: Result<T, any Error>) { self.slots[index] = value }
    func get(_ index: Int) throws -> T { try self.slots[index]!.get() }
}

extension DatasetManifest {
    /// The exact neighbours of every query to depth `k` (`gt.ibin`, or `gt_filtered.ibin` for the per-user
    /// filtered search), `queries × k` row ids nearest first (-1 where a filter has fewer rows).
    /// - Throws: ``DatasetError`` (bad input) when the file is shallower than `k` or does not match the dataset.
    public func groundTruth(in directory: URL, filtered: Bool, k: Int) throws -> [Int32] {
        let path = directory.appendingPathComponent(filtered ? "gt_filtered.ibin" : "gt.ibin").path
        let file: (ids: [Int32], count: Int, k: Int)
        do {
            file = try VectorFiles.readIbin(path)
        } catch let error as VectorSearchError {
            throw DatasetError(.badInput, error.message)
        }
        guard file.count == self.counts["queries"] else {
            throw DatasetError(.badInput, "\(path): \(file.count) queries, the dataset has \(self.counts["queries"] ?? 0)")
        }
        guard k <= file.k else {
            throw DatasetError(.badInput, "\(path): ground truth has depth k \(file.k), \(k) asked; regenerate with a larger groundTruthK")
        }
        guard k < file.k else { return file.ids }
        return (0..<file.count).flatMap { file.ids[($0 * file.k)..<($0 * file.k + k)] }
    }
}

extension DatasetManifest {
    /// A manifest for bare vector files (`index bench --base/--queries/--gt`): one user holding every vector, no
    /// relational rows, so the workload engine can search an index over them. `name` says what they are.
    public static func vectorFiles(
        name: String, source: String, dimension: Int, metric: VectorMetric, rows: Int, queries: Int, groundTruthK: Int
    ) -> DatasetManifest {
        let spec = DatasetSpec(
            name: name, seed: 0, users: 1, tripsPerUser: 1, flightsPerTrip: 0, accommodationsPerTrip: 0, chatSessionsPerUser: 1,
            messagesPerSession: 1, embeddingsPerUser: Double(rows), contentTypes: ContentTypeMix(), dimension: dimension, metric: metric,
            clusters: 1, clusterSpreadMin: 0, clusterSpreadMax: 0, homeClustersPerUser: 1, homeClusterShare: 1, activitySkew: 0,
            queries: queries, groundTruthK: groundTruthK, scale: 1)
        return DatasetManifest(
            generatorVersion: 0, spec: spec, dimension: dimension, metric: metric, counts: ["memory_embeddings": rows, "queries": queries],
            groundTruthK: groundTruthK, vectorSource: source, vectorSourceChecksum: nil, files: [:], checksum: "files")
    }
}
