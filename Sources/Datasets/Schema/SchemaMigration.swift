/// One versioned step of the schema, applied in a transaction and recorded in `schema_migrations`.
public struct SchemaMigration: Sendable {
    /// Sorts as text: four digits, `0001` first.
    public let version: String
    public let description: String
    /// The SQL, which may depend on what the server offers.
    let sql: @Sendable (SchemaContext) -> String
}

/// What the migrations' SQL depends on.
public struct SchemaContext: Sendable {
    /// Dimension of `memory_embeddings.embedding` (1536 for OpenAI's embeddings).
    public var dimension: Int
    /// Extensions the server can install (`pg_available_extensions`).
    public var availableExtensions: Set<String>

    public init(dimension: Int, availableExtensions: Set<String>) {
        self.dimension = dimension
        self.availableExtensions = availableExtensions
    }

    /// `uuid_generate_v4()` as in the architecture document when uuid-ossp is there, else the built-in
    /// `gen_random_uuid()` (PostgreSQL 13+), which gives the same kind of random UUID.
    var uuidDefault: String {
        self.availableExtensions.contains("uuid-ossp") ? "uuid_generate_v4()" : "gen_random_uuid()"
    }
}
