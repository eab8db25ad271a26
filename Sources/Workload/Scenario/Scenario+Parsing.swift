import Datasets
import Foundation
import Results
import VectorSearch
import Yams

extension Scenario {
    static let keys = [
        "name", "description", "dataset", "target", "seed", "executor", "warmup", "duration", "requests", "timeout",
        "settings", "index", "recallSample", "rowLevelSecurity", "memoryRows", "runbook", "changeFeed", "pooler", "pool", "reconnectEvery", "operations", "thresholds",
    ]
    static let executorKeys = ["type", "clients", "rate", "startRate", "stages", "thinkTime", "arrivals"]
    static let stageKeys = ["duration", "target"]
    static let indexKeys = ["m", "efConstruction", "efSearch", "precision"]
    static let operationKeys = [
        "name", "operation", "weight", "rate", "clients", "limit", "filter", "share", "vectorType", "rerank", "queryOrder", "windowDays", "sql",
        "parameters", "timeToSearchable",
    ]
    static let probeKeys = ["sample", "poll", "timeout", "clients", "limit"]

    /// Reads a scenario by path, or by name from `scenariosDirectory`.
    /// - Parameter datasetsDirectory: where dataset specs live; the scenario's dataset must be there.
    /// - Throws: ``WorkloadError`` (bad input) with `file:line:column` for every problem found, in one line.
    public static func load(_ nameOrPath: String, scenariosDirectory: URL, datasetsDirectory: URL) throws -> Scenario {
        let path = YAMLMapping.path(of: nameOrPath, in: scenariosDirectory)
        guard FileManager.default.fileExists(atPath: path) else {
            let known = YAMLMapping.names(in: scenariosDirectory)
            throw WorkloadError(.badInput, "no scenario \(nameOrPath) (\(path)); known: \(known.joined(separator: ", "))")
        }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw WorkloadError(.badInput, "\(path): cannot read the file")
        }
        return try self.parse(text, file: path, datasetsDirectory: datasetsDirectory)
    }

    /// Parses scenario YAML; `file` names it in messages.
    public static func parse(_ text: String, file: String, datasetsDirectory: URL? = nil) throws -> Scenario {
        try ScenarioReader.read(text, file: file) { $0.scenario($1, datasetsDirectory: datasetsDirectory) }
    }
}

/// Reads a scenario and collects every problem instead of stopping at the first (k6's `Validate() []error`).
struct ScenarioReader {
    var problems: [String] = []

    /// Parses `text` (the contents of `file`) and reads it with `body`; every problem found becomes one error.
    /// - Throws: ``WorkloadError`` (bad input): the first problem, with the others after it.
    static func read<T>(_ text: String, file: String, _ body: (inout ScenarioReader, YAMLMapping) -> T) throws -> T {
        let yaml: YAMLMapping
        do {
            yaml = try YAMLMapping.parse(text, file: file)
        } catch let error as DatasetError {
            throw WorkloadError(.badInput, error.message)
        }
        var reader = ScenarioReader()
        let value = body(&reader, yaml)
        if let first = reader.problems.first {
            let more = reader.problems.count > 1 ? " (and \(reader.problems.count - 1) more: \(reader.problems.dropFirst().joined(separator: "; ")))" : ""
            throw WorkloadError(.badInput, first + more)
        }
        return value
    }

    /// Runs `body`, recording its error and returning `fallback` instead.
    mutating func attempt<T>(_ fallback: T, _ body: () throws -> T) -> T {
        do {
            return try body()
        } catch let error as DatasetError {
            self.problems.append(error.message)
        } catch {
            self.problems.append("\(error)")
        }
        return fallback
    }

    mutating func fail(_ yaml: YAMLMapping, _ message: String, at node: Node?) {
        self.problems.append(yaml.error(message, at: node).message)
    }

    /// The `dataset` key, checked against the specs in `datasetsDirectory`.
    mutating func dataset(_ yaml: YAMLMapping, datasetsDirectory: URL?) -> String {
        let dataset = self.attempt("tiny") { try yaml.string("dataset", default: "tiny") }
        if let datasetsDirectory, yaml.node("dataset") != nil, !dataset.contains("/"),
            !FileManager.default.fileExists(atPath: datasetsDirectory.appendingPathComponent("\(dataset).yaml").path)
        {
            let known = YAMLMapping.names(in: datasetsDirectory)
            self.fail(yaml, "no dataset \(dataset)\(YAMLMapping.suggestion(for: dataset, among: known)); known: \(known.joined(separator: ", "))", at: yaml.node("dataset"))
        }
        return dataset
    }

