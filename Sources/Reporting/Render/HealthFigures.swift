import Results


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
        if let sizes = health.sizes { figures += self.sizes(sizes) }
        return figures
    }

    /// Where the searched data stands against the memory that could hold it.
    private static func sizes(_ sizes: DatabaseHealth.DataSizes) -> [HealthFigure] {
        let buffers = Double(sizes.sharedBuffersBytes)
        var figures = [HealthFigure(
            name: "memory_embeddings (heap + TOAST)",
            value: "\(MetricText.bytes(sizes.embeddingsHeapBytes + sizes.embeddingsToastBytes)) (TOAST \(MetricText.bytes(sizes.embeddingsToastBytes)))",
            target: "", status: nil)]
        if let hnsw = sizes.hnswIndexBytes {
            figures.append(.init(
                name: "HNSW index", value: "\(MetricText.bytes(hnsw)) = \(MetricText.ratio(Double(hnsw) / max(buffers, 1)))× shared_buffers (\(MetricText.bytes(sizes.sharedBuffersBytes)))",
                target: "", status: nil))
        }
        if let start = sizes.hnswInSharedBuffersAtStart {
            let end = sizes.hnswInSharedBuffersAtEnd.map(MetricText.percent) ?? "?"
            figures.append(.init(name: "HNSW index in shared_buffers (start → end)", value: "\(MetricText.percent(start)) → \(end)", target: "", status: nil))
        }
        figures.append(.init(
            name: "database, effective_cache_size", value: "\(MetricText.bytes(sizes.databaseBytes)), \(MetricText.bytes(sizes.effectiveCacheSizeBytes))",
            target: "", status: nil))
        return figures
    }

    private static func status(_ met: Bool?) -> ThresholdOutcome.Status? {
        met.map { $0 ? .passed : .failed }
    }
}
