import Foundation

// Text, bytes, uuid and JSON.

extension String: PostgresEncodable, PostgresDecodable {
    /// Unspecified type and text format: the server reads the string as whatever the statement needs.
    public static var parameterType: PostgresDataType { .unspecified }
    public static var parameterFormat: PostgresFormat { .text }

    public func encode(into buffer: inout PostgresBuffer) throws {
        guard !self.utf8.contains(0) else { throw PostgresError(.encoding, "text cannot contain a NUL byte") }
        buffer.writeString(self)
    }

    /// Reads text types, JSON (jsonb without its version byte), `numeric` as exact decimal text and `uuid`.
    public static func decode(from bytes: UnsafeRawBufferPointer, type: PostgresDataType) throws -> String {
        if type.isTextual { return String(decoding: bytes, as: UTF8.self) }
        switch type {
        case .jsonb: return String(decoding: try PostgresJSONB.payload(of: bytes), as: UTF8.self)
        case .numeric: return try PostgresNumeric.decodeText(from: bytes)
        case .uuid: return try UUID.decode(from: bytes, type: type).uuidString.lowercased()
        default: throw Self.mismatch(type)
        }
    }
}

extension Data: PostgresEncodable, PostgresDecodable {
    public static var parameterType: PostgresDataType { .bytea }

    public func encode(into buffer: inout PostgresBuffer) throws { buffer.writeBytes(self) }

    /// Reads `bytea` as its bytes, and text or JSON types (jsonb included) as their UTF-8 bytes.
    public static func decode(from bytes: UnsafeRawBufferPointer, type: PostgresDataType) throws -> Data {
        if type == .bytea || type.isTextual { return Data(bytes) }
        guard type == .jsonb else { throw Self.mismatch(type) }
        return Data(try PostgresJSONB.payload(of: bytes))
    }
}

extension UUID: PostgresEncodable, PostgresDecodable {
    public static var parameterType: PostgresDataType { .uuid }

    public func encode(into buffer: inout PostgresBuffer) throws {
        withUnsafeBytes(of: self.uuid) { buffer.writeBytes($0) }
    }

    public static func decode(from bytes: UnsafeRawBufferPointer, type: PostgresDataType) throws -> UUID {
        guard type == .uuid, bytes.count == 16 else { throw Self.mismatch(type) }
        var value: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &value) { $0.copyMemory(from: bytes) }
        return UUID(uuid: value)
    }
}

/// A `jsonb` value as its JSON text. Binary jsonb is a version byte (1) followed by that text.
public struct PostgresJSONB: PostgresEncodable, PostgresDecodable, Hashable, Sendable {
    public var text: String

    public init(_ text: String) { self.text = text }

    /// Encodes `value` with `JSONEncoder` (sorted keys, so equal values give equal bytes).
    public init(encoding value: some Encodable) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        self.text = String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    public static var parameterType: PostgresDataType { .jsonb }

    public func encode(into buffer: inout PostgresBuffer) throws {
        buffer.writeInteger(UInt8(1))
        buffer.writeString(self.text)
    }

    public static func decode(from bytes: UnsafeRawBufferPointer, type: PostgresDataType) throws -> PostgresJSONB {
        switch type {
        case .jsonb: return PostgresJSONB(String(decoding: try self.payload(of: bytes), as: UTF8.self))
        case .json: return PostgresJSONB(String(decoding: bytes, as: UTF8.self))
        default: throw Self.mismatch(type)
        }
    }

    /// Decodes the JSON into `type` with `JSONDecoder`.
    public func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try JSONDecoder().decode(type, from: Data(self.text.utf8))
    }

    /// The JSON text of a binary jsonb value.
    static func payload(of bytes: UnsafeRawBufferPointer) throws -> UnsafeRawBufferPointer {
        guard let version = bytes.first, version == 1 else {
            throw PostgresError(.decoding, "unsupported jsonb binary version \(bytes.first.map(String.init) ?? "none")")
        }
        return UnsafeRawBufferPointer(rebasing: bytes.dropFirst())
    }
}
