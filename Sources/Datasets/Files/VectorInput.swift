import VectorSearch

/// Vector files as the commands take them: `.fbin` (mapped), `.fvecs` (read), or an ann-benchmarks HDF5 file
/// (`.hdf5`, `.h5`), whose `train` matrix is the base and `test` the queries.
public enum VectorInput {
    /// The base vectors of `path`.
    public static func base(_ path: String) throws -> VectorStore {
        HDF5VectorFile.isHDF5(path) ? try HDF5VectorFile(path: path).vectors("train") : try VectorFiles.openVectors(path)
    }

    /// The query vectors of `path` (read into memory unless they are an HDF5 file's mapped `test` matrix).
    public static func queries(_ path: String) throws -> VectorStore {
        HDF5VectorFile.isHDF5(path) ? try HDF5VectorFile(path: path).vectors("test") : try VectorFiles.readVectors(path)
    }
}
