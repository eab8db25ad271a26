import Glibc

/// The extended query protocol spoken by tripbench itself on the socket of a libpq connection, for statements
/// sent without waiting (``PostgresConnection/send(_:_:keepingResult:)``, ``PostgresConnection/flushOutput()``
/// and ``PostgresConnection/pollResult()``, once ``PostgresConnection/enterNonBlockingMode(driver:)`` chose it).
///
/// Why: a load driver sends one prepared statement per request, and libpq spends about 3,100 instructions on
/// each (a `PGresult` built for every answer, its row description parsed and copied, then freed): more than
/// the driver's other work together, and on a machine whose cores the server shares every one of them is taken
/// from the server (docs/benchmarks.md). This writes the messages libpq writes for `PQsendQueryPrepared` (Bind,
/// Describe portal, Execute, Sync), so the server does the same work, and reads the answer where it lands: rows
/// are counted, copied only when asked for, and the row description is skipped (the statement's description
/// gave the column types when it was prepared).
///
/// libpq still opens the connection (authentication, every connection-string option) and closes it. The
/// channel is used only on a connection without TLS or GSS encryption whose libpq side is idle and stays so.
/// Notices, parameter changes and notifications the server sends meanwhile are read and dropped.
final class PostgresWireChannel {
    private let socket: Int32
    /// Bytes queued and not yet sent.
    private var output = WireBuffer()
    /// Bytes read and not yet parsed.
    private var input = WireBuffer()
    /// The statement in flight: the rows so far, those kept (when asked), and its first error. Flags beside the
    /// optionals keep the per-request path to plain loads: testing an optional error copies its strings.
    private var rows = 0
    private var keeps = false
    private var kept: PostgresRows?
    private var failed = false
    private var failure: PostgresError?
    /// Whether the connection cannot be used any more, and why.
    private(set) var isBroken = false
    private var breakage: PostgresError?

    /// The least room a read is given; the buffer grows beyond it for larger answers.
    private static let readChunk = 16 * 1024

    init(socket: Int32) { self.socket = socket }

    deinit {
        self.output.deallocate()
        self.input.deallocate()
    }

    /// Queues Bind, Describe, Execute and Sync for `statement` (Parse first when it is parsed each time);
    /// ``flush()`` writes them.
    /// - Parameter keep: whether ``poll()`` hands back the statement's rows.
    func send(_ statement: PostgresPreparedStatement, _ parameters: [(any PostgresEncodable)?], keepingResult keep: Bool) throws {
        if self.isBroken { throw self.breakage! }
        self.rows = 0
        self.keeps = keep
        if keep { self.kept = PostgresRows(columnTypes: statement.resultTypes) }
        if self.failed {
            // A statement given up before its end (the connection is then usually dropped as well).
            self.failed = false
            self.failure = nil
        }
        if parameters.isEmpty {
            self.queue(statement, count: 0, values: nil, lengths: nil, formats: nil)
        } else {
            let encoded = try EncodedParameters(parameters, serverTypes: statement.parameterTypes)
            encoded.withArguments { count, _, values, lengths, formats in
                self.queue(statement, count: Int(count), values: values, lengths: lengths, formats: formats)
            }
        }
    }

