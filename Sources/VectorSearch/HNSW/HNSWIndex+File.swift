extension HNSWIndex {
    /// The index file format this build writes (it reads version 1 too). Bump it whenever the layout changes.
    public static let fileVersion: UInt32 = 2
    private static let magic: [UInt8] = Array("TRIPHNSW".utf8)
    /// Version 1's header, which version 2 extends with the precision and four reserved bytes.
    private static let firstHeaderBytes = 64
    private static let headerBytes = 72

    /// Writes the index to `path` (under a temporary name, then renamed).
    ///
    /// Layout, little-endian: a 72-byte header (magic `TRIPHNSW`, version, metric, dimension, m,
    /// ef_construction, record stride, node count, level seed, entry point, top level, upper-layer words,
    /// precision, four zero bytes; version 1 ended before the precision and held single precision only),
    /// the level of each node (one byte each), the records (vectors and layer-0 lists) and the upper-layer
    /// lists exactly as in memory, then an 8-byte checksum: XXH64 of the header followed by the XXH64 of each
    /// of the three sections.
    /// - Throws: ``VectorSearchError`` (bad input) for a growing index, whose records are not all nodes yet.
    public func save(to path: String) throws {
        guard !self.isGrowing else { throw VectorSearchError(.badInput, "a growing index cannot be saved: rows are still arriving") }
        let header = self.header()
        let sections = self.sections
        try BinaryFile.write(to: path) { file in
            try header.withUnsafeBytes { try file.write($0.baseAddress!, bytes: $0.count) }
            for section in sections { try file.write(section.baseAddress!, bytes: section.count) }
            var checksum = Self.checksum(header: header, sections: sections).littleEndian
            try file.write(&checksum, bytes: 8)
        }
    }

    /// Reads an index written by ``save(to:)``.
    /// - Throws: ``VectorSearchError`` (bad input) naming the file when it is not an index, comes from
    ///   another format version, is truncated, or fails its checksum.
    public static func load(from path: String) throws -> HNSWIndex {
        let file = try BinaryFile(reading: path)
        guard file.size >= Self.firstHeaderBytes else {
            throw VectorSearchError(.badInput, "\(path): \(file.size) bytes is too short for an HNSW index (truncated?)")
        }
        var header = [UInt8](repeating: 0, count: Self.firstHeaderBytes)
        try header.withUnsafeMutableBytes { try file.read(into: $0.baseAddress!, bytes: Self.firstHeaderBytes) }
        if Self.version(of: header) == Self.fileVersion, file.size >= Self.headerBytes {
            var rest = [UInt8](repeating: 0, count: Self.headerBytes - Self.firstHeaderBytes)
            try rest.withUnsafeMutableBytes { try file.read(into: $0.baseAddress!, bytes: $0.count) }
            header += rest
        }
        let fields = try Self.parse(header, path: path)
        let expected = header.count + fields.count + fields.count * fields.stride + fields.upperWords * 4 + 8
        guard file.size == expected else {
            throw VectorSearchError(.badInput, file.size < expected
                ? "\(path): the file is truncated: \(file.size) bytes, its header describes \(expected)"
                : "\(path): \(file.size) bytes, but its header describes \(expected)")
        }
        var levels = [UInt8](repeating: 0, count: fields.count)
        try levels.withUnsafeMutableBytes { try file.read(into: $0.baseAddress!, bytes: fields.count) }
        // Any node on the top layer may be the entry point (other builders, such as hnswlib, pick other ones).
        guard Int(fields.entryPoint) < fields.count, Int(levels[Int(fields.entryPoint)]) == fields.maxLevel else {
            throw VectorSearchError(.badInput, "\(path): the entry point is not on the top layer (corrupt file)")
        }
        let index = try HNSWIndex(parameters: fields.parameters, dimension: fields.dimension, levels: levels, entryPoint: fields.entryPoint)
        let sections = index.sections
        guard index.graph.stride == fields.stride, sections[2].count == fields.upperWords * 4, index.maxLevel == fields.maxLevel else { throw VectorSearchError(.badInput, "\(path): the header does not match the levels it holds (corrupt file)") }
        for section in sections.dropFirst() { try file.read(into: UnsafeMutableRawPointer(mutating: section.baseAddress!), bytes: section.count) }
        var stored: UInt64 = 0
        try file.read(into: &stored, bytes: 8)
        guard UInt64(littleEndian: stored) == Self.checksum(header: header, sections: sections) else {
            throw VectorSearchError(.badInput, "\(path): the checksum does not match (the file is damaged)")
        }
        return index
    }

    /// Levels, records and upper lists: the index's memory as the file holds it.
    private var sections: [UnsafeRawBufferPointer] {
        let graph = self.graph
        return [
            UnsafeRawBufferPointer(start: graph.levels, count: self.count),
            UnsafeRawBufferPointer(start: graph.records, count: self.count * graph.stride),
            UnsafeRawBufferPointer(start: graph.upper, count: self.upperWords * 4),
        ]
    }

    private static func checksum(header: [UInt8], sections: [UnsafeRawBufferPointer]) -> UInt64 {
        var summary = header
        for section in sections {
            withUnsafeBytes(of: XXH64.hash(section).littleEndian) { summary.append(contentsOf: $0) }
        }
        return summary.withUnsafeBytes { XXH64.hash($0) }
    }

    private func header() -> [UInt8] {
        var bytes = Self.magic
        func append<Value: FixedWidthInteger>(_ value: Value) { withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) } }
        append(Self.fileVersion)
        append(UInt32(VectorMetric.allCases.firstIndex(of: self.parameters.metric)!))
        append(UInt32(self.dimension))
        append(UInt32(self.parameters.m))
        append(UInt32(self.parameters.efConstruction))
        append(UInt32(self.graph.stride))
        append(UInt64(self.count))
        append(self.parameters.seed)
        append(self.entryPoint)
        append(UInt32(self.maxLevel))
        append(UInt64(self.upperWords))
        append(UInt32(VectorPrecision.allCases.firstIndex(of: self.parameters.precision)!))
        append(UInt32(0))
        return bytes
    }

    private static func version(of header: [UInt8]) -> UInt32 {
        header.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: 8, as: UInt32.self)) }
    }

    private struct HeaderFields {
        var parameters: HNSWParameters
        var dimension: Int
        var stride: Int
        var count: Int
        var entryPoint: UInt32
        var maxLevel: Int
        var upperWords: Int
    }

    private static func parse(_ header: [UInt8], path: String) throws -> HeaderFields {
        guard Array(header.prefix(8)) == Self.magic else {
            throw VectorSearchError(.badInput, "\(path): not a tripbench HNSW index file")
        }
        func field<Value: FixedWidthInteger>(_ offset: Int, _: Value.Type) -> Value {
            header.withUnsafeBytes { Value(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: Value.self)) }
        }
        let version = field(8, UInt32.self)
        guard version == 1 || version == Self.fileVersion else {
            throw VectorSearchError(.badInput, "\(path): index file format version \(version); this tripbench reads versions 1 and \(Self.fileVersion) (rebuild the index)")
        }
        guard header.count == (version == 1 ? Self.firstHeaderBytes : Self.headerBytes) else {
            throw VectorSearchError(.badInput, "\(path): \(header.count) bytes is too short for an HNSW index (truncated?)")
        }
        let metricIndex = Int(field(12, UInt32.self))
        guard metricIndex < VectorMetric.allCases.count else { throw VectorSearchError(.badInput, "\(path): unknown metric \(metricIndex) (corrupt file)") }
        let precisionIndex = version == 1 ? 0 : Int(field(64, UInt32.self))
        guard precisionIndex < VectorPrecision.allCases.count else {
            throw VectorSearchError(.badInput, "\(path): unknown precision \(precisionIndex) (corrupt file)")
        }
        let parameters = HNSWParameters(
            metric: VectorMetric.allCases[metricIndex], m: Int(field(20, UInt32.self)),
            efConstruction: Int(field(24, UInt32.self)), seed: field(40, UInt64.self), precision: VectorPrecision.allCases[precisionIndex])
        let dimension = Int(field(16, UInt32.self))
        let count = Int(field(32, UInt64.self))
        let stride = Int(field(28, UInt32.self))
        do { try parameters.validate() } catch { throw VectorSearchError(.badInput, "\(path): \(error) (corrupt file)") }
        let upperWords = field(56, UInt64.self)
        guard (1...65_536).contains(dimension), count > 0, count < Int(UInt32.max), upperWords <= UInt64(UInt32.max),
            stride == HNSWGraph.stride(dimension: dimension, m: parameters.m, precision: parameters.precision)
        else {
            throw VectorSearchError(.badInput, "\(path): impossible sizes in the header (\(count) × \(dimension), stride \(stride)); corrupt file")
        }
        return HeaderFields(
            parameters: parameters, dimension: dimension, stride: stride, count: count, entryPoint: field(48, UInt32.self),
            maxLevel: Int(field(52, UInt32.self)), upperWords: Int(upperWords))
    }
}
