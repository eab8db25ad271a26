import Foundation
import Postgres
import TestSupport
import Testing

/// The libpq layer against the real server: every type both ways, errors, prepared statements.
@Suite struct PostgresConnectionTests {
    @Test func everyTypeRoundTripsThroughParameters() async throws {
        try await TestServer.withDatabase(migrated: false) { (connection) throws in
            try connection.execute(script: "CREATE EXTENSION IF NOT EXISTS vector")
            let uuid = UUID()
            let timestamp = Date(timeIntervalSince1970: 1_700_000_000.123456)
            let vector = PostgresVector((0..<1536).map { Float($0) / 1536 - 0.5 })
            let row = try connection.query(
                """
                SELECT $1::text, $2::int2, $3::int4, $4::int8, $5::float4, $6::float8, $7::bool, $8::uuid,
                       $9::timestamptz, $10::date, $11::numeric(10,2), $12::jsonb, $13::vector(1536), $14::point,
                       $15::bytea, $16::text
                """,
                [
                    "héllo, wörld", Int16(-7), Int32(123_456), Int64.max, Float(1.5), 2.25, true, uuid, timestamp,
                    PostgresDate(year: 2024, month: 2, day: 29), Decimal(string: "12345678.90")!,
                    PostgresJSONB(#"{"category": "food", "n": [1, 2]}"#), vector, PostgresPoint(x: 2.35, y: 48.85),
                    Data([0, 1, 255]), nil,
                ]
            ).rows[0]
            #expect(try row.decode(0) == "héllo, wörld")
            #expect(try row.decode(1) == Int16(-7))
            #expect(try row.decode(2) == 123_456)
            #expect(try row.decode(3) == Int64.max)
            #expect(try row.decode(4) == Float(1.5))
            #expect(try row.decode(5) == 2.25)
            #expect(try row.decode(6) == true)
            #expect(try row.decode(7) == uuid)
            #expect(abs(try row.decode(8, as: Date.self).timeIntervalSince(timestamp)) < 1e-6)
            #expect(try row.decode(9) == PostgresDate(year: 2024, month: 2, day: 29))
            #expect(try row.decode(10) == Decimal(string: "12345678.90")!)
            #expect(try row.decode(10) == "12345678.90")
            #expect(try row.decode(11, as: PostgresJSONB.self).decode([String: JSONValue].self)["category"] == .string("food"))
            #expect(try row.decode(11, as: Data.self).first == UInt8(ascii: "{"))
            #expect(try row.decode(12) == vector)
            #expect(try row.decode(13) == PostgresPoint(x: 2.35, y: 48.85))
            #expect(try row.decode(14) == Data([0, 1, 255]))
            #expect(try row.decode(15, as: String?.self) == nil)
        }
    }

    @Test func decodesWhatTheServerWrites() async throws {
        try await TestServer.withDatabase(migrated: false) { (connection) throws in
            let row = try connection.query(
                """
                SELECT '-0.000120'::numeric, 'NaN'::numeric, '1999-12-31'::date, '2000-01-01 00:00:01+00'::timestamptz,
                       '[1,2,3]'::jsonb, 'a5b8e0c4-1b7e-4f5a-9d2e-0c7b2f1e4a11'::uuid
                """
            ).rows[0]
            #expect(try row.decode(0) == "-0.000120")
            #expect(try row.decode(1) == "NaN")
            #expect(try row.decode(2, as: PostgresDate.self).description == "1999-12-31")
            #expect(try row.decode(3, as: Date.self).timeIntervalSince1970 == 946_684_801)
            #expect(try row.decode(4) == "[1, 2, 3]")
            #expect(try row.decode(5) == "a5b8e0c4-1b7e-4f5a-9d2e-0c7b2f1e4a11")
        }
    }

    @Test func decodingTheWrongTypeNamesTheColumn() async throws {
        try await TestServer.withDatabase(migrated: false) { (connection) throws in
            let result = try connection.query("SELECT 'x'::text AS label, NULL::int AS missing")
            #expect { try result.decode(Int.self, row: 0, column: 0) } throws: { error in
                (error as? PostgresError)?.description.contains("column \"label\"") == true
            }
            #expect(throws: PostgresError.self) { try result.decode(Int.self, row: 0, column: 1) }
        }
    }

    @Test func serverErrorsCarrySQLStateDetailAndHint() async throws {
        try await TestServer.withDatabase(migrated: false) { (connection) throws in
            try connection.execute(script: "CREATE TABLE t (id int PRIMARY KEY)")
            try connection.query("INSERT INTO t VALUES (1)")
            #expect { try connection.query("INSERT INTO t VALUES ($1)", [1]) } throws: { error in
                let error = error as! PostgresError
                return error.code == .server && error.sqlState == "23505" && error.detail == "Key (id)=(1) already exists."
            }
            #expect { try connection.query("SELECT no_such_function(1)") } throws: { error in
                let error = error as! PostgresError
                return error.sqlState == "42883" && error.hint?.contains("No function matches") == true
            }
            // The connection is still usable after errors.
            #expect(try connection.query("SELECT count(*) FROM t").decode(Int.self, row: 0, column: 0) == 1)
        }
    }

    @Test func preparedStatementsTakeTheServersParameterTypes() async throws {
        try await TestServer.withDatabase(migrated: false) { (connection) throws in
            try connection.execute(script: "CREATE TABLE t (id int4, small int2, price numeric, ratio float4)")
            let insert = try connection.prepare("INSERT INTO t VALUES ($1, $2, $3, $4)")
            #expect(insert.parameterTypes == [.int4, .int2, .numeric, .float4])
            for id in 1...50 {
                try connection.execute(insert, [id, id, id * 100, Double(id) / 4])
            }
            let select = try connection.prepare("SELECT sum(id), sum(price), max(ratio) FROM t WHERE id <= $1")
            let row = try connection.execute(select, [Int64(50)]).rows[0]
            #expect(try row.decode(0) == 1275)
            #expect(try row.decode(1) == Decimal(127_500))
            #expect(try row.decode(2) == Float(12.5))
            #expect(throws: PostgresError.self) { try connection.execute(insert, [Int.max, 1, 1, 1]) }
        }
    }

    @Test func unreachableServerFailsWithoutThePassword() async throws {
        let target = try PostgresConnectionString("postgresql://bob:pa55word-xyz@127.0.0.1:1/app?connect_timeout=3")
        await #expect { try await PostgresConnection.withConnection(target) { _ in 0 } } throws: { error in
            let error = error as! PostgresError
            return error.code == .connectionFailed && !error.description.contains("pa55word")
                && !error.description.contains("\n")
        }
    }

    @Test func unknownDatabaseIsARejection() async throws {
        let admin = try await TestServer.connectionString()
        let target = try PostgresConnectionString(admin.raw.replacing("/postgres?", with: "/no_such_database?"))
        await #expect { try await PostgresConnection.withConnection(target) { _ in 0 } } throws: { error in
            (error as? PostgresError)?.code == .connectionRejected
        }
    }
}

/// Any JSON value, to read jsonb documents back in tests.
enum JSONValue: Decodable, Equatable {
    case string(String), number(Double), bool(Bool), array([JSONValue]), object([String: JSONValue]), null

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Double.self) { self = .number(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else if let value = try? container.decode([JSONValue].self) { self = .array(value) }
        else { self = .object(try container.decode([String: JSONValue].self)) }
    }
}
