import Foundation
import Results
import Workload

/// `--sizes 50k,100k,250k,500k,1M`: counts with an optional k or M.
extension ScaleSizes {
    /// The counts, ascending and distinct.
    /// - Throws: ``WorkloadError`` (bad input) saying why the text is not such a list.
    public static func parse(_ text: String) throws -> [Int] {
        var sizes: [Int] = []
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            let word = item.trimmingCharacters(in: .whitespaces)
            let (digits, factor): (Substring, Double) = switch word.last {
            case "k", "K": (word.dropLast(), 1e3)
            case "m", "M": (word.dropLast(), 1e6)
            default: (Substring(word), 1)
            }
            guard let number = Double(digits.replacingOccurrences(of: "_", with: "")), number.isFinite, number * factor >= 1,
                number * factor <= 1e10, (number * factor).rounded() == number * factor
            else {
                throw WorkloadError(.badInput, "--sizes: \"\(word)\" is not a count of rows such as 50000, 50k or 1M")
            }
            sizes.append(Int(number * factor))
        }
        guard zip(sizes, sizes.dropFirst()).allSatisfy({ $0 < $1 }) else {
            throw WorkloadError(.badInput, "--sizes must grow from one size to the next, not \(text)")
        }
        return sizes
    }

    /// Five sizes up to `total`: 1/20, 1/10, 1/4, 1/2 and all of it (50k to 1M for `large`).
    public static func defaults(total: Int) -> [Int] {
        Array(Set([total / 20, total / 10, total / 4, total / 2, total].filter { $0 > 0 })).sorted()
    }
}
