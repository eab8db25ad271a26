import Datasets
import Foundation
import Postgres
import Synchronization
import VectorSearch

/// Everything the operation stream draws from and recall is measured against, read once from a generated
/// dataset: who owns which trips and sessions, the query vectors with the user and content type each names,
/// every memory row's user and type, the base vectors, and the exact neighbours of each query.
///
/// Row identifiers are recomputed from the dataset seed (``DatasetIDs``), so nothing is read from the server.
public final class DatasetCatalog: Sendable {
    public let manifest: DatasetManifest
    public let directory: URL
    let seed: UInt64
    let plan: DatasetPlan
    /// Per trip and per session: the owning user.
    let tripOwners: [Int32]
    let sessionOwners: [Int32]
    /// The query vectors, the same rows encoded once for PostgreSQL, and each query's (user, content type).
    public let queries: VectorStore
    let queryVectors: [PostgresVector]
    let queryUsers: [Int32]
    let queryTypes: [UInt8]
    /// Per memory row: its user and content type.
    let memoryUsers: [Int32]
    let memoryTypes: [UInt8]
    public let base: VectorStore
    /// `queries × groundTruthK` exact unfiltered neighbours (row ids).
    let groundTruth: [Int32]
    /// Memory rows by (user, content type): `groups[user * 4 + type]`.
    let groups: [[Int32]]
    /// Memory rows by content type.
    let rowsOfType: [[Int32]]
    /// Per memory row: its ``RowShare`` bucket.
    let memoryBuckets: [UInt16]
    /// The rows of each share filter used so far, by bucket bound.
    private let rowsOfShare = Mutex<[Int: [Int32]]>([:])
    /// Exact answers already computed, by (query, k, filter): a capacity search or a sweep measures the same
    /// queries many times.
    private let exactAnswers = Mutex<[ExactKey: [Int32]]>([:])
    /// Row of each memory embedding id.
    let rowOfMemoryID: [UUID: Int32]
    /// The memory rows that exist: all of them, a prefix (a table grown by `tripbench scale`), or a streaming
    /// stage's rows (inserted at the end, the oldest deleted). Nothing outside is drawn, filtered or expected.
    public let presentRows: Range<Int>

    public var userCount: Int { self.plan.spec.users }
    public var tripCount: Int { self.tripOwners.count }
    public var sessionCount: Int { self.sessionOwners.count }
    public var queryCount: Int { self.queries.count }
    static let typeCount = DatasetSpec.contentTypeNames.count

    /// Reads the dataset in `directory` (its manifest must be there).
    ///
    /// - Parameters:
    ///   - embeddingRows: only the first this many memory rows exist (a database grown by `tripbench scale`
    ///     holds a prefix of the embeddings): nothing is drawn or searched beyond them.
    ///   - groundTruth: the unfiltered ground truth over those rows, `queries × groundTruthK`
    ///     (``DatasetManifest/prefixGroundTruth(in:rows:threads:)``); required with `embeddingRows`.
    /// - Throws: ``WorkloadError`` (bad input) when a file is missing or does not match the manifest.
    public convenience init(directory: URL, manifest: DatasetManifest, embeddingRows: Int? = nil, groundTruth: [Int32]? = nil) throws {
        try self.init(directory: directory, manifest: manifest, presentRows: embeddingRows.map { 0..<$0 }, groundTruth: groundTruth)
    }