    mutating func scenario(_ yaml: YAMLMapping, datasetsDirectory: URL?) -> Scenario {
        if yaml.node("grid") != nil, yaml.node("executor") == nil {
            self.fail(yaml, "this is a sweep file (it has a grid): run it with `tripbench sweep`", at: nil)
            return Scenario(
                name: "", description: "", dataset: "", target: .postgres, seed: 0, executor: ExecutorConfiguration(type: .constantVUs, clients: 1),
                warmup: .zero, duration: .zero, requests: nil, timeout: .zero, settings: [], index: .init(), recallSample: 1,
                rowLevelSecurity: false, operations: [], thresholds: [])
        }
        self.attempt(()) { try yaml.checkKeys(Scenario.keys) }
        let name = self.attempt("") { try yaml.string("name") }
        // The name becomes a directory under reports/: one path component, short enough for any file system.
        if !name.isEmpty, name.wholeMatch(of: /[A-Za-z0-9][A-Za-z0-9._-]{0,99}/) == nil {
            self.fail(yaml, "name must be 1 to 100 letters, digits, '.', '_' or '-' (starting with a letter or digit), not \(name.count > 40 ? String(name.prefix(40)) + "…" : name)", at: yaml.node("name"))
        }
        let dataset = self.dataset(yaml, datasetsDirectory: datasetsDirectory)
        let target = self.choice(yaml, "target", default: TargetSelection.postgres)
        let seed = self.attempt(1) { try yaml.integer("seed", default: 1, in: 0...Int.max) }
        let executor = self.executor(yaml)
        let warmup = self.duration(yaml, "warmup", default: .seconds(5))
        let duration = self.duration(yaml, "duration", default: .seconds(30))
        let requests: Int? = yaml.node("requests") == nil ? nil : self.attempt(1) { try yaml.integer("requests", in: Scenario.Limits.requests) }
        if requests != nil, executor.type == .rampingArrivalRate {
            self.fail(yaml, "requests cannot be used with ramping-arrival-rate (its stages set the length)", at: yaml.node("requests"))
        }
        let timeout = self.duration(yaml, "timeout", default: .seconds(30))
        if timeout <= .zero { self.fail(yaml, "timeout must be above zero", at: yaml.node("timeout")) }
        let settings = self.settings(yaml)
        var index = self.index(yaml)
        let recallSample = self.attempt(1.0) { try yaml.number("recallSample", default: 1, in: 0...1) }
        let rowLevelSecurity = self.attempt(false) { try yaml.boolean("rowLevelSecurity", default: false) }
        let operations = self.operations(yaml)
        if (try? yaml.mapping("index"))?.node("precision") == nil {
            index.precision = Scenario.IndexConfiguration.precision(serving: operations)
        }
        index.growing = operations.contains { $0.kind == .insertMemory || $0.kind == .deleteMemory }
        if requests != nil, operations.contains(where: \.hasOwnRate) {
            self.fail(yaml, "operations with their own rate run for the duration; give duration instead of requests", at: yaml.node("requests"))
        }
        for kind in [OperationKind.insertMemory, .deleteMemory] where operations.filter({ $0.kind == kind }).count > 1 {
            self.fail(yaml, "only one \(kind.rawValue) stream: two would take the same rows", at: yaml.node("operations"))
        }
        let changeFeed = yaml.node("changeFeed") == nil ? nil : self.changeFeed(yaml)
        if changeFeed != nil, target == .index {
            self.fail(yaml, "a change feed reads PostgreSQL's logical replication; the target is index", at: yaml.node("changeFeed"))
        }
        let pooled = yaml.node("pool") != nil
        let thresholds = self.thresholds(
            yaml, operations: Scenario.thresholdNames(
                operations.map(\.name), feed: changeFeed != nil, pooled: pooled, reconnects: yaml.node("reconnectEvery") != nil))
        var memoryRows: RowAmount?
        if let node = yaml.node("memoryRows") {
            memoryRows = RowAmount(text: node.string ?? "")
            if memoryRows == nil { self.fail(yaml, "memoryRows must be a row count or a share such as 75%, not \(node.string ?? "a \(node.kind)")", at: node) }
        }
        var scenario = Scenario(
            name: name, description: self.attempt("") { try yaml.string("description", default: "") }, dataset: dataset,
            target: target, seed: UInt64(seed), executor: executor, warmup: warmup, duration: duration, requests: requests,
            timeout: timeout, settings: settings, index: index, recallSample: recallSample, rowLevelSecurity: rowLevelSecurity,
            operations: operations, thresholds: thresholds
        )
        scenario.memoryRows = memoryRows
        scenario.changeFeed = changeFeed
        if yaml.node("pooler") != nil { scenario.pooler = self.pooler(yaml) }
        if scenario.pooler != nil, rowLevelSecurity {
            self.fail(yaml, "rowLevelSecurity sets a role and a user per session, which a pooler does not keep; run it without pooler", at: yaml.node("pooler"))
        }
        if scenario.pooler != nil || yaml.node("pool") != nil, target == .index {
            self.fail(yaml, "pool and pooler are connections to PostgreSQL; the target is index", at: yaml.node("pooler") ?? yaml.node("pool"))
        }
        if yaml.node("pool") != nil { scenario.pool = self.pool(yaml, executor: &scenario.executor) }
        if let node = yaml.node("reconnectEvery") {
            scenario.reconnectEvery = self.attempt(nil) { try yaml.integer("reconnectEvery", in: 1...1_000_000) }
            if rowLevelSecurity { self.fail(yaml, "reconnectEvery opens sessions without the role and user rowLevelSecurity sets; run them apart", at: node) }
            if target == .index { self.fail(yaml, "reconnectEvery opens PostgreSQL connections; the target is index", at: node) }
        }
        if yaml.node("runbook") != nil { scenario.runbook = self.runbook(yaml, operations: operations) }
        return scenario
    }

