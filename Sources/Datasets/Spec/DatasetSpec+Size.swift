import Foundation
import VectorSearch

/// What a dataset will take before it is made: disk for its files, memory for the generator, and whether
/// PostgreSQL can index its vectors. Figures from the row sizes of generated datasets (`tiny`, `small`):
/// a memory row in COPY format is its vector plus ~240 bytes, other rows are under 400 bytes.
extension DatasetSpec {
    /// The largest user count a spec (or a scaled one) may have.
    public static let maximumUsers = 100_000_000
    /// pgvector's limit for an HNSW index on `vector` (`halfvec` goes to 4,000; tripbench loads `vector`).
    public static let maximumIndexedDimension = 2_000

    /// Bytes on disk of the dataset's files: base vectors twice (`base.fbin` and the memory rows' COPY file),
    /// labels, queries, both ground truths and the relational tables.
    public var estimatedDiskBytes: Int {
        let vectorBytes = Double(self.dimension * 4)
        let embeddings = Double(self.embeddingTotal)
        let users = Double(self.users)
        let trips = users * self.tripsPerUser, sessions = users * self.chatSessionsPerUser
        let otherRows = users + trips * (1 + self.flightsPerTrip + self.accommodationsPerTrip) + sessions * (1 + self.messagesPerSession)
        let queries = Double(self.queries)
        let total = embeddings * (2 * vectorBytes + 256) + otherRows * 400 + queries * (vectorBytes + Double(8 * self.groundTruthK) + 8)
        return Int(min(total, Double(Int.max / 2)))
    }

    /// Peak resident memory of the generator, which streams the vectors a block at a time: per row a few
    /// labels (user, type, cluster and the layout they are shuffled in), plus each thread's blocks of 4,096
    /// rows (the vectors, the matrix product's scores), the queries and their candidate lists.
    public var estimatedMemoryBytes: Int {
        let rowBytes = Double(self.dimension * 4)
        let labels = 48 * Double(self.embeddingTotal)
        let blocks = 4 * 4096 * (rowBytes + 4 * Double(min(self.queries, 2048)))
        let queries = Double(self.queries) * (2 * rowBytes + Double(self.groundTruthK) * 64)
        return Int(min(labels + blocks + queries + 256e6, Double(Int.max / 2)))
    }

    /// Refuses a dataset that cannot fit: more disk than `directory`'s file system has free, or more memory
    /// than the machine has available. Bytes are counted before anything is written.
    /// - Parameter alreadyWritten: bytes a stopped generation left to resume from, which need no room again.
    /// - Throws: ``DatasetError`` (bad input) with the figures, naming `--force` to go ahead anyway.
    public func checkFits(in directory: URL, alreadyWritten: Int = 0) throws {
        let disk = max(0, self.estimatedDiskBytes - alreadyWritten), memory = self.estimatedMemoryBytes
        if let free = Self.freeBytes(near: directory), disk > free {
            throw DatasetError(.badInput, "\(self.directoryName) needs about \(SystemMemory.gigabytes(disk)) on disk and \(directory.path) has \(SystemMemory.gigabytes(free)) free; use a smaller --scale, free space, or --force to try anyway")
        }
        if let available = SystemMemory.availableBytes(), memory > available {
            throw DatasetError(.badInput, "generating \(self.directoryName) needs about \(SystemMemory.gigabytes(memory)) of memory and \(SystemMemory.gigabytes(available)) is available; use a smaller --scale or --force to try anyway")
        }
    }

    /// Free bytes for an unprivileged writer on the file system of `url` or of its nearest existing parent.
    static func freeBytes(near url: URL) -> Int? {
        var path = url
        while !FileManager.default.fileExists(atPath: path.path), path.path != "/" { path.deleteLastPathComponent() }
        var stats = statvfs()
        guard statvfs(path.path, &stats) == 0 else { return nil }
        return Int(stats.f_bavail) * Int(stats.f_frsize)
    }
}
