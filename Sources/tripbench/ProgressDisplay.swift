import Datasets
import Foundation
import Synchronization

/// Shows long steps: on a terminal one redrawn line with a bar, rate and ETA; otherwise a plain line every
/// five seconds, so CI logs stay readable.
final class ProgressDisplay: Sendable {
    private struct State {
        var step = ""
        var stepStart = ContinuousClock.now
        var lastDraw = ContinuousClock.now
        var drawn = false
    }

    private let isTerminal = isatty(STDERR_FILENO) != 0
    private let state = Mutex(State())

    func update(_ progress: LoadProgress) {
        let now = ContinuousClock.now
        let line: String? = self.state.withLock { state in
            if progress.step != state.step {
                state.step = progress.step
                state.stepStart = now
            }
            let interval: Duration = self.isTerminal ? .milliseconds(200) : .seconds(5)
            guard now - state.lastDraw >= interval else { return nil }
            state.lastDraw = now
            state.drawn = true
            return Self.describe(progress, elapsed: now - state.stepStart, bar: self.isTerminal)
        }
        guard let line else { return }
        FileHandle.standardError.write(Data((self.isTerminal ? "\r\u{1B}[K\(line)" : "tripbench: \(line)\n").utf8))
    }

    /// Clears the bar before the next line of output.
    func finish() {
        let drawn = self.state.withLock { state in
            defer { state.drawn = false }
            return state.drawn
        }
        if self.isTerminal, drawn { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }

    static func describe(_ progress: LoadProgress, elapsed: Duration, bar: Bool) -> String {
        let seconds = elapsed.inSeconds
        guard progress.total > 0 else { return "\(progress.step): \(progress.done) \(progress.unit)" }
        let fraction = min(1, Double(progress.done) / Double(progress.total))
        let rate = seconds > 0 ? Double(progress.done) / seconds : 0
        let eta = rate > 0 ? Double(progress.total - progress.done) / rate : 0
        let width = 24
        let filled = Int(fraction * Double(width))
        let gauge = bar ? "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "] " : ""
        return String(format: "%@: %@%3.0f%% %d/%d %@, %.0f %@/s, ETA %.0fs", progress.step, gauge, fraction * 100, progress.done, progress.total, progress.unit, rate, progress.unit, eta)
    }
}
