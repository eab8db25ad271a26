import Datasets
import Postgres
import VectorSearch

/// The parameters of one request, drawn from the dataset: which operation, and the values it binds.
///
/// Request `index` of a run is a pure function of (seed, index, acting user): its own random stream, so every
/// target and every run with the same seed sees the same stream, whatever the number of clients.
///
/// A plain value, with no strings or arrays to count references of: the load driver makes one for every request,
/// and copying or dropping it costs nothing. Words and categories are vocabulary indices; a custom operation's
/// values are drawn when bound (``RequestStream/customValues(of:)``), from the same random stream.
public struct RequestDraw: Sendable, Equatable, BitwiseCopyable {
    /// The request's number in the stream.
    public var index: Int
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
    /// hybrid_search: its two full-text words; create_trip: the destination, in `firstWord`. Indices into
    /// `TravelTerms.words`, else -1.
    public var firstWord = -1
    public var secondWord = -1
    /// hybrid_search, create_trip: an index into `TravelTerms.categories`, else -1.
    public var category = -1
    /// The user the request acts as (row-level security), else -1.
    public var actingUser = -1
    /// insert_memory, delete_memory, update_memory: the memory row (of the dataset) it touches, else -1.
    public var row = -1
    /// update_trip: the trip (of the dataset) it changes, else -1.
    public var trip = -1

    public init(index: Int, operation: Int) {
        self.index = index
        self.operation = operation
    }

    /// hybrid_search: its full-text words, space-separated; create_trip: its destination.
    public var words: String {
        [self.firstWord, self.secondWord].filter { $0 >= 0 }.map { TravelTerms.words[$0] }.joined(separator: " ")
    }

    /// hybrid_search, create_trip: the metadata category.
    public var categoryName: String { self.category >= 0 ? TravelTerms.categories[self.category] : "" }

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

/// Draws requests for a scenario's operation mix from a dataset. A class: every load-driver thread reads the
/// one stream, and passing it on costs one reference, not one per array it holds.
public final class RequestStream: Sendable {
    public let operations: [OperationSpec]
    let catalog: DatasetCatalog
    let seed: UInt64
    /// Cumulative weights, normalised to 1.
    private let cumulativeWeights: [Double]
    /// Zipf tables of custom parameters, per (operation, parameter).
    private let zipfTables: [[ZipfDistribution?]]
    /// How many parameters each operation's custom values have: read per request without touching the specs.
    private let customParameterCounts: [Int]
    /// insert_memory: the dataset's rows after those present, as the COPY file holds them; nil when the
    /// scenario inserts nothing.
    let insertRows: PostgresCopyRows?
    /// Every row of the dataset's base vectors (mapped, not read): what a time-to-searchable probe searches
    /// for, rows not yet present included; nil without a probe.
    let rowVectors: VectorStore?
    /// The dataset's trip dates run from 2025-01-01 for three years (days since 2000-01-01).
    static let firstTripDay = DateText.days("2025-01-01")!
    static let tripDays = 3 * 365 + 16

    public init(
        operations: [OperationSpec], catalog: DatasetCatalog, seed: UInt64, insertRows: PostgresCopyRows? = nil, rowVectors: VectorStore? = nil
    ) {
        self.operations = operations
        self.insertRows = insertRows
        self.rowVectors = rowVectors
        self.catalog = catalog
        self.seed = seed
        // Operations with their own rate are not drawn in the mix (``laneDraw(_:operation:)``), nor is a probe.
        let weights = operations.map { $0.hasOwnRate || $0.isProbe ? 0 : $0.weight }
        let total = weights.reduce(0, +)
        var running = 0.0
        self.cumulativeWeights = weights.map { running += $0 / max(total, .leastNormalMagnitude); return running }
        self.zipfTables = operations.map { operation in
            operation.parameters.map {
                if case .zipf(let low, let high, let exponent) = $0 { return ZipfDistribution(count: high - low + 1, exponent: exponent) }
                return nil
            }
        }
        self.customParameterCounts = operations.map { $0.kind == .custom ? $0.parameters.count : 0 }
    }

    /// Request `index`; `user` fixes the acting user (row-level security), else users follow the data.
    public func draw(_ index: Int, asUser fixedUser: Int? = nil) -> RequestDraw {
        var random = self.random(of: index)
        let operation = self.pickOperation(&random)
        return self.draw(index, operation: operation, random: &random, fixedUser: fixedUser)
    }

    /// Request `index` of the stream of `operation`, an operation with its own rate. Inserts take the dataset's
    /// rows after those present, in order; deletes the oldest present, in order; updates a present row at
    /// random; a read draws its parameters as in the mix, from a random stream of its own.
    public func laneDraw(_ index: Int, operation: Int) -> RequestDraw {
        var random = SplitMix64(seed: self.seed ^ 0x6c61_6e65 ^ UInt64(operation) << 40, stream: UInt64(index))
        let present = self.catalog.presentRows
        var draw = RequestDraw(index: index, operation: operation)
        switch self.operations[operation].kind {
        case .insertMemory: draw.row = present.upperBound + index
        case .deleteMemory: draw.row = present.lowerBound + index
        case .updateMemory: draw.row = present.isEmpty ? -1 : present.lowerBound + Int(random.next() % UInt64(present.count))
        case .updateTrip: draw.trip = Int(random.next() % UInt64(self.catalog.tripCount))
        case .insertMessage:
            draw.session = Int(random.next() % UInt64(self.catalog.sessionCount))
            draw.firstWord = Int(random.next() % UInt64(TravelTerms.words.count))
            draw.secondWord = Int(random.next() % UInt64(TravelTerms.words.count))
        default: return self.draw(index, operation: operation, random: &random, fixedUser: nil)
        }
        return draw
    }

