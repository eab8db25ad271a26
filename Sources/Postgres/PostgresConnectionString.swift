import CLibPQ

/// A libpq connection string, either a URL (`postgresql://user:secret@host:5432/db?sslmode=require`) or
/// key/value pairs (`host=/tmp dbname=db password=secret`), validated by libpq's own parser.
///
/// Everything that shows a connection string to a person goes through ``masked`` or ``redact(_:)``, so a
/// password never reaches output, logs or reports.
public struct PostgresConnectionString: Sendable, CustomStringConvertible {
    /// The string exactly as given; pass it to libpq, never print it.
    public let raw: String
    /// The options libpq parsed out of it (only those that were set).
    public let options: [String: String]

    /// Parses and validates `raw` with libpq.
    /// - Throws: ``PostgresError/Code-swift.struct/invalidConnectionString`` with libpq's reason, password masked.
    public init(_ raw: String) throws {
        self.raw = raw
        var errorMessage: UnsafeMutablePointer<CChar>?
        guard let parsed = PQconninfoParse(raw, &errorMessage) else {
            let reason = errorMessage.map { String(cString: $0) } ?? "out of memory"
            PQfreemem(errorMessage)
            let masked = Self.mask(raw, password: nil)
            throw PostgresError(
                .invalidConnectionString,
                "invalid connection string \(masked): \(Self.mask(reason, password: nil))"
            )
        }
        defer { PQconninfoFree(parsed) }
        var options: [String: String] = [:]
        var option = parsed
        while let keyword = option.pointee.keyword {
            if let value = option.pointee.val { options[String(cString: keyword)] = String(cString: value) }
            option += 1
        }
        self.options = options
    }

    /// The password given in the string, if any.
    public var password: String? { self.options["password"] }

    /// The string with its password replaced by `***`.
    public var masked: String { Self.mask(self.raw, password: self.password) }

    public var description: String { self.masked }

    /// `text` with this connection's password (as given and as percent-encoded in a URL) replaced by `***`.
    public func redact(_ text: String) -> String { Self.mask(text, password: self.password) }

    /// A short human name for the server: `user@host:port/dbname`, no password.
    public var summary: String {
        let user = self.options["user"].map { "\($0)@" } ?? ""
        let host = self.options["host"] ?? self.options["hostaddr"] ?? "localhost"
        let port = self.options["port"].map { ":\($0)" } ?? ""
        let database = self.options["dbname"].map { "/\($0)" } ?? ""
        return "\(user)\(host)\(port)\(database)"
    }

    /// Masks a URL's userinfo password and `password=` options (URL query or key/value form), then any
    /// remaining literal occurrence of `password`.
    static func mask(_ text: String, password: String?) -> String {
        var masked = text
        masked.replace(/(postgres(?:ql)?:\/\/[^:\/@\s]*:)[^@\s]*@/) { match in "\(match.output.1)***@" }
        masked.replace(/([?&]password=)[^&\s]*/) { match in "\(match.output.1)***" }
        masked.replace(/(\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s&]+)/) { match in "\(match.output.1)***" }
        if let password, !password.isEmpty {
            masked = masked.replacing(password, with: "***")
        }
        return masked
    }
}