    /// `runbook: {stages: [{insert: 10%}, {insert: 10%, delete: 5%}], checkpointQueries: 300}`: each amount
    /// needs the write stream that carries it out.
    mutating func runbook(_ yaml: YAMLMapping, operations: [OperationSpec]) -> Runbook? {
        guard let mapping = self.attempt(nil, { try yaml.mapping("runbook") }) else { return nil }
        self.attempt(()) { try mapping.checkKeys(["stages", "checkpointQueries"]) }
        var runbook = Runbook(stages: [])
        if mapping.node("checkpointQueries") != nil {
            runbook.checkpointQueries = self.attempt(nil) { try mapping.integer("checkpointQueries", in: 1...10_000_000) as Int? }
        }
        let nodes = self.attempt([]) { try mapping.sequence("stages") }
        if nodes.isEmpty { self.fail(mapping, "a runbook needs at least one stage under stages", at: mapping.node("stages")) }
        for node in nodes {
            guard let entry = self.attempt(nil, { try mapping.mapping(at: node, what: "a stage") }) else { continue }
            self.attempt(()) { try entry.checkKeys(["insert", "delete"]) }
            var stage = Runbook.Stage()
            for (key, kind) in [("insert", OperationKind.insertMemory), ("delete", .deleteMemory)] {
                guard let value = entry.node(key) else { continue }
                guard let amount = RowAmount(text: value.string ?? "") else {
                    self.fail(entry, "\(key) must be a row count or a share such as 10%, not \(value.string ?? "a \(value.kind)")", at: value)
                    continue
                }
                if !operations.contains(where: { $0.kind == kind }) {
                    self.fail(entry, "the stage's \(key) needs a \(kind.rawValue) operation with a rate under operations", at: value)
                }
                if key == "insert" { stage.insert = amount } else { stage.delete = amount }
            }
            if stage.insert == nil, stage.delete == nil { self.fail(entry, "a stage inserts, deletes or both", at: node) }
            runbook.stages.append(stage)
        }
        return runbook
    }

