import CLibPQ
import Glibc

/// A logical replication stream in PostgreSQL's built-in `pgoutput` protocol, as a Realtime server or a
/// subscriber reads it: a replication connection, a TEMPORARY slot (dropped by the server when the session
/// ends, however it ends), and `START_REPLICATION` for a publication. Messages are read as they arrive; the
/// stream confirms what it received, so the server can let go of its WAL.
///
/// Used from one thread, like ``PostgresConnection``.
public final class PostgresReplicationStream {
    /// What one message of the stream says (the parts a change feed measures).
    public enum Message: Equatable, Sendable {
        /// A transaction begins; it was committed at `commitMicros` (µs since 2000-01-01, the server's clock).
        case begin(commitMicros: Int64, xid: UInt32)
        /// A row inserted, updated or deleted, or tables truncated: `I`, `U`, `D`, `T`.
        case change(UInt8)
        /// The transaction's last message: its changes have all arrived.
        case commit(commitMicros: Int64, endLSN: UInt64)
        /// A logical message (`pg_logical_emit_message`) with its prefix.
        case message(prefix: String)
        /// Relation and type descriptions, origins, keepalives.
        case other
    }

    let connection: PostgresConnection
    public let slot: String
    /// How far the WAL was received (transactions' ends, keepalives' positions), confirmed to the server now
    /// and then.
    private var received: UInt64 = 0
    private var lastConfirmation = ContinuousClock.now - .seconds(2)

    /// Connects, creates the TEMPORARY slot `slot` and starts streaming `publication`'s changes from now on.
    /// - Throws: ``PostgresError`` when the server refuses (no logical `wal_level`, no free slot or WAL sender).
    public init(_ connectionString: PostgresConnectionString, slot: String, publication: String) throws {
        self.connection = try PostgresConnection(connectionString, replication: true)
        self.slot = slot
        try self.connection.execute(script: "CREATE_REPLICATION_SLOT \(PostgresConnection.quoteIdentifier(slot)) TEMPORARY LOGICAL pgoutput")
        let start = "START_REPLICATION SLOT \(PostgresConnection.quoteIdentifier(slot)) LOGICAL 0/0 "
            + "(proto_version '1', publication_names \(PostgresConnection.quoteLiteral(PostgresConnection.quoteIdentifier(publication))), messages 'true')"
        guard let result = PQexec(self.connection.handle, start) else { throw self.connection.connectionError() }
        defer { PQclear(result) }
        guard PQresultStatus(result) == PGRES_COPY_BOTH else { throw PostgresConnection.serverError(result) }
        PQsetnonblocking(self.connection.handle, 1)
    }

    /// How far the WAL was received: every transaction that ended before it has arrived.
    public var receivedLSN: UInt64 { self.received }

    /// The next message, waiting at most `nanos` for one; nil when none came.
    /// - Throws: ``PostgresError`` (`.connectionLost`) when the server ended the stream or the connection.
    public func next(waitingAtMost nanos: Int64) throws -> Message? {
        let handle = self.connection.handle
        let deadline = ContinuousClock.now + .nanoseconds(nanos)
        while true {
            var buffer: UnsafeMutablePointer<CChar>?
            let length = PQgetCopyData(handle, &buffer, 1)
            if length > 0, let buffer {
                defer { PQfreemem(buffer) }
                return try self.handle(UnsafeRawBufferPointer(start: buffer, count: Int(length)))
            }
            if length < 0 { throw self.streamEnded() }
            let left = deadline - ContinuousClock.now
            guard left > .zero else { return nil }
            var descriptor = pollfd(fd: PQsocket(handle), events: Int16(POLLIN), revents: 0)
            let (seconds, attoseconds) = left.components
            let waitMillis = Int32(clamping: seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000)
            if poll(&descriptor, 1, waitMillis) < 0, errno != EINTR { throw self.streamEnded() }
            guard PQconsumeInput(handle) == 1 else { throw self.streamEnded() }
        }
    }

