#if canImport(Glibc)
import Glibc
#endif

/// This machine's memory, as the kernel counts it: what work that must fit in RAM checks before it starts.
public enum SystemMemory {
    /// `MemAvailable` from /proc/meminfo: memory that can be had without swapping (free memory plus the page
    /// cache and slabs the kernel would give back); nil where there is no such file.
    public static func availableBytes() -> Int? {
        guard let file = fopen("/proc/meminfo", "r") else { return nil }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 256)
        while fgets(&line, Int32(line.count), file) != nil {
            let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            guard text.hasPrefix("MemAvailable:") else { continue }
            return text.split(separator: " ").dropFirst().first.flatMap { Int($0) }.map { $0 * 1024 }
        }
        return nil
    }

    /// `bytes` in decimal gigabytes, one decimal: `7.9 GB`.
    public static func gigabytes(_ bytes: Int) -> String {
        let tenths = (bytes + 50_000_000) / 100_000_000
        return "\(tenths / 10).\(tenths % 10) GB"
    }
}
