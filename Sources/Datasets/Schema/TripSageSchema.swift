/// The TripSage schema, copied from the architecture document (tables, types, defaults, cascading foreign
/// keys, the `travel_preferences` migration and its indexes), plus what the document's queries need to run
/// as it describes: a b-tree on `memory_embeddings (user_id, content_type)` for its filtered vector search,
/// indexes for chat history, and row-level security with Supabase's `auth.uid()`.
///
/// The HNSW index is not here: it is built after loading, with the parameters a run asks for.
public enum TripSageSchema {
    /// The tables of the document, in creation order.
    public static let tables = [
        "users", "trips", "flights", "accommodations", "memory_embeddings", "chat_sessions", "chat_messages",
    ]

    /// Extensions the schema cannot do without.
    static let requiredExtensions = ["vector", "pg_trgm"]
    /// Extensions created when the server has them.
    static let optionalExtensions = ["pg_stat_statements", "uuid-ossp"]

    public static let migrations: [SchemaMigration] = [
        SchemaMigration(version: "0001", description: "extensions: vector, pg_trgm, pg_stat_statements, uuid-ossp where available") { context in
            (requiredExtensions + optionalExtensions.filter(context.availableExtensions.contains))
                .map { "CREATE EXTENSION IF NOT EXISTS \"\($0)\";" }
                .joined(separator: "\n")
        },
        SchemaMigration(version: "0002", description: "core tables of the architecture document") { context in
            coreTables(uuid: context.uuidDefault, dimension: context.dimension)
        },
        SchemaMigration(version: "0003", description: "users.travel_preferences (the document's example migration)") { _ in
            "ALTER TABLE users ADD COLUMN travel_preferences JSONB DEFAULT '{}';"
        },
        SchemaMigration(version: "0004", description: "indexes for common query patterns and hybrid search") { _ in
            indexes
        },
        SchemaMigration(version: "0005", description: "row-level security: auth.uid(), role authenticated, per-user policies") { _ in
            rowLevelSecurity
        },
        SchemaMigration(version: "0006", description: "pg_buffercache where available: how much of the HNSW index is in shared_buffers") { context in
            context.availableExtensions.contains("pg_buffercache") ? "CREATE EXTENSION IF NOT EXISTS pg_buffercache;" : "SELECT 1;"
        },
    ]

    static func coreTables(uuid: String, dimension: Int) -> String {
        """
        CREATE TABLE users (
            id UUID PRIMARY KEY DEFAULT \(uuid),
            email VARCHAR(255) UNIQUE NOT NULL,
            auth_provider VARCHAR(50) DEFAULT 'supabase',
            profile JSONB,
            preferences JSONB,
            created_at TIMESTAMP WITH TIME ZONE DEFAULT NOW(),
            updated_at TIMESTAMP WITH TIME ZONE DEFAULT NOW()
        );
        CREATE TABLE trips (
            id UUID PRIMARY KEY DEFAULT \(uuid),
            user_id UUID REFERENCES users(id) ON DELETE CASCADE,
            title VARCHAR(255) NOT NULL,
            description TEXT,
            start_date DATE,
            end_date DATE,
            budget_total DECIMAL(10,2),
            status VARCHAR(50) DEFAULT 'planning',
            destinations JSONB,
            metadata JSONB,
            created_at TIMESTAMP WITH TIME ZONE DEFAULT NOW(),
            updated_at TIMESTAMP WITH TIME ZONE DEFAULT NOW()
        );
        CREATE TABLE flights (
            id UUID PRIMARY KEY DEFAULT \(uuid),
            trip_id UUID REFERENCES trips(id) ON DELETE CASCADE,
            airline VARCHAR(100),
            flight_number VARCHAR(20),
            departure_airport VARCHAR(10),
            arrival_airport VARCHAR(10),
            departure_time TIMESTAMP WITH TIME ZONE,
            arrival_time TIMESTAMP WITH TIME ZONE,
            price DECIMAL(10,2),
            currency VARCHAR(3) DEFAULT 'USD',
            booking_reference VARCHAR(100),
            status VARCHAR(50) DEFAULT 'searched',
            raw_data JSONB,
            created_at TIMESTAMP WITH TIME ZONE DEFAULT NOW()
        );
        CREATE TABLE accommodations (
            id UUID PRIMARY KEY DEFAULT \(uuid),
            trip_id UUID REFERENCES trips(id) ON DELETE CASCADE,
            name VARCHAR(255) NOT NULL,
            type VARCHAR(50),
            address TEXT,
            coordinates POINT,
            check_in_date DATE,
            check_out_date DATE,
            price_per_night DECIMAL(10,2),
            total_price DECIMAL(10,2),
            currency VARCHAR(3) DEFAULT 'USD',
            booking_reference VARCHAR(100),
            amenities JSONB,
            ratings JSONB,
            status VARCHAR(50) DEFAULT 'searched',
            raw_data JSONB,
            created_at TIMESTAMP WITH TIME ZONE DEFAULT NOW()
        );
        CREATE TABLE memory_embeddings (
            id UUID PRIMARY KEY DEFAULT \(uuid),
            user_id UUID REFERENCES users(id) ON DELETE CASCADE,
            content_type VARCHAR(50),
            content_text TEXT NOT NULL,
            embedding vector(\(dimension)),
            metadata JSONB,
            session_id UUID,
            created_at TIMESTAMP WITH TIME ZONE DEFAULT NOW()
        );
        CREATE TABLE chat_sessions (
            id UUID PRIMARY KEY DEFAULT \(uuid),
            user_id UUID REFERENCES users(id) ON DELETE CASCADE,
            title VARCHAR(255),
            agent_used VARCHAR(100),
            message_count INTEGER DEFAULT 0,
            session_state JSONB,
            last_activity TIMESTAMP WITH TIME ZONE DEFAULT NOW(),
            created_at TIMESTAMP WITH TIME ZONE DEFAULT NOW()
        );
        CREATE TABLE chat_messages (
            id UUID PRIMARY KEY DEFAULT \(uuid),
            session_id UUID REFERENCES chat_sessions(id) ON DELETE CASCADE,
            role VARCHAR(20) NOT NULL,
            content TEXT NOT NULL,
            metadata JSONB,
            tool_calls JSONB,
            created_at TIMESTAMP WITH TIME ZONE DEFAULT NOW()
        );
        COMMENT ON COLUMN accommodations.type IS 'hotel, airbnb, etc.';
        COMMENT ON COLUMN memory_embeddings.content_type IS 'conversation, preference, insight, trip_creation';
        COMMENT ON COLUMN chat_messages.role IS 'user, assistant, system';
        """
    }

