import CLibPQ
import Glibc

/// One libpq connection, used from one thread.
///
/// All calls block the calling thread until the server answers, so a connection must live on a thread of
/// its own (``DedicatedThread``, a load-driver thread), never on Swift's cooperative pool. It is not
/// `Sendable`: it belongs to the thread that opened it. Results are fetched in binary format.
public final class PostgresConnection {
    let handle: OpaquePointer
    /// The connection string it was opened with (print ``PostgresConnectionString/masked`` only).
    public let connectionString: PostgresConnectionString
    private let notices = NoticeLog()
    private var preparedCount = 0
    /// The first result (its outcome, success or error) of the statement in flight, kept raw until libpq
    /// signals its end: see ``PostgresConnection/pollResult()``.
    var firstResult: OpaquePointer?
    /// Whether the statement in flight hands back its rows (``send(_:_:keepingResult:)``).
    var keepsResult = false
    /// tripbench's own protocol code on the connection's socket, for statements sent without waiting once
    /// ``enterNonBlockingMode(driver:)`` has chosen it; it holds no buffers until then.
    let wire: PostgresWireChannel
    /// How statements sent without waiting are run (see ``enterNonBlockingMode(driver:)``).
    public internal(set) var driver = PostgresStatementDriver.libpq

    /// Opens a connection, waiting at most `connect_timeout` seconds (10 unless the string says otherwise).
    /// - Throws: ``PostgresError`` with code `.connectionFailed` when the server cannot be reached, or
    ///   `.connectionRejected` when it refused the session (password, role, database); password masked.
    /// - Parameter replication: a logical replication connection to the database (`replication=database`),
    ///   which takes replication commands beside SQL (``PostgresReplicationStream``).
    /// - Parameter database: another database on the same server than the string's (a pooler's `pgbouncer`
    ///   console).
    public convenience init(_ connectionString: PostgresConnectionString, replication: Bool = false, database: String? = nil) throws {
        let parameters = Self.parameters(connectionString, replication: replication, database: database)
        let handle = withCStringArray(parameters.keywords) { keywordPointers in
            withCStringArray(parameters.values) { valuePointers in PQconnectdbParams(keywordPointers, valuePointers, 1) }
        }
        guard let handle else { throw PostgresError(.connectionFailed, "libpq could not allocate a connection") }
        guard PQstatus(handle) == CONNECTION_OK else { throw Self.refusal(handle, connectionString) }
        self.init(opened: handle, connectionString: connectionString)
    }

    /// Takes over a handle libpq has connected.
    init(opened handle: OpaquePointer, connectionString: PostgresConnectionString) {
        self.connectionString = connectionString
        self.handle = handle
        self.wire = PostgresWireChannel(socket: PQsocket(handle))
        PQsetNoticeReceiver(
            handle,
            { context, result in
                guard let context, let result else { return }
                let log = Unmanaged<NoticeLog>.fromOpaque(context).takeUnretainedValue()
                log.append(String(cString: PQresultErrorMessage(result)).singleLine)
            },
            Unmanaged.passUnretained(self.notices).toOpaque()
        )
    }

    /// The keywords and values a connection is opened with. Keywords before "dbname" are defaults that the
    /// expanded connection string overrides; after it, they override the string (a second "dbname" is a plain
    /// database name).
    /// - Parameter options: server settings for the session (libpq's `options`, `-c name=value …`).
    static func parameters(
        _ connectionString: PostgresConnectionString, replication: Bool = false, database: String? = nil, options: String? = nil
    ) -> (keywords: [String], values: [String]) {
        var keywords = ["connect_timeout", "fallback_application_name", "dbname"]
        var values = ["10", "tripbench", connectionString.raw]
        if replication { keywords.append("replication"); values.append("database") }
        if let database { keywords.append("dbname"); values.append(database) }
        if let options { keywords.append("options"); values.append(options) }
        return (keywords, values)
    }

    /// The error for a connection libpq could not open, freeing its handle: password masked.
    static func refusal(_ handle: OpaquePointer, _ connectionString: PostgresConnectionString) -> PostgresError {
        let reason = connectionString.redact(String(cString: PQerrorMessage(handle)))
        PQfinish(handle)
        // A FATAL means the server answered and refused the session; otherwise it was not reached.
        let code: PostgresError.Code = reason.contains("FATAL:") ? .connectionRejected : .connectionFailed
        return PostgresError(code, "cannot connect to \(connectionString.summary): \(reason)")
    }

    /// Opens a connection on a dedicated thread, runs `body` there with it, closes it, and returns the result.
    public static func withConnection<T: Sendable>(
        _ connectionString: PostgresConnectionString,
        _ body: @escaping @Sendable (PostgresConnection) throws -> T
    ) async throws -> T {
        try await DedicatedThread.run(name: "tripbench-postgres") {
            try body(PostgresConnection(connectionString))
        }
    }

    deinit {
        self.discardFirstResult()
        PQfinish(self.handle)
    }

