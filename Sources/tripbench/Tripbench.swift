import ArgumentParser
import Foundation
import Logging

/// The `tripbench` command: parses arguments, dispatches, and maps every failure to one line on standard
/// error and an exit code (see ``ExitStatus``).
@main
struct Tripbench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tripbench",
        abstract: "Benchmark and load-test the TripSage PostgreSQL + pgvector architecture.",
        discussion: """
            tripbench brings up a throw-away PostgreSQL with pgvector (or uses yours via --database-url or \
            DATABASE_URL), creates the TripSage schema, and measures it against the architecture's targets.

            Exit codes: 0 success; 1 a threshold failed; 2 bad input or configuration; 3 runtime failure \
            (server unreachable, a command failed); 130 a sweep or capacity search stopped by Ctrl-C (what it measured \
            is saved; a sweep resumes where it stopped).
            """,
        version: BuildInfo.versionLine,
        subcommands: [DatabaseCommand.self, GenerateCommand.self, LoadCommand.self, RunCommand.self, ReportCommand.self, CompareCommand.self, GateCommand.self, SweepCommand.self, CapacityCommand.self, ScaleCommand.self, StagesCommand.self, PoolingCommand.self, MergeCommand.self, GroundTruthCommand.self, IndexCommand.self]
    )

    static func main() async {
        CPUCheck.requireBuildFeatures()
        Console.bootstrapLogging()
        let command: any ParsableCommand
        do {
            command = try Self.parseAsRoot()
        } catch {
            // Help and --version exit 0 through ArgumentParser; a usage error is bad input: exit 2.
            if Self.exitCode(for: error) == .success { Self.exit(withError: error) }
            Console.error(Self.message(for: error))
            Foundation.exit(ExitStatus.badInput.rawValue)
        }
        do {
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                var syncCommand = command
                try syncCommand.run()
            }
        } catch let exit as ExitStatus {
            Foundation.exit(exit.rawValue)
        } catch {
            // `--help` on a subcommand arrives here as a clean exit: let ArgumentParser print it.
            if Self.exitCode(for: error) == .success { Self.exit(withError: error) }
            Console.error(ExitStatus.message(for: error) ?? Self.message(for: error))
            Foundation.exit(ExitStatus(for: error).rawValue)
        }
    }
}
