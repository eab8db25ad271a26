import Foundation

/// Writes a command's JSON output: snake_case keys, sorted and indented, written under a temporary name and
/// renamed, so a failure leaves no half-written file.
enum JSONFile {
    static func write(_ value: some Encodable, to path: String) throws {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let url = URL(fileURLWithPath: path)
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try encoder.encode(value).write(to: url, options: .atomic)
        } catch {
            throw CommandFailure(.runtimeFailure, "cannot write \(path): \(error.localizedDescription)")
        }
    }
}