    /// Writes the messages of one execution into the output buffer (the layout of libpq's `PQsendQueryGuts`).
    private func queue(
        _ statement: PostgresPreparedStatement, count: Int, values: UnsafePointer<UnsafePointer<CChar>?>?,
        lengths: UnsafePointer<Int32>?, formats: UnsafePointer<Int32>?
    ) {
        var valueBytes = 0
        var index = 0
        while index < count {
            if values![index] != nil { valueBytes += Int(lengths![index]) }
            index += 1
        }
        let name = statement.nameBytes
        // Parse, for a statement parsed each time: length, name "", the text, the parameter types' OIDs.
        let types = statement.parameterTypes
        let parse = statement.parsesEachTime ? 4 + 1 + statement.sqlBytes.count + 2 + 4 * types.count : 0
        // Bind: length, portal "", statement name, the parameters' formats, their values, one result format.
        let bind = 4 + 1 + name.count + 2 + 2 * count + 2 + 4 * count + valueBytes + 2 + 2
        let tail = 7 + 10 + 5  // Describe portal, Execute, Sync
        let head = parse > 0 ? 1 + parse : 0
        var out = MessageWriter(at: self.output.reserve(head + 1 + bind + tail).start)
        if parse > 0 {
            out.byte(UInt8(ascii: "P"))
            out.int32(parse)
            out.byte(0)
            statement.sqlBytes.withUnsafeBytes { out.bytes($0) }
            out.int16(types.count)
            for type in types { out.int32(Int(type.oid)) }
        }
        out.byte(UInt8(ascii: "B"))
        out.int32(bind)
        out.byte(0)
        name.withUnsafeBytes { out.bytes($0) }
        out.int16(count)
        index = 0
        while index < count {
            out.int16(Int(formats![index]))
            index += 1
        }
        out.int16(count)
        index = 0
        while index < count {
            if let value = values![index] {
                let length = Int(lengths![index])
                out.int32(length)
                out.bytes(UnsafeRawBufferPointer(start: value, count: length))
            } else {
                out.int32(-1)
            }
            index += 1
        }
        out.int16(1)
        out.int16(Int(PostgresFormat.binary.rawValue))
        out.byte(UInt8(ascii: "D"))
        out.int32(6)
        out.byte(UInt8(ascii: "P"))
        out.byte(0)
        out.byte(UInt8(ascii: "E"))
        out.int32(9)
        out.byte(0)
        out.int32(0)
        out.byte(UInt8(ascii: "S"))
        out.int32(4)
        self.output.end += head + 1 + bind + tail
    }

    /// Writes what is queued.
    /// - Returns: true when all of it is sent, false when the socket is full (wait until it is writable).
    func flush() throws(PostgresError) -> Bool {
        while self.output.count > 0 {
            let sent = Glibc.send(self.socket, self.output.first, self.output.count, Int32(MSG_NOSIGNAL))
            if sent > 0 {
                self.output.start += sent
                continue
            }
            let error = errno
            if error == EINTR { continue }
            if error == EAGAIN || error == EWOULDBLOCK { return false }
            throw self.breakOff(PostgresError(.connectionLost, "could not send to the server: \(String(cString: strerror(error)))"))
        }
        return true
    }

    /// Reads what the server has sent and parses every whole message; never blocks.
    func poll() -> PostgresPollResult {
        if self.isBroken { return .failed(self.breakage!) }
        let readFailure = self.read()
        while self.input.count >= 5 {
            let message = self.input.first
            let length = Int(Int32(bigEndian: message.loadUnaligned(fromByteOffset: 1, as: Int32.self)))
            guard length >= 4 else { return .failed(self.breakOff(Self.violation("a message of length \(length)"))) }
            // The rest of the message is still on its way.
            guard self.input.count >= 1 + length else { break }
            self.input.start += 1 + length
            let payload = UnsafeRawBufferPointer(start: message + 5, count: length - 4)
            switch message.load(as: UInt8.self) {
            case UInt8(ascii: "D"):
                self.rows += 1
                guard self.keeps else { continue }
                do { try self.kept!.append(dataRow: payload) } catch { return .failed(self.breakOff(error)) }
            case UInt8(ascii: "Z"):
                // ReadyForQuery: the statement has ended.
                if self.failed {
                    self.failed = false
                    self.kept = nil
                    return .failed(self.failure.take()!)
                }
                return .finished(rows: self.rows, result: self.keeps ? self.kept.take() : nil)
            case UInt8(ascii: "E"):
                let (error, fatal) = Self.serverError(payload)
                // After a FATAL error the server closes the connection.
                if fatal { return .failed(self.breakOff(error)) }
                if !self.failed {
                    self.failed = true
                    self.failure = error
                }
            // ParseComplete, BindComplete, RowDescription, NoData, CommandComplete, EmptyQueryResponse,
            // PortalSuspended, and what the server may send at any time: notices, parameter changes, notifications.
            case UInt8(ascii: "1"), UInt8(ascii: "2"), UInt8(ascii: "T"), UInt8(ascii: "n"), UInt8(ascii: "C"), UInt8(ascii: "I"),
                UInt8(ascii: "s"), UInt8(ascii: "N"), UInt8(ascii: "S"), UInt8(ascii: "A"):
                continue
            case let type:
                return .failed(self.breakOff(Self.violation("a message of type \(type)")))
            }
        }
        if let readFailure { return .failed(self.breakOff(self.failed ? self.failure! : readFailure)) }
        return .pending
    }