    private func draw(_ index: Int, operation: Int, random: inout SplitMix64, fixedUser: Int?) -> RequestDraw {
        var draw = RequestDraw(index: index, operation: operation)
        draw.actingUser = fixedUser ?? -1
        let catalog = self.catalog
        func query() -> Int { Int(random.next() % UInt64(catalog.queryCount)) }
        func word() -> Int { Int(random.next() % UInt64(TravelTerms.words.count)) }
        func category() -> Int { Int(random.next() % UInt64(TravelTerms.categories.count)) }
        // Fields are read from the shared array one at a time: copying the whole spec would retain its strings
        // and arrays, whose reference counts every load-driver thread would then write.
        switch self.operations[operation].kind {
        case .vectorSearch:
            draw.query = self.operations[operation].queryOrder == .sequential ? index % catalog.queryCount : query()
            switch self.operations[operation].filter {
            case .userAndType:
                draw.user = fixedUser ?? Int(catalog.queryUsers[draw.query])
                draw.type = Int(catalog.queryTypes[draw.query])
            case .contentType:
                draw.type = Int(catalog.queryTypes[draw.query])
            case .share, .none:
                break
            }
        case .hybridSearch:
            draw.query = query()
            draw.user = fixedUser ?? Int(catalog.queryUsers[draw.query])
            draw.firstWord = word()
            draw.secondWord = word()
            draw.category = category()
        case .similarTrips:
            draw.query = query()
            draw.user = fixedUser ?? Int(catalog.queryUsers[draw.query])
            draw.type = DatasetCatalog.tripCreationType
        case .tripDetails:
            draw.user = self.activeUser(fixedUser, &random)
            let window = self.operations[operation].windowDays
            draw.dayFrom = Self.firstTripDay + Int(random.next() % UInt64(max(Self.tripDays - window, 1)))
            draw.dayTo = draw.dayFrom + window - 1
        case .preferenceLookup:
            draw.user = self.activeUser(fixedUser, &random)
        case .chatHistory:
            if let fixedUser {
                draw.user = fixedUser
                draw.session = catalog.plan.firstSession[fixedUser] + Int(random.next() % UInt64(catalog.plan.sessions[fixedUser]))
            } else {
                draw.session = Int(random.next() % UInt64(catalog.sessionCount))
                draw.user = Int(catalog.sessionOwners[draw.session])
            }
        case .createTrip:
            draw.user = self.activeUser(fixedUser, &random)
            draw.query = query()
            draw.dayFrom = Self.firstTripDay + Int(random.next() % UInt64(Self.tripDays))
            draw.dayTo = draw.dayFrom + 2 + Int(random.next() % 14)
            draw.firstWord = word()
            draw.category = category()
        case .custom:
            // Drawn when bound, from the same random stream: see customValues(of:).
            break
        case .insertMemory, .deleteMemory, .updateMemory, .insertMessage, .updateTrip:
            // Write streams: see laneDraw(_:operation:).
            break
        }
        return draw
    }

    /// The values a custom operation's request binds, one per parameter: drawn from the request's random stream
    /// after its operation, so they depend on (seed, index, acting user) alone.
    public func customValues(of draw: RequestDraw) -> [RequestDraw.CustomValue] {
        guard self.customParameterCounts[draw.operation] > 0 else { return [] }
        var random = self.random(of: draw.index)
        _ = random.next()
        let fixedUser = draw.actingUser >= 0 ? draw.actingUser : nil
        return self.operations[draw.operation].parameters.enumerated().map { position, generator in
            self.value(generator, zipf: self.zipfTables[draw.operation][position], random: &random, fixedUser: fixedUser)
        }
    }

    /// The operation of request `index`, without drawing its parameters.
    func operation(of index: Int) -> Int {
        var random = self.random(of: index)
        return self.pickOperation(&random)
    }

    /// The operation a request's first random number picks, by weight.
    private func pickOperation(_ random: inout SplitMix64) -> Int {
        let u = Double(random.next() >> 11) * 0x1p-53
        return self.cumulativeWeights.firstIndex { u < $0 } ?? (self.operations.count - 1)
    }

    /// Request `index`'s own random stream: its first number picks the operation, the rest its parameters.
    private func random(of index: Int) -> SplitMix64 {
        SplitMix64(seed: self.seed ^ 0x7265_7175_6573_7473, stream: UInt64(index))
    }

    /// A user as active as the data: the owner of a uniformly chosen trip (or the fixed acting user).
    private func activeUser(_ fixedUser: Int?, _ random: inout SplitMix64) -> Int {
        fixedUser ?? Int(self.catalog.tripOwners[Int(random.next() % UInt64(self.catalog.tripCount))])
    }

    private func value(
        _ generator: ParameterGenerator, zipf: ZipfDistribution?, random: inout SplitMix64, fixedUser: Int?
    ) -> RequestDraw.CustomValue {
        switch generator {
        case .uniform(let low, let high):
            return .integer(low + Int(random.next() % UInt64(high - low + 1)))
        case .zipf(let low, _, _):
            return .integer(low + zipf!.sample(&random))
        case .user: return .user(self.activeUser(fixedUser, &random))
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

extension RequestStream {
    /// Request `number` of time-to-searchable probe `operation`: a search for dataset row `row`'s own vector.
    func probeDraw(_ number: Int, row: Int, operation: Int) -> RequestDraw {
        var draw = RequestDraw(index: number, operation: operation)
        draw.row = row
        return draw
    }

    /// The vector of dataset row `row`, for PostgreSQL (a time-to-searchable probe's search).
    func rowVector(_ row: Int) -> PostgresVector {
        let vectors = self.rowVectors!
        return PostgresVector(Array(UnsafeBufferPointer(start: vectors.row(row), count: vectors.dimension)))
    }
}
