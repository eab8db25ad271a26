import Datasets
import Foundation
import Results
import VectorSearch
import Yams

/// An index sweep: index variants (HNSW on `vector`, `halfvec` or binary quantization with a re-rank, IVFFlat)
/// × their build and search parameters, measured on the in-process index, on pgvector, or both, optionally
/// with filters that keep chosen shares of the rows under each iterative scan mode. Read from a YAML file
/// (`scenarios/hnsw-sweep.yaml`, `scenarios/index-variants.yaml`; every key in `docs/capacity-planning.md`).
public struct SweepSpec: Sendable, Equatable {
    public var name: String
    public var description: String
    /// A dataset spec name or path.
    public var dataset: String
    public var target: TargetSelection
    /// Neighbours per query; recall is recall@k.
    public var k: Int
    public var grid: SweepGrid
    /// Queries measured per point, the first of the dataset's (all of them when it has fewer); nil for all.
    public var queries: Int?
    /// Concurrent clients (threads) of the throughput pass.
    public var clients: Int
    /// Also measure a filtered search: each query restricted to its own content type.
    public var filtered: Bool
    /// Filters keeping these shares of the rows (``RowShare``), each measured at every point.
    public var shares: [Double]
    /// pgvector's iterative scan modes the share filters are measured under (`off`, `strict_order`,
    /// `relaxed_order`; IVFFlat has no `strict_order`).
    public var iterativeScan: [String]
    /// `hnsw.max_scan_tuples` values for the iterative modes; empty: the server's setting.
    public var maxScanTuples: [Int]
    /// The recommendation's floor: recall@k at or above this.
    public var recallFloor: Double
    /// The recommendation's latency target on one client, e.g. `p95 < 100ms`.
    public var latencyTarget: Threshold
    /// Session settings for pgvector's connections, in file order (`hnsw.iterative_scan: relaxed_order`).
    public var settings: [Scenario.Setting]
    /// A sweep estimated to take longer is refused before it starts.
    public var maxDuration: Duration

    public static let keys = [
        "name", "description", "dataset", "target", "variants", "k", "grid", "queries", "clients", "filtered", "shares", "iterativeScan",
        "maxScanTuples", "recallFloor", "latencyTarget", "settings", "maxDuration",
    ]
    static let gridKeys = ["m", "efConstruction", "efSearch", "rerank", "lists", "probes"]
    static let iterativeModes = ["off", "strict_order", "relaxed_order"]

    /// Reads a sweep by path, or by name from `directory`.
    /// - Throws: ``WorkloadError`` (bad input) with `file:line:column` for every problem, in one line.
    public static func load(_ nameOrPath: String, directory: URL, datasetsDirectory: URL) throws -> SweepSpec {
        let path = YAMLMapping.path(of: nameOrPath, in: directory)
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw WorkloadError(.badInput, "\(path): cannot read the file")
        }
        return try self.parse(text, file: path, datasetsDirectory: datasetsDirectory)
    }

    /// Parses sweep YAML; `file` names it in messages.
    public static func parse(_ text: String, file: String, datasetsDirectory: URL? = nil) throws -> SweepSpec {
        try ScenarioReader.read(text, file: file) { $0.sweep($1, datasetsDirectory: datasetsDirectory) }
    }

    /// The grid points not in `results` yet (all of them when nil), per target and build, in running order.
    public func missing(in results: SweepResults?) -> [(target: TargetKind, build: BuildKey, searches: [SearchKey])] {
        self.target.targets.flatMap { target in
            self.grid.builds.filter { target.builds($0.variant) }.compactMap { build in
                let searches = self.grid.searches(of: build).filter { results?.point(target, build, $0) == nil }
                return searches.isEmpty ? nil : (target, build, searches)
            }
        }
    }

    /// The share filters' passes at each point: every share under every iterative mode (and `max_scan_tuples`
    /// value, for the modes that scan on).
    public var filterPasses: [(share: Double, iterativeScan: String, maxScanTuples: Int?)] {
        self.shares.flatMap { share in
            self.iterativeScan.flatMap { mode in
                mode == "off" || self.maxScanTuples.isEmpty
                    ? [(share, mode, nil)] : self.maxScanTuples.map { (share, mode, Optional($0)) }
            }
        }
    }

    /// Checks what the command line may have changed after parsing (the target, k).
    /// - Throws: ``WorkloadError`` (bad input).
    public func validate() throws {
        for ef in self.grid.efSearch where ef < self.k && self.grid.variants.contains(where: \.isHNSW) {
            throw WorkloadError(.badInput, "ef_search \(ef) is below k \(self.k): a search cannot return more neighbours than it keeps")
        }
        if self.target != .index {
            for build in self.grid.builds where build.variant.isHNSW {
                do {
                    try PostgresHNSWIndex(m: build.m, efConstruction: build.efConstruction).validate()
                } catch let error as DatasetError {
                    throw WorkloadError(.badInput, "pgvector cannot build m \(build.m), ef_construction \(build.efConstruction): " + error.message.replacing("--", with: ""))
                }
            }
            if self.grid.variants.contains(where: \.isHNSW), let ef = self.grid.efSearch.first(where: { $0 > 1000 }) {
                throw WorkloadError(.badInput, "ef_search \(ef) is above pgvector's limit of 1000")
            }
        }
    }
}