    mutating func choice<T: RawRepresentable & CaseIterable>(_ yaml: YAMLMapping, _ key: String, default value: T) -> T where T.RawValue == String {
        guard let node = yaml.node(key) else { return value }
        let text = node.string ?? ""
        if let parsed = T(rawValue: text) { return parsed }
        let known = T.allCases.map(\.rawValue)
        self.fail(yaml, "\(key) must be one of \(known.joined(separator: ", ")), not \(text)\(YAMLMapping.suggestion(for: text, among: known))", at: node)
        return value
    }

    mutating func duration(_ yaml: YAMLMapping, _ key: String, default value: Duration) -> Duration {
        guard let node = yaml.node(key) else { return value }
        guard let parsed = node.string.flatMap(DurationText.parse) else {
            self.fail(yaml, "\(key) must be \(DurationText.expected), not \(node.string ?? "a \(node.kind)")", at: node)
            return value
        }
        return parsed
    }

    mutating func executor(_ yaml: YAMLMapping) -> ExecutorConfiguration {
        var configuration = ExecutorConfiguration(type: .constantVUs, clients: 1)
        guard let executor = self.attempt(nil, { try yaml.mapping("executor") }) else {
            if yaml.node("executor") == nil { self.fail(yaml, "missing key executor", at: nil) }
            return configuration
        }
        self.attempt(()) { try executor.checkKeys(Scenario.executorKeys) }
        if let node = executor.node("type") {
            let text = node.string ?? ""
            if let type = ExecutorType(rawValue: text) ?? ExecutorType.aliases[text] {
                configuration.type = type
            } else {
                let known = ExecutorType.allCases.map(\.rawValue) + ExecutorType.aliases.keys.sorted()
                self.fail(executor, "unknown executor \(text)\(YAMLMapping.suggestion(for: text, among: known)); known: \(known.joined(separator: ", "))", at: node)
            }
        } else {
            self.fail(executor, "missing key type", at: nil)
        }
        configuration.clients = self.attempt(1) { try executor.integer("clients", default: 1, in: Scenario.Limits.clients) }
        switch configuration.type {
        case .constantVUs:
            for key in ["rate", "startRate", "stages", "arrivals"] where executor.node(key) != nil {
                self.fail(executor, "\(key) does not apply to constant-vus (a closed loop sends as fast as responses come back); use constant-arrival-rate for a fixed rate", at: executor.node(key))
            }
            configuration.thinkTime = self.duration(executor, "thinkTime", default: .zero)
        case .constantArrivalRate:
            configuration.rate = self.attempt(1) { try executor.number("rate", in: Scenario.Limits.rate) }
            for key in ["stages", "startRate", "thinkTime"] where executor.node(key) != nil {
                self.fail(executor, "\(key) does not apply to constant-arrival-rate", at: executor.node(key))
            }
        case .rampingArrivalRate:
            configuration.startRate = self.attempt(0) { try executor.number("startRate", default: 0, in: 0...Scenario.Limits.rate.upperBound) }
            for key in ["rate", "thinkTime"] where executor.node(key) != nil {
                self.fail(executor, "\(key) does not apply to ramping-arrival-rate (its stages set the rate)", at: executor.node(key))
            }
            let nodes = self.attempt([]) { try executor.sequence("stages") }
            if nodes.isEmpty { self.fail(executor, "ramping-arrival-rate needs at least one stage", at: executor.node("stages")) }
            for node in nodes {
                guard let stage = self.attempt(nil, { try executor.mapping(at: node, what: "a stage") }) else { continue }
                self.attempt(()) { try stage.checkKeys(Scenario.stageKeys) }
                let duration = self.duration(stage, "duration", default: .zero)
                if duration <= .zero { self.fail(stage, "a stage needs a duration above zero", at: stage.node("duration")) }
                let target = self.attempt(0) { try stage.number("target", in: 0...Scenario.Limits.rate.upperBound) }
                configuration.stages.append(.init(duration: duration, target: target))
            }
        }
        if configuration.isOpen { configuration.arrivals = self.choice(executor, "arrivals", default: .uniform) }
        return configuration
    }

