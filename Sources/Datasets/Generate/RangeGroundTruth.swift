import Foundation
import VectorSearch

extension DatasetManifest {
    /// The exact unfiltered neighbours of every query among the first `rows` memory embeddings only,
    /// `queries × groundTruthK` row ids as in `gt.ibin`: what recall is measured against in a database that
    /// holds a prefix of the dataset (`tripbench scale`). Computed as generation computes `gt.ibin`, over the
    /// mapped prefix of `base.fbin`, so the full-size answer equals the file's.
    /// - Throws: ``DatasetError`` when a file is missing or does not match the manifest.
    public func prefixGroundTruth(in directory: URL, rows: Int, threads: Int, progress: (@Sendable (Int) -> Void)? = nil) throws -> [Int32] {
        try self.rangeGroundTruth(in: directory, rows: 0..<rows, threads: threads, progress: progress)
    }

    /// The exact unfiltered neighbours of every query among the memory embeddings `rows` only (row ids of the
    /// whole dataset): the rows a streaming runbook has present at a stage, where inserts add rows at the end
    /// and retention deletes the oldest. Only the range's pages of `base.fbin` are read.
    /// - Throws: ``DatasetError`` when a file is missing, does not match the manifest, or `rows` is empty or
    ///   beyond the file.
    public func rangeGroundTruth(in directory: URL, rows: Range<Int>, threads: Int, progress: (@Sendable (Int) -> Void)? = nil) throws -> [Int32] {
        func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
        do {
            let base = try VectorFiles.mapFbin(path("base.fbin"), rows: rows)
            let queries = try VectorFiles.readFbin(path("queries.fbin"))
            let memory = try VectorFiles.readIbin(path("memory_labels.ibin")).ids
            let query = try VectorFiles.readIbin(path("query_labels.ibin")).ids
            let labels = GroundTruth.Labels(
                users: stride(from: 2 * rows.lowerBound, to: 2 * rows.upperBound, by: 2).map { memory[$0] },
                types: stride(from: 2 * rows.lowerBound + 1, to: 2 * rows.upperBound, by: 2).map { UInt8(memory[$0]) },
                queryUsers: stride(from: 0, to: query.count, by: 2).map { query[$0] },
                queryTypes: stride(from: 1, to: query.count, by: 2).map { UInt8(query[$0]) })
            let offset = Int32(rows.lowerBound)
            return try GroundTruth.compute(
                base: base, queries: queries, labels: labels, metric: self.metric, k: self.groundTruthK, rowsPerBlock: 4096,
                threads: threads, progress: progress
            ).unfiltered.map { $0 >= 0 ? $0 + offset : $0 }
        } catch let error as VectorSearchError {
            throw DatasetError(.badInput, error.message)
        }
    }
}
