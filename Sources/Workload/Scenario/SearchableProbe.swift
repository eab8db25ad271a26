/// Time to searchable (an insert stream's `timeToSearchable`): for a sample of the rows an insert stream adds,
/// the time from the insert's acknowledged commit until an unfiltered search for that very vector returns it,
/// polled every `poll` by sessions of its own. Each sampled row is one request of the scenario's
/// `time_to_searchable` operation, timed by the engine from the commit to the end of the search that found it
/// (an error, `not_searchable`, when none did within `timeout`).
public struct SearchableProbe: Sendable, Equatable {
    /// The share of the stream's inserts followed (0…1], a pure function of the insert's number.
    public var sample: Double
    public var poll: Duration
    public var timeout: Duration
    /// Sessions the probe's searches run on.
    public var clients: Int
    /// Rows the search asks for: the row must be among them.
    public var limit: Int

    public init(sample: Double = 0.1, poll: Duration = .milliseconds(10), timeout: Duration = .seconds(10), clients: Int = 2, limit: Int = 10) {
        self.sample = sample
        self.limit = limit
        self.poll = poll
        self.timeout = timeout
        self.clients = clients
    }

    /// The operation every scenario with a probe has, named in reports and thresholds.
    public static let operationName = "time_to_searchable"

    /// The probe's operation for the insert stream at `insert`: an unfiltered search of `limit` rows
    /// comparing `vectorType` (the scenario's vector searches' type, so the index built for them answers),
    /// outside the mix.
    static func operation(following insert: Int, probe: SearchableProbe, vectorType: VectorType, limit: Int) -> OperationSpec {
        var operation = OperationSpec(name: Self.operationName, kind: .vectorSearch, weight: 0, limit: limit, filter: .none, vectorType: vectorType)
        operation.probedInsert = insert
        operation.clients = probe.clients
        return operation
    }
}