extension ScenarioReader {
    mutating func sweep(_ yaml: YAMLMapping, datasetsDirectory: URL?) -> SweepSpec {
        self.attempt(()) { try yaml.checkKeys(SweepSpec.keys) }
        let name = self.attempt("") { try yaml.string("name") }
        let dataset = self.dataset(yaml, datasetsDirectory: datasetsDirectory)
        let k = self.attempt(10) { try yaml.integer("k", default: 10, in: 1...1000) }
        let variants = self.variants(yaml)
        let grid = self.grid(yaml, k: k, variants: variants)
        let latency = self.attempt("p95 < 100ms") { try yaml.string("latencyTarget", default: "p95 < 100ms") }
        var latencyTarget = Threshold(operation: "vector_search", metric: .p95, comparison: .less, value: 100_000, expression: "p95 < 100ms")
        switch Threshold.parse(latency, operation: "vector_search") {
        case .success(let threshold) where [.p50, .p95, .p99].contains(threshold.metric) && [.less, .lessOrEqual].contains(threshold.comparison):
            latencyTarget = threshold
        case .success:
            self.fail(yaml, "latencyTarget must bound p50, p95 or p99 from above, such as p95 < 100ms, not \(latency)", at: yaml.node("latencyTarget"))
        case .failure(let error):
            self.fail(yaml, error.message, at: yaml.node("latencyTarget"))
        }
        let maxDuration = self.duration(yaml, "maxDuration", default: .seconds(7200))
        return SweepSpec(
            name: name, description: self.attempt("") { try yaml.string("description", default: "") }, dataset: dataset,
            target: self.choice(yaml, "target", default: TargetSelection.both), k: k, grid: grid,
            queries: yaml.node("queries") == nil ? nil : self.attempt(nil) { try yaml.integer("queries", in: 1...10_000_000) },
            clients: self.attempt(2) { try yaml.integer("clients", default: ExactSearch.defaultThreads, in: 1...1000) },
            filtered: self.attempt(true) { try yaml.boolean("filtered", default: true) },
            shares: self.shares(yaml), iterativeScan: self.iterativeModes(yaml, variants: variants),
            maxScanTuples: yaml.node("maxScanTuples") == nil ? [] : self.values(yaml, "maxScanTuples", minimum: 1, why: "a scan reads at least one tuple"),
            recallFloor: self.attempt(0.95) { try yaml.number("recallFloor", default: 0.95, in: 0...1) },
            latencyTarget: latencyTarget, settings: self.settings(yaml), maxDuration: maxDuration)
    }

    private mutating func grid(_ yaml: YAMLMapping, k: Int, variants: [IndexVariant]) -> SweepGrid {
        var grid = SweepGrid(variants: variants, m: [], efConstruction: [], efSearch: [])
        guard let mapping = self.attempt(nil, { try yaml.mapping("grid") }) else {
            self.fail(yaml, "missing key grid (m, efConstruction and efSearch, each a list)", at: nil)
            return grid
        }
        self.attempt(()) { try mapping.checkKeys(SweepSpec.gridKeys) }
        /// The list `key` when a variant swept needs it; a mistake to give it otherwise.
        func axis(_ key: String, neededBy needed: Bool, for what: String, minimum: Int, why: String) -> [Int] {
            guard needed else {
                if mapping.node(key) != nil { self.fail(mapping, "\(key) is for \(what), which variants does not list", at: mapping.node(key)) }
                return []
            }
            return self.values(mapping, key, minimum: minimum, why: why)
        }
        let hnsw = variants.contains(where: \.isHNSW)
        grid.m = axis("m", neededBy: hnsw, for: "HNSW", minimum: 2, why: "an HNSW node needs at least 2 links")
        grid.efConstruction = axis("efConstruction", neededBy: hnsw, for: "HNSW", minimum: 1, why: "a build keeps at least one candidate")
        grid.efSearch = axis("efSearch", neededBy: hnsw, for: "HNSW", minimum: k, why: "ef_search below k \(k) cannot return k neighbours")
        grid.rerank = axis("rerank", neededBy: variants.contains(.bit), for: "bit", minimum: 1, why: "a re-rank keeps at least the k neighbours")
        let ivfflat = variants.contains(.ivfflat)
        grid.lists = axis("lists", neededBy: ivfflat, for: "ivfflat", minimum: 1, why: "IVFFlat needs at least one list")
        grid.probes = axis("probes", neededBy: ivfflat, for: "ivfflat", minimum: 1, why: "a search probes at least one list")
        return grid
    }

