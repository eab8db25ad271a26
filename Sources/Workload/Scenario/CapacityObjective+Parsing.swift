import Results

extension CapacityObjective {
    /// Parses `p95<100ms` (any latency percentile, `<` or `<=`) for `operation`.
    /// - Returns: the objective, or why the text is not one.
    public static func parse(slo: String, operation: String, maxErrorRate: String) -> Result<CapacityObjective, ThresholdSyntaxError> {
        let latency: Threshold
        switch Threshold.parse(slo, operation: operation) {
        case .failure(let error): return .failure(.init(message: "--slo: " + error.message))
        case .success(let threshold):
            guard threshold.metric.isLatency, threshold.metric != .mean, [.less, .lessOrEqual].contains(threshold.comparison) else {
                return .failure(.init(message: "--slo must bound a latency percentile from above, such as p95<100ms, not \"\(slo)\""))
            }
            latency = threshold
        }
        switch Threshold.parse("error_rate < \(maxErrorRate)", operation: operation) {
        case .success(let threshold) where threshold.value <= 1:
            return .success(CapacityObjective(latency: latency, maxErrorRate: threshold.value))
        default:
            return .failure(.init(message: "--max-error-rate must be a percentage such as 0.1% or a fraction such as 0.001, not \"\(maxErrorRate)\""))
        }
    }
}
