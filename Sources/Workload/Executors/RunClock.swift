import Glibc
import VectorSearch

/// The clocks of a run, in nanoseconds.
enum RunClock {
    /// Monotonic time: the run's timeline (due times, latencies).
    @inline(__always)
    static func now() -> Int64 { Int64(MonotonicClock.nanoseconds()) }

    /// CPU time the calling thread has used: the driver's own cost per request.
    static func threadCPU() -> Int64 {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec)
    }
}
