import Foundation
import Postgres
import Results

/// Checks a row-level security run's policies from outside the load: for every operation, a sample of requests
/// sent as acting users, half of them naming another user's data (that user's id, trip dates, chat session or
/// vectors), and the owner of every row they return looked up by a connection the policies do not apply to.
///
/// The load itself checks every vector request's memory rows against the acting user; an operation that filters
/// by user itself (trip_details, chat_history, preference_lookup) can never show a leak that way, since it only
/// asks for the acting user's rows. Asking for someone else's is what shows it. Writes (create_trip) are sent
/// inside a transaction that is rolled back: writing another user's rows must be refused.
///
/// Every uuid column of a result counts: a row is foreign when a value in it is the id of a row (in
/// memory_embeddings, trips, users, chat_sessions, chat_messages, flights or accommodations) owned by another
/// user (chat messages through their session, flights and accommodations through their trip).
struct RowLevelSecurityAudit {
    let scenario: Scenario
    let sql: [OperationSQL]
    let stream: RequestStream
    let runTag: String
    /// Requests checked per operation: this many as the run draws them, and as many naming another user.
    static let requestsPerOperation = 25

    /// Per operation: the requests sent and the foreign rows they returned (or wrote). When the audit cannot
    /// run (the server is gone), every operation's check says why instead.
    func run(database: PostgresConnectionString, actingUsers: [Int]) -> [RowLevelSecurityCheck] {
        do {
            return try self.audit(database: database, actingUsers: actingUsers)
        } catch {
            return self.sql.map { _ in RowLevelSecurityCheck(failure: "the audit could not run: \(error)") }
        }
    }

    private func audit(database: PostgresConnectionString, actingUsers: [Int]) throws -> [RowLevelSecurityCheck] {
        let catalog = self.stream.catalog
        // The owners are read by a connection of the run's role, which the policies do not restrict (the
        // table owner or a superuser, as tripbench's own load requires).
        let admin = try PostgresConnection(database)
        let unrestricted = try admin.query("""
            SELECT r.rolsuper OR r.rolbypassrls OR coalesce(bool_and(c.relowner = r.oid AND NOT c.relforcerowsecurity), false)
            FROM pg_roles r LEFT JOIN pg_class c ON c.relkind = 'r' AND c.relnamespace = 'public'::regnamespace AND c.relname = ANY($1::text[])
            WHERE r.rolname = current_user GROUP BY r.rolsuper, r.rolbypassrls
            """, ["{" + Self.ownedTables.joined(separator: ",") + "}"]).decode(Bool.self, row: 0, column: 0)
        guard unrestricted else {
            throw WorkloadError(.badInput, "the run's role is itself subject to the row-level security policies, so the owners of returned rows cannot be read; audit as the tables' owner, a superuser or a BYPASSRLS role")
        }
        let session = try PostgresConnection(database)
        let timeoutMillis = max(1, self.scenario.timeout.nanoseconds / 1_000_000)
        try session.query("SELECT set_config('statement_timeout', $1, false)", ["\(timeoutMillis)ms"])
        for setting in self.scenario.settings { try session.query("SELECT set_config($1, $2, false)", [setting.name, setting.value]) }
        try session.execute(script: "SET ROLE authenticated")
        var checks: [RowLevelSecurityCheck] = []
        for (operation, sql) in self.sql.enumerated() {
            var check = RowLevelSecurityCheck()
            for sample in 0..<Self.requestsPerOperation * 2 {
                let acting = actingUsers[sample % actingUsers.count]
                let crossing = sample % 2 == 1 && catalog.userCount > 1
                // Another user than the acting one, a different one each time.
                let named = crossing ? (acting + 1 + (sample / 2) % (catalog.userCount - 1)) % catalog.userCount : acting
                let draw = self.draw(operation: operation, sample: sample, asUser: named)
                try session.query("SELECT set_config('request.jwt.claim.sub', $1, false)", [catalog.userID(acting).uuidString.lowercased()])
                check.requests += 1
                if crossing { check.crossUserRequests += 1 }
                do {
                    check.foreignRows += try self.send(sql, draw: draw, as: acting, session: session, admin: admin, check: &check)
                } catch let error as PostgresError where session.isHealthy {
                    check.errors[ErrorKind.of(error), default: 0] += 1
                }
            }
            checks.append(check)
        }
        return checks
    }

