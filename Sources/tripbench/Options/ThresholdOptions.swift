import Foundation
import ArgumentParser
import Results
import Workload

/// `--threshold operation:condition`, repeatable, on `run`, `report` and `gate`; added to the scenario's own.
struct ThresholdOptions: ParsableArguments {
    @Option(
        name: .customLong("threshold"),
        help: ArgumentHelp(
            "A threshold added to the scenario's, e.g. \"vector_search:p95<100ms\" or \"all:qps>=471\" (repeatable). Metrics: p50 p90 p95 p99 p999 max mean qps error_rate recall pool_efficiency (and recall_at_stage for stages).",
            valueName: "operation:condition"))
    var thresholds: [String] = []

    /// The report's thresholds (the scenario's as run) and these, checked against its operation names.
    func thresholds(of report: RunReport) throws -> [Threshold] {
        report.scenario.thresholds
            + (try self.parse(operations: report.thresholdNames))
    }

    /// The thresholds, checked against the run's operation names.
    func parse(operations: [String]) throws -> [Threshold] {
        try self.thresholds.map { text in
            switch Threshold.parse(qualified: text, operations: operations) {
            case .success(let threshold): threshold
            case .failure(let error): throw CommandFailure(.badInput, "--threshold: \(error.message)")
            }
        }
    }
}

/// `--max-regression 10%` (or `0.1`).
struct RegressionTolerance: ExpressibleByArgument {
    var fraction: Double

    init?(argument: String) {
        let text = argument.trimmingCharacters(in: .whitespaces)
        let percent = text.hasSuffix("%")
        guard let value = Double(percent ? String(text.dropLast()) : text), value >= 0 else { return nil }
        self.fraction = percent || value > 1 ? value / 100 : value
    }

    init(fraction: Double) { self.fraction = fraction }

    var defaultValueDescription: String { "\((self.fraction * 100).formatted())%" }
}
