import CJemalloc
import CLibPQ

/// The version line of `tripbench --version`: the tool, the libpq it talks through and the allocator
/// linked in (jemalloc, read through its own `mallctl`, which also proves it is linked).
enum BuildInfo {
    static let version = "0.1.0"

    static var versionLine: String {
        let libpq = Int(PQlibVersion())
        return "tripbench \(version) (libpq \(libpq / 10000).\(libpq % 100), jemalloc \(self.jemallocVersion ?? "not linked"))"
    }

    /// jemalloc's version string, e.g. `5.3.0-0-g54eaed1d…`, shortened to its number.
    static var jemallocVersion: String? {
        var pointer: UnsafePointer<CChar>?
        var size = MemoryLayout<UnsafePointer<CChar>?>.size
        guard mallctl("version", &pointer, &size, nil, 0) == 0, let pointer else { return nil }
        return String(String(cString: pointer).prefix { $0 != "-" })
    }
}
