import CLibPQ

/// A PostgreSQL type, by its OID. Built-in types have fixed OIDs; extension types such as pgvector's
/// `vector` get theirs when the extension is created, so parameters of those types are sent with OID 0
/// and the server infers the type from the statement.
public struct PostgresDataType: Hashable, Sendable, CustomStringConvertible {
    public let oid: UInt32
    public init(oid: UInt32) { self.oid = oid }

    /// Lets the server infer the type from the statement.
    public static let unspecified = PostgresDataType(oid: 0)
    public static let bool = PostgresDataType(oid: 16)
    public static let bytea = PostgresDataType(oid: 17)
    public static let name = PostgresDataType(oid: 19)
    public static let int8 = PostgresDataType(oid: 20)
    public static let int2 = PostgresDataType(oid: 21)
    public static let int4 = PostgresDataType(oid: 23)
    public static let text = PostgresDataType(oid: 25)
    public static let oidType = PostgresDataType(oid: 26)
    public static let json = PostgresDataType(oid: 114)
    public static let point = PostgresDataType(oid: 600)
    public static let float4 = PostgresDataType(oid: 700)
    public static let float8 = PostgresDataType(oid: 701)
    public static let unknown = PostgresDataType(oid: 705)
    public static let bpchar = PostgresDataType(oid: 1042)
    public static let varchar = PostgresDataType(oid: 1043)
    public static let date = PostgresDataType(oid: 1082)
    public static let timestamp = PostgresDataType(oid: 1114)
    public static let timestamptz = PostgresDataType(oid: 1184)
    public static let numeric = PostgresDataType(oid: 1700)
    public static let uuid = PostgresDataType(oid: 2950)
    public static let jsonb = PostgresDataType(oid: 3802)

    private static let names: [UInt32: String] = [
        0: "unspecified", 16: "bool", 17: "bytea", 19: "name", 20: "int8", 21: "int2", 23: "int4", 25: "text",
        26: "oid", 114: "json", 600: "point", 700: "float4", 701: "float8", 705: "unknown", 1042: "bpchar",
        1043: "varchar", 1082: "date", 1114: "timestamp", 1184: "timestamptz", 1700: "numeric", 2950: "uuid",
        3802: "jsonb",
    ]

    /// The type's SQL name for built-in types, `oid N` for others (extension types such as `vector`).
    public var description: String { Self.names[self.oid] ?? "oid \(self.oid)" }

    /// Whether values of this type are UTF-8 text on the wire in both formats.
    var isTextual: Bool { [.text, .varchar, .bpchar, .name, .json, .unknown].contains(self) }
}

/// The wire format of a parameter or result column.
public enum PostgresFormat: Int32, Sendable {
    case text = 0
    case binary = 1
}
