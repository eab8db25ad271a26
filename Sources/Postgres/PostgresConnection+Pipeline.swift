import CLibPQ
import Glibc

/// One statement of a pipeline: SQL with parameters, or a prepared statement with parameters.
public struct PostgresStatement {
    enum Kind {
        case sql(String)
        case prepared(PostgresPreparedStatement)
    }

    let kind: Kind
    let parameters: [(any PostgresEncodable)?]

    /// SQL text with `$n` parameters.
    public init(_ sql: String, _ parameters: [(any PostgresEncodable)?] = []) {
        self.kind = .sql(sql)
        self.parameters = parameters
    }

    /// A statement prepared on the same connection.
    public init(_ statement: PostgresPreparedStatement, _ parameters: [(any PostgresEncodable)?] = []) {
        self.kind = .prepared(statement)
        self.parameters = parameters
    }

    var sql: String {
        switch self.kind {
        case .sql(let sql): sql
        case .prepared(let statement): statement.sql
        }
    }
}

extension PostgresConnection {
    /// Sends `statements` in libpq pipeline mode, without waiting for each answer, then reads all results.
    ///
    /// The batch ends in one sync, so it behaves as one implicit transaction unless the statements manage
    /// their own: after a failure, later statements are skipped (`.pipelineAborted`). The socket is driven
    /// non-blocking, sending and reading at the same time, so a large batch cannot deadlock on full buffers.
    /// - Returns: one result or error per statement, in order.
    public func pipeline(_ statements: [PostgresStatement]) throws -> [Result<PostgresResult, PostgresError>] {
        guard !statements.isEmpty else { return [] }
        guard PQenterPipelineMode(self.handle) == 1 else { throw self.connectionError() }
        guard PQsetnonblocking(self.handle, 1) == 0 else { throw self.connectionError() }
        defer {
            PQsetnonblocking(self.handle, 0)
            PQexitPipelineMode(self.handle)
        }
        var results: [Result<PostgresResult, PostgresError>] = []
        results.reserveCapacity(statements.count)
        var sent = 0
        var currentHasResult = false
        var synced = false
        while !synced {
            if sent < statements.count {
                try self.send(statements[sent])
                sent += 1
                if sent == statements.count, PQpipelineSync(self.handle) != 1 { throw self.connectionError() }
            }
            let flush = PQflush(self.handle)
            guard flush >= 0 else { throw self.connectionError() }
            guard PQconsumeInput(self.handle) == 1 else { throw self.connectionError() }
            while PQisBusy(self.handle) == 0 {
                guard let result = PQgetResult(self.handle) else {
                    // NULL ends one statement's results; without a result before it, nothing more is ready.
                    if !currentHasResult { break }
                    currentHasResult = false
                    continue
                }
                if PQresultStatus(result) == PGRES_PIPELINE_SYNC {
                    PQclear(result)
                    synced = true
                    break
                }
                if !currentHasResult {
                    results.append(Result { try self.check(result, for: statements[results.count].sql) }
                        .mapError { $0 as? PostgresError ?? PostgresError(.protocolViolation, "\($0)") })
                } else {
                    PQclear(result)  // a second result for one statement (not expected for plain statements)
                }
                currentHasResult = true
            }
            // Everything sent: wait for the server instead of spinning; with output pending, wait to write too.
            if !synced, sent == statements.count || flush == 1 {
                try self.waitForSocket(writable: flush == 1)
            }
        }
        return results
    }

    private func send(_ statement: PostgresStatement) throws {
        let status: Int32
        switch statement.kind {
        case .sql(let sql):
            let encoded = try EncodedParameters(statement.parameters, serverTypes: nil)
            status = encoded.withArguments { count, types, values, lengths, formats in
                PQsendQueryParams(self.handle, sql, count, types, values, lengths, formats, PostgresFormat.binary.rawValue)
            }
        case .prepared(let prepared):
            let encoded = try EncodedParameters(statement.parameters, serverTypes: prepared.parameterTypes)
            status = encoded.withArguments { count, _, values, lengths, formats in
                PQsendQueryPrepared(self.handle, prepared.name, count, values, lengths, formats, PostgresFormat.binary.rawValue)
            }
        }
        guard status == 1 else { throw self.connectionError() }
    }

    /// Blocks in `poll` until the socket is readable (or writable, when asked), at most 30 s at a time.
    private func waitForSocket(writable: Bool) throws {
        var descriptor = pollfd(fd: PQsocket(self.handle), events: Int16(POLLIN) | (writable ? Int16(POLLOUT) : 0), revents: 0)
        let ready = poll(&descriptor, 1, 30_000)
        guard ready >= 0 || errno == EINTR else {
            throw PostgresError(.connectionLost, "poll failed: \(String(cString: strerror(errno)))")
        }
    }
}
