import Foundation

/// PostgreSQL's binary `numeric`: a sign, a weight, a display scale and base-10,000 digits.
///
/// Values travel as exact decimal text on the Swift side (`Decimal` or `String`), so no precision is lost
/// converting through binary floating point.
enum PostgresNumeric {
    private static let positive: UInt16 = 0x0000
    private static let negative: UInt16 = 0x4000
    private static let nan: UInt16 = 0xC000
    private static let plusInfinity: UInt16 = 0xD000
    private static let minusInfinity: UInt16 = 0xF000

    /// Writes the decimal `text` (`-123.4500`, `NaN`, `Infinity`) as binary numeric.
    static func encode(text: String, into buffer: inout PostgresBuffer) throws {
        switch text {
        case "NaN": return self.writeHeader(digits: [], weight: 0, sign: self.nan, scale: 0, into: &buffer)
        case "Infinity": return self.writeHeader(digits: [], weight: 0, sign: self.plusInfinity, scale: 0, into: &buffer)
        case "-Infinity":
            return self.writeHeader(digits: [], weight: 0, sign: self.minusInfinity, scale: 0, into: &buffer)
        default: break
        }
        var body = Substring(text)
        let isNegative = body.hasPrefix("-")
        if isNegative || body.hasPrefix("+") { body = body.dropFirst() }
        let parts = body.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let integerPart = parts[0]
        let fractionPart = parts.count > 1 ? parts[1] : ""
        guard !(integerPart.isEmpty && fractionPart.isEmpty),
            (integerPart + fractionPart).allSatisfy({ $0.isASCII && $0.isNumber })
        else { throw PostgresError(.encoding, "\"\(text)\" is not a decimal number") }

        // Group the integer digits from the point leftwards and the fraction rightwards, four at a time.
        let integerDigits = Array(integerPart.drop(while: { $0 == "0" }))
        let paddedInteger = String(repeating: "0", count: (4 - integerDigits.count % 4) % 4) + String(integerDigits)
        let paddedFraction = String(fractionPart) + String(repeating: "0", count: (4 - fractionPart.count % 4) % 4)
        var groups = self.groups(of: paddedInteger) + self.groups(of: paddedFraction)
        var weight = paddedInteger.count / 4 - 1
        while let first = groups.first, first == 0 {
            groups.removeFirst()
            weight -= 1
        }
        while let last = groups.last, last == 0 { groups.removeLast() }
        if groups.isEmpty { weight = 0 }
        let sign = isNegative && !groups.isEmpty ? self.negative : self.positive
        self.writeHeader(digits: groups, weight: weight, sign: sign, scale: fractionPart.count, into: &buffer)
    }

    private static func groups(of digits: String) -> [Int16] {
        var result: [Int16] = []
        var value: Int16 = 0
        for (index, character) in digits.enumerated() {
            value = value * 10 + Int16(character.wholeNumberValue!)
            if index % 4 == 3 {
                result.append(value)
                value = 0
            }
        }
        return result
    }

    private static func writeHeader(
        digits: [Int16], weight: Int, sign: UInt16, scale: Int, into buffer: inout PostgresBuffer
    ) {
        buffer.writeInteger(Int16(digits.count))
        buffer.writeInteger(Int16(weight))
        buffer.writeInteger(sign)
        buffer.writeInteger(Int16(scale))
        for digit in digits { buffer.writeInteger(digit) }
    }

    /// The exact decimal text of a binary numeric, with as many fraction digits as its display scale.
    static func decodeText(from bytes: UnsafeRawBufferPointer) throws -> String {
        var reader = PostgresReader(bytes)
        let count = Int(try reader.readInteger(as: Int16.self))
        let weight = Int(try reader.readInteger(as: Int16.self))
        let sign = try reader.readInteger(as: UInt16.self)
        let scale = Int(try reader.readInteger(as: Int16.self))
        var digits: [Int] = []
        for _ in 0..<count { digits.append(Int(try reader.readInteger(as: Int16.self))) }
        switch sign {
        case self.nan: return "NaN"
        case self.plusInfinity: return "Infinity"
        case self.minusInfinity: return "-Infinity"
        case self.positive, self.negative: break
        default: throw PostgresError(.decoding, "invalid numeric sign 0x\(String(sign, radix: 16))")
        }
        /// The base-10,000 digit at `position` (0 is the units group, negative positions are fractional).
        func digit(at position: Int) -> Int {
            let index = weight - position
            return index >= 0 && index < digits.count ? digits[index] : 0
        }
        var text = sign == self.negative ? "-" : ""
        text += String(digit(at: max(weight, 0)))
        if weight > 0 {
            for position in stride(from: weight - 1, through: 0, by: -1) {
                text += self.fourDigits(digit(at: position))
            }
        }
        if scale > 0 {
            var fraction = ""
            var position = -1
            while fraction.count < scale {
                fraction += self.fourDigits(digit(at: position))
                position -= 1
            }
            text += "." + fraction.prefix(scale)
        }
        return text
    }

    private static func fourDigits(_ value: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: 4 - digits.count) + digits
    }
}

extension Decimal: PostgresEncodable, PostgresDecodable {
    public static var parameterType: PostgresDataType { .numeric }

    public func encode(into buffer: inout PostgresBuffer) throws {
        try PostgresNumeric.encode(text: self.isNaN ? "NaN" : self.description, into: &buffer)
    }

    /// Reads `numeric` exactly; also integers and floats.
    public static func decode(from bytes: UnsafeRawBufferPointer, type: PostgresDataType) throws -> Decimal {
        switch type {
        case .numeric:
            let text = try PostgresNumeric.decodeText(from: bytes)
            guard let value = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")) else {
                throw PostgresError(.decoding, "numeric \(text) does not fit in Decimal")
            }
            return value
        case .int2, .int4, .int8: return Decimal(try Int64.decode(from: bytes, type: type))
        case .float4, .float8: return Decimal(try Double.decode(from: bytes, type: type))
        default: throw Self.mismatch(type)
        }
    }
}
