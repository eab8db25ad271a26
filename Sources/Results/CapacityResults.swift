import Foundation

/// `capacity.json`: a capacity search per target, with the objective and how each step was run.
public struct CapacityResults: Codable, Sendable {
    public static let currentSchemaVersion = 1
    public var schemaVersion = CapacityResults.currentSchemaVersion
    public var scenario: String
    public var scenarioFile: String
    public var dataset: String
    public var datasetChecksum: String
    public var clients: Int
    public var stepSeconds: Double
    public var warmupSeconds: Double
    public var growth: Double
    public var precision: Double
    public var objective: CapacityObjective
    public var targets: [TargetCapacity]
    public var environment: RunEnvironment?

    public struct TargetCapacity: Codable, Sendable {
        public var target: TargetKind
        public var outcome: CapacityOutcome
        /// Seconds to build the in-process index before the steps.
        public var indexBuildSeconds: Double?

        public init(target: TargetKind, outcome: CapacityOutcome, indexBuildSeconds: Double?) {
            self.target = target
            self.outcome = outcome
            self.indexBuildSeconds = indexBuildSeconds
        }
    }

    public init(
        scenario: String, scenarioFile: String, dataset: String, datasetChecksum: String, clients: Int, stepSeconds: Double,
        warmupSeconds: Double, growth: Double, precision: Double, objective: CapacityObjective
    ) {
        self.scenario = scenario
        self.scenarioFile = scenarioFile
        self.dataset = dataset
        self.datasetChecksum = datasetChecksum
        self.clients = clients
        self.stepSeconds = stepSeconds
        self.warmupSeconds = warmupSeconds
        self.growth = growth
        self.precision = precision
        self.objective = objective
        self.targets = []
    }
}
