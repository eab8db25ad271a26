import Datasets
import Foundation
import Postgres
import Results

/// The memory rows a run's write streams may touch, checked before the run starts, and how the table is put
/// back afterwards.
///
/// Inserts take the dataset's rows after those present, in order; deletes the oldest present, in order
/// (``RequestStream/laneDraw(_:operation:)``). Each stream sends at most its `count`, or what its rate gives
/// over the warm-up and the measured part; those are the rows it may touch.
struct MemoryChanges: Sendable {
    /// Rows insert_memory may add, and rows delete_memory may remove.
    let inserted: Range<Int>
    let deleted: Range<Int>
    let updates: Bool
    /// The inserted rows (and the deleted ones, to put back) as the dataset's COPY file holds them; nil when
    /// the postgres target is not run or nothing is inserted or deleted.
    let rows: PostgresCopyRows?

    /// - Throws: ``WorkloadError`` (bad input) when the dataset has too few rows after those present for the
    ///   inserts, or too few present for the deletes.
    init(scenario: Scenario, catalog: DatasetCatalog) throws {
        let present = catalog.presentRows
        let total = catalog.manifest.counts["memory_embeddings"] ?? present.upperBound
        func rows(_ kind: OperationKind) -> (operation: OperationSpec, count: Int)? {
            guard let operation = scenario.operations.first(where: { $0.kind == kind }), let rate = operation.rate else { return nil }
            let planned = Int((rate * (scenario.warmup + scenario.plannedDuration).inSeconds).rounded(.up)) + 1
            return (operation, min(operation.count ?? planned, planned))
        }
        let inserts = rows(.insertMemory), deletes = rows(.deleteMemory)
        if let (operation, count) = inserts, present.upperBound + count > total {
            throw WorkloadError(.badInput, "\(operation.name) may insert \(count) rows after the \(present.upperBound) present, and the dataset holds \(total - present.upperBound) more; start from fewer rows (memoryRows), lower its rate or shorten the run")
        }
        if let (operation, count) = deletes, count > present.count {
            throw WorkloadError(.badInput, "\(operation.name) may delete \(count) rows and \(present.count) are present; lower its rate or shorten the run")
        }
        self.inserted = present.upperBound..<(present.upperBound + (inserts?.count ?? 0))
        self.deleted = present.lowerBound..<(present.lowerBound + (deletes?.count ?? 0))
        self.updates = scenario.operations.contains { $0.kind == .updateMemory }
        let needed = self.deleted.isEmpty ? self.inserted : self.deleted.lowerBound..<max(self.inserted.upperBound, self.deleted.upperBound)
        self.rows = scenario.target.targets.contains(.postgres) && !needed.isEmpty ? try Self.copyRows(needed, catalog: catalog) : nil
    }

    var changesAnything: Bool { !self.inserted.isEmpty || !self.deleted.isEmpty || self.updates }

    /// Changes of known rows: `inserted` to remove, `deleted` to put back (a runbook's, undone at its end).
    init(inserted: Range<Int>, deleted: Range<Int>, updates: Bool, catalog: DatasetCatalog) throws {
        self.inserted = inserted
        self.deleted = deleted
        self.updates = updates
        self.rows = deleted.isEmpty ? nil : try Self.copyRows(deleted, catalog: catalog)
    }

    /// Rows `rows` of the dataset's memory_embeddings COPY file.
    private static func copyRows(_ rows: Range<Int>, catalog: DatasetCatalog) throws -> PostgresCopyRows {
        do {
            return try PostgresCopyRows(path: catalog.directory.appendingPathComponent(TripSageTables.fileName("memory_embeddings")).path, rows: rows)
        } catch let error as PostgresError {
            throw WorkloadError(.badInput, error.message)
        }
    }

    /// Puts the table back as the dataset has it: the rows the run may have inserted removed, the rows it may
    /// have deleted inserted again (byte for byte, from the COPY file), its metadata changes taken out.
    func restore(_ connection: PostgresConnection, catalog: DatasetCatalog) throws {
        for row in self.inserted { try connection.query(OperationSQL.deleteMemory, [catalog.memoryID(row)]) }
        if let rows = self.rows, !self.deleted.isEmpty {
            for row in self.deleted { try connection.query(OperationSQL.insertMemory + " ON CONFLICT (id) DO NOTHING", rows.fields(of: row)) }
        }
        if self.updates {
            try connection.query("UPDATE memory_embeddings SET metadata = metadata - 'tripbench_update' WHERE metadata ? 'tripbench_update'")
        }
    }
}
