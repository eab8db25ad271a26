#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A large flat region of memory for vectors and graphs, of one of three kinds:
///
/// - zeroed memory (``init(bytes:purpose:)``): mapped with transparent huge pages advised from a few MiB up (at
///   1536 dimensions a search is bound by memory traffic, and 2 MiB pages cut TLB misses by 15–20 %;
///   shared/notes/hnsw.md §4.4), 64-byte-aligned heap memory below;
/// - a whole file mapped read-only and shared with the page cache (``init(mapping:)``): its pages are read when
///   first touched and belong to the kernel's cache, not to the process, so a 60 GB vector file costs no
///   anonymous memory and two processes reading it share one copy.
///
/// The owner calls ``release()`` once.
struct PageAllocation {
    let pointer: UnsafeMutableRawPointer
    let bytes: Int
    private let kind: Kind
    /// The mapped file, kept open for ``copy(bytes:into:)``; -1 for zeroed memory.
    private let descriptor: Int32

    private enum Kind {
        case heap, anonymous, file
    }

    /// Below this many bytes zeroed memory comes from the heap.
    static let mappingThreshold = 4 << 20

    /// Zeroed memory.
    /// - Throws: ``VectorSearchError`` when the memory cannot be had; `purpose` names it in the message.
    init(bytes requested: Int, purpose: @autoclosure () -> String) throws {
        let bytes = max(requested, 64)
        self.bytes = bytes
        if bytes >= Self.mappingThreshold {
            guard let pointer = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
                pointer != MAP_FAILED
            else { throw VectorSearchError(.io, "cannot map \(bytes) bytes for \(purpose())") }
            #if canImport(Glibc)
            _ = madvise(pointer, bytes, 14)  // MADV_HUGEPAGE; a hint, harmless where unsupported
            #endif
            self.pointer = pointer
            self.kind = .anonymous
            self.descriptor = -1
        } else {
            var pointer: UnsafeMutableRawPointer?
            guard posix_memalign(&pointer, 64, bytes) == 0, let pointer else {
                throw VectorSearchError(.io, "cannot allocate \(bytes) bytes for \(purpose())")
            }
            memset(pointer, 0, bytes)
            self.pointer = pointer
            self.kind = .heap
            self.descriptor = -1
        }
    }

    /// The file at `path`, mapped read-only: writing through ``pointer`` faults.
    /// - Throws: ``VectorSearchError`` naming `path` when it cannot be opened or mapped.
    init(mapping path: String) throws {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw VectorSearchError(errno == ENOENT ? .badInput : .io, "\(path): \(String(cString: strerror(errno)))")
        }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            close(descriptor)
            throw VectorSearchError(.io, "\(path): \(String(cString: strerror(errno)))")
        }
        let bytes = Int(info.st_size)
        guard bytes > 0, let pointer = mmap(nil, bytes, PROT_READ, MAP_SHARED, descriptor, 0), pointer != MAP_FAILED else {
            let reason = info.st_size == 0 ? "the file is empty" : "cannot map \(bytes) bytes: \(String(cString: strerror(errno)))"
            close(descriptor)
            throw VectorSearchError(info.st_size == 0 ? .badInput : .io, "\(path): \(reason)")
        }
        self.pointer = pointer
        self.bytes = bytes
        self.kind = .file
        self.descriptor = descriptor
    }

    /// Copies `range` (bytes from the start) to `destination`. From a mapped file it reads with `pread`, straight
    /// from the page cache: a scan that copies blocks anyway then takes no page fault per 4 kB page (750,000
    /// of them for a 3 GB base), and leaves nothing resident in this process.
    func copy(bytes range: Range<Int>, into destination: UnsafeMutableRawPointer) {
        var done = 0
        if self.kind == .file {
            while done < range.count {
                let got = pread(self.descriptor, destination + done, range.count - done, off_t(range.lowerBound + done))
                if got > 0 {
                    done += got
                } else if got < 0, errno == EINTR {
                    continue
                } else {
                    break  // the mapping below has the same bytes
                }
            }
        }
        if done < range.count { (destination + done).copyMemory(from: self.pointer + range.lowerBound + done, byteCount: range.count - done) }
    }

    var isFile: Bool { self.kind == .file }

    /// Advises the kernel how a mapped file's byte `range` will be read (see ``VectorStore/Access``), widened
    /// to whole pages, or for `done` narrowed to the pages wholly inside it, so a neighbour's rows are never
    /// dropped. Nothing for zeroed memory, whose pages `done` would zero.
    func advise(_ access: VectorStore.Access, bytes range: Range<Int>) {
        guard self.kind == .file else { return }
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
        _ = madvise(self.pointer + start, end - start, advice)
    }

    func release() {
        if self.kind == .heap { free(self.pointer) } else { munmap(self.pointer, self.bytes) }
        if self.descriptor >= 0 { close(self.descriptor) }
    }
}
