import Results
import Testing
import Workload

/// What a run's report says about the caches it started from.
@Suite struct CacheStateTests {
    /// An index that fits shared_buffers is read into them; a larger one only passes through, and the line
    /// says how much of it can stay.
    @Test func aPrewarmSaysWhetherTheIndexFitsSharedBuffers() {
        let fits = CacheState(mode: "prewarm", prewarmedIndexBlocks: 50_000, prewarmedTableBlocks: 60_000, prewarmSeconds: 0.4, sharedBuffersBlocks: 131_072)
        #expect(fits.summary.contains("0.41 GB of the HNSW index into shared_buffers"), "\(fits.summary)")
        let larger = CacheState(mode: "prewarm", prewarmedIndexBlocks: 262_144, prewarmedTableBlocks: 60_000, prewarmSeconds: 1.7, sharedBuffersBlocks: 131_072)
        #expect(larger.summary.contains("2.15 GB of the HNSW index through shared_buffers (1.07 GB: at most 50 % of the index stays there"), "\(larger.summary)")
        // Reports written before the field existed keep the old sentence.
        let older = CacheState(mode: "prewarm", prewarmedIndexBlocks: 262_144, prewarmedTableBlocks: 60_000, prewarmSeconds: 1.7)
        #expect(older.summary.contains("into shared_buffers"))
    }
}
