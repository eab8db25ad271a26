import Datasets
import Foundation
import Postgres

/// The SQL of an operation against PostgreSQL: the architecture document's queries, statement by statement,
/// and how a drawn request binds their parameters.
struct OperationSQL: Sendable {
    let kind: OperationKind
    /// The statements a request runs in order (create_trip: BEGIN, two inserts, COMMIT; others: one).
    let statements: [String]
    /// Which statement's rows are the request's rows.
    let resultStatement: Int
    /// The column of the result holding memory_embeddings ids, for recall and row-level security checks.
    let memoryIDColumn: Int?
    /// Whether a failure part-way must be followed by ROLLBACK.
    let isTransaction: Bool

    /// - Parameter dimension: the embeddings' dimension, which the casts of `halfvec` and `bit` searches name.
    init(_ spec: OperationSpec, dimension: Int) {
        self.kind = spec.kind
        let limit = spec.limit
        switch spec.kind {
        case .vectorSearch:
            // The document's semantic search; without the filter, the plain HNSW search over every row.
            let filter = switch spec.filter {
            case .userAndType: "\n    WHERE user_id = $2\n        AND content_type = $3"
            case .contentType: "\n    WHERE content_type = $2"
            case .share: "\n    WHERE \(RowShare.expression) < $2"
            case .none: ""
            }
            switch spec.vectorType {
            case .vector:
                self.statements = ["""
                    SELECT id, content_text, metadata, embedding <=> $1 AS similarity_score
                    FROM memory_embeddings\(filter)
                    ORDER BY embedding <=> $1
                    LIMIT \(limit)
                    """]
            case .halfvec:
                // `$1::vector` first: cast straight to halfvec, the parameter would be read as half precision.
                self.statements = ["""
                    SELECT id, content_text, metadata, embedding::halfvec(\(dimension)) <=> $1::vector::halfvec(\(dimension)) AS similarity_score
                    FROM memory_embeddings\(filter)
                    ORDER BY embedding::halfvec(\(dimension)) <=> $1::vector::halfvec(\(dimension))
                    LIMIT \(limit)
                    """]
            case .bit:
                // pgvector's re-ranking query: Hamming distance over the index for candidates, then the full vectors.
                self.statements = ["""
                    SELECT id, content_text, metadata, embedding <=> $1 AS similarity_score
                    FROM (
                        SELECT id, content_text, metadata, embedding
                        FROM memory_embeddings\(filter.replacingOccurrences(of: "\n", with: "\n    "))
                        ORDER BY binary_quantize(embedding)::bit(\(dimension)) <~> binary_quantize($1::vector)
                        LIMIT \(limit * spec.rerank)
                    ) AS candidates
                    ORDER BY embedding <=> $1
                    LIMIT \(limit)
                    """]
            }
            self.memoryIDColumn = 0
        case .hybridSearch:
            self.statements = ["""
                SELECT m.id, m.content_text, m.metadata,
                    m.embedding <=> $1 AS vector_score,
                    ts_rank(to_tsvector('english', m.content_text), plainto_tsquery($2)) AS text_score
                FROM memory_embeddings m
                WHERE m.user_id = $3
                    AND (m.embedding <=> $1 < 0.8 OR to_tsvector('english', m.content_text) @@ plainto_tsquery($2))
                    AND m.metadata->>'category' = $4
                ORDER BY (m.embedding <=> $1) * 0.7 + (1 - ts_rank(to_tsvector('english', m.content_text), plainto_tsquery($2))) * 0.3
                LIMIT \(limit)
                """]
            self.memoryIDColumn = 0
        case .similarTrips:
            // The document's search_similar_trips, plus m.id so recall can be measured.
            self.statements = ["""
                SELECT t.id, t.title, t.description, t.start_date, t.end_date,
                    m.embedding <=> $2 AS similarity_score, m.id AS memory_id
                FROM trips t
                JOIN memory_embeddings m ON m.metadata->>'trip_id' = t.id::text
                WHERE t.user_id = $1
                    AND m.content_type = 'trip_creation'
                ORDER BY m.embedding <=> $2
                LIMIT \(limit)
                """]
            self.memoryIDColumn = 6
        case .tripDetails:
            self.statements = ["""
                SELECT t.id, t.title, t.start_date, t.end_date, t.budget_total, t.status, t.destinations,
                    COALESCE((SELECT jsonb_agg(jsonb_build_object('airline', f.airline, 'flight_number', f.flight_number,
                        'departure_airport', f.departure_airport, 'arrival_airport', f.arrival_airport,
                        'departure_time', f.departure_time, 'price', f.price) ORDER BY f.departure_time)
                        FROM flights f WHERE f.trip_id = t.id), '[]') AS flights,
                    COALESCE((SELECT jsonb_agg(jsonb_build_object('name', a.name, 'type', a.type,
                        'check_in_date', a.check_in_date, 'check_out_date', a.check_out_date,
                        'total_price', a.total_price) ORDER BY a.check_in_date)
                        FROM accommodations a WHERE a.trip_id = t.id), '[]') AS accommodations
                FROM trips t
                WHERE t.user_id = $1
                    AND t.start_date BETWEEN $2 AND $3
                ORDER BY t.start_date
                LIMIT \(limit)
                """]
            self.memoryIDColumn = nil
        case .preferenceLookup:
            self.statements = ["SELECT id, email, profile, preferences, travel_preferences FROM users WHERE id = $1"]
            self.memoryIDColumn = nil
        case .chatHistory:
            self.statements = ["""
                SELECT id, role, content, metadata, tool_calls, created_at
                FROM chat_messages
                WHERE session_id = $1
                ORDER BY created_at DESC
                LIMIT \(limit)
                """]
            self.memoryIDColumn = nil
        case .createTrip:
            // The document's create_trip transaction. The memory's metadata also names the run, so the rows a
            // run adds can be removed afterwards (``OperationSQL/cleanup(of:)``).
            self.statements = [
                "BEGIN",
                """
                INSERT INTO trips (user_id, title, description, start_date, end_date, budget_total)
                VALUES ($1, $2, $3, $4, $5, $6)
                RETURNING id
                """,
                """
                INSERT INTO memory_embeddings (user_id, content_type, content_text, embedding, metadata)
                VALUES ($1, 'trip_creation', $2, $3,
                    jsonb_build_object('trip_id', $4::text, 'action', 'trip_created', 'tripbench_run', $5::text))
                """,
                "COMMIT",
            ]
            self.memoryIDColumn = nil
        case .insertMemory:
            self.statements = [Self.insertMemory]
            self.memoryIDColumn = nil
        case .deleteMemory:
            self.statements = [Self.deleteMemory]
            self.memoryIDColumn = nil
        case .updateMemory:
            self.statements = ["UPDATE memory_embeddings SET metadata = metadata || jsonb_build_object('tripbench_update', $2::bigint) WHERE id = $1"]
            self.memoryIDColumn = nil
        case .updateTrip:
            // The trip's status as it was, its update time and whether it had metadata are kept in its metadata
            // the first time a run changes it, and put back from there (``cleanup(of:)``).
            self.statements = ["""
                UPDATE trips SET
                    metadata = CASE WHEN metadata ? 'tripbench_status' THEN metadata
                        ELSE coalesce(metadata, '{}'::jsonb) || jsonb_build_object('tripbench_status', status,
                            'tripbench_updated_at', updated_at, 'tripbench_metadata', metadata IS NOT NULL) END,
                    status = $2, updated_at = now()
                WHERE id = $1
                """]
            self.memoryIDColumn = nil
        case .insertMessage:
            // The run's name in the metadata: the messages a run adds are removed afterwards (``cleanup(of:)``).
            self.statements = ["""
                INSERT INTO chat_messages (session_id, role, content, metadata)
                VALUES ($1, $2, $3, jsonb_build_object('tripbench_run', $4::text))
                """]
            self.memoryIDColumn = nil
        case .custom:
            self.statements = [spec.sql ?? ""]
            self.memoryIDColumn = nil
        }
        self.resultStatement = spec.kind == .createTrip ? 1 : 0
        self.isTransaction = spec.kind == .createTrip
    }

