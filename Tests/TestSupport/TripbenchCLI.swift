import Foundation
import LocalServer

/// Runs the built `tripbench` binary the way a user or a CI job does, and returns what it printed.
public enum TripbenchCLI {
    /// `.build/debug/tripbench` (built by `swift build --build-tests`, which `make test` runs).
    public static var executable: String {
        ProjectLocator.projectRoot().appendingPathComponent(".build/debug/tripbench").path
    }

    /// Runs `tripbench arguments` with `environment` added to a clean environment (no `DATABASE_URL`,
    /// no `TRIPBENCH_*` from the caller), as `user` when given.
    public static func run(
        _ arguments: [String], environment: [String: String] = [:], user: String? = nil
    ) throws -> CommandRunner.Output {
        try CommandRunner(user: user, environment: self.environment(environment)).run(self.executable, arguments)
    }

    /// Starts `tripbench arguments` in the background (same environment as ``run(_:environment:user:)``), for a
    /// test that interrupts it or breaks its server meanwhile. Standard output is discarded.
    public static func start(_ arguments: [String], environment: [String: String] = [:]) throws -> Background {
        try Background(arguments, environment: self.environment(environment))
    }

    /// The shared libraries the binary loads, as `ldd` lists them.
    public static func ldd() throws -> String {
        try CommandRunner().run("/usr/bin/ldd", [self.executable]).standardOutput
    }

    private static func environment(_ extra: [String: String]) -> [String: String] {
        var base = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("TRIPBENCH_") && $0.key != "DATABASE_URL" }
        base["TRIPBENCH_HOME"] = ProjectLocator.projectRoot().path
        base.merge(extra) { $1 }
        return base
    }

    /// A tripbench running in the background. Its standard error is read as it comes (a full pipe would stall
    /// it), and handed over when it has ended.
    public final class Background: @unchecked Sendable {
        private let process = Process()
        private let collected = Data.Collector()

        init(_ arguments: [String], environment: [String: String]) throws {
            self.process.executableURL = URL(fileURLWithPath: TripbenchCLI.executable)
            self.process.arguments = arguments
            self.process.environment = environment
            self.process.standardOutput = FileHandle.nullDevice
            let errors = Pipe()
            self.process.standardError = errors
            try self.process.run()
            let collected = self.collected
            Thread { collected.take(errors.fileHandleForReading) }.start()
        }

        public var pid: Int32 { self.process.processIdentifier }
        public var isRunning: Bool { self.process.isRunning }

        /// Sends `signal` (SIGINT, SIGTERM).
        public func send(_ signal: Int32) { kill(self.process.processIdentifier, signal) }

        /// Waits for the end: the exit status and everything written to standard error.
        public func finish() -> (status: Int32, standardError: String) {
            self.process.waitUntilExit()
            return (self.process.terminationStatus, self.collected.text())
        }
    }
}

extension Data {
    /// Bytes read from a file handle to its end on one thread, taken whole on another.
    final class Collector: @unchecked Sendable {
        private let lock = NSCondition()
        private var data: Data?

        func take(_ handle: FileHandle) {
            let all = handle.readDataToEndOfFile()
            self.lock.withLock {
                self.data = all
                self.lock.broadcast()
            }
        }

        func text() -> String {
            self.lock.withLock {
                while self.data == nil { self.lock.wait() }
                return String(decoding: self.data!, as: UTF8.self)
            }
        }
    }
}
