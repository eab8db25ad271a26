import Foundation
import Logging

extension LocalCluster {
    /// What a cold start did, for the report: the server stopped and started again, and how much of its data
    /// directory was in the OS page cache before the eviction and once it was running again.
    public struct ColdStart: Sendable, Codable, Equatable {
        public var dataBytes: Int64
        public var residentBefore: Double
        public var residentAfter: Double
        /// Files that could not be opened to evict (the rest were).
        public var filesSkipped: Int
    }

    /// Stops the server, drops its data directory's files from the OS page cache, and starts it again: the
    /// next requests find neither `shared_buffers` nor the page cache warm.
    ///
    /// Only this server's files are evicted (`posix_fadvise(POSIX_FADV_DONTNEED)` after `fdatasync`), not the
    /// whole machine's cache (`/proc/sys/vm/drop_caches`), and it needs no privilege beyond reading them.
    /// - Throws: ``LocalServerError`` when the server is not running or does not start again.
    public func restartCold(
        installation: PostgresInstallation, environment: [String: String] = ProcessInfo.processInfo.environment, logger: Logger
    ) throws -> ColdStart {
        guard self.status().running else { throw LocalServerError(.runtime, "the local server is not running: nothing to restart") }
        try self.down(installation: installation, environment: environment, logger: logger)
        let before = PageCache.residency(under: self.dataDirectory)
        let skipped = PageCache.evict(under: self.dataDirectory)
        let account = try ServiceAccount.resolve(environment: environment, logger: logger)
        try self.start(account: account, installation: installation, logger: logger)
        let after = PageCache.residency(under: self.dataDirectory)
        return ColdStart(dataBytes: after.bytes, residentBefore: before.share, residentAfter: after.share, filesSkipped: skipped)
    }
}

/// The OS page cache as seen for the files of one directory tree.
enum PageCache {
    /// The regular files under `directory`.
    static func files(under directory: URL) -> [String] {
        guard let walk = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: [.isRegularFileKey]) else { return [] }
        return walk.compactMap { item in
            guard let url = item as? URL, (try? url.resourceValues(forKeys: [.isRegularFileKey]))?.isRegularFile == true else { return nil }
            return url.path
        }
    }

    /// Writes back and drops each file's pages; returns how many files could not be opened.
    static func evict(under directory: URL) -> Int {
        var skipped = 0
        for path in self.files(under: directory) {
            let descriptor = open(path, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else {
                skipped += 1
                continue
            }
            // Dirty pages cannot be dropped: write them back first.
            _ = fdatasync(descriptor)
            _ = posix_fadvise(descriptor, 0, 0, POSIX_FADV_DONTNEED)
            close(descriptor)
        }
        return skipped
    }

    /// The bytes of the files under `directory` and the share of their pages in the page cache (`mincore`
    /// over a mapping, which reads nothing).
    static func residency(under directory: URL) -> (bytes: Int64, share: Double) {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        var total = 0, resident = 0
        for path in self.files(under: directory) {
            let descriptor = open(path, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else { continue }
            defer { close(descriptor) }
            var info = stat()
            guard fstat(descriptor, &info) == 0, info.st_size > 0 else { continue }
            let size = Int(info.st_size)
            guard let mapped = mmap(nil, size, PROT_READ, MAP_SHARED, descriptor, 0), mapped != MAP_FAILED else { continue }
            defer { munmap(mapped, size) }
            let pages = (size + page - 1) / page
            var vector = [UInt8](repeating: 0, count: pages)
            guard mincore(mapped, size, &vector) == 0 else { continue }
            total += pages
            resident += vector.reduce(0) { $0 + Int($1 & 1) }
        }
        return (Int64(total) * Int64(page), total > 0 ? Double(resident) / Double(total) : 0)
    }
}
