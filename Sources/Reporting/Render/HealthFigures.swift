import Workload

/// The database health figures every renderer shows, in order, with the architecture's target where it has one.
struct HealthFigure {
    var name: String
    var value: String
    var target: String
    /// `passed` or `failed` against the target; nil for a figure without one.
    var status: ThresholdOutcome.Status?

    static func figures(_ health: DatabaseHealth) -> [HealthFigure] {
        var figures: [HealthFigure] = []
        if let ratio = health.cacheHitRatio {
            figures.append(.init(name: "buffer cache hit ratio", value: MetricText.percent(ratio), target: "> 95%", status: self.status(health.cacheHitMet)))
        }
        if let ratio = health.indexScanRatio {
            figures.append(.init(
                name: "scans using an index", value: "\(MetricText.percent(ratio)) (\(health.indexScans ?? 0) index, \(health.sequentialScans ?? 0) sequential)",
                target: "> 98%", status: self.status(health.indexScanMet)))
        }
        if let connections = health.connections {
            figures.append(.init(
                name: "connections at start", value: "\(connections.total) (\(connections.active) active) of \(connections.maxConnections)", target: "", status: nil))
        }
        return figures
    }

    private static func status(_ met: Bool?) -> ThresholdOutcome.Status? {
        met.map { $0 ? .passed : .failed }
    }
}
