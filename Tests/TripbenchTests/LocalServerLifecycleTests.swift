import Foundation
import LocalServer
import TestSupport
import Testing

/// `db up && db migrate && db status && db down`, again after `kill -9`, as root and as a normal user.
@Suite(.serialized) struct LocalServerLifecycleTests {
    static let isRoot = geteuid() == 0

    /// psql from the installation the server runs.
    var psql: String {
        get throws { try PostgresInstallation.find(projectRoot: ProjectLocator.projectRoot()).tool("psql") }
    }

    @Test func lifecycleAsTheInvokingUser() throws {
        // As root this runs the server as the postgres (or tripbench) system user; otherwise as this user.
        try self.lifecycle(user: nil, port: 55441)
    }

    /// The binary itself must be reachable by that user, which it is not in a project closed to others (a clone
    /// under /root); there the test above covers the server's account.
    static let projectOpenToOthers = ProjectLocator.serviceRoot(projectRoot: ProjectLocator.projectRoot()) == nil

    @Test(.enabled(if: isRoot, "only root can act as another, unprivileged user; as a normal user the test above covers it"),
          .enabled(if: projectOpenToOthers, "the project is closed to other users, so nobody cannot run its tripbench"))
    func lifecycleAsAnUnprivilegedUser() throws {
        try self.lifecycle(user: "nobody", port: 55442)
    }

    private func lifecycle(user: String?, port: Int) throws {
        let state = URL(fileURLWithPath: "/tmp/tripbench-lifecycle-\(user ?? "self")-\(UUID().uuidString.prefix(8))")
        let environment = ["TRIPBENCH_STATE_DIR": state.path]
        func tripbench(_ arguments: String...) throws -> (Int32, String, String) {
            let output = try TripbenchCLI.run(arguments, environment: environment, user: user)
            return (output.status, output.standardOutput, output.standardError)
        }
        defer { _ = try? tripbench("db", "destroy") }

        let (up, url, upLog) = try tripbench("db", "up", "--port", String(port))
        #expect(up == 0, "db up: \(upLog)")
        #expect(url.hasPrefix("postgresql://postgres@/tripbench?host=\(state.path)/run&port=\(port)"))
        #expect(try tripbench("db", "up").0 == 0)  // twice is harmless
        #expect(try tripbench("db", "migrate").0 == 0)
        let (_, _, again) = try tripbench("db", "migrate")
        #expect(again.contains("up to date"))
        let (status, statusText, _) = try tripbench("db", "status")
        #expect(status == 0)
        #expect(statusText.contains("running") && statusText.contains("pgvector 0.8"))
        #expect(try tripbench("db", "url").1 == url)

        // Settings given to a running server apply now where PostgreSQL allows it, and at every later start.
        func show(_ name: String) throws -> String {
            try CommandRunner().run(self.psql, [url.trimmingCharacters(in: .whitespacesAndNewlines), "-Atc", "SHOW \(name)"]).standardOutput
                .trimmingCharacters(in: .whitespacesAndNewlines)
        }
        #expect(try tripbench("db", "up", "--set", "work_mem=77MB").0 == 0)
        #expect(try show("work_mem") == "77MB")
        let (_, _, restart) = try tripbench("db", "up", "--set", "shared_buffers=300MB")
        #expect(restart.contains("shared_buffers take effect after a restart"), "\(restart)")
        #expect(try tripbench("db", "down").0 == 0 && tripbench("db", "up").0 == 0)
        #expect(try show("shared_buffers") == "300MB" && show("work_mem") == "77MB")

        // A crash: the postmaster killed with SIGKILL leaves its pid file behind.
        let pidFile = state.appendingPathComponent("data/postmaster.pid")
        let pid = try #require(Int32(String(contentsOf: pidFile, encoding: .utf8).split(separator: "\n")[0]))
        #expect(kill(pid, SIGKILL) == 0)
        usleep(200_000)
        let (crashed, crashedText, _) = try tripbench("db", "status")
        #expect(crashed == 3)
        #expect(crashedText.contains("stale pid file"))
        let (recovered, _, recoveredLog) = try tripbench("db", "up")
        #expect(recovered == 0, "db up after kill -9: \(recoveredLog)")
        let (_, migrated, _) = try tripbench("db", "migrate", "--status")
        #expect(migrated.contains("vector(1536)"))  // the data survived the crash

        #expect(try tripbench("db", "down").0 == 0)
        #expect(try tripbench("db", "down").2.contains("not running"))
        #expect(try tripbench("db", "status").0 == 3)
    }
}

/// `db up` refusing what it must not touch or cannot use.
@Suite struct LocalServerRefusalTests {
    private func temporaryState() -> URL {
        URL(fileURLWithPath: "/tmp/tripbench-refusal-\(UUID().uuidString.prefix(8))")
    }

    @Test func binariesWithoutPgvectorAreRefused() throws {
        let bin = self.temporaryState()
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: bin) }
        let postgres = bin.appendingPathComponent("postgres")
        try "#!/bin/sh\nexit 0\n".write(to: postgres, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: postgres.path)
        let output = try TripbenchCLI.run(
            ["db", "up"], environment: ["TRIPBENCH_PG_BIN": bin.path, "TRIPBENCH_STATE_DIR": self.temporaryState().path]
        )
        #expect(output.status == 2)
        #expect(output.standardError.contains("no pgvector"))
    }

    @Test(.enabled(if: LocalServerLifecycleTests.isRoot, "needs root to give the data directory to another user"))
    func aDataDirectoryOwnedBySomeoneElseIsRefused() throws {
        let state = self.temporaryState()
        let data = state.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: state) }
        try "18\n".write(to: data.appendingPathComponent("PG_VERSION"), atomically: true, encoding: .utf8)
        let nobody = try #require(getpwnam("nobody"))
        #expect(chown(data.path, nobody.pointee.pw_uid, nobody.pointee.pw_gid) == 0)
        let output = try TripbenchCLI.run(["db", "up", "--port", "55443"], environment: ["TRIPBENCH_STATE_DIR": state.path])
        #expect(output.status == 2)
        #expect(output.standardError.contains("is owned by nobody"))
        #expect(try FileManager.default.attributesOfItem(atPath: data.path)[.ownerAccountName] as? String == "nobody")
    }
}
