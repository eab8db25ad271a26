/// Where a custom operation's `$n` parameter comes from. Every draw uses the request's own random stream,
/// so the same seed binds the same values on every target and every run.
public enum ParameterGenerator: Sendable, Equatable {
    /// An integer uniform in `min...max`.
    case uniform(min: Int, max: Int)
    /// An integer in `min...max` following Zipf's law with `exponent`: `min` the most frequent.
    case zipf(min: Int, max: Int, exponent: Double)
    /// A dataset user's id (uuid), busy users more often (as their activity).
    case user
    /// A dataset trip's id (uuid), uniform over trips.
    case trip
    /// A dataset chat session's id (uuid), uniform over sessions.
    case session
    /// One of the dataset's query vectors (a pgvector `vector`).
    case queryVector
    /// `count` words from the travel vocabulary, joined by spaces (for full-text search).
    case words(count: Int)
    /// A date uniform in `from...to` (ISO `yyyy-mm-dd`).
    case date(from: String, to: String)
    /// The same text every time; the server reads it as the parameter's type.
    case constant(String)

    /// The `type` names of the scenario file.
    static let typeNames = ["uniform", "zipf", "user", "trip", "session", "query_vector", "words", "date", "constant"]
}