    /// What a load-driver thread consults on every request, without the statement texts.
    var shape: Shape {
        Shape(kind: self.kind, statementCount: self.statements.count, resultStatement: self.resultStatement,
              memoryIDColumn: self.memoryIDColumn, isTransaction: self.isTransaction)
    }

    /// An operation's SQL as plain values. A worker thread keeps its own array of these: reading an
    /// ``OperationSQL`` from the array every worker shares retains its `statements`, and that reference count
    /// is written by every thread, so each request pulled its cache line over from the other core (7 % of the
    /// driver's user time at 8 clients, docs/benchmarks.md).
    struct Shape {
        let kind: OperationKind
        let statementCount: Int
        let resultStatement: Int
        let memoryIDColumn: Int?
        let isTransaction: Bool
    }

    /// A memory row of the dataset, its fields bound as the COPY file holds them (``PostgresCopyRows``).
    static let insertMemory: String = {
        let columns = TripSageTables.columns(of: "memory_embeddings")
        return "INSERT INTO memory_embeddings (\(columns.joined(separator: ", "))) VALUES (\(columns.indices.map { "$\($0 + 1)" }.joined(separator: ", ")))"
    }()

    static let deleteMemory = "DELETE FROM memory_embeddings WHERE id = $1"

    /// Removes what create_trip added during earlier runs (trips first: they are found through the memories).
    static let tripCleanup = """
        DELETE FROM trips WHERE id IN (
            SELECT (metadata->>'trip_id')::uuid FROM memory_embeddings WHERE metadata ? 'tripbench_run');
        DELETE FROM memory_embeddings WHERE metadata ? 'tripbench_run';
        """