    /// `variants: [vector, halfvec, bit, ivfflat]`, each once; `[vector]` when absent.
    private mutating func variants(_ yaml: YAMLMapping) -> [IndexVariant] {
        guard let node = yaml.node("variants") else { return [.vector] }
        let items: [Node] = if case .sequence(let sequence) = node { Array(sequence) } else { [node] }
        var variants: [IndexVariant] = []
        for item in items {
            let text = item.string ?? ""
            guard let variant = IndexVariant(rawValue: text) else {
                let known = IndexVariant.allCases.map(\.rawValue)
                self.fail(yaml, "unknown variant \(text)\(YAMLMapping.suggestion(for: text, among: known)); known: \(known.joined(separator: ", "))", at: item)
                continue
            }
            if !variants.contains(variant) { variants.append(variant) }
        }
        if variants.isEmpty { self.fail(yaml, "variants is an empty list: the sweep would build nothing", at: node) }
        return variants
    }

    /// `shares: [0.01, 0.1]`: fractions of the rows above 0 and at most 1.
    private mutating func shares(_ yaml: YAMLMapping) -> [Double] {
        guard let node = yaml.node("shares") else { return [] }
        let items: [Node] = if case .sequence(let sequence) = node { Array(sequence) } else { [node] }
        var shares: [Double] = []
        for item in items {
            guard let value = item.float, value >= 0.0001, value <= 1 else {
                self.fail(yaml, "shares are fractions of the rows from 0.0001 to 1 (0.01 is 1 %), not \(item.string ?? "a \(item.kind)")", at: item)
                continue
            }
            if !shares.contains(value) { shares.append(value) }
        }
        return shares
    }

    /// `iterativeScan: [off, strict_order, relaxed_order]`; `[off]` when absent. IVFFlat has no `strict_order`.
    private mutating func iterativeModes(_ yaml: YAMLMapping, variants: [IndexVariant]) -> [String] {
        guard let node = yaml.node("iterativeScan") else { return ["off"] }
        let items: [Node] = if case .sequence(let sequence) = node { Array(sequence) } else { [node] }
        var modes: [String] = []
        for item in items {
            let text = item.string ?? ""
            guard SweepSpec.iterativeModes.contains(text) else {
                self.fail(yaml, "iterativeScan modes are \(SweepSpec.iterativeModes.joined(separator: ", ")), not \(text)\(YAMLMapping.suggestion(for: text, among: SweepSpec.iterativeModes))", at: item)
                continue
            }
            if !modes.contains(text) { modes.append(text) }
        }
        if yaml.node("shares") == nil { self.fail(yaml, "iterativeScan applies to the share filters: give shares too", at: node) }
        return modes
    }

    /// A non-empty list of whole numbers, each at least `minimum`, without repeats (file order kept).
    mutating func values(_ mapping: YAMLMapping, _ key: String, minimum: Int, why: String) -> [Int] {
        guard let node = mapping.node(key) else {
            self.fail(mapping, "missing key \(key): the grid needs a list of values for it", at: nil)
            return []
        }
        let items: [Node] = if case .sequence(let sequence) = node { Array(sequence) } else { [node] }
        if items.isEmpty { self.fail(mapping, "\(key) is an empty list: the grid would have no points", at: node) }
        var values: [Int] = []
        for item in items {
            guard let value = item.int else {
                self.fail(mapping, "\(key) values must be whole numbers, not \(item.string ?? "a \(item.kind)")", at: item)
                continue
            }
            guard value >= minimum else {
                self.fail(mapping, "\(key) \(value) is below \(minimum): \(why)", at: item)
                continue
            }
            if !values.contains(value) { values.append(value) }
        }
        return values
    }
}
