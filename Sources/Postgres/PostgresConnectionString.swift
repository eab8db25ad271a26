import CLibPQ
import Foundation

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
            // libpq quotes the part it refused, which may be (part of) the password: mask what the string
            // writes as a password wherever it shows, and any quoted token that shares a piece of it.
            let secrets = Self.writtenPasswords(in: raw)
            throw PostgresError(
                .invalidConnectionString,
                "invalid connection string \(Self.mask(raw, secrets: secrets)): \(Self.mask(reason, secrets: secrets))"
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

    /// The passwords `raw` writes, as written (percent-encoded, quoted), found without parsing it, so they can
    /// be masked in messages about a string libpq refused to parse.
    static func writtenPasswords(in raw: String) -> [String] {
        var found: [String] = []
        if let match = raw.firstMatch(of: /^[A-Za-z]+:\/\/[^\/?#@]*?:([^@]*)@/) { found.append(String(match.output.1)) }
        for match in raw.matches(of: /[?&]password=([^&#]*)/) { found.append(String(match.output.1)) }
        for match in raw.matches(of: /\bpassword\s*=\s*('(?:[^'\\]|\\.)*'?|\S+)/) {
            let value = String(match.output.1)
            found += [value, value.trimmingCharacters(in: CharacterSet(charactersIn: "'"))]
        }
        let decoded = found.compactMap { $0.removingPercentEncoding }
        return Array(Set(found + decoded)).filter { !$0.isEmpty }.sorted { $0.count > $1.count }
    }

    /// `text` with every secret replaced by `***`, every quoted token sharing four characters in a row with one
    /// masked whole, then the usual masking of URL and key/value passwords.
    static func mask(_ text: String, secrets: [String]) -> String {
        var masked = text
        for secret in secrets { masked = masked.replacing(secret, with: "***") }
        masked.replace(/"([^"]*)"/) { match in
            let token = String(match.output.1)
            let shares = secrets.contains { secret in
                let characters = Array(secret)
                guard characters.count >= 4 else { return token.contains(secret) }
                return (0...(characters.count - 4)).contains { token.contains(String(characters[$0..<($0 + 4)])) }
            }
            return shares ? "\"***\"" : match.output.0[...]
        }
        return Self.mask(masked, password: nil)
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
