import Foundation
@testable import LocalServer
import Testing

@Suite struct ServerSettingsTests {
    @Test func defaultsFollowTheArchitectureDocument() {
        let settings = ServerSettings.architectureDefaults
        #expect(settings["shared_buffers"] == "1GB")
        #expect(settings["work_mem"] == "256MB")
        #expect(settings["effective_cache_size"] == "4GB")
        #expect(settings["random_page_cost"] == "1.1")
        #expect(settings["max_connections"] == "200")
        #expect(settings["shared_preload_libraries"] == "pg_stat_statements")
        #expect(settings["max_wal_size"] == "16GB")
    }

    @Test func overridesReplaceAndQuote() throws {
        var settings = ServerSettings.architectureDefaults
        try settings.apply(assignment: "work_mem = 64MB")
        try settings.apply(assignment: "search_path='a, b'")
        #expect(settings["work_mem"] == "64MB")
        #expect(settings.render().contains("work_mem = '64MB'\n"))
        #expect(settings.render().contains("search_path = '''a, b'''\n"))
        #expect(settings.entries.filter { $0.name == "work_mem" }.count == 1)
    }

    @Test(arguments: ["work_mem", "=64MB", "bad name=1", "work_mem="])
    func malformedOverridesAreRejected(assignment: String) {
        var settings = ServerSettings.architectureDefaults
        #expect { try settings.apply(assignment: assignment) } throws: { error in
            (error as? LocalServerError)?.kind == .configuration
        }
    }
}

@Suite struct LocalClusterTests {
    @Test func urlNamesTheSocketDirectoryAndPort() {
        let cluster = LocalCluster(stateDirectory: URL(fileURLWithPath: "/var/tmp/tb"))
        let url = cluster.connectionURL(configuration: .init(port: 6000))
        #expect(url == "postgresql://postgres@/tripbench?host=/var/tmp/tb/run&port=6000")
    }

    @Test func longStatePathsGetAShortSocketDirectory() {
        let deep = "/tmp/" + String(repeating: "very-long-directory-name/", count: 5)
        let cluster = LocalCluster(stateDirectory: URL(fileURLWithPath: deep))
        let socket = cluster.socketDirectory(port: 55432)
        #expect(socket.path.hasPrefix("/tmp/tripbench-"))
        #expect("\(socket.path)/.s.PGSQL.55432".utf8.count <= 100)
        #expect(socket == cluster.socketDirectory(port: 55432))  // stable across commands
    }

    @Test func startFailuresAreClassified() {
        let log = URL(fileURLWithPath: "/x/postgresql.log")
        let inUse = LocalCluster.startError(
            log: "LOG:  could not bind IPv4 address \"127.0.0.1\": Address already in use\nFATAL:  could not create any TCP/IP sockets",
            output: "", logFile: log
        )
        #expect(inUse.kind == .configuration && inUse.message.contains("--port"))
        let other = LocalCluster.startError(log: "FATAL:  data directory has invalid permissions", output: "", logFile: log)
        #expect(other.kind == .runtime && other.message.contains("invalid permissions"))
    }

    @Test func aProcessThatIsGoneIsNotAServer() {
        #expect(!LocalCluster.isPostgresProcess(Int32.max - 1))
        #expect(!LocalCluster.isPostgresProcess(getpid()))  // alive, but not PostgreSQL
    }

    @Test func portInUseIsReportedBeforeStarting() throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(listener) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) == 0 && listen(listener, 1) == 0 }
        }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        let port = Int(UInt16(bigEndian: address.sin_port))
        #expect { try LocalCluster.checkPortFree(address: "127.0.0.1", port: port) } throws: { error in
            (error as? LocalServerError)?.kind == .configuration
        }
    }
}

