import Foundation

/// A sweep's grid: every (m, ef_construction) is one build, searched at every ef_search.
public struct SweepGrid: Sendable, Equatable, Codable {
    public var m: [Int]
    public var efConstruction: [Int]
    public var efSearch: [Int]

    /// Every (m, ef_construction) pair: one index build each, in file order.
    public var builds: [BuildKey] {
        self.m.flatMap { m in self.efConstruction.map { BuildKey(m: m, efConstruction: $0) } }
    }

    public init(m: [Int], efConstruction: [Int], efSearch: [Int]) {
        self.m = m
        self.efConstruction = efConstruction
        self.efSearch = efSearch
    }
}

/// One index build of a sweep.
public struct BuildKey: Sendable, Hashable, Codable, Comparable, CustomStringConvertible {
    public var m: Int
    public var efConstruction: Int

    public init(m: Int, efConstruction: Int) {
        self.m = m
        self.efConstruction = efConstruction
    }

    public var description: String { "m \(self.m), ef_construction \(self.efConstruction)" }

    public static func < (a: BuildKey, b: BuildKey) -> Bool { (a.m, a.efConstruction) < (b.m, b.efConstruction) }
}

