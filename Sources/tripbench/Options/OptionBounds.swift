import ArgumentParser
import Workload

/// The one check of a bounded number option, so every count, rate and thread number that reaches arithmetic
/// is refused up front with a message naming the option and its bounds.
enum OptionBounds {
    static func check<T: Comparable>(_ name: String, _ value: T?, in range: ClosedRange<T>) throws {
        guard let value, !range.contains(value) else { return }
        throw ValidationError("\(name) must be between \(range.lowerBound) and \(range.upperBound), not \(value)")
    }

    /// Threads of a command (generation, ground truth, index builds, the load driver).
    static let threads = Workload.Scenario.Limits.threads
}
