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
    private var lastConfirmation: Int64 = 0

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

    /// The WAL sender's process id (`pg_stat_replication.pid`).
    public var backendPID: Int32 { PQbackendPID(self.connection.handle) }

    /// How far the WAL was received: every transaction that ended before it has arrived.
    public var receivedLSN: UInt64 { self.received }

    /// The next message, waiting at most `nanos` for one; nil when none came.
    /// - Throws: ``PostgresError`` (`.connectionLost`) when the server ended the stream or the connection.
    public func next(waitingAtMost nanos: Int64) throws -> Message? {
        let handle = self.connection.handle
        var deadline: Int64?
        while true {
            var buffer: UnsafeMutablePointer<CChar>?
            let length = PQgetCopyData(handle, &buffer, 1)
            if length > 0, let buffer {
                defer { PQfreemem(buffer) }
                return try self.handle(UnsafeRawBufferPointer(start: buffer, count: Int(length)))
            }
            if length < 0 { throw self.streamEnded() }
            let now = Self.monotonicNanos()
            let until = deadline ?? now + nanos
            deadline = until
            guard now < until else { return nil }
            var descriptor = pollfd(fd: PQsocket(handle), events: Int16(POLLIN), revents: 0)
            let waitMillis = Int32(clamping: max((until - now + 999_999) / 1_000_000, 0))
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
        var reader = BigEndianReader(bytes)
        switch reader.byte() {
        case UInt8(ascii: "w"):
            let start = reader.uint64()
            _ = reader.uint64()
            _ = reader.uint64()
            self.received = max(self.received, start)
            let message = Self.pgoutput(&reader)
            if case .commit(_, let end) = message { self.received = max(self.received, end) }
            try self.confirmNowAndThen(force: false)
            return message
        case UInt8(ascii: "k"):
            self.received = max(self.received, reader.uint64())
            _ = reader.uint64()
            try self.confirmNowAndThen(force: reader.byte() == 1)
            return .other
        default:
            return .other
        }
    }

    /// The parts of a pgoutput message a change feed needs.
    static func pgoutput(_ reader: inout BigEndianReader) -> Message {
        switch reader.byte() {
        case UInt8(ascii: "B"):
            _ = reader.uint64()
            let commit = Int64(bitPattern: reader.uint64())
            return .begin(commitMicros: commit, xid: reader.uint32())
        case UInt8(ascii: "C"):
            _ = reader.byte()
            _ = reader.uint64()
            let end = reader.uint64()
            return .commit(commitMicros: Int64(bitPattern: reader.uint64()), endLSN: end)
        case UInt8(ascii: "M"):
            _ = reader.byte()
            _ = reader.uint64()
            return .message(prefix: reader.string())
        case let kind where [UInt8(ascii: "I"), UInt8(ascii: "U"), UInt8(ascii: "D"), UInt8(ascii: "T")].contains(kind):
            return .change(kind)
        default:
            return .other
        }
    }

    /// Tells the server what was received (a standby status update: written, flushed and applied up to
    /// there), when asked or at least every second.
    private func confirmNowAndThen(force: Bool) throws {
        let now = Self.monotonicNanos()
        guard force || now - self.lastConfirmation > 1_000_000_000 else { return }
        self.lastConfirmation = now
        var message = [UInt8(ascii: "r")]
        for value in [self.received, self.received, self.received, UInt64(bitPattern: Self.postgresMicros())] {
            message += withUnsafeBytes(of: value.bigEndian, Array.init)
        }
        message.append(0)
        let sent = message.withUnsafeBufferPointer { buffer in
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
        return (Int64(now.tv_sec) - 946_684_800) * 1_000_000 + Int64(now.tv_nsec) / 1000
    }

    static func monotonicNanos() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
    }
}

/// Reads big-endian integers from a message; past its end it reads zeros.
struct BigEndianReader {
    private let bytes: UnsafeRawBufferPointer
    private var offset = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    mutating func byte() -> UInt8 {
        guard self.offset < self.bytes.count else { return 0 }
        defer { self.offset += 1 }
        return self.bytes[self.offset]
    }

    /// A NUL-terminated string.
    mutating func string() -> String {
        var bytes: [UInt8] = []
        while self.offset < self.bytes.count, self.bytes[self.offset] != 0 { bytes.append(self.byte()) }
        _ = self.byte()
        return String(decoding: bytes, as: UTF8.self)
    }

    mutating func uint32() -> UInt32 { (0..<4).reduce(0) { value, _ in value << 8 | UInt32(self.byte()) } }
    mutating func uint64() -> UInt64 { (0..<8).reduce(0) { value, _ in value << 8 | UInt64(self.byte()) } }
}
