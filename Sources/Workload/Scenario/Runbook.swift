/// A streaming runbook (big-ann-benchmarks' streaming runbooks, VectorDBBench's streaming case): the table
/// starts with the scenario's `memoryRows`, then each stage inserts the dataset's next rows and deletes its
/// oldest through the scenario's write streams while the read mix runs, and ends with a checkpoint that
/// measures recall against the rows present then. `tripbench stages` runs it.
public struct Runbook: Sendable, Equatable {
    public struct Stage: Sendable, Equatable {
        /// Rows `insert_memory` adds in the stage (a count, or a share of the dataset's rows).
        public var insert: RowAmount?
        /// Rows `delete_memory` removes in the stage.
        public var delete: RowAmount?

        public init(insert: RowAmount? = nil, delete: RowAmount? = nil) {
            self.insert = insert
            self.delete = delete
        }
    }

    public var stages: [Stage]
    /// Queries each checkpoint searches, every one once in order on one client (nil: all of the dataset's).
    public var checkpointQueries: Int?

    public init(stages: [Stage], checkpointQueries: Int? = nil) {
        self.stages = stages
        self.checkpointQueries = checkpointQueries
    }

    /// The rows present after each stage, starting from `start` rows of `total`: inserts extend the range at
    /// its end, deletes move its start.
    public func presentRows(start: Int, total: Int) -> [Range<Int>] {
        var present = 0..<start
        return self.stages.map { stage in
            let added = stage.insert?.rows(of: total) ?? 0
            let removed = stage.delete?.rows(of: total) ?? 0
            present = (present.lowerBound + removed)..<(present.upperBound + added)
            return present
        }
    }
}
