import Foundation
import VectorSearch

/// The ground truth's first pass — each query's float shortlist over the whole base, most of its time — in
/// segments, with the shortlist so far saved after each: a generation stopped or killed during the scan (many
/// minutes at 10M rows) resumes from the last segment saved instead of from the first row. Segments start on
/// the search's block boundaries, so the merged answer is the one-pass answer.
struct ShortlistScan {
    let search: ExactSearch
    let queries: VectorStore
    let depth: Int
    let threads: Int
    /// Rows per saved segment, a multiple of the search's block.
    let segmentRows: Int
    /// Where the shortlist so far is saved; nil to scan in one go, saving nothing.
    let checkpoint: URL?

    init(search: ExactSearch, queries: VectorStore, depth: Int, threads: Int, segmentRows: Int, checkpoint: URL?) {
        self.search = search
        self.queries = queries
        self.depth = depth
        self.threads = threads
        let block = search.rowsPerBlock
        self.segmentRows = max(block, (segmentRows + block - 1) / block * block)
        self.checkpoint = checkpoint
    }

    /// About a gigabyte of vectors per segment: a few seconds to a minute of scanning here, and a saved
    /// shortlist (queries × depth × 8 bytes) that is small beside it.
    static func segmentRows(dimension: Int) -> Int { max(1, (1 << 30) / (dimension * MemoryLayout<Float>.size)) }

    /// Scans from the saved position to the end, saving after each segment.
    /// - Parameters:
    ///   - shouldStop: asked after each saved segment.
    ///   - resumed: called once with the rows a saved shortlist already covers, when there is one.
    ///   - progress: rows of the base scanned so far, saved ones included.
    /// - Throws: ``DatasetError`` `.stopped` when `shouldStop` said so before the end.
    func run(
        shouldStop: () -> Bool, resumed: (Int) -> Void, progress: (@Sendable (Int) -> Void)?
    ) throws -> ExactSearch.Result {
        let total = self.search.store.count
        var (done, shortlist) = try self.saved() ?? (0, nil)
        if done > 0 { resumed(done) }
        repeat {
            let rows = done..<min(done + self.segmentRows, total)
            let offset = done
            var scanned: (@Sendable (Int) -> Void)?
            if let progress { scanned = { progress(offset + $0) } }
            let part = try self.search.search(self.queries, k: self.depth, rows: rows, threads: self.threads, progress: scanned)
            shortlist = shortlist?.merged(with: part) ?? part
            done = rows.upperBound
            if done < total {
                try self.save(done, shortlist!)
                if shouldStop() { throw DatasetError(.stopped, "stopped after \(done) of \(total) rows of the exact search") }
            }
        } while done < total
        if let checkpoint { try? FileManager.default.removeItem(at: checkpoint) }
        return shortlist!
    }

    private static let magic: UInt32 = 0x4C53_4254  // "TBSL"

    /// The header's fields: magic, then rows done, queries, depth, base rows and dimension (the last four must
    /// match this scan's).
    private var expected: [Int64] {
        [Int64(self.queries.count), Int64(self.depth), Int64(self.search.store.count), Int64(self.search.store.dimension)]
    }

    /// Written to a temporary name and renamed, so a kill leaves the previous segment's shortlist or this one's.
    private func save(_ rows: Int, _ shortlist: ExactSearch.Result) throws {
        guard let checkpoint else { return }
        var data = Data()
        withUnsafeBytes(of: Self.magic.littleEndian) { data.append(contentsOf: $0) }
        for field in [Int64(rows)] + self.expected { withUnsafeBytes(of: field.littleEndian) { data.append(contentsOf: $0) } }
        shortlist.ids.withUnsafeBytes { data.append(contentsOf: $0) }
        shortlist.distances.withUnsafeBytes { data.append(contentsOf: $0) }
        do {
            try data.write(to: checkpoint, options: .atomic)
        } catch {
            throw DatasetError(.runtime, "\(checkpoint.path): \(error.localizedDescription)")
        }
    }

    /// The saved rows and shortlist, or nil when there is none or it belongs to another scan.
    private func saved() throws -> (Int, ExactSearch.Result?)? {
        guard let checkpoint, let data = try? Data(contentsOf: checkpoint) else { return nil }
        let slots = self.queries.count * self.depth
        let header = 4 + 5 * 8
        guard data.count == header + slots * 8 else { return nil }
        let fields = data.withUnsafeBytes { bytes in
            (0..<5).map { Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: 4 + 8 * $0, as: Int64.self)) }
        }
        let magic = data.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(as: UInt32.self)) }
        guard magic == Self.magic, Array(fields.dropFirst()) == self.expected, fields[0] > 0, fields[0] < self.search.store.count,
            fields[0] % Int64(self.search.rowsPerBlock) == 0
        else { return nil }
        let ids = data.withUnsafeBytes { bytes in
            (0..<slots).map { bytes.loadUnaligned(fromByteOffset: header + 4 * $0, as: Int32.self) }
        }
        let distances = data.withUnsafeBytes { bytes in
            (0..<slots).map { bytes.loadUnaligned(fromByteOffset: header + 4 * slots + 4 * $0, as: Float.self) }
        }
        return (Int(fields[0]), ExactSearch.Result(k: self.depth, ids: ids, distances: distances))
    }
}
