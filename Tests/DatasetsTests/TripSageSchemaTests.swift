import Datasets
import Foundation
import Postgres
import TestSupport
import Testing

/// Rows written into every TripSage table and read back, and row-level security between two users.
@Suite struct TripSageSchemaTests {
    @Test func everyColumnTypeRoundTrips() async throws {
        try await TestServer.withDatabase { (connection) throws in
            let user = try connection.query(
                "INSERT INTO users (email, profile, preferences) VALUES ($1, $2, $3) RETURNING id, auth_provider, created_at, travel_preferences",
                ["ada@example.com", PostgresJSONB(#"{"name": "Ada"}"#), PostgresJSONB(#"{"seat": "window"}"#)]
            ).rows[0]
            let userID: UUID = try user.decode("id")
            #expect(try user.decode("auth_provider") == "supabase")
            #expect(abs(try user.decode("created_at", as: Date.self).timeIntervalSinceNow) < 60)
            #expect(try user.decode("travel_preferences") == "{}")

            let trip: UUID = try connection.query(
                """
                INSERT INTO trips (user_id, title, start_date, end_date, budget_total, destinations)
                VALUES ($1, $2, $3, $4, $5, $6) RETURNING id
                """,
                [userID, "Lisbon in spring", PostgresDate(year: 2026, month: 4, day: 2), PostgresDate(year: 2026, month: 4, day: 9),
                 Decimal(string: "2450.50")!, PostgresJSONB(#"["Lisbon", "Porto"]"#)]
            ).decode(row: 0, column: 0)
            let departure = Date(timeIntervalSince1970: 1_775_000_000)
            try connection.query(
                "INSERT INTO flights (trip_id, airline, flight_number, departure_airport, arrival_airport, departure_time, arrival_time, price) VALUES ($1, 'TAP', 'TP1351', 'LHR', 'LIS', $2, $3, $4)",
                [trip, departure, departure.addingTimeInterval(9_900), Decimal(string: "189.99")!]
            )
            try connection.query(
                "INSERT INTO accommodations (trip_id, name, type, coordinates, check_in_date, check_out_date, price_per_night, amenities) VALUES ($1, 'Casa do Rio', 'hotel', $2, $3, $4, $5, $6)",
                [trip, PostgresPoint(x: 38.7071, y: -9.1355), PostgresDate(year: 2026, month: 4, day: 2),
                 PostgresDate(year: 2026, month: 4, day: 9), Decimal(120), PostgresJSONB(#"["wifi"]"#)]
            )
            let embedding = PostgresVector((0..<1536).map { sin(Float($0)) })
            try connection.query(
                "INSERT INTO memory_embeddings (user_id, content_type, content_text, embedding, metadata) VALUES ($1, 'trip_creation', $2, $3, $4)",
                [userID, "Lisbon in spring: trams, pastéis de nata, fado", embedding, PostgresJSONB(#"{"trip_id": "\#(trip.uuidString.lowercased())", "category": "city"}"#)]
            )
            let session: UUID = try connection.query(
                "INSERT INTO chat_sessions (user_id, title) VALUES ($1, 'Planning Lisbon') RETURNING id", [userID]
            ).decode(row: 0, column: 0)
            try connection.query("INSERT INTO chat_messages (session_id, role, content) VALUES ($1, 'user', 'Find me a hotel')", [session])

            let row = try connection.query("""
                SELECT t.budget_total, t.start_date, f.departure_time, f.price, a.coordinates, m.embedding,
                       m.metadata->>'category', c.message_count, cm.role
                FROM trips t JOIN flights f ON f.trip_id = t.id JOIN accommodations a ON a.trip_id = t.id
                JOIN memory_embeddings m ON m.metadata->>'trip_id' = t.id::text
                JOIN chat_sessions c ON c.user_id = t.user_id JOIN chat_messages cm ON cm.session_id = c.id
                """).rows[0]
            #expect(try row.decode(0) == Decimal(string: "2450.50")!)
            #expect(try row.decode(1) == PostgresDate(year: 2026, month: 4, day: 2))
            #expect(try row.decode(2) == departure)
            #expect(try row.decode(3) == "189.99")
            #expect(try row.decode(4) == PostgresPoint(x: 38.7071, y: -9.1355))
            #expect(try row.decode(5) == embedding)
            #expect(try row.decode(6) == "city")
            #expect(try row.decode(7) == 0)
            #expect(try row.decode(8) == "user")

            // Deleting the user cascades to everything it owns.
            try connection.query("DELETE FROM users WHERE id = $1", [userID])
            for table in ["trips", "flights", "accommodations", "memory_embeddings", "chat_sessions", "chat_messages"] {
                #expect(try connection.query("SELECT count(*) FROM \(table)").decode(Int.self, row: 0, column: 0) == 0)
            }
        }
    }

    @Test func rowLevelSecurityHidesOtherUsersRows() async throws {
        try await TestServer.withDatabase { (connection) throws in
            var users: [UUID] = []
            for name in ["ada", "bob"] {
                let id: UUID = try connection.query(
                    "INSERT INTO users (email) VALUES ($1) RETURNING id", ["\(name)@example.com"]
                ).decode(row: 0, column: 0)
                let trip: UUID = try connection.query(
                    "INSERT INTO trips (user_id, title) VALUES ($1, $2) RETURNING id", [id, "\(name)'s trip"]
                ).decode(row: 0, column: 0)
                try connection.query("INSERT INTO flights (trip_id, airline) VALUES ($1, 'TAP')", [trip])
                try connection.query(
                    "INSERT INTO memory_embeddings (user_id, content_type, content_text) VALUES ($1, 'preference', $2)",
                    [id, "\(name) likes trains"]
                )
                let session: UUID = try connection.query(
                    "INSERT INTO chat_sessions (user_id) VALUES ($1) RETURNING id", [id]
                ).decode(row: 0, column: 0)
                try connection.query("INSERT INTO chat_messages (session_id, role, content) VALUES ($1, 'user', 'hi')", [session])
                users.append(id)
            }
            // Act as Ada, the way Supabase does: the authenticated role and the JWT's subject.
            try connection.execute(script: "SET ROLE authenticated")
            try connection.query("SELECT set_config('request.jwt.claim.sub', $1, false)", [users[0].uuidString])
            func count(_ table: String) throws -> Int {
                try connection.query("SELECT count(*) FROM \(table)").decode(Int.self, row: 0, column: 0)
            }
            for table in ["users", "trips", "flights", "memory_embeddings", "chat_sessions", "chat_messages"] {
                #expect(try count(table) == 1, "\(table) should show only Ada's row")
            }
            #expect(try connection.query("SELECT email FROM users").decode(String.self, row: 0, column: 0) == "ada@example.com")
            #expect(try connection.query("SELECT auth.uid()").decode(UUID.self, row: 0, column: 0) == users[0])
            // Writing a row for Bob is refused.
            #expect { try connection.query("INSERT INTO trips (user_id, title) VALUES ($1, 'sneaky')", [users[1]]) } throws: { error in
                (error as? PostgresError)?.sqlState == "42501"
            }
            // Without a user id, nothing is visible.
            try connection.query("SELECT set_config('request.jwt.claim.sub', '', false)")
            #expect(try count("trips") == 0)
            try connection.execute(script: "RESET ROLE")
            #expect(try count("trips") == 2)
        }
    }
}