    mutating func settings(_ yaml: YAMLMapping) -> [Scenario.Setting] {
        guard let settings = self.attempt(nil, { try yaml.mapping("settings") }) else { return [] }
        return settings.keys.compactMap { key in
            let name = key.name
            guard name.wholeMatch(of: /[A-Za-z_][A-Za-z0-9_.]*/) != nil else {
                self.problems.append("\(settings.position(key.mark)): \(name) is not a server setting name")
                return nil
            }
            guard let value = settings.node(name), case .scalar(let scalar) = value else {
                self.fail(settings, "setting \(name) must be a single value", at: settings.node(name))
                return nil
            }
            return Scenario.Setting(name: name, value: scalar.string)
        }
    }

    mutating func index(_ yaml: YAMLMapping) -> Scenario.IndexConfiguration {
        var index = Scenario.IndexConfiguration()
        guard let mapping = self.attempt(nil, { try yaml.mapping("index") }) else { return index }
        self.attempt(()) { try mapping.checkKeys(Scenario.indexKeys) }
        index.m = self.attempt(16) { try mapping.integer("m", default: 16, in: 2...100) }
        index.efConstruction = self.attempt(200) { try mapping.integer("efConstruction", default: 200, in: 4...1000) }
        index.efSearch = self.attempt(100) { try mapping.integer("efSearch", default: 100, in: 1...1000) }
        index.precision = self.choice(mapping, "precision", default: VectorPrecision.float32)
        return index
    }

    mutating func operations(_ yaml: YAMLMapping) -> [OperationSpec] {
        let nodes = self.attempt([]) { try yaml.sequence("operations") }
        if nodes.isEmpty { self.fail(yaml, "a scenario needs at least one operation under operations", at: yaml.node("operations")) }
        var operations: [OperationSpec] = []
        for node in nodes {
            guard let entry = self.attempt(nil, { try yaml.mapping(at: node, what: "an operation") }) else { continue }
            if let operation = self.operation(entry) {
                if operations.contains(where: { $0.name == operation.name }) {
                    self.fail(entry, "operation name \(operation.name) is used twice; give one a different name", at: entry.node("name"))
                }
                operations.append(operation)
            }
        }
        if !operations.isEmpty, operations.allSatisfy(\.hasOwnRate) {
            self.fail(yaml, "every operation has its own rate; the mix needs at least one operation with a weight", at: yaml.node("operations"))
        }
        // The probe searches as the scenario's own vector searches do, so the index built for them answers.
        let vectorType = operations.first { $0.kind == .vectorSearch }?.vectorType ?? .vector
        for (insert, operation) in operations.enumerated() {
            guard let probe = operation.searchable else { continue }
            if operations.contains(where: { $0.name == SearchableProbe.operationName }) {
                self.fail(yaml, "operation name \(SearchableProbe.operationName) is the time-to-searchable probe's; rename the other", at: yaml.node("operations"))
            }
            operations.append(SearchableProbe.operation(following: insert, probe: probe, vectorType: vectorType, limit: probe.limit))
        }
        return operations
    }

