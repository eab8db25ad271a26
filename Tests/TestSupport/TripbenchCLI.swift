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
        var base = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("TRIPBENCH_") && $0.key != "DATABASE_URL" }
        base["TRIPBENCH_HOME"] = ProjectLocator.projectRoot().path
        base.merge(environment) { $1 }
        return try CommandRunner(user: user, environment: base).run(self.executable, arguments)
    }

    /// The shared libraries the binary loads, as `ldd` lists them.
    public static func ldd() throws -> String {
        try CommandRunner().run("/usr/bin/ldd", [self.executable]).standardOutput
    }
}