    /// Frees the first result of a statement sent without waiting whose end was never read.
    func discardFirstResult() {
        if let result = self.firstResult { PQclear(result) }
        self.firstResult = nil
    }

    /// The server's version as an integer, e.g. 180006 for 18.6.
    public var serverVersion: Int { Int(PQserverVersion(self.handle)) }

    /// Notices and warnings the server sent since the last call, oldest first; reading empties the log.
    public func takeNotices() -> [String] { self.notices.take() }

    /// Runs one statement with parameters `$1…$n` (extended protocol, binary results).
    /// - Returns: the result; rows for a query, the affected-row count for a command.
    /// - Throws: ``PostgresError`` with the server's SQLSTATE, message, detail and hint.
    @discardableResult
    public func query(_ sql: String, _ parameters: [(any PostgresEncodable)?] = []) throws -> PostgresResult {
        let encoded = try EncodedParameters(parameters, serverTypes: nil)
        let result = encoded.withArguments { count, types, values, lengths, formats in
            PQexecParams(self.handle, sql, count, types, values, lengths, formats, PostgresFormat.binary.rawValue)
        }
        return try self.check(result, for: sql)
    }

    /// Runs `sql`, which may hold several statements separated by semicolons (simple protocol, text
    /// results, no parameters). Meant for DDL and migrations.
    public func execute(script sql: String) throws {
        _ = try self.check(PQexec(self.handle, sql), for: sql)
    }

    /// Runs one statement through the simple protocol, which poolers' admin consoles (pgbouncer's `SHOW
    /// POOLS`) speak alone; its values are text (``PostgresResult/text(row:column:)``).
    public func simpleQuery(_ sql: String) throws -> PostgresResult {
        try self.check(PQexec(self.handle, sql), for: sql)
    }

    /// Quotes `name` as an SQL identifier (`"my ""table"""`).
    public static func quoteIdentifier(_ name: String) -> String {
        "\"" + name.replacing("\"", with: "\"\"") + "\""
    }

    /// Quotes `value` as an SQL string literal (`'it''s'`); standard_conforming_strings is assumed on.
    public static func quoteLiteral(_ value: String) -> String {
        "'" + value.replacing("'", with: "''") + "'"
    }

    /// Turns a result pointer into a ``PostgresResult``, or the error it carries.
    func check(_ result: OpaquePointer?, for sql: String) throws(PostgresError) -> PostgresResult {
        guard let result else { throw self.connectionError() }
        if let error = Self.failure(of: result) { throw error }
        return PostgresResult(result)
    }

    /// The error a result carries, or nil when its statement succeeded. A failed result is freed here.
    static func failure(of result: OpaquePointer) -> PostgresError? {
        switch PQresultStatus(result) {
        case PGRES_TUPLES_OK, PGRES_COMMAND_OK, PGRES_EMPTY_QUERY, PGRES_COPY_IN, PGRES_SINGLE_TUPLE:
            return nil
        case PGRES_PIPELINE_ABORTED:
            PQclear(result)
            return PostgresError(.pipelineAborted, "skipped because an earlier statement in the pipeline failed")
        default:
            defer { PQclear(result) }
            return Self.serverError(result)
        }
    }

    /// The error a failed result carries, with the server's fields.
    static func serverError(_ result: OpaquePointer) -> PostgresError {
        func field(_ code: Int32) -> String? {
            PQresultErrorField(result, code).map { String(cString: $0) }
        }
        let message = field(Int32(UInt8(ascii: "M"))) ?? String(cString: PQresultErrorMessage(result))
        return PostgresError(
            .server, message,
            sqlState: field(Int32(UInt8(ascii: "C"))),
            detail: field(Int32(UInt8(ascii: "D"))),
            hint: field(Int32(UInt8(ascii: "H")))
        )
    }

    /// The error for a call that failed without a result: usually a lost connection.
    func connectionError() -> PostgresError {
        let message = self.connectionString.redact(String(cString: PQerrorMessage(self.handle)))
        let code: PostgresError.Code = PQstatus(self.handle) == CONNECTION_OK ? .protocolViolation : .connectionLost
        return PostgresError(code, message.isEmpty ? "no result from the server" : message)
    }

    /// A new statement name unique on this connection.
    func nextStatementName() -> String {
        self.preparedCount += 1
        return "tripbench_\(self.preparedCount)"
    }
}

/// Collects server notices; libpq calls it from the thread that owns the connection.
private final class NoticeLog {
    private var messages: [String] = []
    func append(_ message: String) {
        if self.messages.count < 1000 { self.messages.append(message) }
    }
    func take() -> [String] {
        defer { self.messages.removeAll() }
        return self.messages
    }
}

/// Calls `body` with a C array of C strings that lives for the call.
func withCStringArray<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    let copies = strings.map { strdup($0) }
    defer { copies.forEach { free($0) } }
    let pointers = copies.map { UnsafePointer($0) } + [nil]
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}
