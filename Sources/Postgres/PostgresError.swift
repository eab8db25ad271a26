/// An error from the PostgreSQL layer: what went wrong, in one line, with the server's own fields when it sent them.
///
/// `code` says what kind of failure it is so callers can switch on it (the CLI maps kinds to exit codes);
/// `sqlState` is the server's five-character SQLSTATE, kept verbatim (`23505`, `42P01`, …).
/// Messages never contain a password: connection errors are masked by ``PostgresConnectionString``.
public struct PostgresError: Error, Sendable, CustomStringConvertible {
    /// The kind of failure. New kinds can be added without breaking callers.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { self.name }

        /// The connection string could not be parsed.
        public static let invalidConnectionString = Code("invalid connection string")
        /// The server could not be reached (refused, timed out, no such socket).
        public static let connectionFailed = Code("connection failed")
        /// The server answered but refused the session: wrong password, unknown role or database.
        public static let connectionRejected = Code("connection rejected")
        /// The connection broke while in use.
        public static let connectionLost = Code("connection lost")
        /// The server reported an error for a statement; `sqlState` says which.
        public static let server = Code("server error")
        /// A statement in a pipeline was skipped because an earlier one in the same batch failed.
        public static let pipelineAborted = Code("pipeline aborted")
        /// A value could not be encoded as a parameter or COPY field.
        public static let encoding = Code("encoding error")
        /// A column's value could not be decoded into the asked Swift type.
        public static let decoding = Code("decoding error")
        /// The server answered with something this layer did not expect.
        public static let protocolViolation = Code("unexpected response")
        /// A local file could not be written (a full disk, no permission).
        public static let file = Code("file error")
    }

    public var code: Code
    /// The primary message, one line.
    public var message: String
    /// The server's SQLSTATE, when the server sent one.
    public var sqlState: String?
    public var detail: String?
    public var hint: String?

    public init(
        _ code: Code, _ message: String, sqlState: String? = nil, detail: String? = nil, hint: String? = nil
    ) {
        self.code = code
        self.message = message.singleLine
        self.sqlState = sqlState
        self.detail = detail?.singleLine
        self.hint = hint?.singleLine
    }

    /// One line: the message, then the detail and hint when present, then the SQLSTATE.
    public var description: String {
        var text = self.message
        if let detail = self.detail, !detail.isEmpty { text += " (\(detail))" }
        if let hint = self.hint, !hint.isEmpty { text += "; hint: \(hint)" }
        if let sqlState = self.sqlState { text += " [SQLSTATE \(sqlState)]" }
        return text
    }
}

extension String {
    /// The text with every run of white space, line breaks included, folded into one space: how every
    /// message tripbench shows is kept to one line.
    public var singleLine: String {
        self.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
    }
}
