import Datasets
import Foundation
import TestSupport
import Testing
import VectorSearch
@testable import Workload

/// The operation stream: deterministic per seed, weighted as asked, parameters distributed as documented.
@Suite struct GeneratorTests {
    static func stream(seed: UInt64, operations: [OperationSpec]? = nil) async throws -> RequestStream {
        let (directory, manifest) = try await TinyDataset.generated()
        let catalog = try DatasetCatalog(directory: directory, manifest: manifest)
        let mix = operations ?? OperationKind.allCases.filter { $0 != .custom }.map { OperationSpec(name: $0.rawValue, kind: $0) }
            + [OperationSpec(name: "custom", kind: .custom, sql: "SELECT $1, $2, $3", parameters: [.zipf(min: 1, max: 50, exponent: 1), .words(count: 3), .date(from: "2025-01-01", to: "2025-12-31")])]
        return RequestStream(operations: mix, catalog: catalog, seed: seed)
    }

    @Test func sameSeedSameStreamOtherSeedDiffers() async throws {
        let a = try await Self.stream(seed: 11), b = try await Self.stream(seed: 11), c = try await Self.stream(seed: 12)
        let first = (0..<500).map { a.draw($0) }
        #expect(first == (0..<500).map { b.draw($0) })
        #expect(first != (0..<500).map { c.draw($0) })
        // Any order of drawing gives the same requests: clients may interleave freely.
        #expect((0..<500).reversed().map { a.draw($0) } == first.reversed())
        #expect(Set(first.map(\.operation)).count == a.operations.count)
    }

    /// A streaming stage's catalog: only the rows present (the oldest quarter deleted, the last quarter not yet
    /// inserted) are filtered, expected as exact answers and counted, and the unfiltered truth is the range's.
    @Test func aCatalogOfPresentRowsExpectsOnlyThem() async throws {
        let (directory, manifest) = try await TinyDataset.generated()
        let all = try #require(manifest.counts["memory_embeddings"])
        let present = (all / 4)..<(all * 3 / 4)
        let truth = try manifest.rangeGroundTruth(in: directory, rows: present, threads: 2)
        let catalog = try DatasetCatalog(directory: directory, manifest: manifest, presentRows: present, groundTruth: truth)
        #expect(catalog.presentRows == present)
        let inRange = { (rows: [Int32]) in rows.allSatisfy { present.contains(Int($0)) } }
        for query in 0..<catalog.queryCount {
            #expect(inRange(catalog.exactNeighbours(query: query, k: 10, filter: .all)))
            #expect(inRange(catalog.exactNeighbours(query: query, k: 10, filter: .contentType(query % 4))))
            #expect(inRange(catalog.exactNeighbours(query: query, k: 10, filter: .share(bound: RowShare.bound(0.5)))))
        }
        let whole = try DatasetCatalog(directory: directory, manifest: manifest)
        let kept = (0..<manifest.spec.users).flatMap { user in (0..<4).flatMap { catalog.rows(user: user, type: $0) } }
        #expect(kept.count == present.count && inRange(kept))
        #expect(whole.rows(.contentType(1))!.filter { present.contains(Int($0)) } == catalog.rows(.contentType(1))!)
    }

    @Test func drawsAreValidForTheDataset() async throws {
        let stream = try await Self.stream(seed: 3)
        let catalog = stream.catalog
        for index in 0..<2000 {
            let draw = stream.draw(index)
            switch stream.operations[draw.operation].kind {
            case .vectorSearch:
                #expect(draw.query >= 0 && draw.query < catalog.queryCount)
                // The filter names the query's own user and type, so exact answers exist for it.
                #expect(!catalog.rows(user: draw.user, type: draw.type).isEmpty)
            case .chatHistory:
                #expect(Int(catalog.sessionOwners[draw.session]) == draw.user)
            case .tripDetails:
                #expect(draw.dayTo - draw.dayFrom + 1 == stream.operations[draw.operation].windowDays)
            case .custom:
                let values = stream.customValues(of: draw)
                guard case .integer(let rank) = values[0], case .text(let words) = values[1], case .day(let day) = values[2] else {
                    Issue.record("unexpected values \(values)")
                    continue
                }
                #expect((1...50).contains(rank) && words.split(separator: " ").count == 3)
                #expect(day >= DateText.days("2025-01-01")! && day <= DateText.days("2025-12-31")!)
            default: break
            }
        }
        // Row-level security: every request acts as the one user.
        for index in 0..<300 {
            let draw = stream.draw(index, asUser: 5)
            if [.vectorSearch, .hybridSearch, .similarTrips, .tripDetails, .preferenceLookup, .chatHistory, .createTrip].contains(stream.operations[draw.operation].kind) {
                #expect(draw.user == 5)
            }
        }
    }

    @Test func weightsShareTheRequests() async throws {
        let stream = try await Self.stream(seed: 5, operations: [
            OperationSpec(name: "a", kind: .preferenceLookup, weight: 3), OperationSpec(name: "b", kind: .chatHistory, weight: 1),
        ])
        let share = Double((0..<40_000).filter { stream.draw($0).operation == 0 }.count) / 40_000
        #expect(abs(share - 0.75) < 0.01)
    }

    /// Pearson's chi-squared statistic of observed counts against expected probabilities.
    static func chiSquared(_ counts: [Int], _ probabilities: [Double]) -> Double {
        let total = Double(counts.reduce(0, +))
        return zip(counts, probabilities).reduce(0) { sum, pair in
            let expected = total * pair.1
            return sum + (Double(pair.0) - expected) * (Double(pair.0) - expected) / expected
        }
    }

    @Test(arguments: [0.0, 0.8, 1.0, 1.5])
    func zipfFollowsItsLaw(exponent: Double) {
        let zipf = ZipfDistribution(count: 20, exponent: exponent)
        var random = SplitMix64(seed: 9)
        var counts = [Int](repeating: 0, count: 20)
        for _ in 0..<200_000 { counts[zipf.sample(&random)] += 1 }
        let probabilities = (0..<20).map(zipf.probability)
        #expect(abs(probabilities.reduce(0, +) - 1) < 1e-9)
        // 19 degrees of freedom: the 99.9th percentile of chi-squared is 43.8.
        #expect(Self.chiSquared(counts, probabilities) < 43.8, "\(counts)")
        if exponent > 0 {
            #expect(counts[0] > counts[1] && counts[1] > counts[4])
            #expect(abs(probabilities[0] / probabilities[1] - Foundation.pow(2, exponent)) < 1e-9)
        }
    }

    @Test func uniformParametersCoverTheirRangeEvenly() async throws {
        let stream = try await Self.stream(seed: 21, operations: [
            OperationSpec(name: "u", kind: .custom, sql: "SELECT $1", parameters: [.uniform(min: -5, max: 4)]),
        ])
        var counts = [Int](repeating: 0, count: 10)
        for index in 0..<50_000 {
            guard case .integer(let value) = stream.customValues(of: stream.draw(index))[0] else { continue }
            counts[value + 5] += 1
        }
        // 9 degrees of freedom: the 99.9th percentile is 27.9.
        #expect(Self.chiSquared(counts, Array(repeating: 0.1, count: 10)) < 27.9, "\(counts)")
    }
}