    mutating func operation(_ entry: YAMLMapping) -> OperationSpec? {
        self.attempt(()) { try entry.checkKeys(Scenario.operationKeys) }
        guard let name = self.attempt(nil, { try entry.string("name") }) else { return nil }
        let builtIn = OperationKind.allCases.filter { $0 != .custom }.map(\.rawValue)
        let kindNode = entry.node("operation") ?? (entry.node("sql") == nil ? entry.node("name") : nil)
        var kind = OperationKind.custom
        if let kindNode {
            let text = kindNode.string ?? ""
            guard let parsed = OperationKind(rawValue: text) else {
                self.fail(entry, "unknown operation \(text)\(YAMLMapping.suggestion(for: text, among: builtIn)); built in: \(builtIn.joined(separator: ", ")), or give sql for a custom one", at: kindNode)
                return nil
            }
            kind = parsed
        }
        let weight = self.attempt(1.0) { try entry.number("weight", default: 1, in: -Double.greatestFiniteMagnitude...Double.greatestFiniteMagnitude) }
        if weight <= 0 { self.fail(entry, "weight must be above zero, not \(weight.formatted())", at: entry.node("weight")) }
        var operation = OperationSpec(name: name, kind: kind, weight: weight)
        if entry.node("rate") != nil {
            operation.rate = self.attempt(1.0) { try entry.number("rate", default: 1, in: 0.001...1_000_000) }
            operation.clients = self.attempt(2) { try entry.integer("clients", default: 2, in: 1...10_000) }
            if entry.node("weight") != nil {
                self.fail(entry, "weight does not apply to an operation with its own rate (it is not part of the mix)", at: entry.node("weight"))
            }
        } else if kind.needsOwnRate {
            self.fail(entry, "\(kind.rawValue) runs on its own stream: give it a rate (requests a second), e.g. {name: \(name), rate: 20}", at: entry.node("name"))
        } else if entry.node("clients") != nil {
            self.fail(entry, "clients applies to an operation with its own rate; the mix's clients are the executor's", at: entry.node("clients"))
        }
        operation.limit = self.attempt(kind.defaultLimit) { try entry.integer("limit", default: kind.defaultLimit, in: 1...10_000) }
        operation.filter = self.choice(entry, "filter", default: VectorFilter.userAndType)
        operation.share = self.attempt(0.01) { try entry.number("share", default: 0.01, in: 0.0001...1) }
        operation.vectorType = self.choice(entry, "vectorType", default: VectorType.vector)
        operation.rerank = self.attempt(4) { try entry.integer("rerank", default: 4, in: 1...1000) }
        operation.queryOrder = self.choice(entry, "queryOrder", default: QueryOrder.random)
        for key in ["vectorType", "rerank", "queryOrder"] where entry.node(key) != nil && kind != .vectorSearch {
            self.fail(entry, "\(key) is only for vector_search", at: entry.node(key))
        }
        if entry.node("share") != nil, operation.filter != .share {
            self.fail(entry, "share is the share of rows `filter: share` keeps; this operation's filter is \(operation.filter.rawValue)", at: entry.node("share"))
        }
        operation.windowDays = self.attempt(90) { try entry.integer("windowDays", default: 90, in: 1...3650) }
        if let node = entry.node("timeToSearchable") {
            if kind == .insertMemory { operation.searchable = self.probe(entry) } else {
                self.fail(entry, "timeToSearchable follows the rows an insert_memory stream adds; \(kind.rawValue) adds none", at: node)
            }
        }
        if kind == .custom {
            guard let sql = self.attempt(nil, { try entry.string("sql") }) else { return nil }
            operation.sql = sql
            operation.parameters = self.attempt([]) { try entry.sequence("parameters") }.compactMap { self.parameter(entry, $0) }
            let highest = sql.matches(of: /\$([0-9]+)/).compactMap { Int($0.output.1) }.max() ?? 0
            if highest != operation.parameters.count {
                self.fail(entry, "the SQL uses \(highest) parameter\(highest == 1 ? "" : "s") ($1…$n) but \(operation.parameters.count) \(operation.parameters.count == 1 ? "is" : "are") given under parameters", at: entry.node("sql"))
            }
        } else {
            for key in ["sql", "parameters"] where entry.node(key) != nil {
                self.fail(entry, "\(key) is only for custom operations; \(kind.rawValue) has its own query", at: entry.node(key))
            }
        }
        return operation
    }

    /// `pooler: {type: pgbouncer, mode: transaction, poolSize: 20, reservePool: 0, maxClients: 2000}` (maxClients
    /// optional: room for the run's clients).
    mutating func pooler(_ yaml: YAMLMapping) -> PoolerSpec? {
        guard let mapping = self.attempt(nil, { try yaml.mapping("pooler") }) else { return nil }
        self.attempt(()) { try mapping.checkKeys(["type", "mode", "poolSize", "reservePool", "maxClients"]) }
        if let type = mapping.node("type"), type.string != "pgbouncer" {
            self.fail(mapping, "pooler type must be pgbouncer, not \(type.string ?? "a \(type.kind)")", at: type)
        }
        var pooler = PoolerSpec()
        if let node = mapping.node("mode") {
            let mode = node.string ?? ""
            if PoolerSpec.modes.contains(mode) { pooler.mode = mode } else {
                self.fail(mapping, "pooler mode must be one of \(PoolerSpec.modes.joined(separator: ", ")), not \(mode)\(YAMLMapping.suggestion(for: mode, among: PoolerSpec.modes))", at: node)
            }
        }
        pooler.poolSize = self.attempt(20) { try mapping.integer("poolSize", default: 20, in: 1...10_000) }
        pooler.reservePool = self.attempt(0) { try mapping.integer("reservePool", default: 0, in: 0...10_000) }
        if mapping.node("maxClients") != nil { pooler.maxClients = self.attempt(nil) { try mapping.integer("maxClients", in: 1...100_000) } }
        return pooler
    }

