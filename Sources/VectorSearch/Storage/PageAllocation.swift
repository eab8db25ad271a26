#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Zeroed memory for a large flat array: mapped with transparent huge pages advised from a few MiB up (at
/// 1536 dimensions a search is bound by memory traffic, and 2 MiB pages cut TLB misses by 15–20 %;
/// shared/notes/hnsw.md §4.4), 64-byte-aligned heap memory below. The owner calls ``release()`` once.
struct PageAllocation {
    let pointer: UnsafeMutableRawPointer
    let bytes: Int
    private let mapped: Bool

    /// Below this many bytes a plain aligned allocation is used.
    static let mappingThreshold = 4 << 20

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
            self.mapped = true
        } else {
            var pointer: UnsafeMutableRawPointer?
            guard posix_memalign(&pointer, 64, bytes) == 0, let pointer else {
                throw VectorSearchError(.io, "cannot allocate \(bytes) bytes for \(purpose())")
            }
            memset(pointer, 0, bytes)
            self.pointer = pointer
            self.mapped = false
        }
    }

    func release() {
        if self.mapped { munmap(self.pointer, self.bytes) } else { free(self.pointer) }
    }
}