    /// Reads everything the socket holds into the input buffer.
    /// - Returns: the error when the server closed the connection or the read failed, else nil.
    private func read() -> PostgresError? {
        while true {
            let room = self.input.reserve(Self.readChunk)
            let count = recv(self.socket, room.start, room.count, 0)
            if count > 0 {
                self.input.end += count
                if count < room.count { return nil }
                continue
            }
            if count == 0 { return PostgresError(.connectionLost, "server closed the connection unexpectedly") }
            let error = errno
            if error == EINTR { continue }
            if error == EAGAIN || error == EWOULDBLOCK { return nil }
            return PostgresError(.connectionLost, "could not receive data from the server: \(String(cString: strerror(error)))")
        }
    }

    /// Marks the connection unusable for `error` and returns it.
    private func breakOff(_ error: PostgresError) -> PostgresError {
        self.isBroken = true
        self.breakage = error
        return error
    }

    private static func violation(_ what: String) -> PostgresError {
        PostgresError(.protocolViolation, "the server sent \(what), which tripbench's protocol code does not expect")
    }

    /// The error an ErrorResponse carries (its fields: a code byte, then a NUL-terminated value, until a NUL),
    /// and whether its severity ends the session (FATAL, PANIC).
    static func serverError(_ payload: UnsafeRawBufferPointer) -> (PostgresError, fatal: Bool) {
        var fields: [UInt8: String] = [:]
        var offset = 0
        while offset < payload.count, payload[offset] != 0 {
            let code = payload[offset]
            offset += 1
            guard let end = payload[offset...].firstIndex(of: 0) else { break }
            fields[code] = String(decoding: payload[offset..<end], as: UTF8.self)
            offset = end + 1
        }
        let severity = fields[UInt8(ascii: "V")] ?? fields[UInt8(ascii: "S")]
        let error = PostgresError(
            .server, fields[UInt8(ascii: "M")] ?? "the server reported an error without a message",
            sqlState: fields[UInt8(ascii: "C")], detail: fields[UInt8(ascii: "D")], hint: fields[UInt8(ascii: "H")])
        return (error, severity == "FATAL" || severity == "PANIC")
    }
}

/// Bytes the channel fills at one end and drains at the other: `[start, end)` of a buffer allocated on first use.
/// The bytes are moved to the front, and the buffer grown (doubling), only when the room after `end` runs short;
/// an emptied buffer starts again at the front.
private struct WireBuffer {
    private var base: UnsafeMutableRawPointer?
    private var capacity = 0
    var start = 0
    var end = 0

    /// The bytes not yet consumed.
    var count: Int { self.end - self.start }

    /// Where the bytes not yet consumed begin.
    var first: UnsafeMutableRawPointer { self.base! + self.start }

    /// Makes room for at least `count` bytes after `end`.
    /// - Returns: where they go and how many fit there (`count` or more); add what is written to `end`.
    mutating func reserve(_ count: Int) -> (start: UnsafeMutableRawPointer, count: Int) {
        if self.start == self.end {
            self.start = 0
            self.end = 0
        }
        if self.capacity - self.end < count {
            let pending = self.end - self.start
            if let base = self.base, self.start > 0 { memmove(base, base + self.start, pending) }
            self.start = 0
            self.end = pending
            if self.capacity - pending < count {
                self.capacity = max(2 * self.capacity, pending + count, 1024)
                self.base = realloc(self.base, self.capacity)!
            }
        }
        return (self.base! + self.end, self.capacity - self.end)
    }

    func deallocate() { free(self.base) }
}

/// Writes big-endian protocol fields at a pointer into a buffer with room reserved for them.
private struct MessageWriter {
    var at: UnsafeMutableRawPointer

    mutating func byte(_ value: UInt8) {
        self.at.storeBytes(of: value, as: UInt8.self)
        self.at += 1
    }

    mutating func int16(_ value: Int) {
        self.at.storeBytes(of: Int16(truncatingIfNeeded: value).bigEndian, as: Int16.self)
        self.at += 2
    }

    mutating func int32(_ value: Int) {
        self.at.storeBytes(of: Int32(truncatingIfNeeded: value).bigEndian, as: Int32.self)
        self.at += 4
    }

    mutating func bytes(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        self.at.copyMemory(from: base, byteCount: bytes.count)
        self.at += bytes.count
    }
}
