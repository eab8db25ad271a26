import Foundation

/// A release build made with `-target-cpu haswell -DVS_FMA` (see the Makefile) runs AVX2 and FMA
/// instructions; on a CPU without them it would die of an illegal instruction. Say so instead.
enum CPUCheck {
    static func requireBuildFeatures() {
        #if VS_FMA && arch(x86_64)
        let flags = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let words = Set(flags.split { $0 == " " || $0 == "\n" || $0 == "\t" })
        guard words.contains("avx2"), words.contains("fma") else {
            Console.error("this tripbench was built for CPUs with AVX2 and FMA, which this one lacks; rebuild it here with `make release`")
            exit(ExitStatus.runtimeFailure.rawValue)
        }
        #endif
    }
}
