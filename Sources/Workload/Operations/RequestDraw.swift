import Datasets
import VectorSearch

/// The parameters of one request, drawn from the dataset: which operation, and the values it binds.
///
/// Request `index` of a run is a pure function of (seed, index, acting user): its own random stream, so every
/// target and every run with the same seed sees the same stream, whatever the number of clients.
public struct RequestDraw: Sendable, Equatable {
    public var operation: Int
    /// A row of `queries.fbin` (vector operations, create_trip), else -1.
    public var query = -1
    public var user = -1
    /// Content type index (``DatasetSpec/contentTypeNames``), else -1.
    public var type = -1
    public var session = -1
    /// trip_details: the date window, days since 2000-01-01.
    public var dayFrom = 0
    public var dayTo = 0
    /// hybrid_search: the full-text words and the metadata category.
    public var words = ""
    public var category = ""
    /// custom: one value per parameter.
    public var values: [CustomValue] = []

    /// A drawn value for a custom operation's parameter.
    public enum CustomValue: Sendable, Equatable {
        case integer(Int)
        case user(Int)
        case trip(Int)
        case session(Int)
        case query(Int)
        case text(String)
        case day(Int)
    }
}

/// Draws requests for a scenario's operation mix from a dataset.
public struct RequestStream: Sendable {
    public let operations: [OperationSpec]
    let catalog: DatasetCatalog
    let seed: UInt64
    /// Cumulative weights, normalised to 1.
    private let cumulativeWeights: [Double]
    /// Zipf tables of custom parameters, per (operation, parameter).
    private let zipfTables: [[ZipfDistribution?]]
    /// The dataset's trip dates run from 2025-01-01 for three years (days since 2000-01-01).
    static let firstTripDay = DateText.days("2025-01-01")!
    static let tripDays = 3 * 365 + 16

    public init(operations: [OperationSpec], catalog: DatasetCatalog, seed: UInt64) {
        self.operations = operations
        self.catalog = catalog
        self.seed = seed
        let total = operations.reduce(0) { $0 + $1.weight }
        var running = 0.0
        self.cumulativeWeights = operations.map { running += $0.weight / total; return running }
        self.zipfTables = operations.map { operation in
            operation.parameters.map {
                if case .zipf(let low, let high, let exponent) = $0 { return ZipfDistribution(count: high - low + 1, exponent: exponent) }
                return nil
            }
        }
    }

    /// Request `index`; `user` fixes the acting user (row-level security), else users follow the data.
    public func draw(_ index: Int, asUser fixedUser: Int? = nil) -> RequestDraw {
        var random = SplitMix64(seed: self.seed ^ 0x7265_7175_6573_7473, stream: UInt64(index))
        let u = Double(random.next() >> 11) * 0x1p-53
        let operation = self.cumulativeWeights.firstIndex { u < $0 } ?? (self.operations.count - 1)
        var draw = RequestDraw(operation: operation)
        let catalog = self.catalog
        /// A user as active as the data: the owner of a uniformly chosen trip.
        func activeUser() -> Int { fixedUser ?? Int(catalog.tripOwners[Int(random.next() % UInt64(catalog.tripCount))]) }
        func query() -> Int { Int(random.next() % UInt64(catalog.queryCount)) }
        // Fields are read from the shared array one at a time: copying the whole spec would retain its strings
        // and arrays, whose reference counts every load-driver thread would then write.
        switch self.operations[operation].kind {
        case .vectorSearch:
            draw.query = query()
            if self.operations[operation].filter == .userAndType {
                draw.user = fixedUser ?? Int(catalog.queryUsers[draw.query])
                draw.type = Int(catalog.queryTypes[draw.query])
            }
        case .hybridSearch:
            draw.query = query()
            draw.user = fixedUser ?? Int(catalog.queryUsers[draw.query])
            let words = TravelTerms.words
            draw.words = (0..<2).map { _ in words[Int(random.next() % UInt64(words.count))] }.joined(separator: " ")
            draw.category = TravelTerms.categories[Int(random.next() % UInt64(TravelTerms.categories.count))]
        case .similarTrips:
            draw.query = query()
            draw.user = fixedUser ?? Int(catalog.queryUsers[draw.query])
            draw.type = DatasetCatalog.tripCreationType
        case .tripDetails:
            draw.user = activeUser()
            let window = self.operations[operation].windowDays
            draw.dayFrom = Self.firstTripDay + Int(random.next() % UInt64(max(Self.tripDays - window, 1)))
            draw.dayTo = draw.dayFrom + window - 1
        case .preferenceLookup:
            draw.user = activeUser()
        case .chatHistory:
            if let fixedUser {
                draw.user = fixedUser
                draw.session = catalog.plan.firstSession[fixedUser] + Int(random.next() % UInt64(catalog.plan.sessions[fixedUser]))
            } else {
                draw.session = Int(random.next() % UInt64(catalog.sessionCount))
                draw.user = Int(catalog.sessionOwners[draw.session])
            }
        case .createTrip:
            draw.user = activeUser()
            draw.query = query()
            draw.dayFrom = Self.firstTripDay + Int(random.next() % UInt64(Self.tripDays))
            draw.dayTo = draw.dayFrom + 2 + Int(random.next() % 14)
            let destination = TravelTerms.words[Int(random.next() % UInt64(TravelTerms.words.count))]
            draw.words = destination
            draw.category = TravelTerms.categories[Int(random.next() % UInt64(TravelTerms.categories.count))]
        case .custom:
            draw.values = self.operations[operation].parameters.enumerated().map { position, generator in
                self.value(generator, zipf: self.zipfTables[operation][position], random: &random, user: activeUser)
            }
        }
        return draw
    }

    private func value(
        _ generator: ParameterGenerator, zipf: ZipfDistribution?, random: inout SplitMix64, user: () -> Int
    ) -> RequestDraw.CustomValue {
        switch generator {
        case .uniform(let low, let high):
            return .integer(low + Int(random.next() % UInt64(high - low + 1)))
        case .zipf(let low, _, _):
            return .integer(low + zipf!.sample(&random))
        case .user: return .user(user())
        case .trip: return .trip(Int(random.next() % UInt64(self.catalog.tripCount)))
        case .session: return .session(Int(random.next() % UInt64(self.catalog.sessionCount)))
        case .queryVector: return .query(Int(random.next() % UInt64(self.catalog.queryCount)))
        case .words(let count):
            let words = TravelTerms.words
            return .text((0..<count).map { _ in words[Int(random.next() % UInt64(words.count))] }.joined(separator: " "))
        case .date(let from, let to):
            let start = DateText.days(from)!, end = DateText.days(to)!
            return .day(start + Int(random.next() % UInt64(end - start + 1)))
        case .constant(let text): return .text(text)
        }
    }
}
