import CHDF5
import Foundation
import VectorSearch

/// An ann-benchmarks dataset file (HDF5): `train` (the base vectors), `test` (the queries), `neighbors` (their
/// exact top-k ids), `distances`, and the `distance` attribute (`angular`, `euclidean`, `dot`), as the public
/// embedding sets ship (glove, sift, nytimes, dbpedia-openai…). Read through the HDF5 C library (Debian's
/// libhdf5-dev).
///
/// A contiguous, unfiltered float32 matrix (what h5py writes by default, and what the ann-benchmarks files are)
/// is mapped in place like an `.fbin`: nothing is read until a row is touched. A chunked or compressed one is
/// read into memory, refused when it would not fit.
public struct HDF5VectorFile: Sendable {
    public let path: String

    /// Whether `path` names an HDF5 file by its extension (`.hdf5`, `.h5`).
    public static func isHDF5(_ path: String) -> Bool {
        let lower = path.lowercased()
        return lower.hasSuffix(".hdf5") || lower.hasSuffix(".h5")
    }

    public init(path: String) { self.path = path }

    /// A two-dimensional dataset's shape, element class and size, and where its data starts when it is
    /// contiguous and unfiltered.
    struct Matrix {
        var rows: Int
        var columns: Int
        var isFloat: Bool
        var elementBytes: Int
        var littleEndian: Bool
        var offset: Int?
    }

    /// The vectors of dataset `name` (`train` or `test`).
    /// - Throws: ``DatasetError`` (bad input) when the file, the dataset or its type is not what is expected.
    public func vectors(_ name: String) throws -> VectorStore {
        try self.withFile { file in
            let (matrix, dataset) = try self.matrix(name, in: file)
            defer { H5Dclose(dataset) }
            guard matrix.isFloat, matrix.elementBytes == 4 else {
                throw DatasetError(.badInput, "\(self.path): \(name) holds \(matrix.isFloat ? "\(matrix.elementBytes * 8)-bit floats" : "integers"), not float32 vectors")
            }
            if let offset = matrix.offset, matrix.littleEndian {
                do {
                    return try VectorFiles.mapMatrix(self.path, offset: offset, count: matrix.rows, dimension: matrix.columns)
                } catch let error as VectorSearchError {
                    throw DatasetError(error.kind == .badInput ? .badInput : .runtime, error.message)
                }
            }
            let bytes = matrix.rows * matrix.columns * 4
            guard bytes <= (SystemMemory.availableBytes() ?? Int.max) / 2 else {
                throw DatasetError(.badInput, "\(self.path): \(name) is stored chunked or compressed, so it is read into memory, and its \(bytes >> 20) MiB would not fit: rewrite it contiguous (h5py's default) or as .fbin")
            }
            let store: VectorStore
            do { store = try VectorStore(dimension: matrix.columns, capacity: matrix.rows) } catch let error as VectorSearchError {
                throw DatasetError(.runtime, error.message)
            }
            guard H5Dread(dataset, CHDF5_nativeFloat(), CHDF5_all(), CHDF5_all(), CHDF5_default(), store.base) >= 0 else {
                throw DatasetError(.badInput, "\(self.path): \(name) could not be read")
            }
            store.didFill(matrix.rows)
            return store
        }
    }

    /// The `neighbors` dataset: each query's exact ids, nearest first (`rows × k`); nil when the file has none.
    public func neighbors() throws -> (ids: [Int32], rows: Int, k: Int)? {
        try self.withFile { file in
            guard H5Lexists(file, "neighbors", CHDF5_default()) > 0 else { return nil }
            let (matrix, dataset) = try self.matrix("neighbors", in: file)
            defer { H5Dclose(dataset) }
            guard !matrix.isFloat else { throw DatasetError(.badInput, "\(self.path): neighbors holds floats, not ids") }
            var ids = [Int32](repeating: 0, count: matrix.rows * matrix.columns)
            guard H5Dread(dataset, CHDF5_nativeInt(), CHDF5_all(), CHDF5_all(), CHDF5_default(), &ids) >= 0 else {
                throw DatasetError(.badInput, "\(self.path): neighbors could not be read")
            }
            return (ids, matrix.rows, matrix.columns)
        }
    }