    /// A request of `operation` drawn as `user`: the first of the stream's requests past the run's that picks
    /// that operation, so the audit's parameters come from the same generator as the run's.
    private func draw(operation: Int, sample: Int, asUser user: Int) -> RequestDraw {
        var index = 1 << 40 + sample * 1_000_003
        while self.stream.operation(of: index) != operation { index += 1 }
        return self.stream.draw(index, asUser: user)
    }

    /// Sends one request's statements as `acting` and returns how many of the rows it returned or wrote
    /// belong to someone else. A transaction is always rolled back.
    private func send(
        _ sql: OperationSQL, draw: RequestDraw, as acting: Int, session: PostgresConnection, admin: PostgresConnection,
        check: inout RowLevelSecurityCheck
    ) throws -> Int {
        let catalog = self.stream.catalog
        var previous: UUID?
        var ids: [[UUID]] = []
        var wrote = 0
        defer { if sql.isTransaction { _ = try? session.execute(script: "ROLLBACK") } }
        for (step, statement) in sql.statements.enumerated() {
            let parameters = OperationSQL.bind(draw, kind: sql.kind, statement: step, previous: previous, stream: self.stream, runTag: self.runTag)
            let result: PostgresResult
            do {
                result = try session.query(statement, parameters)
            } catch let error as PostgresError where error.sqlState == "42501" {
                // Refused by a policy: the request named rows the acting user may not touch.
                return 0
            }
            if result.rowCount > 0, result.columnCount > 0, result.columnType(0) == .uuid {
                previous = try? result.decode(UUID.self, row: 0, column: 0)
            }
            let uuidColumns = (0..<result.columnCount).filter { result.columnType($0) == .uuid }
            for row in 0..<result.rowCount {
                ids.append(uuidColumns.compactMap { try? result.decode(UUID.self, row: row, column: $0) })
            }
            if sql.isTransaction, result.affectedRows > 0, result.commandTag.hasPrefix("INSERT") { wrote += 1 }
        }
        check.rows += ids.count
        let owners = try Self.owners(of: Set(ids.joined()), admin: admin)
        let me = catalog.userID(acting)
        let foreignRead = ids.filter { row in row.contains { owners[$0].map { $0 != me } ?? false } }.count
        // A write another user owns: the transaction named that user and no policy refused it.
        let foreignWrite = sql.isTransaction && draw.user >= 0 && draw.user != acting ? wrote : 0
        return foreignRead + foreignWrite
    }

    /// The tables whose rows have an owner, directly or through a parent row.
    static let ownedTables = ["memory_embeddings", "trips", "users", "chat_sessions", "chat_messages", "flights", "accommodations"]

    /// The owning user of each id found in a table that has an owner, read past the policies.
    static func owners(of ids: Set<UUID>, admin: PostgresConnection) throws -> [UUID: UUID] {
        guard !ids.isEmpty else { return [:] }
        let list = "{" + ids.map { $0.uuidString.lowercased() }.joined(separator: ",") + "}"
        let result = try admin.query("""
            WITH ids AS (SELECT unnest($1::uuid[]) AS id)
            SELECT m.id, m.user_id FROM memory_embeddings m JOIN ids USING (id)
            UNION ALL SELECT t.id, t.user_id FROM trips t JOIN ids USING (id)
            UNION ALL SELECT u.id, u.id FROM users u JOIN ids USING (id)
            UNION ALL SELECT s.id, s.user_id FROM chat_sessions s JOIN ids USING (id)
            UNION ALL SELECT c.id, s.user_id FROM chat_messages c JOIN ids USING (id) JOIN chat_sessions s ON s.id = c.session_id
            UNION ALL SELECT f.id, t.user_id FROM flights f JOIN ids USING (id) JOIN trips t ON t.id = f.trip_id
            UNION ALL SELECT a.id, t.user_id FROM accommodations a JOIN ids USING (id) JOIN trips t ON t.id = a.trip_id
            """, [list])
        var owners: [UUID: UUID] = [:]
        for row in 0..<result.rowCount {
            owners[try result.decode(UUID.self, row: row, column: 0)] = try result.decode(UUID.self, row: row, column: 1)
        }
        return owners
    }
}
