import Foundation
import VectorSearch

/// Row identifiers: random-looking version-4 UUIDs that are a pure function of (seed, table, row), so the
/// loader, the workload and the tests can name any row without reading the files.
public enum DatasetIDs {
    public enum Table: UInt64, Sendable {
        case users = 1, trips, flights, accommodations, memoryEmbeddings, chatSessions, chatMessages
    }

    public static func uuid(seed: UInt64, table: Table, index: Int) -> UUID {
        var random = SplitMix64(seed: seed ^ (table.rawValue << 56), stream: UInt64(index))
        var high = random.next(), low = random.next()
        high = (high & ~0xF000) | 0x4000  // version 4
        low = (low & ~(0xC0 << 56)) | (0x80 << 56)  // RFC 4122 variant
        var bytes: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &bytes) { raw in
            raw.storeBytes(of: high.bigEndian, toByteOffset: 0, as: UInt64.self)
            raw.storeBytes(of: low.bigEndian, toByteOffset: 8, as: UInt64.self)
        }
        return UUID(uuid: bytes)
    }
}
