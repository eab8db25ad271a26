// Booleans, integers and floating-point numbers in PostgreSQL's binary format.

extension Bool: PostgresEncodable, PostgresDecodable {
    public static var parameterType: PostgresDataType { .bool }

    public func encode(into buffer: inout PostgresBuffer) throws { buffer.writeInteger(UInt8(self ? 1 : 0)) }

    public static func decode(from bytes: UnsafeRawBufferPointer, type: PostgresDataType) throws -> Bool {
        guard type == .bool, bytes.count == 1 else { throw Self.mismatch(type) }
        return bytes[0] != 0
    }
}

/// The integer types, sent and read as `int2`, `int4` or `int8` whichever the column or parameter is.
protocol PostgresInteger: FixedWidthInteger, PostgresEncodable, PostgresDecodable {}

extension PostgresInteger {
    public func encode(into buffer: inout PostgresBuffer) throws { buffer.writeInteger(self) }

    public func encode(into buffer: inout PostgresBuffer, asParameterOf type: PostgresDataType) throws
        -> PostgresFormat
    {
        switch type {
        case .int2: buffer.writeInteger(try Self.narrow(self, to: Int16.self))
        case .int4: buffer.writeInteger(try Self.narrow(self, to: Int32.self))
        case .int8: buffer.writeInteger(try Self.narrow(self, to: Int64.self))
        default:
            // numeric, floats, text…: the server parses the decimal text exactly.
            buffer.writeString(String(self))
            return .text
        }
        return .binary
    }

    public static func decode(from bytes: UnsafeRawBufferPointer, type: PostgresDataType) throws -> Self {
        var reader = PostgresReader(bytes)
        let wide: Int64
        switch type {
        case .int2: wide = Int64(try reader.readInteger(as: Int16.self))
        case .int4: wide = Int64(try reader.readInteger(as: Int32.self))
        case .int8: wide = try reader.readInteger(as: Int64.self)
        case .oidType: wide = Int64(try reader.readInteger(as: UInt32.self))
        default: throw Self.mismatch(type)
        }
        return try Self.narrow(wide, to: Self.self)
    }

    private static func narrow<Source: FixedWidthInteger, Target: FixedWidthInteger>(
        _ value: Source, to: Target.Type
    ) throws -> Target {
        guard let narrowed = Target(exactly: value) else {
            throw PostgresError(.encoding, "\(value) does not fit in \(Target.self)")
        }
        return narrowed
    }
}

extension Int: PostgresInteger {
    public static var parameterType: PostgresDataType { .int8 }
    public func encode(into buffer: inout PostgresBuffer) throws { buffer.writeInteger(Int64(self)) }
}

extension Int64: PostgresInteger {
    public static var parameterType: PostgresDataType { .int8 }
}

extension Int32: PostgresInteger {
    public static var parameterType: PostgresDataType { .int4 }
}

extension Int16: PostgresInteger {
    public static var parameterType: PostgresDataType { .int2 }
}

/// `float4` and `float8`, either way round, and `numeric` read through its exact decimal text.
protocol PostgresFloatingPoint: BinaryFloatingPoint, LosslessStringConvertible, PostgresEncodable,
    PostgresDecodable
{}

extension PostgresFloatingPoint {
    public func encode(into buffer: inout PostgresBuffer, asParameterOf type: PostgresDataType) throws
        -> PostgresFormat
    {
        switch type {
        case .float4: buffer.writeInteger(Float(self).bitPattern)
        case .float8: buffer.writeInteger(Double(self).bitPattern)
        default:
            buffer.writeString(self.postgresText)
            return .text
        }
        return .binary
    }

    /// The value as PostgreSQL spells it in text (`Infinity`, `NaN`, or the shortest exact decimal).
    var postgresText: String {
        if self.isNaN { return "NaN" }
        if self.isInfinite { return self < 0 ? "-Infinity" : "Infinity" }
        return self.description
    }

    public static func decode(from bytes: UnsafeRawBufferPointer, type: PostgresDataType) throws -> Self {
        var reader = PostgresReader(bytes)
        switch type {
        case .float4: return Self(Float(bitPattern: try reader.readInteger(as: UInt32.self)))
        case .float8: return Self(Double(bitPattern: try reader.readInteger(as: UInt64.self)))
        case .numeric:
            let text = try PostgresNumeric.decodeText(from: bytes)
            guard let value = Self(text) else { throw Self.mismatch(type) }
            return value
        default: throw Self.mismatch(type)
        }
    }
}

extension Double: PostgresFloatingPoint {
    public static var parameterType: PostgresDataType { .float8 }
    public func encode(into buffer: inout PostgresBuffer) throws { buffer.writeInteger(self.bitPattern) }
}

extension Float: PostgresFloatingPoint {
    public static var parameterType: PostgresDataType { .float4 }
    public func encode(into buffer: inout PostgresBuffer) throws { buffer.writeInteger(self.bitPattern) }
}
