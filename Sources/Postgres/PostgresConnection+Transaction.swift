extension PostgresConnection {
    /// Runs `body` inside `BEGIN … COMMIT`; rolls back and rethrows if `body` throws.
    ///
    /// - Parameter isolation: `BEGIN ISOLATION LEVEL …` text such as `"SERIALIZABLE"`, or nil for the default.
    @discardableResult
    public func transaction<T>(isolation: String? = nil, _ body: () throws -> T) throws -> T {
        try self.execute(script: isolation.map { "BEGIN ISOLATION LEVEL \($0)" } ?? "BEGIN")
        let value: T
        do {
            value = try body()
        } catch {
            try? self.execute(script: "ROLLBACK")
            throw error
        }
        // A transaction in which a statement failed (and the error was swallowed) ends in ROLLBACK, not COMMIT.
        let commit = try self.query("COMMIT")
        guard commit.commandTag == "COMMIT" else {
            throw PostgresError(.server, "the transaction was rolled back because a statement in it failed")
        }
        return value
    }
}