    /// A catalog where only the memory rows `presentRows` exist (a streaming stage's rows), with the
    /// unfiltered ground truth over them (``DatasetManifest/rangeGroundTruth(in:rows:threads:progress:)``).
    /// Row ids stay the dataset's; the base is mapped up to the range's end.
    /// - Throws: ``WorkloadError`` (bad input) when a file is missing or does not match the manifest.
    public convenience init(directory: URL, manifest: DatasetManifest, presentRows: Range<Int>?, groundTruth: [Int32]?) throws {
        func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
        let base: VectorStore, queries: VectorStore, truth: [Int32]
        let memoryLabels: (ids: [Int32], count: Int, k: Int), queryLabels: (ids: [Int32], count: Int, k: Int)
        let embeddingRows = presentRows?.upperBound
        do {
            base = try VectorFiles.mapFbin(path("base.fbin"), rows: embeddingRows)
            queries = try VectorFiles.readFbin(path("queries.fbin"))
            memoryLabels = try VectorFiles.readIbin(path("memory_labels.ibin"))
            queryLabels = try VectorFiles.readIbin(path("query_labels.ibin"))
            if let groundTruth {
                guard groundTruth.count == queries.count * manifest.groundTruthK else {
                    throw WorkloadError(.badInput, "the ground truth over rows \(presentRows?.lowerBound ?? 0)..<\(base.count) has \(groundTruth.count) entries, not \(queries.count) × \(manifest.groundTruthK)")
                }
                truth = groundTruth
            } else {
                guard base.count == manifest.counts["memory_embeddings"] ?? base.count else {
                    throw WorkloadError(.runtime, "the first \(base.count) rows need a ground truth of their own")
                }
                truth = try manifest.groundTruth(in: directory, filtered: false, k: manifest.groundTruthK)
            }
        } catch let error as VectorSearchError {
            throw WorkloadError(.badInput, error.message)
        } catch let error as DatasetError {
            throw WorkloadError(.badInput, error.message)
        }
        let rows = 2 * base.count
        self.init(
            manifest: manifest, directory: directory, base: base, queries: queries, groundTruth: truth,
            memoryUsers: stride(from: 0, to: min(memoryLabels.ids.count, rows), by: 2).map { memoryLabels.ids[$0] },
            memoryTypes: stride(from: 1, to: min(memoryLabels.ids.count, rows), by: 2).map { UInt8(memoryLabels.ids[$0]) },
            queryUsers: stride(from: 0, to: queryLabels.ids.count, by: 2).map { queryLabels.ids[$0] },
            queryTypes: stride(from: 1, to: queryLabels.ids.count, by: 2).map { UInt8(queryLabels.ids[$0]) }, identifiers: true,
            present: presentRows.map { $0.clamped(to: 0..<base.count) })
    }

    /// Bare vector files (`index bench --base/--queries/--gt`, ``DatasetManifest/vectorFiles``): every row of one
    /// user and one content type, no identifiers; only unfiltered vector searches on the in-process index.
    public convenience init(vectors base: VectorStore, queries: VectorStore, groundTruth: [Int32], manifest: DatasetManifest) {
        self.init(
            manifest: manifest, directory: URL(fileURLWithPath: manifest.vectorSource), base: base, queries: queries,
            groundTruth: groundTruth, memoryUsers: Array(repeating: 0, count: base.count), memoryTypes: Array(repeating: 0, count: base.count),
            queryUsers: Array(repeating: 0, count: queries.count), queryTypes: Array(repeating: 0, count: queries.count), identifiers: false)
    }

    /// What every catalog derives from its vectors and labels. Without `identifiers` (bare vector files, which
    /// have no rows in a database) no ids are computed: nothing decodes or filters by them.
    private init(
        manifest: DatasetManifest, directory: URL, base: VectorStore, queries: VectorStore, groundTruth: [Int32], memoryUsers: [Int32],
        memoryTypes: [UInt8], queryUsers: [Int32], queryTypes: [UInt8], identifiers: Bool, present: Range<Int>? = nil
    ) {
        let present = present ?? 0..<memoryUsers.count
        self.presentRows = present
        self.manifest = manifest
        self.directory = directory
        self.seed = manifest.spec.seed
        self.base = base
        self.queries = queries
        self.groundTruth = groundTruth
        self.memoryUsers = memoryUsers
        self.memoryTypes = memoryTypes
        self.queryUsers = queryUsers
        self.queryTypes = queryTypes
        self.plan = DatasetPlan(manifest.spec, embeddingTotal: manifest.counts["memory_embeddings"] ?? base.count)
        self.tripOwners = self.plan.trips.enumerated().flatMap { user, count in repeatElement(Int32(user), count: count) }
        self.sessionOwners = self.plan.sessions.enumerated().flatMap { user, count in repeatElement(Int32(user), count: count) }
        self.queryVectors = identifiers ? (0..<queries.count).map { PostgresVector(queries.vector($0)) } : []
        var groups = [[Int32]](repeating: [], count: manifest.spec.users * Self.typeCount)
        for row in present {
            groups[Int(memoryUsers[row]) * Self.typeCount + Int(memoryTypes[row])].append(Int32(row))
        }
        self.groups = groups
        var rowsOfType = [[Int32]](repeating: [], count: Self.typeCount)
        for row in present { rowsOfType[Int(memoryTypes[row])].append(Int32(row)) }
        self.rowsOfType = rowsOfType
        var rows: [UUID: Int32] = [:]
        var buckets = [UInt16](repeating: 0, count: identifiers ? base.count : 0)
        if identifiers {
            rows.reserveCapacity(base.count)
            for row in 0..<base.count {
                let id = DatasetIDs.uuid(seed: self.seed, table: .memoryEmbeddings, index: row)
                rows[id] = Int32(row)
                buckets[row] = UInt16(RowShare.bucket(of: id))
            }
        }
        self.rowOfMemoryID = rows
        self.memoryBuckets = buckets
    }