    /// `pool: {size: 20, maxOverflow: 30, timeout: 30s}`: the run's clients become the pool's connections, so
    /// `executor.clients`, when given, must agree; an open loop only (a closed loop's clients never wait).
    mutating func pool(_ yaml: YAMLMapping, executor: inout ExecutorConfiguration) -> PoolSpec? {
        guard let mapping = self.attempt(nil, { try yaml.mapping("pool") }) else { return nil }
        self.attempt(()) { try mapping.checkKeys(["size", "maxOverflow", "timeout"]) }
        var pool = PoolSpec()
        pool.size = self.attempt(20) { try mapping.integer("size", default: 20, in: 1...Scenario.Limits.clients.upperBound) }
        pool.maxOverflow = self.attempt(30) { try mapping.integer("maxOverflow", default: 30, in: 0...Scenario.Limits.clients.upperBound) }
        pool.timeout = self.duration(mapping, "timeout", default: .seconds(30))
        if pool.timeout <= .zero { self.fail(mapping, "pool timeout must be above zero", at: mapping.node("timeout")) }
        if !executor.isOpen {
            self.fail(yaml, "pool models requests waiting for a connection, which needs an open loop (constant-arrival-rate or ramping-arrival-rate); a closed loop's clients never wait", at: yaml.node("pool"))
        }
        if let clients = (try? yaml.mapping("executor"))?.node("clients"), let given = clients.int, given != pool.connections {
            self.fail(yaml, "executor clients \(given) disagree with pool size + maxOverflow = \(pool.connections) (the pool's connections are the clients); leave clients out", at: clients)
        }
        executor.clients = pool.connections
        return pool
    }

    /// `changeFeed: {subscribers: 10, tables: [trips, chat_messages]}` (tables optional).
    mutating func changeFeed(_ yaml: YAMLMapping) -> ChangeFeedSpec? {
        guard let mapping = self.attempt(nil, { try yaml.mapping("changeFeed") }) else { return nil }
        self.attempt(()) { try mapping.checkKeys(["subscribers", "tables"]) }
        var feed = ChangeFeedSpec(subscribers: self.attempt(1) { try mapping.integer("subscribers", in: 1...ChangeFeedSpec.maximumSubscribers) })
        if let node = mapping.node("tables") {
            let tables = self.attempt([]) { try mapping.sequence("tables") }.map { $0.string ?? "" }
            for table in tables where !ChangeFeedSpec.publishable.contains(table) {
                self.fail(mapping, "changeFeed table \(table) is not one a run writes\(YAMLMapping.suggestion(for: table, among: ChangeFeedSpec.publishable)); known: \(ChangeFeedSpec.publishable.joined(separator: ", "))", at: node)
            }
            if tables.isEmpty { self.fail(mapping, "changeFeed tables must name at least one table", at: node) }
            feed.tables = tables
        }
        return feed
    }

    /// `timeToSearchable: {sample: 0.1, poll: 10ms, timeout: 10s, clients: 2, limit: 10}` (every key optional).
    mutating func probe(_ entry: YAMLMapping) -> SearchableProbe? {
        guard let mapping = self.attempt(nil, { try entry.mapping("timeToSearchable") }) else { return nil }
        self.attempt(()) { try mapping.checkKeys(Scenario.probeKeys) }
        var probe = SearchableProbe()
        probe.sample = self.attempt(0.1) { try mapping.number("sample", default: 0.1, in: 0.000_001...1) }
        probe.poll = self.duration(mapping, "poll", default: .milliseconds(10))
        probe.timeout = self.duration(mapping, "timeout", default: .seconds(10))
        if probe.poll <= .zero { self.fail(mapping, "poll must be above zero", at: mapping.node("poll")) }
        if probe.timeout < probe.poll { self.fail(mapping, "timeout must be at least one poll", at: mapping.node("timeout")) }
        probe.clients = self.attempt(2) { try mapping.integer("clients", default: 2, in: 1...1000) }
        probe.limit = self.attempt(10) { try mapping.integer("limit", default: 10, in: 1...10_000) }
        return probe
    }

