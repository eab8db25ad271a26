#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A whole file mapped read-only and shared with the page cache: its pages are read from disk when first
/// touched and belong to the kernel's cache, not to the process, so a 60 GB vector file costs no anonymous
/// memory and two processes reading it share one copy. The owner calls ``release()`` once.
struct FileMapping {
    let pointer: UnsafeRawPointer
    let bytes: Int

    /// - Throws: ``VectorSearchError`` naming `path` when it cannot be opened or mapped.
    init(path: String) throws {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw VectorSearchError(errno == ENOENT ? .badInput : .io, "\(path): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw VectorSearchError(.io, "\(path): \(String(cString: strerror(errno)))") }
        let bytes = Int(info.st_size)
        guard bytes > 0 else { throw VectorSearchError(.badInput, "\(path): the file is empty") }
        guard let pointer = mmap(nil, bytes, PROT_READ, MAP_SHARED, descriptor, 0), pointer != MAP_FAILED else {
            throw VectorSearchError(.io, "\(path): cannot map \(bytes) bytes: \(String(cString: strerror(errno)))")
        }
        self.pointer = UnsafeRawPointer(pointer)
        self.bytes = bytes
    }

    /// How the pages of a byte range will be read next; a hint the kernel may ignore.
    enum Access {
        /// Read once in order: read ahead aggressively.
        case sequential
        /// Read in no order (graph search, sampled rows): read ahead nothing.
        case random
        /// Needed soon: start reading now.
        case willNeed
        /// Done with for now: the pages leave this process's resident set (they stay in the page cache, and
        /// are read back from it if touched again).
        case done
    }

    /// Advises the kernel about `range` (bytes from the start of the file), widened or narrowed to whole pages
    /// (`done` only drops pages wholly inside the range, so a neighbour's rows are never affected).
    func advise(_ access: Access, bytes range: Range<Int>) {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let clamped = range.clamped(to: 0..<self.bytes)
        var start = clamped.lowerBound / page * page
        var end = min((clamped.upperBound + page - 1) / page * page, self.bytes)
        if access == .done {
            start = (clamped.lowerBound + page - 1) / page * page
            end = clamped.upperBound == self.bytes ? self.bytes : clamped.upperBound / page * page
        }
        guard end > start else { return }
        let advice: Int32
        switch access {
        case .sequential: advice = MADV_SEQUENTIAL
        case .random: advice = MADV_RANDOM
        case .willNeed: advice = MADV_WILLNEED
        case .done: advice = MADV_DONTNEED
        }
        _ = madvise(UnsafeMutableRawPointer(mutating: self.pointer + start), end - start, advice)
    }

    func release() { munmap(UnsafeMutableRawPointer(mutating: self.pointer), self.bytes) }
}
