/// One entry of a scenario's operation mix: a built-in TripSage query or custom SQL, its weight, and its options.
public struct OperationSpec: Sendable, Equatable {
    /// The name reports use; for a built-in operation, its kind (unless `name` renames it).
    public var name: String
    public var kind: OperationKind
    /// Relative share of requests (> 0).
    public var weight: Double
    /// Rows asked for (`LIMIT`): vector_search 10, hybrid_search 20, similar_trips 10, chat_history 20.
    public var limit: Int
    /// vector_search: filter by the request's user and content type (the document's query), or search all rows.
    public var filter: VectorFilter
    /// vector_search with `filter: share`: the share of the rows the filter keeps (0…1, ``RowShare``).
    public var share: Double
    /// vector_search: what the search compares, so the index built for it answers (``VectorType``).
    public var vectorType: VectorType
    /// vector_search on `bit`: candidates fetched per neighbour asked for, re-ranked by the full vector.
    public var rerank: Int
    /// vector_search: request i searches a random query, or query i mod the query count (every query once per
    /// round, as an ANN benchmark measures recall).
    public var queryOrder: QueryOrder
    /// trip_details: the length of the date window, in days.
    public var windowDays: Int
    /// custom: the SQL, with `$1…$n` bound from `parameters` in order.
    public var sql: String?
    public var parameters: [ParameterGenerator]
    /// Requests a second on a stream of the operation's own, open loop beside the weighted mix (writes: a
    /// conversation adds memories at its own pace, whatever the reads do); nil for a member of the mix.
    public var rate: Double?
    /// The sessions of an operation with its own rate.
    public var clients: Int
    /// An operation with its own rate sends at most this many requests, warm-up included (a runbook stage's
    /// inserts); nil for as many as its rate gives.
    public var count: Int?
    /// insert_memory: the time-to-searchable probe following its inserts, if any.
    public var searchable: SearchableProbe?
    /// The time-to-searchable probe: the operation whose inserted rows it searches for (``SearchableProbe``).
    public var probedInsert: Int?

    public init(
        name: String, kind: OperationKind, weight: Double = 1, limit: Int? = nil, filter: VectorFilter = .userAndType, share: Double = 0.01,
        vectorType: VectorType = .vector, rerank: Int = 4, queryOrder: QueryOrder = .random, windowDays: Int = 90, sql: String? = nil, parameters: [ParameterGenerator] = []
    ) {
        self.name = name
        self.kind = kind
        self.weight = weight
        self.limit = limit ?? kind.defaultLimit
        self.filter = filter
        self.share = share
        self.vectorType = vectorType
        self.rerank = rerank
        self.queryOrder = queryOrder
        self.windowDays = windowDays
        self.sql = sql
        self.parameters = parameters
        self.rate = nil
        self.clients = 2
        self.count = nil
        self.searchable = nil
        self.probedInsert = nil
    }

    /// Whether the operation runs on its own open-loop stream rather than in the weighted mix.
    public var hasOwnRate: Bool { self.rate != nil }

    /// Whether the operation is the time-to-searchable probe of an insert stream: its requests follow the
    /// stream's commits, neither drawn in the mix nor at a rate.
    public var isProbe: Bool { self.probedInsert != nil }
}

/// The operations tripbench knows: the architecture document's queries, and custom SQL.
public enum OperationKind: String, Sendable, Codable, CaseIterable {
    case vectorSearch = "vector_search"
    case hybridSearch = "hybrid_search"
    case similarTrips = "similar_trips"
    case tripDetails = "trip_details"
    case preferenceLookup = "preference_lookup"
    case chatHistory = "chat_history"
    case createTrip = "create_trip"
    /// The next memory of the dataset not yet in the table, inserted as the generator wrote it (Mem0 adding
    /// a memory): rows arrive in the dataset's order.
    case insertMemory = "insert_memory"
    /// The oldest memory still in the table (retention): rows leave in the dataset's order.
    case deleteMemory = "delete_memory"
    /// A metadata change on a memory in the table, drawn at random.
    case updateMemory = "update_memory"
    /// A chat message added to a session drawn at random (a conversation's turn, which the architecture's
    /// Realtime subscription on new chat_messages delivers); removed after the run.
    case insertMessage = "insert_message"
    /// A trip's status changed (the architecture's Realtime subscription on trips delivers it): a random trip;
    /// its status, update time and metadata are put back after the run.
    case updateTrip = "update_trip"
    case custom

    var defaultLimit: Int {
        switch self {
        case .hybridSearch, .chatHistory: 20
        default: 10
        }
    }

    /// Whether the operation ranks memory embeddings by vector distance (so recall means something).
    public var isVectorSearch: Bool { self == .vectorSearch || self == .similarTrips }

    /// Whether the operation changes the memories: it runs at its own rate, and the rows it touches follow
    /// the dataset's order, not the mix's draws.
    public var changesMemories: Bool { self == .insertMemory || self == .deleteMemory || self == .updateMemory }

    /// Whether the operation is a write stream: it runs at its own rate, never in the mix.
    public var needsOwnRate: Bool { self.changesMemories || self == .insertMessage || self == .updateTrip }
}

/// What a vector search compares, each matching one kind of pgvector index on memory_embeddings.
public enum VectorType: String, Sendable, Codable, CaseIterable {
    /// The stored `vector(d)`: HNSW or IVFFlat on `embedding`.
    case vector
    /// `embedding::halfvec(d)` against the query as half precision: HNSW on that expression.
    case halfvec
    /// `binary_quantize(embedding)::bit(d)` by Hamming distance (HNSW on that expression) for `limit × rerank`
    /// candidates, re-ranked by the full vectors.
    case bit
}

/// Which query vector a vector search's request takes.
public enum QueryOrder: String, Sendable, Codable, CaseIterable {
    case random, sequential
}

/// The filter of a vector search.
public enum VectorFilter: String, Sendable, Codable, CaseIterable {
    /// `WHERE user_id = … AND content_type = …`, as the architecture document's semantic search.
    case userAndType = "user_and_type"
    /// `WHERE content_type = …`: the query's own content type, 20–40 % of the rows (the filter a graph search
    /// meets: the planner takes the HNSW index and discards the other types).
    case contentType = "content_type"
    /// A chosen share of the rows (`share`), uncorrelated with the vectors: the selectivity axis of a sweep.
    case share
    /// No filter: the whole table through the HNSW index.
    case none
}