    mutating func parameter(_ entry: YAMLMapping, _ node: Node) -> ParameterGenerator? {
        guard let mapping = self.attempt(nil, { try entry.mapping(at: node, what: "a parameter") }) else { return nil }
        guard let type = self.attempt(nil, { try mapping.string("type") }) else { return nil }
        let keys: [String: [String]] = [
            "uniform": ["min", "max"], "zipf": ["min", "max", "exponent"], "words": ["count"], "date": ["from", "to"],
            "constant": ["value"],
        ]
        guard ParameterGenerator.typeNames.contains(type) else {
            self.fail(mapping, "unknown parameter type \(type)\(YAMLMapping.suggestion(for: type, among: ParameterGenerator.typeNames)); known: \(ParameterGenerator.typeNames.joined(separator: ", "))", at: mapping.node("type"))
            return nil
        }
        self.attempt(()) { try mapping.checkKeys(["type"] + (keys[type] ?? [])) }
        func range() -> (Int, Int)? {
            let low = self.attempt(nil) { try mapping.integer("min", in: Int.min...Int.max) as Int? }
            let high = self.attempt(nil) { try mapping.integer("max", in: Int.min...Int.max) as Int? }
            guard let low, let high else { return nil }
            guard low <= high else {
                self.fail(mapping, "min (\(low)) is above max (\(high))", at: mapping.node("min"))
                return nil
            }
            return (low, high)
        }
        switch type {
        case "uniform":
            return range().map { .uniform(min: $0.0, max: $0.1) }
        case "zipf":
            let exponent = self.attempt(1.0) { try mapping.number("exponent", default: 1, in: 0...10) }
            guard let (low, high) = range() else { return nil }
            guard high - low < 100_000_000 else {
                self.fail(mapping, "a zipf range holds at most 100,000,000 values", at: mapping.node("max"))
                return nil
            }
            return .zipf(min: low, max: high, exponent: exponent)
        case "user": return .user
        case "trip": return .trip
        case "session": return .session
        case "query_vector": return .queryVector
        case "words": return .words(count: self.attempt(2) { try mapping.integer("count", default: 2, in: 1...50) })
        case "date":
            let from = self.attempt("2025-01-01") { try mapping.string("from") }
            let to = self.attempt("2027-12-31") { try mapping.string("to") }
            guard let start = DateText.days(from), let end = DateText.days(to), start <= end else {
                self.fail(mapping, "from and to must be dates yyyy-mm-dd with from not after to", at: mapping.node("from"))
                return nil
            }
            return .date(from: from, to: to)
        default:
            return .constant(self.attempt("") { try mapping.string("value") })
        }
    }

    mutating func thresholds(_ yaml: YAMLMapping, operations: [String]) -> [Threshold] {
        guard let mapping = self.attempt(nil, { try yaml.mapping("thresholds") }) else { return [] }
        var thresholds: [Threshold] = []
        for key in mapping.keys {
            let node = mapping.node(key.name)
            if key.name != "all", !operations.contains(key.name) {
                self.problems.append("\(mapping.position(key.mark)): thresholds for \(key.name), which is not an operation of this scenario\(YAMLMapping.suggestion(for: key.name, among: operations + ["all"])); use an operation name or all")
                continue
            }
            var texts: [(String, Node?)] = []
            switch node {
            case .scalar(let scalar)?: texts = [(scalar.string, node)]
            case .sequence(let sequence)?: texts = sequence.map { ($0.string ?? "", $0) }
            default: self.fail(mapping, "thresholds of \(key.name) must be a condition or a list of them", at: node)
            }
            for (text, at) in texts {
                switch Threshold.parse(text, operation: key.name) {
                case .success(let threshold): thresholds.append(threshold)
                case .failure(let error): self.fail(mapping, error.message, at: at)
                }
            }
        }
        return thresholds
    }
}
