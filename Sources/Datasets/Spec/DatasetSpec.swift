import Foundation
import VectorSearch
import Yams

/// What a synthetic TripSage dataset looks like: how many rows of each kind, how skewed user activity is,
/// and how the memory embeddings cluster. Read from `datasets/<name>.yaml`; every key is documented in
/// `docs/datasets.md`.
public struct DatasetSpec: Codable, Sendable, Equatable {
    public var name: String
    public var seed: UInt64
    public var users: Int
    /// Averages per user or per parent row; actual counts follow the activity skew (every user has ≥ 1).
    public var tripsPerUser: Double
    public var flightsPerTrip: Double
    public var accommodationsPerTrip: Double
    public var chatSessionsPerUser: Double
    public var messagesPerSession: Double
    public var embeddingsPerUser: Double
    /// Shares of each `content_type` among memory embeddings.
    public var contentTypes: ContentTypeMix
    public var dimension: Int
    public var metric: VectorMetric
    /// Number of topic clusters on the unit sphere.
    public var clusters: Int
    /// Each cluster's spread (noise norm relative to its unit centre) is drawn log-uniformly from this range.
    public var clusterSpreadMin: Double
    public var clusterSpreadMax: Double
    /// How many clusters each user's memories concentrate on, and the share of their rows drawn from them.
    public var homeClustersPerUser: Int
    public var homeClusterShare: Double
    /// Zipf exponent of user activity: 0 is uniform; 1 gives the few heaviest users much of the data.
    public var activitySkew: Double
    /// Held-out query vectors, drawn from the same mixture (never copies of stored rows).
    public var queries: Int
    /// Depth of the exact ground truth per query.
    public var groundTruthK: Int
    /// The `--scale` factor applied to the user count (and so to every row count).
    public var scale: Double

    /// The four content types of the architecture document, in a fixed order (their index is stored in files).
    public static let contentTypeNames = ["conversation", "preference", "insight", "trip_creation"]

    static let keys = [
        "name", "seed", "users", "tripsPerUser", "flightsPerTrip", "accommodationsPerTrip", "chatSessionsPerUser",
        "messagesPerSession", "embeddingsPerUser", "contentTypes", "dimension", "metric", "clusters",
        "clusterSpreadMin", "clusterSpreadMax", "homeClustersPerUser", "homeClusterShare", "activitySkew", "queries",
        "groundTruthK",
    ]

    /// Reads a spec by name (`datasets/<name>.yaml` under `datasetsDirectory`) or by path.
    public static func load(_ nameOrPath: String, datasetsDirectory: URL) throws -> DatasetSpec {
        let path = YAMLMapping.path(of: nameOrPath, in: datasetsDirectory)
        guard FileManager.default.fileExists(atPath: path) else {
            let known = YAMLMapping.names(in: datasetsDirectory)
            throw DatasetError(.badInput, "no dataset spec \(nameOrPath) (\(path)); known: \(known.joined(separator: ", "))")
        }
        return try self.parse(YAMLMapping.load(path))
    }

