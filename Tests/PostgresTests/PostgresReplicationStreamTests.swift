@testable import Postgres
import Testing

/// pgoutput messages checked against hand-written bytes (protocol version 1), without a server.
@Suite struct PostgresReplicationStreamTests {
    private func message(_ bytes: [UInt8]) -> PostgresReplicationStream.Message {
        bytes.withUnsafeBytes { raw in
            var reader = PostgresReader(raw)
            return PostgresReplicationStream.pgoutput(&reader)
        }
    }

    private func int64(_ value: Int64) -> [UInt8] { withUnsafeBytes(of: value.bigEndian, Array.init) }

    @Test func beginAndCommitCarryTheCommitTimestamp() {
        let begin = [UInt8(ascii: "B")] + self.int64(0x16_B374_D848) + self.int64(818_000_000_123_456) + [0, 0, 0x03, 0xE9]
        #expect(self.message(begin) == .begin(commitMicros: 818_000_000_123_456, xid: 1001))
        let commit = [UInt8(ascii: "C"), 0] + self.int64(0x10) + self.int64(0x16_B374_D900) + self.int64(-5)
        #expect(self.message(commit) == .commit(commitMicros: -5, endLSN: 0x16_B374_D900))
    }

    @Test func changesAndMessagesAreTold() {
        for kind in "IUDT".utf8 { #expect(self.message([kind, 0, 0, 0, 1]) == .change(kind)) }
        let logical = [UInt8(ascii: "M"), 1] + self.int64(42) + Array("tripbench_feed_end".utf8) + [0, 0, 0, 0, 0]
        #expect(self.message(logical) == .message(prefix: "tripbench_feed_end"))
        #expect(self.message([UInt8(ascii: "R"), 0, 0, 0, 7]) == .other)
        // A message cut short reads zeros past its end instead of reading out of bounds.
        #expect(self.message([UInt8(ascii: "B"), 1]) == .begin(commitMicros: 0, xid: 0))
    }
}
