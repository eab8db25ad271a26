import Datasets
import Foundation
import Postgres
import Results

extension RunEnvironment {
    /// This machine, the server and the dataset, as a report records them.
    public static func collect(
        database: String?, server: (version: String, settings: [String: String])?, manifest: DatasetManifest,
        version: String, gitCommit: String, start: Date, end: Date
    ) -> RunEnvironment {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let model = cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }
            .map { String($0.split(separator: ":", maxSplits: 1).last ?? "").trimmingCharacters(in: .whitespaces) } ?? "unknown"
        let release = (try? String(contentsOfFile: "/etc/os-release", encoding: .utf8)) ?? ""
        let pretty = release.split(separator: "\n").first { $0.hasPrefix("PRETTY_NAME=") }
            .map { String($0.dropFirst("PRETTY_NAME=".count)).trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
        var name = utsname()
        uname(&name)
        let kernel = withUnsafeBytes(of: name.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let iso = ISO8601DateFormatter()
        iso.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return RunEnvironment(
            cpuModel: model, cores: ProcessInfo.processInfo.activeProcessorCount,
            memoryBytes: Int(ProcessInfo.processInfo.physicalMemory), os: "\(pretty ?? "Linux") (kernel \(kernel))",
            hostname: ProcessInfo.processInfo.hostName, database: database, serverVersion: server?.version,
            serverSettings: server?.settings ?? [:], dataset: manifest.spec.directoryName, datasetChecksum: manifest.checksum,
            tripbenchVersion: version, gitCommit: gitCommit, startTime: iso.string(from: start), endTime: iso.string(from: end))
    }

    /// The server's version and the server-wide settings that shape a search, as a new session sees them.
    public static func describeServer(_ target: PostgresConnectionString) throws -> (String, [String: String]) {
        let connection = try PostgresConnection(target)
        var settings: [String: String] = [:]
        for name in ["shared_buffers", "work_mem", "hnsw.iterative_scan", "jit"] {
            let value = try connection.query("SELECT current_setting($1, true)", [name])
            if let text = try value.decode(String?.self, row: 0, column: 0) { settings[name] = text }
        }
        return (try connection.query("SELECT version()").decode(String.self, row: 0, column: 0), settings)
    }
}
