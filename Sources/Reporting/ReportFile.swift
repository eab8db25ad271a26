import Foundation
import Results

/// Reading and writing report files: JSON with snake_case keys, every output written under a temporary name
/// and renamed, so an interrupted run never leaves a half-written file.
public enum ReportFile {
    /// Reads a `report.json` (or a run directory holding one), refusing newer schema versions and truncated files.
    public static func read(_ path: String) throws -> RunReport {
        let directory = RunDirectory(locating: path)
        let file = directory.path == path ? directory.reportPath : path
        return try self.decode(RunReport.self, from: file, what: "report.json", schemaVersion: RunReport.currentSchemaVersion)
    }

    /// Reads a JSON file tripbench wrote (`what` names it in messages), refusing a schema version newer than
    /// `schemaVersion` and files that are truncated or are something else.
    public static func decode<T: Decodable>(_: T.Type, from path: String, what: String, schemaVersion: Int) throws -> T {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ReportingError(.badInput, "\(path): no such \(what)")
        }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ReportingError(.badInput, "\(path): not a JSON object (truncated or not a \(what))")
        }
        guard let version = object["schema_version"] as? Int else {
            throw ReportingError(.badInput, "\(path): no schema_version: not a tripbench \(what)")
        }
        guard version <= schemaVersion else {
            throw ReportingError(.badInput, "\(path): schema_version \(version) is newer than this tripbench reads (\(schemaVersion)); upgrade tripbench")
        }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        do {
            return try decoder.decode(T.self, from: data)
        } catch let DecodingError.keyNotFound(key, context) {
            throw ReportingError(.badInput, "\(path): missing \(Self.path(context.codingPath + [key]))")
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            throw ReportingError(.badInput, "\(path): wrong value at \(Self.path(context.codingPath))")
        } catch {
            throw ReportingError(.badInput, "\(path): not a tripbench \(what): \(error)")
        }
    }

    /// `operations[3].latency_us`.
    private static func path(_ keys: [any CodingKey]) -> String {
        keys.map { key in key.intValue.map { "[\($0)]" } ?? ".\(Self.snakeCase(key.stringValue))" }.joined().drop { $0 == "." }.description
    }

    private static func snakeCase(_ name: String) -> String {
        name.reduce(into: "") { text, character in
            if character.isUppercase { text += "_" + character.lowercased() } else { text.append(character) }
        }
    }

    /// The encoder every JSON output uses: snake_case keys, sorted and indented.
    public static func encode(_ value: some Encodable) throws -> Data {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(value)
    }

    /// Encodes `value` (see ``encode(_:)``) and writes it to `path` under a temporary name.
    public static func writeJSON(_ value: some Encodable, to path: String) throws {
        let data: Data
        do { data = try self.encode(value) } catch { throw ReportingError(.runtime, "cannot encode \(path): \(error)") }
        try self.write(data, to: path)
    }

    /// Writes `data` to `path` under a temporary name and renames it, creating the directory if needed.
    public static func write(_ data: Data, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try data.write(to: url, options: .atomic)
        } catch {
            throw ReportingError(.runtime, "cannot write \(path): \(error.localizedDescription)")
        }
    }
}