    /// The file's `distance` attribute as tripbench's metric: angular → cosine, euclidean → l2, dot → ip; nil
    /// when it is absent or names another distance.
    public func metric() throws -> VectorMetric? {
        try self.withFile { file in
            guard H5Aexists(file, "distance") > 0 else { return nil }
            let attribute = H5Aopen(file, "distance", CHDF5_default())
            guard attribute >= 0 else { return nil }
            defer { H5Aclose(attribute) }
            let stored = H5Aget_type(attribute)
            defer { H5Tclose(stored) }
            var text: String?
            if H5Tis_variable_str(stored) > 0 {
                let memory = H5Tcopy(CHDF5_cString())
                defer { H5Tclose(memory) }
                H5Tset_size(memory, CHDF5_variable())
                H5Tset_cset(memory, H5Tget_cset(stored))
                var pointer: UnsafeMutablePointer<CChar>?
                if H5Aread(attribute, memory, &pointer) >= 0, let pointer {
                    text = String(cString: pointer)
                    H5free_memory(pointer)
                }
            } else {
                let size = H5Tget_size(stored)
                var buffer = [UInt8](repeating: 0, count: size + 1)
                let memory = H5Tcopy(CHDF5_cString())
                defer { H5Tclose(memory) }
                H5Tset_size(memory, size + 1)
                if H5Aread(attribute, memory, &buffer) >= 0 { text = String(decoding: buffer.prefix { $0 != 0 }, as: UTF8.self) }
            }
            switch text?.lowercased() {
            case "angular", "cosine": return .cosine
            case "euclidean", "l2": return .l2
            case "dot", "ip", "inner_product": return .innerProduct
            default: return nil
            }
        }
    }

    private func withFile<T>(_ body: (hid_t) throws -> T) throws -> T {
        CHDF5_quiet()
        guard FileManager.default.fileExists(atPath: self.path) else { throw DatasetError(.badInput, "\(self.path): no such file") }
        let file = H5Fopen(self.path, CHDF5_readOnly(), CHDF5_default())
        guard file >= 0 else { throw DatasetError(.badInput, "\(self.path): not an HDF5 file") }
        defer { H5Fclose(file) }
        return try body(file)
    }

    /// Opens dataset `name` (closed by the caller) and describes it.
    private func matrix(_ name: String, in file: hid_t) throws -> (Matrix, hid_t) {
        guard H5Lexists(file, name, CHDF5_default()) > 0 else {
            throw DatasetError(.badInput, "\(self.path): no dataset \(name) (an ann-benchmarks file has train, test and neighbors)")
        }
        let dataset = H5Dopen2(file, name, CHDF5_default())
        guard dataset >= 0 else { throw DatasetError(.badInput, "\(self.path): \(name) is not a dataset") }
        let space = H5Dget_space(dataset)
        defer { H5Sclose(space) }
        var dimensions = [hsize_t](repeating: 0, count: 2)
        guard H5Sget_simple_extent_ndims(space) == 2, H5Sget_simple_extent_dims(space, &dimensions, nil) == 2, dimensions[0] > 0, dimensions[1] > 0 else {
            H5Dclose(dataset)
            throw DatasetError(.badInput, "\(self.path): \(name) is not a non-empty two-dimensional matrix")
        }
        let type = H5Dget_type(dataset)
        defer { H5Tclose(type) }
        let typeClass = H5Tget_class(type)
        guard typeClass == H5T_FLOAT || typeClass == H5T_INTEGER else {
            H5Dclose(dataset)
            throw DatasetError(.badInput, "\(self.path): \(name) holds neither numbers nor ids")
        }
        let properties = H5Dget_create_plist(dataset)
        defer { H5Pclose(properties) }
        let contiguous = H5Pget_layout(properties) == H5D_CONTIGUOUS && H5Pget_nfilters(properties) == 0
        let address = H5Dget_offset(dataset)
        let offset = contiguous && address != CHDF5_undefinedAddress() ? Int(address) : nil
        let matrix = Matrix(
            rows: Int(dimensions[0]), columns: Int(dimensions[1]), isFloat: typeClass == H5T_FLOAT, elementBytes: H5Tget_size(type),
            littleEndian: H5Tget_order(type) == H5T_ORDER_LE, offset: offset)
        return (matrix, dataset)
    }
}
