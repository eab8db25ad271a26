import Foundation

/// `verified.json`: each dataset file's identity (size, inode, modification and change times) when its SHA-256
/// last matched the manifest, so the next check can skip reading files that have not changed since — as git's
/// index does with its stat data.
///
/// The change time (ctime) is what makes this safe: anyone can set a file's modification time back after
/// editing it (`touch -d`), but every write or attribute change sets its ctime to the present, and only the
/// kernel sets it. A file modified or changed within a second before it was stamped is not vouched for: a
/// coarse file-system clock could give a later change the same time (git's "racily clean" entries).
struct VerifiedStamp: Codable {
    static let fileName = "verified.json"

    /// The manifest checksum the files were verified against.
    var checksum: String
    var files: [String: FileIdentity]
    /// When the files were stamped, ns since 1970.
    var stampedAt: Int64

    struct FileIdentity: Codable, Equatable {
        var bytes: Int64
        var inode: UInt64
        var modifiedNanos: Int64
        /// Absent in stamps written before it was recorded: such a stamp vouches for nothing.
        var changedNanos: Int64?
    }

    init(checksum: String, files names: [String], in directory: URL) {
        self.checksum = checksum
        self.files = Dictionary(uniqueKeysWithValues: names.compactMap { name in
            Self.identity(of: directory.appendingPathComponent(name).path).map { (name, $0) }
        })
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        self.stampedAt = Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
    }

    /// Whether `name` is the very file that was verified against the manifest with `checksum`.
    func vouches(for name: String, in directory: URL, checksum: String) -> Bool {
        guard checksum == self.checksum, let stamped = self.files[name],
            let changed = stamped.changedNanos, max(stamped.modifiedNanos, changed) < self.stampedAt - 1_000_000_000
        else { return false }
        return Self.identity(of: directory.appendingPathComponent(name).path) == stamped
    }

    static func read(from directory: URL) -> VerifiedStamp? {
        guard let data = try? Data(contentsOf: directory.appendingPathComponent(self.fileName)) else { return nil }
        return try? JSONDecoder().decode(VerifiedStamp.self, from: data)
    }

    /// Best effort: a dataset directory the user cannot write is verified in full each time.
    func write(to directory: URL) {
        guard let data = try? JSONEncoder().encode(self) else { return }
        try? data.write(to: directory.appendingPathComponent(Self.fileName), options: .atomic)
    }

    private static func identity(of path: String) -> FileIdentity? {
        var status = stat()
        guard stat(path, &status) == 0 else { return nil }
        return FileIdentity(
            bytes: Int64(status.st_size), inode: UInt64(status.st_ino),
            modifiedNanos: Int64(status.st_mtim.tv_sec) * 1_000_000_000 + Int64(status.st_mtim.tv_nsec),
            changedNanos: Int64(status.st_ctim.tv_sec) * 1_000_000_000 + Int64(status.st_ctim.tv_nsec))
    }
}
