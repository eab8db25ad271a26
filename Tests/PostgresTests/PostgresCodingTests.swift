import Foundation
@testable import Postgres
import Testing

/// Encoders and decoders checked against hand-written wire bytes, without a server.
@Suite struct PostgresCodingTests {
    private func bytes(_ value: some PostgresEncodable) throws -> [UInt8] {
        var buffer = PostgresBuffer()
        try value.encode(into: &buffer)
        return buffer.bytes
    }

    private func decode<T: PostgresDecodable>(_ bytes: [UInt8], as type: PostgresDataType) throws -> T {
        try bytes.withUnsafeBytes { try T.decode(from: $0, type: type) }
    }

    @Test func integersAreBigEndian() throws {
        #expect(try self.bytes(Int32(0x0102_0304)) == [1, 2, 3, 4])
        #expect(try self.bytes(258) == [0, 0, 0, 0, 0, 0, 1, 2])
        #expect(try self.decode([0xFF, 0xFE], as: .int2) as Int == -2)
        #expect(throws: PostgresError.self) { try self.decode([0, 0, 0x80, 0], as: .int4) as Int16 }
    }

    /// `123.45` is ndigits 2, weight 0, sign +, dscale 2, digits [123, 4500].
    @Test func numericMatchesPostgresLayout() throws {
        #expect(try self.bytes(Decimal(string: "123.45")!) == [0, 2, 0, 0, 0, 0, 0, 2, 0, 123, 0x11, 0x94])
        #expect(try self.decode([0, 2, 0, 0, 0x40, 0, 0, 4, 0, 123, 0x11, 0x94], as: .numeric) as String == "-123.4500")
    }

    @Test(arguments: ["0", "1", "-1", "10000", "123456789.000001", "0.0001", "-0.5", "99999999.99", "42"])
    func numericRoundTrips(text: String) throws {
        var buffer = PostgresBuffer()
        try PostgresNumeric.encode(text: text, into: &buffer)
        let decoded = try buffer.bytes.withUnsafeBytes { try PostgresNumeric.decodeText(from: $0) }
        #expect(Decimal(string: decoded) == Decimal(string: text))
    }

    @Test func datesCountDaysFrom2000() throws {
        #expect(PostgresDate(year: 2000, month: 1, day: 1).daysSince2000 == 0)
        #expect(PostgresDate(year: 1999, month: 12, day: 31).daysSince2000 == -1)
        #expect(PostgresDate(year: 2024, month: 2, day: 29).description == "2024-02-29")
        #expect(PostgresDate(year: 2024, month: 3, day: 1).daysSince2000 - PostgresDate(year: 2024, month: 2, day: 28).daysSince2000 == 2)
        #expect(try self.bytes(PostgresDate(year: 2000, month: 1, day: 2)) == [0, 0, 0, 1])
    }

    @Test func timestampsCountMicrosecondsFrom2000() throws {
        let date = Date(timeIntervalSince1970: 946_684_800 + 1.5)
        #expect(try self.bytes(date) == [0, 0, 0, 0, 0, 0x16, 0xE3, 0x60])
        let decoded: Date = try self.decode([0, 0, 0, 0, 0, 0x16, 0xE3, 0x60], as: .timestamptz)
        #expect(decoded == date)
    }

    /// pgvector: int16 dimension, int16 unused, then big-endian float32s.
    @Test func vectorsUsePgvectorBinaryLayout() throws {
        #expect(try self.bytes(PostgresVector([1, -2])) == [0, 2, 0, 0, 0x3F, 0x80, 0, 0, 0xC0, 0, 0, 0])
        let decoded: PostgresVector = try self.decode([0, 1, 0, 0, 0x40, 0x40, 0, 0], as: .unspecified)
        #expect(decoded.components == [3])
        #expect(throws: PostgresError.self) { try self.decode([0, 2, 0, 0, 0x40, 0x40, 0, 0], as: .unspecified) as PostgresVector }
    }

    @Test func jsonbCarriesAVersionByte() throws {
        #expect(try self.bytes(PostgresJSONB("{}")) == [1, UInt8(ascii: "{"), UInt8(ascii: "}")])
        #expect(try self.decode([1, UInt8(ascii: "1")], as: .jsonb) as String == "1")
    }

    @Test func nullDecodesOnlyIntoOptionals() throws {
        #expect(try Int?.decodeNull() == nil)
        #expect(throws: PostgresError.self) { try Int.decodeNull() }
    }
}
