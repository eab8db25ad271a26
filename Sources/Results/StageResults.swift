/// What `tripbench stages` measured: for each target, a checkpoint before any write, then one entry per runbook
/// stage (the read mix and the write streams while the stage's rows came and went, then recall against the
/// rows present at its end). Written as `stages.json`.
public struct StageResults: Codable, Sendable {
    public static let currentSchemaVersion = 1
    public var schemaVersion = StageResults.currentSchemaVersion
    public var scenario: String
    public var scenarioFile: String
    public var dataset: String
    public var datasetChecksum: String
    /// The dataset's memory embeddings, all of them (the rows inserts draw from).
    public var datasetRows: Int
    public var stages: [StageResult]
    /// Every stage of every target measured (false when stopped or a stage did not go as planned).
    public var complete: Bool
    /// Why the study stopped early, when it did.
    public var stoppedBecause: String?
    /// The scenario's thresholds, held at every stage (``StageVerdict`` in Reporting); absent in older files.
    public var thresholds: [Threshold]?
    /// The targets the runbook was to go through, whether or not it reached them, and its stages per target.
    public var targets: [TargetKind]?
    public var plannedStages: Int?
    public var environment: RunEnvironment?

    package init(scenario: String, scenarioFile: String, dataset: String, datasetChecksum: String, datasetRows: Int) {
        self.scenario = scenario
        self.scenarioFile = scenarioFile
        self.dataset = dataset
        self.datasetChecksum = datasetChecksum
        self.datasetRows = datasetRows
        self.stages = []
        self.complete = false
    }
}

/// One stage of one target: 0 is the checkpoint of the table as it started.
public struct StageResult: Codable, Sendable {
    public var target: TargetKind
    public var stage: Int
    /// The dataset rows present at the stage's end: `[firstRow, endRow)`.
    public var firstRow: Int
    public var endRow: Int
    public var inserted: Int
    public var deleted: Int
    /// The stage's run: reads and writes side by side (nil for stage 0).
    public var seconds: Double?
    public var operations: [OperationReport]?
    /// The checkpoint: every query once on one client against the rows present, mean recall@k per vector
    /// search operation and its latency.
    public var checkpoint: [OperationReport]
    /// pgvector: the HNSW index's size, the table's rows (counted), its dead tuples and the vacuum runs in the
    /// stage (statistics); in-process: the index's bytes.
    public var indexBytes: Int?
    public var liveTuples: Int?
    public var deadTuples: Int?
    public var autovacuums: Int?
    public var autoanalyzes: Int?

    package init(target: TargetKind, stage: Int, rows: Range<Int>, inserted: Int, deleted: Int, checkpoint: [OperationReport]) {
        self.target = target
        self.stage = stage
        self.firstRow = rows.lowerBound
        self.endRow = rows.upperBound
        self.inserted = inserted
        self.deleted = deleted
        self.checkpoint = checkpoint
    }

    public var presentRows: Int { self.endRow - self.firstRow }

    /// The lowest mean recall among the checkpoint's vector searches.
    public var recall: Double? { self.checkpoint.compactMap(\.recall?.mean).min() }

    /// The checkpoint's own unfiltered search, beside the scenario's: the HNSW graph's recall whatever the
    /// scenario's filters (with the document's user filter pgvector answers exactly from the b-tree).
    public static let unfilteredName = "vector_search (unfiltered)"

    /// The mean recall of the checkpoint's unfiltered search.
    public var unfilteredRecall: Double? { self.checkpoint.first { $0.operation == Self.unfilteredName }?.recall?.mean }

    /// The lowest mean recall among the scenario's own vector searches at the checkpoint.
    public var scenarioRecall: Double? { self.checkpoint.filter { $0.operation != Self.unfilteredName }.compactMap(\.recall?.mean).min() }
}
