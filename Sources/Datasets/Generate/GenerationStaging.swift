import Foundation
import Glibc
import Logging
import VectorSearch

/// The directory a generation builds in (`<dataset>.partial`, renamed into place when complete) and what it
/// has finished there (`progress.json`). A generation stopped (Ctrl-C) or killed (a reboot, a full disk)
/// resumes from its finished steps and from the last saved segment of the exact search, and gives the bytes
/// one that ran through would have.
struct GenerationStaging {
    let url: URL
    private(set) var progress: Progress

    /// Which generation the directory belongs to, and what it has finished.
    struct Progress: Codable, Equatable {
        var generatorVersion: Int
        var spec: DatasetSpec
        var vectorSourceChecksum: String?
        /// `base.fbin` is complete (and synced to disk).
        var vectorsWritten = false
        /// Rows per table, once the table files are complete (and synced).
        var tableCounts: [String: Int]?

        /// Whether a finished step would be lost if the directory were removed.
        var hasFinishedWork: Bool { self.vectorsWritten }
    }

    static let progressFile = "progress.json"

    /// The shortlist of the exact search so far (see ``ShortlistScan``).
    var shortlistCheckpoint: URL { self.url.appendingPathComponent("shortlist.partial") }

    /// Adopts `<dataset>.partial` when a generation of the same spec, generator version and vector source left
    /// it, or starts it empty. The caller holds the dataset's lock, so no other generation is using it.
    /// - Parameter fresh: discard what is there (`--force`).
    static func open(for directory: URL, progress identity: Progress, fresh: Bool, logger: Logger) throws -> GenerationStaging {
        let url = URL(fileURLWithPath: directory.path + ".partial")
        let saved = (try? Data(contentsOf: url.appendingPathComponent(self.progressFile)))
            .flatMap { try? JSONDecoder().decode(Progress.self, from: $0) }
        if !fresh, let saved, saved.generatorVersion == identity.generatorVersion, saved.spec == identity.spec,
            saved.vectorSourceChecksum == identity.vectorSourceChecksum, saved.hasFinishedWork
        {
            let staging = GenerationStaging(url: url, progress: saved)
            logger.info("resuming the generation left in \(url.path) (\(SystemMemory.gigabytes(staging.bytesOnDisk)) written)")
            return staging
        }
        try? FileManager.default.removeItem(at: url)
        do {
            try FileManager.default.createDirectory(at: url.appendingPathComponent("tables"), withIntermediateDirectories: true)
        } catch {
            throw DatasetError(.runtime, "\(url.path): \(error.localizedDescription)")
        }
        var staging = GenerationStaging(url: url, progress: identity)
        try staging.record { _ in }
        return staging
    }

    /// Syncs `files` (paths relative to the directory) to disk, then records `change`: a step is marked
    /// finished only once its bytes would survive a power loss.
    mutating func record(syncing files: [String] = [], _ change: (inout Progress) -> Void) throws {
        for name in files {
            let path = self.url.appendingPathComponent(name).path
            let descriptor = Glibc.open(path, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0, fsync(descriptor) == 0 else {
                if descriptor >= 0 { close(descriptor) }
                throw DatasetError(.runtime, "\(path): \(String(cString: strerror(errno)))")
            }
            close(descriptor)
        }
        change(&self.progress)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        do {
            try encoder.encode(self.progress).write(to: self.url.appendingPathComponent(Self.progressFile), options: .atomic)
        } catch {
            throw DatasetError(.runtime, "\(self.url.path): \(error.localizedDescription)")
        }
    }

    /// Removes the bookkeeping before the directory becomes the dataset.
    func finish() {
        try? FileManager.default.removeItem(at: self.url.appendingPathComponent(Self.progressFile))
        try? FileManager.default.removeItem(at: self.shortlistCheckpoint)
    }

    /// Bytes the directory's files take on disk: space a resumed generation does not need again. (From
    /// `st_blocks`, in 512-byte units: Foundation's allocated-size key read 8× too much here.)
    var bytesOnDisk: Int {
        guard let names = FileManager.default.enumerator(atPath: self.url.path) else { return 0 }
        return names.compactMap { $0 as? String }.reduce(0) { total, name in
            var info = stat()
            guard stat(self.url.appendingPathComponent(name).path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return total }
            return total + Int(info.st_blocks) * 512
        }
    }
}
