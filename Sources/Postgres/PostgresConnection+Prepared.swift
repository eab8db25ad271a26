import CLibPQ

/// A named prepared statement on one connection, with the parameter types the server inferred.
///
/// A class: it stands for one object on the server, and a load driver passes it on every request, where a
/// struct of two strings and an array was copied field by field.
public final class PostgresPreparedStatement: Sendable {
    public let name: String
    public let sql: String
    /// The type of each `$n` as the server resolved it; parameters are encoded to match.
    public let parameterTypes: [PostgresDataType]
    /// The type of each column of its rows (empty for a command that returns none).
    public let resultTypes: [PostgresDataType]
    /// The name in UTF-8 and NUL-terminated, as a Bind message carries it.
    let nameBytes: [UInt8]
    /// Parsed again with every execution as the unnamed statement (``PostgresConnection/describe(_:)``):
    /// nothing is kept on the server between transactions, so a transaction-mode pooler may hand each one to
    /// another server connection.
    public let parsesEachTime: Bool
    /// The statement's text NUL-terminated, as a Parse message carries it (empty unless parsed each time).
    let sqlBytes: [UInt8]

    init(name: String, sql: String, parameterTypes: [PostgresDataType], resultTypes: [PostgresDataType], parsesEachTime: Bool = false) {
        self.name = name
        self.sql = sql
        self.parameterTypes = parameterTypes
        self.resultTypes = resultTypes
        self.nameBytes = Array(name.utf8) + [0]
        self.parsesEachTime = parsesEachTime
        self.sqlBytes = parsesEachTime ? Array(sql.utf8) + [0] : []
    }
}

extension PostgresConnection {
    /// Prepares `sql` once under `name` (a fresh name if nil) and asks the server for its parameter types.
    /// - Parameter parameterTypes: types to fix for `$1…`, or empty to let the server infer them all.
    public func prepare(
        _ sql: String, name: String? = nil, parameterTypes: [PostgresDataType] = []
    ) throws -> PostgresPreparedStatement {
        let name = name ?? self.nextStatementName()
        let oids = parameterTypes.map(\.oid)
        _ = try self.check(PQprepare(self.handle, name, sql, Int32(oids.count), oids.isEmpty ? nil : oids), for: sql)
        let description = try self.check(PQdescribePrepared(self.handle, name), for: sql)
        let inferred = (0..<Int(PQnparams(description.handle))).map {
            PostgresDataType(oid: PQparamtype(description.handle, Int32($0)))
        }
        let columns = (0..<Int(PQnfields(description.handle))).map {
            PostgresDataType(oid: PQftype(description.handle, Int32($0)))
        }
        return PostgresPreparedStatement(name: name, sql: sql, parameterTypes: inferred, resultTypes: columns)
    }

    /// Learns `sql`'s parameter and result types without leaving a statement on the server, for sending it
    /// unnamed (Parse with every execution), as applications behind a transaction-mode pooler do: prepared
    /// under a temporary name and deallocated in one transaction, which such a pooler keeps on one server
    /// connection.
    public func describe(_ sql: String) throws -> PostgresPreparedStatement {
        let named = try self.transaction {
            let statement = try self.prepare(sql)
            try self.deallocate(statement)
            return statement
        }
        return PostgresPreparedStatement(
            name: "", sql: sql, parameterTypes: named.parameterTypes, resultTypes: named.resultTypes, parsesEachTime: true)
    }

    /// Executes a prepared statement with `parameters`, encoded for the types the server expects.
    @discardableResult
    public func execute(
        _ statement: PostgresPreparedStatement, _ parameters: [(any PostgresEncodable)?] = []
    ) throws -> PostgresResult {
        let encoded = try EncodedParameters(parameters, serverTypes: statement.parameterTypes)
        let result = encoded.withArguments { count, _, values, lengths, formats in
            PQexecPrepared(self.handle, statement.name, count, values, lengths, formats, PostgresFormat.binary.rawValue)
        }
        return try self.check(result, for: statement.sql)
    }

    /// Frees a prepared statement on the server.
    public func deallocate(_ statement: PostgresPreparedStatement) throws {
        try self.execute(script: "DEALLOCATE \(Self.quoteIdentifier(statement.name))")
    }
}