    /// Validates and reads a spec, reporting the first problem with its file, line and column.
    public static func parse(_ yaml: YAMLMapping) throws -> DatasetSpec {
        try yaml.checkKeys(self.keys)
        var spec = DatasetSpec(
            name: try yaml.string("name"),
            seed: UInt64(try yaml.integer("seed", default: 1, in: 0...Int.max)),
            users: try yaml.integer("users", in: 1...Self.maximumUsers),
            tripsPerUser: try yaml.number("tripsPerUser", default: 5, in: 1...1000),
            flightsPerTrip: try yaml.number("flightsPerTrip", default: 1, in: 0...100),
            accommodationsPerTrip: try yaml.number("accommodationsPerTrip", default: 1, in: 0...100),
            chatSessionsPerUser: try yaml.number("chatSessionsPerUser", default: 2, in: 1...1000),
            messagesPerSession: try yaml.number("messagesPerSession", default: 10, in: 1...10_000),
            embeddingsPerUser: try yaml.number("embeddingsPerUser", default: 50, in: 1...100_000),
            contentTypes: ContentTypeMix(),
            dimension: try yaml.integer("dimension", default: 1536, in: 1...16_000),
            metric: .cosine,
            clusters: try yaml.integer("clusters", default: 50, in: 1...100_000),
            clusterSpreadMin: try yaml.number("clusterSpreadMin", default: 0.5, in: 0...100),
            clusterSpreadMax: try yaml.number("clusterSpreadMax", default: 2.0, in: 0...100),
            homeClustersPerUser: try yaml.integer("homeClustersPerUser", default: 3, in: 1...1000),
            homeClusterShare: try yaml.number("homeClusterShare", default: 0.9, in: 0...1),
            activitySkew: try yaml.number("activitySkew", default: 1.0, in: 0...5),
            queries: try yaml.integer("queries", default: 1000, in: 1...10_000_000),
            groundTruthK: try yaml.integer("groundTruthK", default: 100, in: 1...10_000),
            scale: 1
        )
        if let metric = yaml.node("metric") {
            guard let value = metric.string.flatMap(VectorMetric.init(rawValue:)) else {
                throw yaml.error("metric must be cosine, l2 or ip, not \(metric.string ?? "a \(metric.kind)")", at: metric)
            }
            spec.metric = value
        }
        guard spec.clusterSpreadMin <= spec.clusterSpreadMax else {
            throw yaml.error("clusterSpreadMin (\(spec.clusterSpreadMin)) is above clusterSpreadMax (\(spec.clusterSpreadMax))", at: yaml.node("clusterSpreadMin"))
        }
        spec.contentTypes = try self.contentTypes(yaml)
        return spec
    }

    private static func contentTypes(_ yaml: YAMLMapping) throws -> ContentTypeMix {
        guard let mix = try yaml.mapping("contentTypes") else { return ContentTypeMix() }
        try mix.checkKeys(self.contentTypeNames)
        let shares = try self.contentTypeNames.map { try mix.number($0, default: 0, in: 0...1_000_000) }
        guard shares.reduce(0, +) > 0 else { throw mix.error("contentTypes: the shares must not all be zero") }
        return ContentTypeMix(conversation: shares[0], preference: shares[1], insight: shares[2], tripCreation: shares[3])
    }

    /// The spec with its user count multiplied by `factor`.
    public func scaled(by factor: Double) throws -> DatasetSpec {
        guard factor > 0, factor.isFinite else { throw DatasetError(.badInput, "--scale must be a positive number, not \(factor)") }
        guard Double(self.users) * factor <= Double(Self.maximumUsers) else {
            throw DatasetError(.badInput, "--scale \(factor) gives \((Double(self.users) * factor).formatted()) users; at most \(Self.maximumUsers.formatted()) are supported")
        }
        var spec = self
        spec.users = max(1, Int((Double(self.users) * factor).rounded()))
        spec.scale = self.scale * factor
        return spec
    }

    /// Memory embeddings the spec generates: `users × embeddingsPerUser`.
    public var embeddingTotal: Int { Int((Double(self.users) * self.embeddingsPerUser).rounded()) }

    /// The share of each content type in ``contentTypeNames`` order, summing to 1.
    public var contentTypeShares: [Double] {
        let mix = self.contentTypes
        let raw = [mix.conversation, mix.preference, mix.insight, mix.tripCreation]
        let total = raw.reduce(0, +)
        return raw.map { $0 / total }
    }

    /// The cache directory name: `<name>-<seed>`, with the scale when it is not 1.
    public var directoryName: String {
        self.scale == 1 ? "\(self.name)-\(self.seed)" : "\(self.name)-\(self.seed)-x\(self.scale)"
    }
}

/// The mix of `content_type` values among memory embeddings (relative weights; they need not sum to 1).
public struct ContentTypeMix: Codable, Sendable, Equatable {
    public var conversation = 0.4
    public var preference = 0.2
    public var insight = 0.2
    public var tripCreation = 0.2

    public init() {}

    public init(conversation: Double, preference: Double, insight: Double, tripCreation: Double) {
        self.conversation = conversation
        self.preference = preference
        self.insight = insight
        self.tripCreation = tripCreation
    }
}
