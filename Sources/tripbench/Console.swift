import Foundation
import Logging
import Postgres

/// The only place that writes to the terminal. Libraries log through swift-log; this routes their
/// messages to standard error as plain `tripbench: …` lines.
enum Console {
    /// Prints a line of a command's result to standard output.
    static func out(_ line: String = "") {
        print(line)
    }

    /// Prints `tripbench: error: …` to standard error.
    static func error(_ message: String) {
        FileHandle.standardError.write(Data("tripbench: error: \(message.singleLine)\n".utf8))
    }

    /// Prints a progress or information line to standard error, keeping standard output for results.
    static func info(_ message: String) {
        FileHandle.standardError.write(Data("tripbench: \(message)\n".utf8))
    }

    static func bootstrapLogging() {
        let level = ProcessInfo.processInfo.environment["TRIPBENCH_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
        LoggingSystem.bootstrap { _ in ConsoleLogHandler(logLevel: level) }
    }

    static let logger = Logger(label: "tripbench")
}

/// A log handler that writes each message as one `tripbench: …` line to standard error.
struct ConsoleLogHandler: LogHandler {
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.metadata[key] }
        set { self.metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        Console.info(event.level >= .warning ? "\(event.level): \(event.message)" : "\(event.message)")
    }
}
