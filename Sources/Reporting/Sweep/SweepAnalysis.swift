import Foundation
import Results

/// What a capacity planner reads from a sweep: per target, the recall-versus-throughput Pareto front and the
/// recommended configuration; where both targets were swept, how well the in-process index predicts pgvector.
public struct SweepAnalysis: Sendable {
    public let results: SweepResults
    public let fronts: [TargetKind: [PointResult]]
    public let recommendations: [Recommendation]
    public let prediction: Prediction?

    public init(_ results: SweepResults) {
        self.results = results
        var fronts: [TargetKind: [PointResult]] = [:]
        for target in results.targets { fronts[target] = Self.paretoFront(results.points.filter { $0.target == target && $0.usesIndex }) }
        self.fronts = fronts
        self.recommendations = results.targets.map { Self.recommend(results, target: $0) }
        self.prediction = Prediction(results)
    }

    /// The points no other point beats on both recall and throughput (all clients), by rising recall. Only
    /// points that searched the index count (``PointResult/usesIndex``).
    public static func paretoFront(_ points: [PointResult]) -> [PointResult] {
        let sorted = points.sorted { ($0.recall, $0.qpsAll) > ($1.recall, $1.qpsAll) }
        var front: [PointResult] = []
        var bestQPS = -Double.infinity
        for point in sorted where point.qpsAll > bestQPS {
            front.append(point)
            bestQPS = point.qpsAll
        }
        return front.reversed()
    }

    public func isOnFront(_ point: PointResult) -> Bool {
        self.fronts[point.target]?.contains { $0.build == point.build && $0.search == point.search } ?? false
    }

    /// Whether no other point of the target beats `point` on recall, throughput, index size and build time
    /// all at once (at least as good on each, better on one): the front across variants a planner trades on.
    public func isOnFullFront(_ point: PointResult) -> Bool {
        let results = self.results
        func figures(_ p: PointResult) -> (Double, Double, Double, Double) {
            let build = results.build(p.target, p.build)
            return (p.recall, p.qpsAll, -Double(build?.indexBytes ?? .max), -(build?.buildSeconds ?? .infinity))
        }
        let mine = figures(point)
        return !results.points.contains { other in
            guard other.target == point.target, other.usesIndex, !(other.build == point.build && other.search == point.search) else { return false }
            let theirs = figures(other)
            let atLeast = theirs.0 >= mine.0 && theirs.1 >= mine.1 && theirs.2 >= mine.2 && theirs.3 >= mine.3
            return atLeast && (theirs.0 > mine.0 || theirs.1 > mine.1 || theirs.2 > mine.2 || theirs.3 > mine.3)
        }
    }

    /// The pick for one target.
    public struct Recommendation: Sendable {
        public var target: TargetKind
        public var choice: PointResult?
        public var runnerUp: PointResult?
        /// Points meeting both the recall floor and the latency target.
        public var eligible: Int
        /// Why this one, or why none.
        public var reason: String
    }

    /// Throughput within this share of the best counts as a tie, broken by the smaller index: the machine's
    /// run-to-run noise is about this large.
    public static let tieShare = 0.05

    /// The configurations meeting the recall floor and latency target, best first: by throughput on all
    /// clients, where points within ``tieShare`` of each other count as tied and the cheaper one (smaller
    /// index, then faster build, then lower ef_search) goes first. A pgvector point PostgreSQL answered without
    /// the HNSW index (a sequential scan) is not a configuration of the index and is left out.
    public static func ranking(_ results: SweepResults, target: TargetKind) -> [PointResult] {
        let latency = results.latencyTarget
        let eligible = results.points.filter { point in
            point.target == target && point.usesIndex && point.recall >= results.recallFloor
                && point.latency(latency.metric).map { latency.comparison.holds($0, latency.value) } == true
        }
        func cost(_ point: PointResult) -> (Int, Double, Int) {
            let build = results.build(point.target, point.build)
            return (build?.indexBytes ?? .max, build?.buildSeconds ?? .infinity, point.efSearch)
        }
        var remaining = eligible.sorted { $0.qpsAll > $1.qpsAll }
        var ranked: [PointResult] = []
        while let best = remaining.first {
            let tied = remaining.filter { $0.qpsAll >= best.qpsAll * (1 - self.tieShare) }
            let pick = tied.min { cost($0) < cost($1) }!
            ranked.append(pick)
            remaining.removeAll { $0.build == pick.build && $0.search == pick.search }
        }
        return ranked
    }

    static func recommend(_ results: SweepResults, target: TargetKind) -> Recommendation {
        let ranked = self.ranking(results, target: target)
        let floor = String(format: "recall@%d ≥ %.3g", results.conditions.k, results.recallFloor)
        let latency = "one-client \(results.latencyTarget.expression)"
        guard let choice = ranked.first else {
            let measured = results.points.filter { $0.target == target }
            let best = measured.max { $0.recall < $1.recall }
            let closest = best.map { String(format: "; the highest recall measured is %.4f (%@, %@)", $0.recall, $0.build.description, $0.searchLabel) } ?? ""
            return Recommendation(
                target: target, choice: nil, runnerUp: nil, eligible: 0,
                reason: "no configuration meets \(floor) with \(latency)\(closest)")
        }
        // The runner-up is another build when one qualifies: a real alternative, not the same index at another ef.
        let runnerUp = ranked.dropFirst().first { $0.build != choice.build } ?? ranked.dropFirst().first
        var reason = "\(ranked.count) configuration\(ranked.count == 1 ? "" : "s") meet \(floor) with \(latency); "
            + "this one has the highest throughput on \(results.conditions.clients) client\(results.conditions.clients == 1 ? "" : "s") "
            + "(ties within \(Int(self.tieShare * 100)) % go to the smaller index)"
        if let saving = self.saving(of: choice, in: results) { reason += "; " + saving }
        return Recommendation(target: target, choice: choice, runnerUp: runnerUp, eligible: ranked.count, reason: reason)
    }

