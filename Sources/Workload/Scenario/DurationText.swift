import Foundation
import Postgres

/// Durations as scenario files and options write them: `250ms`, `30s`, `2m`, `1h`, `1m30s`, or a bare number
/// of seconds.
public enum DurationText {
    /// The longest duration accepted: a year, far beyond any run, and far inside 64-bit nanoseconds.
    public static let maximum = Duration.seconds(365 * 86_400)

    /// The duration `text` says, or nil when it is not one or exceeds ``maximum``.
    public static func parse(_ text: String) -> Duration? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let limit = Double(Self.maximum.nanoseconds)
        if let seconds = Double(trimmed) {
            guard seconds >= 0, seconds * 1e9 <= limit else { return nil }
            return .nanoseconds(Int64(seconds * 1e9))
        }
        var nanos = 0.0
        var total = Duration.zero
        var rest = Substring(trimmed)
        guard !rest.isEmpty else { return nil }
        while !rest.isEmpty {
            guard let match = rest.prefixMatch(of: /([0-9]*\.?[0-9]+)(ms|us|µs|s|m|h)/), let value = Double(match.output.1) else { return nil }
            let scale: Double = switch match.output.2 {
            case "h": 3600e9
            case "m": 60e9
            case "s": 1e9
            case "ms": 1e6
            default: 1e3
            }
            nanos += value * scale
            guard nanos <= limit else { return nil }
            total += .nanoseconds(Int64(value * scale))
            rest = rest[match.range.upperBound...]
        }
        return total
    }

    /// What a duration option must be, for messages: `a duration such as 30s (at most 365 days)`.
    public static let expected = "a duration such as 500ms, 30s or 2m (at most 365 days)"

    /// `1.5s`, `250ms`, `2m`: the shortest exact form.
    public static func format(_ duration: Duration) -> String {
        let nanos = duration.nanoseconds
        if nanos % 60_000_000_000 == 0, nanos > 0 { return "\(nanos / 60_000_000_000)m" }
        if nanos % 1_000_000_000 == 0 { return "\(nanos / 1_000_000_000)s" }
        if nanos % 1_000_000 == 0 { return "\(nanos / 1_000_000)ms" }
        return "\(Double(nanos) / 1e9)s"
    }
}

/// Calendar dates as `yyyy-mm-dd`, counted in days since 2000-01-01 (PostgreSQL's epoch).
enum DateText {
    static func days(_ text: String) -> Int? {
        guard let match = text.wholeMatch(of: /([0-9]{4})-([0-9]{2})-([0-9]{2})/),
            let year = Int(match.output.1), let month = Int(match.output.2), let day = Int(match.output.3),
            (1...12).contains(month)
        else { return nil }
        let date = PostgresDate(year: year, month: month, day: day)
        // A day past the month's end (2025-02-30) lands in the next month: not a date.
        guard date.components == (year, month, day) else { return nil }
        return Int(date.daysSince2000)
    }
}

extension Duration {
    /// The duration in whole nanoseconds.
    public var nanoseconds: Int64 {
        let (seconds, attoseconds) = self.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
