/// What the row-level security audit found for one operation (see ``RowLevelSecurityAudit``).
public struct RowLevelSecurityCheck: Codable, Sendable, Equatable {
    /// Requests sent, and how many of them named another user's data.
    public var requests = 0
    public var crossUserRequests = 0
    /// Rows returned.
    public var rows = 0
    /// Rows returned, or written, that belong to another user than the acting one.
    public var foreignRows = 0
    /// Requests that failed otherwise than by a policy's refusal, by kind: they checked nothing.
    public var errors: [String: Int] = [:]
    /// Why the audit could not check this operation at all; nil when it ran.
    public var failure: String?

    public init(requests: Int = 0, crossUserRequests: Int = 0, rows: Int = 0, foreignRows: Int = 0, failure: String? = nil) {
        self.requests = requests
        self.crossUserRequests = crossUserRequests
        self.rows = rows
        self.foreignRows = foreignRows
        self.failure = failure
    }
}
