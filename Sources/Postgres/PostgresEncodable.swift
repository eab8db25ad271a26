/// A Swift value that can be sent to PostgreSQL as a statement parameter or a binary COPY field.
///
/// Every conforming type writes PostgreSQL's binary representation, except `String`, which is sent as text
/// with an unspecified type so the server can read it as whatever the statement needs (a date, a uuid,
/// a jsonb document); its bytes are also the binary form of `text` and `varchar` in COPY.
public protocol PostgresEncodable {
    /// The type sent with a parameter; ``PostgresDataType/unspecified`` lets the server infer it.
    static var parameterType: PostgresDataType { get }
    /// The format of the bytes ``encode(into:)`` writes.
    static var parameterFormat: PostgresFormat { get }
    /// Writes the value's bytes, without a length prefix.
    func encode(into buffer: inout PostgresBuffer) throws
    /// Writes the value for a parameter the server typed as `type` (known for prepared statements), converting
    /// between widths where that is exact; returns the format written. The default writes ``encode(into:)``.
    func encode(into buffer: inout PostgresBuffer, asParameterOf type: PostgresDataType) throws -> PostgresFormat
}

extension PostgresEncodable {
    public static var parameterFormat: PostgresFormat { .binary }

    public func encode(into buffer: inout PostgresBuffer, asParameterOf type: PostgresDataType) throws
        -> PostgresFormat
    {
        try self.encode(into: &buffer)
        return Self.parameterFormat
    }
}

/// A value read from a result column in binary format.
public protocol PostgresDecodable {
    /// Decodes a non-NULL value of column type `type`.
    static func decode(from bytes: UnsafeRawBufferPointer, type: PostgresDataType) throws -> Self
    /// The value a SQL NULL decodes to; by default NULL is an error, `Optional` decodes it as `nil`.
    static func decodeNull() throws -> Self
}

extension PostgresDecodable {
    public static func decodeNull() throws -> Self {
        throw PostgresError(.decoding, "unexpected NULL for \(Self.self); decode as \(Self.self)? instead")
    }

    /// The error for a column whose type this Swift type cannot be read from.
    static func mismatch(_ type: PostgresDataType) -> PostgresError {
        PostgresError(.decoding, "cannot decode a \(type) column as \(Self.self)")
    }
}

extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
    public static func decode(from bytes: UnsafeRawBufferPointer, type: PostgresDataType) throws -> Self {
        try Wrapped.decode(from: bytes, type: type)
    }

    public static func decodeNull() throws -> Self { nil }
}
