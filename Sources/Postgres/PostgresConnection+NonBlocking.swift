import CLibPQ

/// What ``PostgresConnection/pollResult(keepingResult:)`` found: the statement is still running, it finished,
/// or it failed. Flat cases rather than a `Result`: a load driver checks one per request, and copying a generic
/// `Result` goes through the runtime's value witnesses.
public enum PostgresPollResult {
    case pending
    /// The statement's row count, and its result when the caller asked to keep it.
    case finished(rows: Int, result: PostgresResult?)
    case failed(PostgresError)
}

extension PostgresConnection {
    /// The connection's socket, to wait on with `poll` (a load-driver thread multiplexes many of them).
    public var socketDescriptor: Int32 { PQsocket(self.handle) }

    /// Whether the connection is still usable (false after the server closed it).
    public var isHealthy: Bool { PQstatus(self.handle) == CONNECTION_OK }

    /// Switches the connection to non-blocking sends: ``send(_:_:)`` then never waits for the socket.
    public func enterNonBlockingMode() throws {
        guard PQsetnonblocking(self.handle, 1) == 0 else { throw self.connectionError() }
    }

    /// Sends a prepared statement and returns at once; ``flushOutput()`` and ``pollResult(keepingResult:)`` drive
    /// it to its end.
    /// - Throws: ``PostgresError`` when the parameters cannot be encoded or the connection is broken.
    public func send(_ statement: PostgresPreparedStatement, _ parameters: [(any PostgresEncodable)?]) throws {
        self.discardFirstResult()
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
    /// - Parameter keep: whether to hand back the result for decoding; without it only the row count is read
    ///   and the result is freed at once (a load driver reads most results this way, with no object to make).
    public func pollResult(keepingResult keep: Bool) -> PostgresPollResult {
        guard PQconsumeInput(self.handle) == 1 else { return .failed(self.connectionError()) }
        while PQisBusy(self.handle) == 0 {
            guard let result = PQgetResult(self.handle) else {
                guard let first = self.firstResult else {
                    return .failed(PostgresError(.protocolViolation, "the statement ended without a result"))
                }
                self.firstResult = nil
                if let error = Self.failure(of: first) { return .failed(error) }
                let rows = Int(PQntuples(first))
                guard keep else {
                    PQclear(first)
                    return .finished(rows: rows, result: nil)
                }
                return .finished(rows: rows, result: PostgresResult(first))
            }
            // The first result is the statement's outcome; it stays raw until the statement has ended.
            if self.firstResult == nil { self.firstResult = result } else { PQclear(result) }
        }
        return .pending
    }
}
