import Datasets
import Foundation
import Synchronization

/// Shows long steps: on a terminal one redrawn line with a bar, rate and ETA; otherwise a plain line every
/// five seconds, so CI logs stay readable.
final class ProgressDisplay: Sendable {
    private struct State {
        /// When each step was first reported and how far it had got: steps run at once (tables COPYed in
        /// parallel) interleave, and a step that starts again from fewer rows (the next size of a scale study)
        /// is timed anew.
        var started: [String: (at: ContinuousClock.Instant, done: Int)] = [:]
        var lastDraw = ContinuousClock.now
        var drawn = false
    }

    private let isTerminal = isatty(STDERR_FILENO) != 0
    private let state = Mutex(State())

    func update(_ progress: LoadProgress) {
        let now = ContinuousClock.now
        let line: String? = self.state.withLock { state in
            var started = state.started[progress.step] ?? (now, progress.done)
            if progress.done < started.done { started.at = now }
            started.done = progress.done
            state.started[progress.step] = started
            let interval: Duration = self.isTerminal ? .milliseconds(200) : .seconds(5)
            guard now - state.lastDraw >= interval else { return nil }
            state.lastDraw = now
            state.drawn = true
            return Self.describe(progress, elapsed: now - started.at, bar: self.isTerminal)
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
        let width = 24
        let filled = Int(fraction * Double(width))
        let gauge = bar ? "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "] " : ""
        let line = String(format: "%@: %@%3.0f%% %d/%d %@", progress.step, gauge, fraction * 100, progress.done, progress.total, progress.unit)
        // A rate from less than a second of a step, or from nothing done yet, says nothing.
        guard seconds >= 1, progress.done > 0 else { return line }
        let rate = Double(progress.done) / seconds
        return line + String(format: ", %.0f %@/s, ETA %.0fs", rate, progress.unit, Double(progress.total - progress.done) / rate)
    }
}