    /// What a pick that is not HNSW on `vector` saves against it: the index bytes beside the `vector` build with
    /// the same m and ef_construction (IVFFlat: the smallest `vector` build), when the sweep has one.
    static func saving(of choice: PointResult, in results: SweepResults) -> String? {
        guard choice.build.variant != .vector, let chosen = results.build(choice.target, choice.build) else { return nil }
        let vectors = results.builds.filter { $0.target == choice.target && $0.build.variant == .vector }
        let same = vectors.first { $0.build.m == choice.build.m && $0.build.efConstruction == choice.build.efConstruction }
        guard let reference = same ?? vectors.min(by: { $0.indexBytes < $1.indexBytes }), reference.indexBytes > 0 else { return nil }
        let saved = reference.indexBytes - chosen.indexBytes
        return String(
            format: "its index is %.0f MiB, %.2f× the %.0f MiB of HNSW on vector (%@): %@ %.0f MiB", Double(chosen.indexBytes) / 1_048_576,
            Double(chosen.indexBytes) / Double(reference.indexBytes), Double(reference.indexBytes) / 1_048_576, reference.build.description,
            saved >= 0 ? "it saves" : "it costs", Double(abs(saved)) / 1_048_576)
    }



    /// The in-process index beside pgvector at the same parameters.
    public struct Prediction: Sendable {
        public struct Row: Sendable {
            public var build: BuildKey
            public var efSearch: Int
            public var indexRecall: Double
            public var postgresRecall: Double
            public var indexFilteredRecall: Double?
            public var postgresFilteredRecall: Double?
            public var indexQPS: Double
            public var postgresQPS: Double
            /// pgvector's one-client QPS over the in-process index's.
            public var speedRatio: Double { self.postgresQPS / self.indexQPS }
        }

        public var rows: [Row]
        /// Mean and largest |pgvector recall − in-process recall|.
        public var meanRecallGap: Double
        public var maxRecallGap: Double
        /// Spearman rank correlation over the points: does the in-process index order them as pgvector does?
        public var recallRankCorrelation: Double
        public var speedRankCorrelation: Double

        init?(_ results: SweepResults) {
            let rows: [Row] = results.points.filter { $0.target == .index }.compactMap { index in
                guard let postgres = results.point(.postgres, index.build, index.search) else { return nil }
                return Row(
                    build: index.build, efSearch: index.efSearch, indexRecall: index.recall, postgresRecall: postgres.recall,
                    indexFilteredRecall: index.filtered?.recall, postgresFilteredRecall: postgres.filtered?.recall,
                    indexQPS: index.qps1, postgresQPS: postgres.qps1)
            }.sorted { ($0.build, $0.efSearch) < ($1.build, $1.efSearch) }
            guard !rows.isEmpty else { return nil }
            self.rows = rows
            let gaps = rows.map { abs($0.postgresRecall - $0.indexRecall) }
            self.meanRecallGap = gaps.reduce(0, +) / Double(gaps.count)
            self.maxRecallGap = gaps.max()!
            self.recallRankCorrelation = Self.spearman(rows.map(\.indexRecall), rows.map(\.postgresRecall))
            self.speedRankCorrelation = Self.spearman(rows.map(\.indexQPS), rows.map(\.postgresQPS))
        }

        /// Spearman's ρ (ties share their mean rank); 1 for fewer than two points.
        static func spearman(_ a: [Double], _ b: [Double]) -> Double {
            guard a.count >= 2 else { return 1 }
            let ra = self.ranks(a), rb = self.ranks(b)
            let meanA = ra.reduce(0, +) / Double(ra.count), meanB = rb.reduce(0, +) / Double(rb.count)
            var covariance = 0.0, varianceA = 0.0, varianceB = 0.0
            for (x, y) in zip(ra, rb) {
                covariance += (x - meanA) * (y - meanB)
                varianceA += (x - meanA) * (x - meanA)
                varianceB += (y - meanB) * (y - meanB)
            }
            guard varianceA > 0, varianceB > 0 else { return varianceA == varianceB ? 1 : 0 }
            return covariance / (varianceA * varianceB).squareRoot()
        }

        static func ranks(_ values: [Double]) -> [Double] {
            let order = values.indices.sorted { values[$0] < values[$1] }
            var ranks = [Double](repeating: 0, count: values.count)
            var start = 0
            while start < order.count {
                var end = start
                while end + 1 < order.count, values[order[end + 1]] == values[order[start]] { end += 1 }
                for position in start...end { ranks[order[position]] = Double(start + end) / 2 + 1 }
                start = end + 1
            }
            return ranks
        }
    }
}