    /// Index names are part of the contract: reports and tests look for them.
    public static let indexNames = [
        "idx_trips_user_date", "idx_flights_trip_departure", "idx_accommodations_trip_dates",
        "idx_memory_content_gin", "idx_memory_metadata_gin", "idx_memory_user_content_type",
        "idx_chat_sessions_user", "idx_chat_messages_session_created",
    ]

    static let indexes = """
        CREATE INDEX idx_trips_user_date ON trips(user_id, start_date);
        CREATE INDEX idx_flights_trip_departure ON flights(trip_id, departure_time);
        CREATE INDEX idx_accommodations_trip_dates ON accommodations(trip_id, check_in_date, check_out_date);
        CREATE INDEX idx_memory_content_gin ON memory_embeddings USING gin (to_tsvector('english', content_text));
        CREATE INDEX idx_memory_metadata_gin ON memory_embeddings USING gin (metadata);
        CREATE INDEX idx_memory_user_content_type ON memory_embeddings(user_id, content_type);
        CREATE INDEX idx_chat_sessions_user ON chat_sessions(user_id, last_activity);
        CREATE INDEX idx_chat_messages_session_created ON chat_messages(session_id, created_at);
        """

    /// Supabase's `auth.uid()`: the `sub` claim of the request's JWT, read from a session setting
    /// (`request.jwt.claim.sub`, or `sub` inside `request.jwt.claims`). A client acting as a user runs
    /// `SET ROLE authenticated` and sets the claim; table owners and superusers bypass the policies.
    static let rowLevelSecurity = """
        CREATE SCHEMA IF NOT EXISTS auth;
        CREATE OR REPLACE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE AS $$
            SELECT COALESCE(
                NULLIF(current_setting('request.jwt.claim.sub', true), ''),
                NULLIF(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub'
            )::uuid
        $$;
        DO $$
        BEGIN
            -- Roles belong to the cluster, not the database, and the migration lock is per database: two
            -- databases migrating at once would both find the role missing. Create it; another having
            -- done so first is fine.
            CREATE ROLE authenticated NOLOGIN;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL;
        END
        $$;
        GRANT USAGE ON SCHEMA public, auth TO authenticated;
        GRANT EXECUTE ON FUNCTION auth.uid() TO authenticated;
        GRANT SELECT, INSERT, UPDATE, DELETE
            ON users, trips, flights, accommodations, memory_embeddings, chat_sessions, chat_messages
            TO authenticated;
        ALTER TABLE users ENABLE ROW LEVEL SECURITY;
        ALTER TABLE trips ENABLE ROW LEVEL SECURITY;
        ALTER TABLE flights ENABLE ROW LEVEL SECURITY;
        ALTER TABLE accommodations ENABLE ROW LEVEL SECURITY;
        ALTER TABLE memory_embeddings ENABLE ROW LEVEL SECURITY;
        ALTER TABLE chat_sessions ENABLE ROW LEVEL SECURITY;
        ALTER TABLE chat_messages ENABLE ROW LEVEL SECURITY;
        CREATE POLICY "Users can only see their own data" ON users
            FOR ALL USING (auth.uid() = id);
        CREATE POLICY "Users can only see their own trips" ON trips
            FOR ALL USING (auth.uid() = user_id);
        CREATE POLICY "Users can only see their own flights" ON flights
            FOR ALL USING (EXISTS (SELECT 1 FROM trips t WHERE t.id = flights.trip_id AND t.user_id = auth.uid()));
        CREATE POLICY "Users can only see their own accommodations" ON accommodations
            FOR ALL USING (EXISTS (SELECT 1 FROM trips t WHERE t.id = accommodations.trip_id AND t.user_id = auth.uid()));
        CREATE POLICY "Users can only see their own memories" ON memory_embeddings
            FOR ALL USING (auth.uid() = user_id);
        CREATE POLICY "Users can only see their own chat sessions" ON chat_sessions
            FOR ALL USING (auth.uid() = user_id);
        CREATE POLICY "Users can only see their own chat messages" ON chat_messages
            FOR ALL USING (EXISTS (SELECT 1 FROM chat_sessions s WHERE s.id = chat_messages.session_id AND s.user_id = auth.uid()));
        """
}
