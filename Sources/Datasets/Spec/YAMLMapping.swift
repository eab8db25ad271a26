import Foundation
import Postgres
import Yams

/// A YAML mapping read key by key, every error reported as `file:line:column: message`.
///
/// Keys are checked against the ones the reader asked for, so a misspelt key is an error at its own position
/// rather than a silently ignored setting.
public struct YAMLMapping {
    public let file: String
    let mapping: Node.Mapping
    /// Where the mapping starts, for errors about the mapping as a whole.
    public let mark: Mark?

    /// Parses `text` (the contents of `file`) and returns its top-level mapping.
    /// - Throws: ``DatasetError`` (bad input) with the position of a syntax error, or when the document is not a mapping.
    public static func parse(_ text: String, file: String) throws -> YAMLMapping {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw DatasetError(.badInput, Self.describe(error, file: file))
        }
        guard let node, case .mapping(let mapping) = node else {
            throw DatasetError(.badInput, "\(file):1:1: expected a mapping of keys to values")
        }
        return YAMLMapping(file: file, mapping: mapping, mark: node.mark)
    }

    /// Reads and parses the file at `path`.
    public static func load(_ path: String) throws -> YAMLMapping {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw DatasetError(.badInput, "\(path): cannot read the file")
        }
        return try self.parse(text, file: path)
    }

    /// The file a command-line name means: a path as given (it ends in `.yaml`/`.yml` or holds a `/`), else
    /// `<name>.yaml` in `directory`.
    public static func path(of nameOrPath: String, in directory: URL) -> String {
        nameOrPath.hasSuffix(".yaml") || nameOrPath.hasSuffix(".yml") || nameOrPath.contains("/")
            ? nameOrPath : directory.appendingPathComponent("\(nameOrPath).yaml").path
    }

    /// The names of the `.yaml` files in `directory`, sorted: what a message lists as known.
    public static func names(in directory: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [])
            .filter { $0.hasSuffix(".yaml") }.map { String($0.dropLast(5)) }.sorted()
    }

    /// The keys present, in file order, with their positions.
    public var keys: [(name: String, mark: Mark?)] { self.mapping.keys.map { ($0.string ?? "", $0.mark) } }

    public func node(_ key: String) -> Node? { self.mapping[key] }

    public func position(_ mark: Mark?) -> String {
        "\(self.file):\(mark?.line ?? 1):\(mark?.column ?? 1)"
    }

    /// An error at `node`'s position (or the mapping's).
    public func error(_ message: String, at node: Node? = nil) -> DatasetError {
        DatasetError(.badInput, "\(self.position(node?.mark ?? self.mark)): \(message)")
    }

    /// Refuses any key not in `known`, naming the closest known key when one is near.
    public func checkKeys(_ known: [String]) throws {
        for (name, mark) in self.keys where !known.contains(name) {
            let suggestion = Self.suggestion(for: name, among: known)
            throw DatasetError(.badInput, "\(self.position(mark)): unknown key \(name)\(suggestion); known keys: \(known.joined(separator: ", "))")
        }
    }

    /// An integer in `range`, or `defaultValue` when the key is absent.
    public func integer(_ key: String, default defaultValue: Int? = nil, in range: ClosedRange<Int>) throws -> Int {
        guard let node = self.node(key) else {
            if let defaultValue { return defaultValue }
            throw self.error("missing key \(key)")
        }
        guard let value = node.int else { throw self.error("\(key) must be a whole number, not \(node.string ?? "a \(node.kind)")", at: node) }
        guard range.contains(value) else { throw self.error("\(key) must be between \(range.lowerBound) and \(range.upperBound), not \(value)", at: node) }
        return value
    }

    /// A number in `range`, or `defaultValue` when the key is absent.
    public func number(_ key: String, default defaultValue: Double? = nil, in range: ClosedRange<Double>) throws -> Double {
        guard let node = self.node(key) else {
            if let defaultValue { return defaultValue }
            throw self.error("missing key \(key)")
        }
        guard let value = node.float, value.isFinite else { throw self.error("\(key) must be a number, not \(node.string ?? "a \(node.kind)")", at: node) }
        guard range.contains(value) else { throw self.error("\(key) must be between \(range.lowerBound) and \(range.upperBound), not \(value)", at: node) }
        return value
    }

    /// A string, or `defaultValue` when the key is absent.
    public func string(_ key: String, default defaultValue: String? = nil) throws -> String {
        guard let node = self.node(key) else {
            if let defaultValue { return defaultValue }
            throw self.error("missing key \(key)")
        }
        guard case .scalar(let scalar) = node else { throw self.error("\(key) must be a string", at: node) }
        return scalar.string
    }

    /// A nested mapping, or nil when the key is absent.
    public func mapping(_ key: String) throws -> YAMLMapping? {
        guard let node = self.node(key) else { return nil }
        guard case .mapping(let mapping) = node else { throw self.error("\(key) must be a mapping of keys to values", at: node) }
        return YAMLMapping(file: self.file, mapping: mapping, mark: node.mark)
    }

    /// The mapping at `node`, for a mapping found inside a sequence.
    public func mapping(at node: Node, what: String) throws -> YAMLMapping {
        guard case .mapping(let mapping) = node else { throw self.error("\(what) must be a mapping of keys to values", at: node) }
        return YAMLMapping(file: self.file, mapping: mapping, mark: node.mark)
    }

    /// A sequence's items, or an empty list when the key is absent.
    public func sequence(_ key: String) throws -> [Node] {
        guard let node = self.node(key) else { return [] }
        guard case .sequence(let sequence) = node else { throw self.error("\(key) must be a list", at: node) }
        return Array(sequence)
    }

    /// A true/false value, or `defaultValue` when the key is absent.
    public func boolean(_ key: String, default defaultValue: Bool) throws -> Bool {
        guard let node = self.node(key) else { return defaultValue }
        guard let value = node.bool else { throw self.error("\(key) must be true or false, not \(node.string ?? "a \(node.kind)")", at: node) }
        return value
    }

    /// The nearest of `known` to `name` when it is close enough to be a likely typo, as " (did you mean x?)".
    public static func suggestion(for name: String, among known: [String]) -> String {
        known.min { Self.editDistance($0, name) < Self.editDistance($1, name) }
            .flatMap { Self.editDistance($0, name) <= 3 ? " (did you mean \($0)?)" : nil } ?? ""
    }

    static func describe(_ error: YamlError, file: String) -> String {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _):
            return "\(file):\(mark.line):\(mark.column): \(problem)"
        default:
            return "\(file): \(String(describing: error).singleLine)"
        }
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a.lowercased()), b = Array(b.lowercased())
        var previous = Array(0...b.count)
        for (i, x) in a.enumerated() {
            var current = [i + 1]
            for (j, y) in b.enumerated() {
                current.append(min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1)))
            }
            previous = current
        }
        return previous[b.count]
    }
}

extension Node {
    /// "mapping", "sequence" or "scalar", for messages.
    public var kind: String {
        switch self {
        case .scalar: "scalar"
        case .mapping: "mapping"
        case .sequence: "sequence"
        case .alias: "alias"
        }
    }
}
