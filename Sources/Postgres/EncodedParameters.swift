import CLibPQ

/// Statement parameters encoded into one contiguous buffer, laid out the way `PQexecParams` and
/// `PQexecPrepared` take them.
struct EncodedParameters {
    private var types: [Oid] = []
    private var formats: [Int32] = []
    private var lengths: [Int32] = []
    /// Where each value starts in `buffer`; nil for SQL NULL.
    private var offsets: [Int?] = []
    private var buffer = PostgresBuffer()

    /// Encodes `parameters`; `serverTypes` (from a prepared statement's description) lets integers and floats
    /// take the width the server expects.
    init(_ parameters: [(any PostgresEncodable)?], serverTypes: [PostgresDataType]?) throws {
        if let serverTypes, serverTypes.count != parameters.count {
            throw PostgresError(.encoding, "the statement takes \(serverTypes.count) parameters, \(parameters.count) given")
        }
        for (index, parameter) in parameters.enumerated() {
            guard let parameter else {
                self.types.append(0)
                self.formats.append(PostgresFormat.text.rawValue)
                self.lengths.append(0)
                self.offsets.append(nil)
                continue
            }
            let start = self.buffer.count
            let format: PostgresFormat
            let dataType: PostgresDataType
            if let serverType = serverTypes?[index] {
                format = try parameter.encode(into: &self.buffer, asParameterOf: serverType)
                dataType = serverType
            } else {
                try parameter.encode(into: &self.buffer)
                format = type(of: parameter).parameterFormat
                dataType = type(of: parameter).parameterType
            }
            if format == .text { self.buffer.writeInteger(UInt8(0)) }  // C string terminator
            self.types.append(dataType.oid)
            self.formats.append(format.rawValue)
            self.lengths.append(Int32(self.buffer.count - start - (format == .text ? 1 : 0)))
            self.offsets.append(start)
        }
        // One spare byte, so an empty last value still gets a non-nil pointer (nil would mean NULL).
        self.buffer.writeInteger(UInt8(0))
    }

    /// Calls `body` with the count, types, values, lengths and formats arrays.
    func withArguments<R>(
        _ body: (
            Int32, UnsafePointer<Oid>?, UnsafePointer<UnsafePointer<CChar>?>?, UnsafePointer<Int32>?,
            UnsafePointer<Int32>?
        ) -> R
    ) -> R {
        self.buffer.bytes.withUnsafeBytes { raw in
            // The spare byte written last makes the buffer non-empty, so it has a base address.
            let base = raw.baseAddress!.assumingMemoryBound(to: CChar.self)
            let values: [UnsafePointer<CChar>?] = self.offsets.map { offset in offset.map { UnsafePointer(base + $0) } }
            return self.types.withUnsafeBufferPointer { types in
                values.withUnsafeBufferPointer { values in
                    self.lengths.withUnsafeBufferPointer { lengths in
                        self.formats.withUnsafeBufferPointer { formats in
                            body(Int32(values.count), types.baseAddress, values.baseAddress, lengths.baseAddress,
                                 formats.baseAddress)
                        }
                    }
                }
            }
        }
    }
}
