import CLibPQ
import Glibc

/// What ``PostgresConnection/pollResult()`` found: the statement is still running, it finished,
/// or it failed. Flat cases rather than a `Result`: a load driver checks one per request, and copying a generic
/// `Result` goes through the runtime's value witnesses.
public enum PostgresPollResult {
    case pending
    /// The statement's row count, and its rows when the caller asked to keep them.
    case finished(rows: Int, result: PostgresRows?)
    case failed(PostgresError)
}

/// How a connection runs the statements it sends without waiting.
public enum PostgresStatementDriver: String, Sendable, CaseIterable {
    /// tripbench's own code for the extended query protocol, on libpq's socket: the same messages as libpq's,
    /// read in place (``PostgresWireChannel``). Used wherever it can be: not with TLS or GSS encryption.
    case direct
    /// libpq's `PQsendQueryPrepared`, `PQconsumeInput` and `PQgetResult`, as pgbench runs them.
    case libpq
}

extension PostgresConnection {
    /// The connection's socket, to wait on with `poll` (a load-driver thread multiplexes many of them).
    public var socketDescriptor: Int32 { PQsocket(self.handle) }

    /// Whether the connection is still usable (false after the server closed it).
    public var isHealthy: Bool {
        self.driver == .direct ? !self.wire.isBroken : PQstatus(self.handle) == CONNECTION_OK
    }

    /// Switches the connection to statements sent without waiting: ``send(_:_:keepingResult:)`` then never waits for the
    /// socket. From then on the connection runs only those (``send(_:_:keepingResult:)``, ``flushOutput()``,
    /// ``pollResult()``) until it is closed.
    /// - Parameter driver: which code runs them; `.direct` falls back to libpq on an encrypted connection
    ///   (``driver`` says which was taken).
    public func enterNonBlockingMode(driver: PostgresStatementDriver = .direct) throws {
        guard PQsetnonblocking(self.handle, 1) == 0 else { throw self.connectionError() }
        let encrypted = PQsslInUse(self.handle) != 0 || PQgssEncInUse(self.handle) != 0
        let idle = PQtransactionStatus(self.handle) == PQTRANS_IDLE
        guard driver == .direct, !encrypted, idle else {
            self.driver = .libpq
            return
        }
        // libpq keeps its socket non-blocking already; the channel relies on it.
        let flags = fcntl(PQsocket(self.handle), F_GETFL)
        guard flags >= 0, flags & O_NONBLOCK != 0 || fcntl(PQsocket(self.handle), F_SETFL, flags | O_NONBLOCK) == 0 else {
            throw PostgresError(.connectionLost, "cannot make the connection's socket non-blocking")
        }
        self.driver = .direct
    }

    /// Sends a prepared statement and returns at once; ``flushOutput()`` and ``pollResult()`` drive it to its end.
    /// - Parameter keep: whether ``pollResult()`` hands back its rows for decoding; without it only the rows are
    ///   counted and nothing is made of them (a load driver reads most results this way).
    /// - Throws: ``PostgresError`` when the parameters cannot be encoded or the connection is broken.
    public func send(_ statement: PostgresPreparedStatement, _ parameters: [(any PostgresEncodable)?], keepingResult keep: Bool = false) throws {
        if self.driver == .direct {
            try self.wire.send(statement, parameters, keepingResult: keep)
            return
        }
        self.discardFirstResult()
        self.keepsResult = keep
        if statement.parsesEachTime {
            let encoded = try EncodedParameters(parameters, serverTypes: statement.parameterTypes)
            let oids = statement.parameterTypes.map(\.oid)
            let status = encoded.withArguments { count, _, values, lengths, formats in
                PQsendQueryParams(self.handle, statement.sql, count, oids.isEmpty ? nil : oids, values, lengths, formats, PostgresFormat.binary.rawValue)
            }
            guard status == 1 else { throw self.connectionError() }
            return
        }
        let status: Int32
        // withCString lends the name's own bytes; passing the String itself would copy it into a new array.
        if parameters.isEmpty {
            status = statement.name.withCString { name in
                PQsendQueryPrepared(self.handle, name, 0, nil, nil, nil, PostgresFormat.binary.rawValue)
            }
        } else {
            let encoded = try EncodedParameters(parameters, serverTypes: statement.parameterTypes)
            status = statement.name.withCString { name in
                encoded.withArguments { count, _, values, lengths, formats in
                    PQsendQueryPrepared(self.handle, name, count, values, lengths, formats, PostgresFormat.binary.rawValue)
                }
            }
        }
        guard status == 1 else { throw self.connectionError() }
    }

    /// Writes what libpq still holds for the server.
    /// - Returns: true when everything is sent, false when the socket was full (wait until it is writable).
    public func flushOutput() throws -> Bool {
        if self.driver == .direct { return try self.wire.flush() }
        switch PQflush(self.handle) {
        case 0: return true
        case 1: return false
        default: throw self.connectionError()
        }
    }

    /// Reads whatever the server has sent and reports whether the statement in flight has finished. Call it
    /// when the socket is readable; it never blocks.
    ///
    /// A statement's end is libpq's NULL result after its last one; the first result (or the first error)
    /// is the statement's outcome.
    public func pollResult() -> PostgresPollResult {
        if self.driver == .direct { return self.wire.poll() }
        guard PQconsumeInput(self.handle) == 1 else { return .failed(self.connectionError()) }
        while PQisBusy(self.handle) == 0 {
            guard let result = PQgetResult(self.handle) else {
                guard let first = self.firstResult else {
                    return .failed(PostgresError(.protocolViolation, "the statement ended without a result"))
                }
                self.firstResult = nil
                if let error = Self.failure(of: first) { return .failed(error) }
                defer { PQclear(first) }
                let rows = Int(PQntuples(first))
                guard self.keepsResult else { return .finished(rows: rows, result: nil) }
                let types = (0..<PQnfields(first)).map { PostgresDataType(oid: PQftype(first, $0)) }
                return .finished(rows: rows, result: PostgresRows(copying: first, columnTypes: types))
            }
            // The first result is the statement's outcome; it stays raw until the statement has ended.
            if self.firstResult == nil { self.firstResult = result } else { PQclear(result) }
        }
        return .pending
    }
}
