import Testing
@testable import VectorSearch

@Suite struct SearchPrimitivesTests {
    /// Digests from the reference implementation (Python's `xxhash.xxh64`).
    @Test func xxh64MatchesTheReference() {
        let cases: [([UInt8], UInt64)] = [
            ([], 0xef46_db37_51d8_e999),
            (Array("a".utf8), 0xd24e_c4f1_a98c_6e5b),
            (Array("abc".utf8), 0x44bc_2cf5_ad77_0999),
            (Array(String(repeating: "0123456789", count: 10).utf8), 0xf80e_7b96_315a_fffa),
            (Array((0..<768).map { UInt8($0 % 256) }), 0x8e03_c838_c596_036f),
        ]
        for (bytes, digest) in cases {
            #expect(bytes.withUnsafeBytes { XXH64.hash($0) } == digest, "\(bytes.count) bytes")
        }
    }

    /// Keys order as (distance, id) pairs do, for negative, zero and positive distances.
    @Test func packedKeysOrderLikeTheirPairs() {
        var generator = SplitMix64(seed: 3)
        var pairs: [(Float, UInt32)] = [(0, 1), (-0.5, 2), (0.5, 3), (0.5, 0), (-3, 9), (.infinity, 4), (-.infinity, 5)]
        for _ in 0..<200 { pairs.append((generator.nextGaussian() * 10, UInt32(generator.next() % 1000))) }
        let byPair = pairs.sorted { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
        let byKey = pairs.map { PackedKey.make($0.0, $0.1) }.sorted()
        #expect(byKey.map { PackedKey.distance($0) } == byPair.map(\.0))
        #expect(byKey.map { PackedKey.id($0) } == byPair.map(\.1))
    }

    @Test func keyHeapPopsInOrderAndGrows() {
        var heap = KeyHeap(capacity: 4)
        defer { heap.deallocate() }
        var generator = SplitMix64(seed: 4)
        let keys = (0..<1_000).map { _ in generator.next() }
        for key in keys { heap.push(key) }
        var popped: [UInt64] = []
        while !heap.isEmpty { popped.append(heap.popMin()) }
        #expect(popped == keys.sorted())
    }

    @Test func visitedTagsForgetOnEverySearchAndSurviveWrapAround() {
        var visited = VisitedTags(capacity: 10)
        defer { visited.deallocate() }
        var alwaysFresh = true
        for _ in 0..<70_000 {  // past the 16-bit tag's wrap-around
            visited.startSearch()
            alwaysFresh = alwaysFresh && visited.insert(3) && !visited.insert(3)
        }
        #expect(alwaysFresh)
        visited.startSearch()
        #expect(visited.insert(3) && !visited.insert(3) && visited.insert(4))
    }
}
