import Foundation

/// Runs an external program to completion and captures what it printed.
///
/// Written on `posix_spawn` and `waitpid` rather than Foundation's `Process`: `pg_ctl start` leaves a
/// daemon behind that inherits the child's descriptors, and `Process` (which watches a descriptor for the
/// child's end) then never sees it exit. Here the child gets only standard input (/dev/null) and two
/// output files; every other descriptor is closed when the program starts.
public struct CommandRunner: Sendable {
    public struct Output: Sendable {
        /// The exit code, or 128 + the signal number when a signal ended the program.
        public var status: Int32
        public var standardOutput: String
        public var standardError: String
        /// Both outputs, standard error last.
        public var text: String { self.standardOutput + self.standardError }
        public var succeeded: Bool { self.status == 0 }
    }

    /// The account the program runs as: nil for the invoking user, else a user name passed to `runuser`.
    public var user: String?
    /// The program's environment; `LC_ALL=C` is added so that messages can be parsed.
    public var environment: [String: String]

    public init(user: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.user = user
        self.environment = environment
    }

    /// Runs `executable` with `arguments`, as ``user`` when set, and waits for it to exit.
    public func run(_ executable: String, _ arguments: [String]) throws -> Output {
        let argv = try self.user.map { [try Self.runuserPath(), "-u", $0, "--", executable] } ?? [executable]
        let output = try Self.temporaryFile()
        let errors = try Self.temporaryFile()
        defer {
            close(output)
            close(errors)
        }
        // C locale: messages are parsed, and PostgreSQL must not inherit a locale the machine lacks.
        var environment = self.environment
        environment["LC_ALL"] = "C"
        let envp = environment.map { "\($0.key)=\($0.value)" }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, output, 1)
        posix_spawn_file_actions_adddup2(&actions, errors, 2)
        Self.closeDescriptorsOnExec()

        // A clean signal state: the calling thread blocks the signals tripbench handles itself, and a child
        // inherits its mask; a daemon that does not reset it (pgbouncer) would never see SIGTERM.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var unblocked = sigset_t()
        sigemptyset(&unblocked)
        posix_spawnattr_setsigmask(&attributes, &unblocked)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGUSR1, SIGUSR2] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var pid: pid_t = 0
        let spawned = withCStringVector(argv + arguments) { argvPointer in
            withCStringVector(envp) { envPointer in
                posix_spawn(&pid, argv[0], &actions, &attributes, argvPointer, envPointer)
            }
        }
        guard spawned == 0 else {
            throw LocalServerError(.configuration, "cannot run \(argv[0]): \(String(cString: strerror(spawned)))")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 {
            guard errno == EINTR else {
                throw LocalServerError(.runtime, "waiting for \(executable) failed: \(String(cString: strerror(errno)))")
            }
        }
        // WIFEXITED / WEXITSTATUS are macros: exit code in bits 8–15 when the low 7 bits are zero.
        let exitCode = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return Output(status: exitCode, standardOutput: Self.contents(of: output), standardError: Self.contents(of: errors))
    }

    private static func contents(of descriptor: Int32) -> String {
        lseek(descriptor, 0, SEEK_SET)
        return String(decoding: FileHandle(fileDescriptor: descriptor, closeOnDealloc: false).readDataToEndOfFile(), as: UTF8.self)
    }

    /// Marks every descriptor above standard error close-on-exec, so no child (nor the daemon it leaves
    /// behind) inherits one. glibc's `posix_spawn_file_actions_addclosefrom_np` would do this in the child,
    /// but Swift's Glibc module does not export it.
    private static func closeDescriptorsOnExec() {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        for descriptor in entries.compactMap(Int32.init) where descriptor > 2 {
            let flags = fcntl(descriptor, F_GETFD)
            if flags >= 0 { _ = fcntl(descriptor, F_SETFD, flags | FD_CLOEXEC) }
        }
    }

    /// A read-write file that no other process can open by name.
    static func temporaryFile() throws -> Int32 {
        var template = Array((NSTemporaryDirectory() + "/tripbench-output-XXXXXX").utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard descriptor >= 0 else {
            throw LocalServerError(.runtime, "cannot create a temporary file: \(String(cString: strerror(errno)))")
        }
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        return descriptor
    }

    static func runuserPath() throws -> String {
        for candidate in ["/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser"]
        where FileManager.default.isExecutableFile(atPath: candidate) {
            return candidate
        }
        throw LocalServerError(.configuration, "runuser (util-linux) is needed to run PostgreSQL as a non-root user")
    }
}

/// Calls `body` with a NULL-terminated C array of mutable C strings that lives for the call.
private func withCStringVector<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
    let copies = strings.map { strdup($0) } + [nil]
    defer { copies.forEach { free($0) } }
    return copies.withUnsafeBufferPointer { body($0.baseAddress!) }
}
