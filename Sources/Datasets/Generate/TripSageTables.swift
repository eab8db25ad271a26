/// The columns tripbench fills in each TripSage table, in COPY order (defaults fill the rest).
public enum TripSageTables {
    public static let columns: [(table: String, columns: [String])] = [
        ("users", ["id", "email", "auth_provider", "profile", "preferences", "travel_preferences", "created_at", "updated_at"]),
        ("trips", ["id", "user_id", "title", "description", "start_date", "end_date", "budget_total", "status", "destinations", "metadata", "created_at", "updated_at"]),
        ("flights", ["id", "trip_id", "airline", "flight_number", "departure_airport", "arrival_airport", "departure_time", "arrival_time", "price", "currency", "booking_reference", "status", "raw_data", "created_at"]),
        ("accommodations", ["id", "trip_id", "name", "type", "address", "coordinates", "check_in_date", "check_out_date", "price_per_night", "total_price", "currency", "booking_reference", "amenities", "ratings", "status", "raw_data", "created_at"]),
        ("chat_sessions", ["id", "user_id", "title", "agent_used", "message_count", "session_state", "last_activity", "created_at"]),
        ("chat_messages", ["id", "session_id", "role", "content", "metadata", "tool_calls", "created_at"]),
        ("memory_embeddings", ["id", "user_id", "content_type", "content_text", "embedding", "metadata", "session_id", "created_at"]),
    ]

    /// The columns of `table`.
    public static func columns(of table: String) -> [String] { self.columns.first { $0.table == table }!.columns }

    /// The COPY file of `table` in a dataset directory.
    public static func fileName(_ table: String) -> String { "tables/\(table).pgcopy" }
}