    public func userID(_ user: Int) -> UUID { DatasetIDs.uuid(seed: self.seed, table: .users, index: user) }
    func tripID(_ trip: Int) -> UUID { DatasetIDs.uuid(seed: self.seed, table: .trips, index: trip) }
    func memoryID(_ row: Int) -> UUID { DatasetIDs.uuid(seed: self.seed, table: .memoryEmbeddings, index: row) }
    func sessionID(_ session: Int) -> UUID { DatasetIDs.uuid(seed: self.seed, table: .chatSessions, index: session) }

    /// The users `count` clients act as under row-level security, client by client: the busiest users first
    /// (by trips), round again when there are more clients than users.
    func actingUsers(_ count: Int) -> [Int] {
        let ranking = self.plan.trips.indices.sorted { (self.plan.trips[$0], -$0) > (self.plan.trips[$1], -$1) }
        return (0..<count).map { ranking[$0 % ranking.count] }
    }

    /// The memory rows of `user` with content type `type`.
    func rows(user: Int, type: Int) -> [Int32] { self.groups[user * Self.typeCount + type] }

    /// The row of a memory embedding id, nil for rows the dataset does not hold (inserted during a run).
    func row(ofMemory id: UUID) -> Int32? { self.rowOfMemoryID[id] }

    /// The rows a request of `operation` keeps: the (user, content type) group, one content type, a share of
    /// the rows, or all of them.
    func filter(of draw: RequestDraw, operation: OperationSpec) -> RowFilter {
        if draw.user >= 0, draw.type >= 0 { return .userAndType(user: draw.user, type: draw.type) }
        if draw.type >= 0 { return .contentType(draw.type) }
        return operation.kind == .vectorSearch && operation.filter == .share ? .share(bound: RowShare.bound(operation.share)) : .all
    }

    /// The memory rows `filter` keeps; nil for every row.
    func rows(_ filter: RowFilter) -> [Int32]? {
        switch filter {
        case .all: nil
        case .userAndType(let user, let type): self.rows(user: user, type: type)
        case .contentType(let type): self.rowsOfType[type]
        case .share(let bound):
            self.rowsOfShare.withLock { known in
                if let rows = known[bound] { return rows }
                let rows = self.presentRows.filter { Int(self.memoryBuckets[$0]) < bound }.map(Int32.init)
                known[bound] = rows
                return rows
            }
        }
    }

    /// The exact `k` nearest rows to query `query` among the rows `filter` keeps (double precision, ties by
    /// row), or from the dataset's unfiltered ground truth; computed once per (query, k, filter).
    ///
    /// A filter of thousands of rows is first narrowed to a float shortlist (SIMD), then ranked exactly: a
    /// sweep's content-type filter keeps 20–40 % of the rows, and a scalar pass over them per sample took
    /// longer than the measurement.
    func exactNeighbours(query: Int, k: Int, filter: RowFilter) -> [Int32] {
        guard k > 0 else { return [] }
        guard let rows = self.rows(filter) else {
            let depth = self.manifest.groundTruthK
            return Array(self.groundTruth[(query * depth)..<(query * depth + min(k, depth))]).filter { $0 >= 0 }
        }
        let key = ExactKey(query: query, k: k, filter: filter)
        if let known = self.exactAnswers.withLock({ $0[key] }) { return known }
        var candidates = rows
        if rows.count > 4 * k + 64 {
            let exact = ExactSearch(store: self.base, metric: self.manifest.metric)
            candidates = rows.withUnsafeBufferPointer { exact.search(self.queries.row(query), k: 4 * k + 64, candidates: $0).ids }
        }
        let metric = self.manifest.metric
        let ranked = candidates.map { (distance: ScalarKernels.distance(metric, self.queries.row(query), self.base.row(Int($0)), count: self.base.dimension), row: $0) }
        let answer = ScalarKernels.nearest(ranked, count: k).map(\.row)
        self.exactAnswers.withLock { $0[key] = answer }
        return answer
    }

    /// Which rows a vector request searches.
    enum RowFilter: Hashable {
        case all
        case userAndType(user: Int, type: Int)
        case contentType(Int)
        /// Rows whose ``RowShare`` bucket is below `bound`.
        case share(bound: Int)
    }

    private struct ExactKey: Hashable {
        var query: Int
        var k: Int
        var filter: RowFilter
    }

    /// The content type index of `trip_creation`.
    static let tripCreationType = DatasetSpec.contentTypeNames.firstIndex(of: "trip_creation")!
}
