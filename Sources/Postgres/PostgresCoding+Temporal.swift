import Foundation

/// PostgreSQL's epoch, 2000-01-01 00:00:00 UTC, in seconds since the Unix epoch.
let postgresEpochUnixSeconds: Int64 = 946_684_800

extension Date: PostgresEncodable, PostgresDecodable {
    /// Sent as `timestamptz`: microseconds since 2000-01-01 UTC, rounded to the nearest microsecond.
    public static var parameterType: PostgresDataType { .timestamptz }

    public func encode(into buffer: inout PostgresBuffer) throws {
        let micros = ((self.timeIntervalSince1970 - Double(postgresEpochUnixSeconds)) * 1_000_000).rounded()
        guard let value = Int64(exactly: micros) else {
            throw PostgresError(.encoding, "\(self) is out of timestamptz range")
        }
        buffer.writeInteger(value)
    }

    /// Reads `timestamptz` and `timestamp` (taken as UTC); ±infinity become `distantFuture` / `distantPast`.
    public static func decode(from bytes: UnsafeRawBufferPointer, type: PostgresDataType) throws -> Date {
        guard type == .timestamptz || type == .timestamp else { throw Self.mismatch(type) }
        var reader = PostgresReader(bytes)
        let micros = try reader.readInteger(as: Int64.self)
        if micros == .max { return .distantFuture }
        if micros == .min { return .distantPast }
        let seconds = micros / 1_000_000
        let fraction = Double(micros % 1_000_000) / 1_000_000
        return Date(timeIntervalSince1970: Double(seconds + postgresEpochUnixSeconds) + fraction)
    }
}

/// A calendar date without time or zone: PostgreSQL's `date`, days since 2000-01-01.
public struct PostgresDate: Hashable, Comparable, Sendable, CustomStringConvertible, PostgresEncodable,
    PostgresDecodable
{
    /// Days since 2000-01-01 (negative before it).
    public var daysSince2000: Int32

    public init(daysSince2000: Int32) { self.daysSince2000 = daysSince2000 }

    /// The date of a proleptic Gregorian `year`, `month` (1–12) and `day` (1–31).
    public init(year: Int, month: Int, day: Int) {
        // Howard Hinnant's days_from_civil.
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let daysSince1970 = era * 146_097 + dayOfEra - 719_468
        self.daysSince2000 = Int32(daysSince1970 - 10_957)
    }

    /// The year, month and day (Howard Hinnant's civil_from_days).
    public var components: (year: Int, month: Int, day: Int) {
        let z = Int(self.daysSince2000) + 10_957 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthPrime = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthPrime + 2) / 5 + 1
        let month = monthPrime < 10 ? monthPrime + 3 : monthPrime - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// The date `days` later (earlier when negative).
    public func adding(days: Int) -> PostgresDate { PostgresDate(daysSince2000: self.daysSince2000 + Int32(days)) }

    /// ISO 8601, `YYYY-MM-DD`.
    public var description: String {
        let (year, month, day) = self.components
        func pad(_ value: Int, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    }

    public static func < (lhs: PostgresDate, rhs: PostgresDate) -> Bool { lhs.daysSince2000 < rhs.daysSince2000 }

    public static var parameterType: PostgresDataType { .date }

    public func encode(into buffer: inout PostgresBuffer) throws { buffer.writeInteger(self.daysSince2000) }

    public static func decode(from bytes: UnsafeRawBufferPointer, type: PostgresDataType) throws -> PostgresDate {
        guard type == .date else { throw Self.mismatch(type) }
        var reader = PostgresReader(bytes)
        return PostgresDate(daysSince2000: try reader.readInteger(as: Int32.self))
    }
}