    /// Ends the stream and closes the connection; the server drops the temporary slot with the session.
    public func close() {
        _ = PQputCopyEnd(self.connection.handle, nil)
        _ = PQflush(self.connection.handle)
    }

    /// Parses one CopyData message: WAL data (`w`) carries a pgoutput message; a keepalive (`k`) may ask for
    /// a reply, which is sent at once.
    private func handle(_ bytes: UnsafeRawBufferPointer) throws -> Message {
        var reader = PostgresReader(bytes)
        switch reader.next(UInt8.self) {
        case UInt8(ascii: "w"):
            let start = reader.next(UInt64.self)
            _ = reader.next(UInt64.self)
            _ = reader.next(UInt64.self)
            self.received = max(self.received, start)
            let message = Self.pgoutput(&reader)
            if case .commit(_, let end) = message { self.received = max(self.received, end) }
            try self.confirmNowAndThen(force: false)
            return message
        case UInt8(ascii: "k"):
            self.received = max(self.received, reader.next(UInt64.self))
            _ = reader.next(UInt64.self)
            try self.confirmNowAndThen(force: reader.next(UInt8.self) == 1)
            return .other
        default:
            return .other
        }
    }

    /// The parts of a pgoutput message a change feed needs.
    static func pgoutput(_ reader: inout PostgresReader) -> Message {
        switch reader.next(UInt8.self) {
        case UInt8(ascii: "B"):
            _ = reader.next(UInt64.self)
            let commit = reader.next(Int64.self)
            return .begin(commitMicros: commit, xid: reader.next(UInt32.self))
        case UInt8(ascii: "C"):
            _ = reader.next(UInt8.self)
            _ = reader.next(UInt64.self)
            let end = reader.next(UInt64.self)
            return .commit(commitMicros: reader.next(Int64.self), endLSN: end)
        case UInt8(ascii: "M"):
            _ = reader.next(UInt8.self)
            _ = reader.next(UInt64.self)
            return .message(prefix: reader.cString())
        case let kind where [UInt8(ascii: "I"), UInt8(ascii: "U"), UInt8(ascii: "D"), UInt8(ascii: "T")].contains(kind):
            return .change(kind)
        default:
            return .other
        }
    }

    /// Tells the server what was received (a standby status update: written, flushed and applied up to
    /// there), when asked or at least every second.
    private func confirmNowAndThen(force: Bool) throws {
        let now = ContinuousClock.now
        guard force || now - self.lastConfirmation > .seconds(1) else { return }
        self.lastConfirmation = now
        var message = PostgresBuffer(capacity: 34)
        message.writeInteger(UInt8(ascii: "r"))
        for value in [self.received, self.received, self.received, UInt64(bitPattern: Self.postgresMicros())] { message.writeInteger(value) }
        message.writeInteger(UInt8(0))
        let sent = message.bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { PQputCopyData(self.connection.handle, $0.baseAddress, Int32($0.count)) }
        }
        guard sent == 1 else { throw self.streamEnded() }
        _ = PQflush(self.connection.handle)
    }

    private func streamEnded() -> PostgresError {
        let error = self.connection.connectionError()
        return PostgresError(.connectionLost, "the replication stream of slot \(self.slot) ended: \(error.message)")
    }

    /// Now on the server's clock scale: µs since 2000-01-01 (same host, CLOCK_REALTIME).
    public static func postgresMicros() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return (Int64(now.tv_sec) - postgresEpochUnixSeconds) * 1_000_000 + Int64(now.tv_nsec) / 1000
    }
}

extension PostgresReader {
    /// The next integer of a replication message, or zero past its end (a message cut short reads as zeros).
    mutating func next<T: FixedWidthInteger>(_: T.Type) -> T { (try? self.readInteger(as: T.self)) ?? 0 }

    /// A NUL-terminated string (to the end when there is no NUL).
    mutating func cString() -> String {
        var bytes: [UInt8] = []
        while let byte = try? self.readInteger(as: UInt8.self), byte != 0 { bytes.append(byte) }
        return String(decoding: bytes, as: UTF8.self)
    }
}
