import Foundation

/// A sweep's grid: every build (an index variant with its build parameters) is searched at every search setting
/// of its kind.
///
/// HNSW variants (`vector`, `halfvec`, `bit`) build at every (m, ef_construction) and search at every ef_search;
/// `bit` also at every re-rank factor. IVFFlat builds at every `lists` and searches at every `probes`, which a
/// point records in its `efSearch` (the search breadth of either kind).
public struct SweepGrid: Sendable, Equatable, Codable {
    public var variants: [IndexVariant]
    public var m: [Int]
    public var efConstruction: [Int]
    public var efSearch: [Int]
    /// `bit`: candidates fetched per neighbour asked for, re-ranked by the full vectors.
    public var rerank: [Int]
    /// `ivfflat`: inverted lists built, and lists probed per search.
    public var lists: [Int]
    public var probes: [Int]

    public init(
        variants: [IndexVariant] = [.vector], m: [Int], efConstruction: [Int], efSearch: [Int], rerank: [Int] = [], lists: [Int] = [],
        probes: [Int] = []
    ) {
        self.variants = variants
        self.m = m
        self.efConstruction = efConstruction
        self.efSearch = efSearch
        self.rerank = rerank
        self.lists = lists
        self.probes = probes
    }

    /// Every build, variant by variant in file order: one index each.
    public var builds: [BuildKey] {
        self.variants.flatMap { variant in
            variant == .ivfflat
                ? self.lists.map { BuildKey(variant: variant, m: 0, efConstruction: 0, lists: $0) }
                : self.m.flatMap { m in self.efConstruction.map { BuildKey(variant: variant, m: m, efConstruction: $0) } }
        }
    }

    /// The search settings measured on `build`: (breadth, re-rank factor).
    public func searches(of build: BuildKey) -> [SearchKey] {
        switch build.variant {
        case .ivfflat: self.probes.map { SearchKey(efSearch: $0) }
        case .bit: self.efSearch.flatMap { ef in self.rerank.map { SearchKey(efSearch: ef, rerank: $0) } }
        case .vector, .halfvec: self.efSearch.map { SearchKey(efSearch: $0) }
        }
    }

    public var pointCount: Int { self.builds.reduce(0) { $0 + self.searches(of: $1).count } }

    private enum CodingKeys: String, CodingKey { case variants, m, efConstruction, efSearch, rerank, lists, probes }

    /// Sweeps from before variants were an axis hold HNSW on `vector` only.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.variants = try container.decodeIfPresent([IndexVariant].self, forKey: .variants) ?? [.vector]
        self.m = try container.decode([Int].self, forKey: .m)
        self.efConstruction = try container.decode([Int].self, forKey: .efConstruction)
        self.efSearch = try container.decode([Int].self, forKey: .efSearch)
        self.rerank = try container.decodeIfPresent([Int].self, forKey: .rerank) ?? []
        self.lists = try container.decodeIfPresent([Int].self, forKey: .lists) ?? []
        self.probes = try container.decodeIfPresent([Int].self, forKey: .probes) ?? []
    }
}

/// What pgvector indexes and how: the stored vectors by HNSW or IVFFlat, their half-precision cast, or their
/// binary quantization (searched by Hamming distance, then re-ranked by the full vectors).
public enum IndexVariant: String, Sendable, Codable, CaseIterable, Comparable {
    case vector, halfvec, bit, ivfflat

    public static func < (a: IndexVariant, b: IndexVariant) -> Bool {
        Self.allCases.firstIndex(of: a)! < Self.allCases.firstIndex(of: b)!
    }

    /// How reports name it.
    public var title: String {
        switch self {
        case .vector: "HNSW vector"
        case .halfvec: "HNSW halfvec"
        case .bit: "HNSW bit + re-rank"
        case .ivfflat: "IVFFlat"
        }
    }

    public var isHNSW: Bool { self != .ivfflat }
}

/// One index build of a sweep.
public struct BuildKey: Sendable, Hashable, Codable, Comparable, CustomStringConvertible {
    public var variant: IndexVariant
    /// HNSW: links per node and candidates while building (0 for IVFFlat).
    public var m: Int
    public var efConstruction: Int
    /// IVFFlat: the inverted lists.
    public var lists: Int?

    public init(variant: IndexVariant = .vector, m: Int, efConstruction: Int, lists: Int? = nil) {
        self.variant = variant
        self.m = m
        self.efConstruction = efConstruction
        self.lists = lists
    }

    public var description: String {
        switch self.variant {
        case .ivfflat: "IVFFlat lists \(self.lists ?? 0)"
        case .vector: "m \(self.m), ef_construction \(self.efConstruction)"
        case .halfvec, .bit: "\(self.variant.rawValue) m \(self.m), ef_construction \(self.efConstruction)"
        }
    }

    public static func < (a: BuildKey, b: BuildKey) -> Bool {
        (a.variant, a.m, a.efConstruction, a.lists ?? 0) < (b.variant, b.m, b.efConstruction, b.lists ?? 0)
    }

    private enum CodingKeys: String, CodingKey { case variant, m, efConstruction, lists }

    /// Builds from before variants were an axis are HNSW on `vector`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.variant = try container.decodeIfPresent(IndexVariant.self, forKey: .variant) ?? .vector
        self.m = try container.decode(Int.self, forKey: .m)
        self.efConstruction = try container.decode(Int.self, forKey: .efConstruction)
        self.lists = try container.decodeIfPresent(Int.self, forKey: .lists)
    }
}

/// One search setting of a build: HNSW's ef_search or IVFFlat's probes, and `bit`'s re-rank factor.
public struct SearchKey: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var efSearch: Int
    public var rerank: Int?

    public init(efSearch: Int, rerank: Int? = nil) {
        self.efSearch = efSearch
        self.rerank = rerank
    }

    public var description: String { "ef_search \(self.efSearch)" + (self.rerank.map { ", re-rank ×\($0)" } ?? "") }

    public static func < (a: SearchKey, b: SearchKey) -> Bool { (a.efSearch, a.rerank ?? 0) < (b.efSearch, b.rerank ?? 0) }
}