@Suite struct PostgresInstallationTests {
    @Test func findsEmbeddedPostgresWithPgvector() throws {
        let installation = try PostgresInstallation.find(projectRoot: ProjectLocator.projectRoot(), environment: [:])
        #expect(FileManager.default.isExecutableFile(atPath: installation.tool("initdb")))
        #expect(PostgresInstallation.hasVector(binDirectory: installation.binDirectory))
    }

    /// As root, a project under a directory closed to other users (a clone under /root) gets a place the
    /// server's account can reach, the same for every command, and a copy of PostgreSQL that account can run.
    @Test(.enabled(if: geteuid() == 0, "only root runs the server as another account"))
    func aProjectClosedToOthersGetsAReachablePlaceAndACopyOfPostgres() throws {
        let closed = FileManager.default.temporaryDirectory.appendingPathComponent("closed-\(UUID().uuidString.prefix(8))")
        let project = closed.appendingPathComponent("project")
        try FileManager.default.createDirectory(at: project, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: closed) }
        #expect(ProjectLocator.serviceRoot(projectRoot: project) == nil)
        #expect(chmod(closed.path, 0o700) == 0)
        let service = try #require(ProjectLocator.serviceRoot(projectRoot: project))
        #expect(service.path.hasPrefix("/var/tmp/tripbench-") && service == ProjectLocator.serviceRoot(projectRoot: project))
        #expect(ProjectLocator.stateDirectory(environment: ["TRIPBENCH_HOME": project.path]) == service.appendingPathComponent("state"))

        let embedded = try #require(PostgresInstallation.embeddedPostgres(projectRoot: ProjectLocator.projectRoot()))
        let copies = FileManager.default.temporaryDirectory.appendingPathComponent("copies-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: copies) }
        let bin = try PostgresInstallation.mirror(embedded, into: copies)
        let version = try CommandRunner(user: "nobody").run(bin.appendingPathComponent("initdb").path, ["--version"])
        #expect(version.succeeded && version.standardOutput.contains("18."), "\(version.text)")
        // A second call finds the copy and leaves it as it is (a copy in use is never replaced).
        let inode = try FileManager.default.attributesOfItem(atPath: bin.path)[.systemFileNumber] as? Int
        #expect(try PostgresInstallation.mirror(embedded, into: copies).path == bin.path)
        #expect(try FileManager.default.attributesOfItem(atPath: bin.path)[.systemFileNumber] as? Int == inode)
    }

    @Test func aBinDirectoryWithoutPostgresIsRejected() {
        #expect {
            try PostgresInstallation.find(projectRoot: URL(fileURLWithPath: "/nonexistent"), environment: ["TRIPBENCH_PG_BIN": "/usr/bin"])
        } throws: { error in
            (error as? LocalServerError)?.kind == .configuration && "\(error)".contains("TRIPBENCH_PG_BIN")
        }
    }

    @Test func noInstallationAnywhereSaysWhatToDo() {
        // No .venv under the root, and an empty PATH hides pg_config.
        #expect {
            try PostgresInstallation.find(projectRoot: URL(fileURLWithPath: "/nonexistent"), environment: ["PATH": ""])
        } throws: { error in
            (error as? LocalServerError)?.kind == .configuration && "\(error)".contains("make setup")
        }
    }
}

@Suite struct CommandRunnerTests {
    @Test func capturesBothOutputsAndTheExitCode() throws {
        let output = try CommandRunner().run("/bin/sh", ["-c", "echo out; echo err >&2; exit 7"])
        #expect(output.status == 7)
        #expect(output.standardOutput == "out\n")
        #expect(output.standardError == "err\n")
    }

    /// A daemon that keeps the child's output open must not keep the runner waiting (pg_ctl start).
    @Test func returnsWhenTheChildExitsEvenIfItsDaemonLivesOn() throws {
        let clock = ContinuousClock()
        let start = clock.now
        let output = try CommandRunner().run("/bin/sh", ["-c", "sleep 5 & echo started"])
        #expect(output.standardOutput == "started\n")
        #expect(clock.now - start < .seconds(4))
    }
}
