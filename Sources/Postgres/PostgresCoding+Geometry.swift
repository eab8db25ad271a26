// pgvector's `vector` and PostgreSQL's `point`.

/// A pgvector `vector`: float32 components. Binary form: int16 dimension, int16 zero, big-endian float32s.
///
/// Sent with an unspecified type: the `vector` type's OID belongs to the extension, so the server infers it
/// from the column or a `$1::vector` cast.
public struct PostgresVector: PostgresEncodable, PostgresDecodable, Hashable, Sendable {
    public var components: [Float]

    public init(_ components: [Float]) { self.components = components }

    public static var parameterType: PostgresDataType { .unspecified }

    public func encode(into buffer: inout PostgresBuffer) throws {
        guard let dimension = Int16(exactly: self.components.count), dimension > 0 else {
            throw PostgresError(.encoding, "a vector needs 1 to 16000 components, not \(self.components.count)")
        }
        buffer.writeInteger(dimension)
        buffer.writeInteger(Int16(0))
        self.components.withUnsafeBufferPointer { buffer.writeFloatsBigEndian($0) }
    }

    /// Reads a binary `vector`, whose OID varies by database, by checking its layout.
    public static func decode(from bytes: UnsafeRawBufferPointer, type: PostgresDataType) throws -> PostgresVector {
        var reader = PostgresReader(bytes)
        let dimension = Int(try reader.readInteger(as: Int16.self))
        let unused = try reader.readInteger(as: Int16.self)
        guard unused == 0, dimension > 0, reader.remaining == dimension * 4 else { throw Self.mismatch(type) }
        var components = [Float](repeating: 0, count: dimension)
        for index in 0..<dimension {
            components[index] = Float(bitPattern: try reader.readInteger(as: UInt32.self))
        }
        return PostgresVector(components)
    }
}

/// A PostgreSQL `point`: two float8 coordinates.
public struct PostgresPoint: PostgresEncodable, PostgresDecodable, Hashable, Sendable {
    public var x: Double
    public var y: Double

    public init(x: Double, y: Double) {
        self.x = x
        self.y = y
    }

    public static var parameterType: PostgresDataType { .point }

    public func encode(into buffer: inout PostgresBuffer) throws {
        buffer.writeInteger(self.x.bitPattern)
        buffer.writeInteger(self.y.bitPattern)
    }

    public static func decode(from bytes: UnsafeRawBufferPointer, type: PostgresDataType) throws -> PostgresPoint {
        guard type == .point else { throw Self.mismatch(type) }
        var reader = PostgresReader(bytes)
        let x = Double(bitPattern: try reader.readInteger(as: UInt64.self))
        let y = Double(bitPattern: try reader.readInteger(as: UInt64.self))
        return PostgresPoint(x: x, y: y)
    }
}
