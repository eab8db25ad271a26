/// A growable byte buffer in network byte order: what parameters and COPY rows are encoded into.
public struct PostgresBuffer: Sendable {
    public private(set) var bytes: [UInt8]

    public init(capacity: Int = 256) {
        self.bytes = []
        self.bytes.reserveCapacity(capacity)
    }

    public var count: Int { self.bytes.count }

    public mutating func writeInteger<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.bigEndian) { self.bytes.append(contentsOf: $0) }
    }

    public mutating func writeBytes(_ bytes: some Sequence<UInt8>) {
        self.bytes.append(contentsOf: bytes)
    }

    public mutating func writeString(_ string: String) {
        self.bytes.append(contentsOf: string.utf8)
    }

    /// Appends `values` as big-endian float32, the layout of pgvector's binary `vector`.
    public mutating func writeFloatsBigEndian(_ values: UnsafeBufferPointer<Float>) {
        let start = self.bytes.count
        self.bytes.append(contentsOf: repeatElement(0, count: values.count * 4))
        self.bytes.withUnsafeMutableBytes { raw in
            let out = raw.baseAddress! + start
            for index in values.indices {
                out.storeBytes(of: values[index].bitPattern.bigEndian, toByteOffset: index * 4, as: UInt32.self)
            }
        }
    }

    /// Overwrites four bytes at `offset` with `value`: used to fill in a length once the value is written.
    mutating func setInt32(_ value: Int32, at offset: Int) {
        self.bytes.withUnsafeMutableBytes { $0.storeBytes(of: value.bigEndian, toByteOffset: offset, as: Int32.self) }
    }

    /// Empties the buffer and keeps its capacity.
    public mutating func removeAll() { self.bytes.removeAll(keepingCapacity: true) }
}

/// Reads big-endian values from a column's bytes, checking lengths as it goes.
struct PostgresReader {
    let bytes: UnsafeRawBufferPointer
    private(set) var offset = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    var remaining: Int { self.bytes.count - self.offset }

    mutating func readInteger<T: FixedWidthInteger>(as: T.Type = T.self) throws -> T {
        guard self.remaining >= MemoryLayout<T>.size else {
            throw PostgresError(.decoding, "value ended after \(self.bytes.count) bytes")
        }
        let value = self.bytes.loadUnaligned(fromByteOffset: self.offset, as: T.self)
        self.offset += MemoryLayout<T>.size
        return T(bigEndian: value)
    }
}
