import CLibPQ
import Glibc

/// A connection being opened without blocking (libpq's `PQconnectStartParams` and `PQconnectPoll`), for a
/// load driver that opens connections while its other clients run: wait on ``socketDescriptor`` for
/// ``waitsToWrite`` (writable) or readable, then ``poll()`` again, until it hands over the connection.
public final class PostgresConnectionAttempt {
    private var handle: OpaquePointer?
    private let connectionString: PostgresConnectionString
    /// What to wait for before the next ``poll()``: libpq starts by writing (the startup packet).
    public private(set) var waitsToWrite = true

    /// Starts opening a connection.
    /// - Parameter options: server settings for the session, applied as it starts without a round trip of
    ///   their own (libpq's `options`; see ``PostgresConnection/startupOptions(_:)``).
    /// - Throws: ``PostgresError`` when libpq cannot even begin (no memory, a string it cannot use).
    public init(_ connectionString: PostgresConnectionString, options: String? = nil) throws {
        self.connectionString = connectionString
        let parameters = PostgresConnection.parameters(connectionString, options: options)
        let handle = withCStringArray(parameters.keywords) { keywordPointers in
            withCStringArray(parameters.values) { valuePointers in PQconnectStartParams(keywordPointers, valuePointers, 1) }
        }
        guard let handle else { throw PostgresError(.connectionFailed, "libpq could not allocate a connection") }
        guard PQstatus(handle) != CONNECTION_BAD else { throw PostgresConnection.refusal(handle, connectionString) }
        self.handle = handle
    }

    deinit {
        if let handle { PQfinish(handle) }
    }

    /// The socket to wait on (it may change while connecting).
    public var socketDescriptor: Int32 { self.handle.map { PQsocket($0) } ?? -1 }

    /// Moves the attempt on once its socket is ready.
    /// - Returns: the open connection, or nil while it still waits (see ``waitsToWrite``).
    /// - Throws: ``PostgresError`` when the server cannot be reached or refuses the session.
    public func poll() throws -> PostgresConnection? {
        guard let handle else { throw PostgresError(.connectionFailed, "the connection attempt is over") }
        switch PQconnectPoll(handle) {
        case PGRES_POLLING_OK:
            self.handle = nil
            return PostgresConnection(opened: handle, connectionString: self.connectionString)
        case PGRES_POLLING_WRITING:
            self.waitsToWrite = true
            return nil
        case PGRES_POLLING_READING:
            self.waitsToWrite = false
            return nil
        default:
            self.handle = nil
            throw PostgresConnection.refusal(handle, self.connectionString)
        }
    }
}

extension PostgresConnection {
    /// Settings as libpq's `options` (`-c name=value`), which the server applies as the session starts;
    /// spaces and backslashes in a value are escaped with a backslash, as libpq requires.
    public static func startupOptions(_ settings: [(name: String, value: String)]) -> String {
        settings.map { setting in
            let escaped = "\(setting.name)=\(setting.value)".replacing("\\", with: "\\\\").replacing(" ", with: "\\ ")
            return "-c " + escaped
        }.joined(separator: " ")
    }
}