    /// Puts back the trips update_trip changed: status, update time and metadata as they were.
    static let tripStatusCleanup = """
        UPDATE trips SET status = metadata->>'tripbench_status',
            updated_at = (metadata->>'tripbench_updated_at')::timestamptz,
            metadata = CASE WHEN (metadata->>'tripbench_metadata')::boolean
                THEN metadata - 'tripbench_status' - 'tripbench_updated_at' - 'tripbench_metadata' END
        WHERE metadata ? 'tripbench_status';
        """

    /// The statuses update_trip sets, in turn.
    static let tripStatuses = ["planning", "booked", "in_progress", "completed", "cancelled"]

    /// Removes what the operations' writes added during earlier runs: create_trip's trips (found through their
    /// memories) and memories, insert_message's messages; puts back update_trip's trips; nil when they write
    /// nothing to undo.
    static func cleanup(of operations: [OperationSpec]) -> String? {
        let kinds = Set(operations.map(\.kind))
        let scripts = (kinds.contains(.createTrip) ? [Self.tripCleanup] : [])
            + (kinds.contains(.insertMessage) ? ["DELETE FROM chat_messages WHERE metadata ? 'tripbench_run';"] : [])
            + (kinds.contains(.updateTrip) ? [Self.tripStatusCleanup] : [])
        return scripts.isEmpty ? nil : scripts.joined(separator: "\n")
    }

    /// The parameters of statement `statement` for `draw`; `previous` is the first value of the statement
    /// before it (the new trip's id in create_trip).
    static func bind(
        _ draw: RequestDraw, kind: OperationKind, statement: Int, previous: UUID?, stream: RequestStream, runTag: String
    ) -> [(any PostgresEncodable)?] {
        let catalog = stream.catalog
        switch kind {
        case .vectorSearch:
            // A time-to-searchable probe searches for the row it follows.
            let vector = draw.row >= 0 ? stream.rowVector(draw.row) : catalog.queryVectors[draw.query]
            if draw.user >= 0 { return [vector, catalog.userID(draw.user), DatasetSpec.contentTypeNames[draw.type]] }
            if draw.type >= 0 { return [vector, DatasetSpec.contentTypeNames[draw.type]] }
            let operation = stream.operations[draw.operation]
            return operation.filter == .share ? [vector, Int64(RowShare.bound(operation.share))] : [vector]
        case .hybridSearch:
            return [catalog.queryVectors[draw.query], draw.words, catalog.userID(draw.user), draw.categoryName]
        case .similarTrips:
            return [catalog.userID(draw.user), catalog.queryVectors[draw.query]]
        case .tripDetails:
            return [catalog.userID(draw.user), PostgresDate(daysSince2000: Int32(draw.dayFrom)), PostgresDate(daysSince2000: Int32(draw.dayTo))]
        case .preferenceLookup:
            return [catalog.userID(draw.user)]
        case .chatHistory:
            return [catalog.sessionID(draw.session)]
        case .createTrip:
            let destination = draw.words.capitalized, category = draw.categoryName
            let description = "A \(category) trip to \(destination), planned with tripbench."
            switch statement {
            case 1:
                let days = Double(draw.dayTo - draw.dayFrom)
                return [
                    catalog.userID(draw.user), "\(destination) \(category) trip", description,
                    PostgresDate(daysSince2000: Int32(draw.dayFrom)), PostgresDate(daysSince2000: Int32(draw.dayTo)),
                    String(format: "%.2f", 150 * days),
                ]
            case 2:
                return [catalog.userID(draw.user), description, catalog.queryVectors[draw.query], previous?.uuidString.lowercased(), runTag]
            default:
                return []
            }
        case .insertMemory:
            return stream.insertRows?.fields(of: draw.row) ?? []
        case .deleteMemory:
            return [catalog.memoryID(draw.row)]
        case .updateMemory:
            return [catalog.memoryID(draw.row), Int64(draw.index)]
        case .updateTrip:
            return [catalog.tripID(draw.trip), Self.tripStatuses[draw.index % Self.tripStatuses.count]]
        case .insertMessage:
            let words = draw.words
            return [catalog.sessionID(draw.session), draw.index % 2 == 0 ? "user" : "assistant",
                    draw.index % 2 == 0 ? "What should I see around \(words.capitalized)?" : "Around \(words.capitalized) I would plan a day for each; here is an outline.", runTag]
        case .custom:
            return stream.customValues(of: draw).map { value -> (any PostgresEncodable)? in
                switch value {
                case .integer(let number): number
                case .user(let user): catalog.userID(user)
                case .trip(let trip): catalog.tripID(trip)
                case .session(let session): catalog.sessionID(session)
                case .query(let query): catalog.queryVectors[query]
                case .text(let text): text
                case .day(let day): PostgresDate(daysSince2000: Int32(day))
                }
            }
        }
    }
}
