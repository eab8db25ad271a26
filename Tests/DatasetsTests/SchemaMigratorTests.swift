import Datasets
import Postgres
import TestSupport
import Testing

@Suite struct SchemaMigratorTests {
    @Test func migrateCreatesTheDocumentsSchema() async throws {
        try await TestServer.withDatabase(migrated: false) { (connection) throws in
            let first = try SchemaMigrator().migrate(connection)
            #expect(first.applied == TripSageSchema.migrations.map(\.version))

            let summary = try SchemaSummary.read(connection)
            #expect(Set(summary.tables.map(\.name)) == Set(TripSageSchema.tables + ["schema_migrations"]))
            #expect(summary.tables.filter(\.rowLevelSecurity).map(\.name).sorted() == TripSageSchema.tables.sorted())
            #expect(summary.embeddingType == "vector(1536)")
            #expect(Set(TripSageSchema.indexNames).isSubset(of: Set(summary.indexes.map(\.name))))
            #expect(summary.indexes.first { $0.name == "idx_memory_content_gin" }?.method == "gin")

            let preferences = try connection.query("""
                SELECT data_type, column_default FROM information_schema.columns
                WHERE table_name = 'users' AND column_name = 'travel_preferences'
                """).rows[0]
            #expect(try preferences.decode(0) == "jsonb")
            #expect(try preferences.decode(1) == "'{}'::jsonb")

            let cascades = try connection.query("""
                SELECT count(*) FROM information_schema.referential_constraints WHERE delete_rule = 'CASCADE'
                """).decode(Int.self, row: 0, column: 0)
            #expect(cascades == 6)

            // Second run: nothing applied, nothing changed.
            let before = try connection.query("SELECT count(*) FROM pg_class").decode(Int.self, row: 0, column: 0)
            let second = try SchemaMigrator().migrate(connection)
            #expect(second.applied.isEmpty && second.alreadyApplied.count == TripSageSchema.migrations.count)
            #expect(try connection.query("SELECT count(*) FROM pg_class").decode(Int.self, row: 0, column: 0) == before)
        }
    }

    @Test(arguments: [384, 768])
    func embeddingDimensionIsConfigurable(dimension: Int) async throws {
        try await TestServer.withDatabase(migrated: false) { (connection) throws in
            _ = try SchemaMigrator(dimension: dimension).migrate(connection)
            #expect(try SchemaSummary.read(connection).embeddingType == "vector(\(dimension))")
        }
    }

    @Test func refusesAnotherDimensionOnAnExistingTable() async throws {
        try await TestServer.withDatabase { (connection) throws in
            #expect { try SchemaMigrator(dimension: 768).migrate(connection) } throws: { error in
                (error as? DatasetError)?.kind == .badInput && "\(error)".contains("vector(1536)")
            }
        }
    }

    @Test func refusesASchemaNewerThanItKnows() async throws {
        try await TestServer.withDatabase { (connection) throws in
            try connection.query("INSERT INTO schema_migrations (version, description) VALUES ('9001', 'from the future')")
            #expect { try SchemaMigrator().migrate(connection) } throws: { error in
                (error as? DatasetError)?.kind == .badInput && "\(error)".contains("9001")
            }
            let states = try SchemaMigrator().status(connection)
            #expect(states.last?.version == "9001")
            #expect(states.allSatisfy { $0.appliedAt != nil })
        }
    }

    @Test func statusShowsPendingMigrations() async throws {
        try await TestServer.withDatabase(migrated: false) { (connection) throws in
            let states = try SchemaMigrator().status(connection)
            #expect(states.count == TripSageSchema.migrations.count)
            #expect(states.allSatisfy { $0.appliedAt == nil })
        }
    }

    @Test func hnswIndexIsBuiltWithTheAskedParameters() async throws {
        try await TestServer.withDatabase { (connection) throws in
            let index = PostgresHNSWIndex(m: 8, efConstruction: 32)
            #expect(try index.build(connection) != nil)
            #expect(try PostgresHNSWIndex.current(connection) == index)
            #expect(try index.build(connection) == nil)  // already there
            let wider = PostgresHNSWIndex(m: 16, efConstruction: 64)
            #expect(try wider.build(connection) != nil)
            #expect(try PostgresHNSWIndex.current(connection) == wider)
            #expect(throws: DatasetError.self) { try PostgresHNSWIndex(m: 1).validate() }
            #expect(throws: DatasetError.self) { try PostgresHNSWIndex(m: 16, efConstruction: 20).validate() }
        }
    }
}
