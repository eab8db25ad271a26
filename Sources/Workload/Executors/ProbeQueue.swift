import Synchronization
import VectorSearch

/// The rows an insert stream committed that its time-to-searchable probe (``SearchableProbe``) still looks
/// for: the insert stream's worker adds each sampled row as its insert is acknowledged, the probe's worker
/// takes the ones due, searches, and puts back those not yet found with their next poll's time.
///
/// Shared by two threads, touched once per sampled insert and once per poll, never on the read mix's path.
final class ProbeQueue: Sendable {
    struct Probe: Sendable {
        /// The request's number in the probe's stream (the order the rows were committed in).
        var number: Int
        var row: Int
        /// When the insert's commit was acknowledged, monotonic ns: the probe's latency counts from here.
        var committed: Int64
        var due: Int64
    }

    let sample: Double
    let pollNanos: Int64
    let timeoutNanos: Int64
    private let state = Mutex<State>(State())

    private struct State {
        /// Waiting probes, earliest due last (few: the sampled rows of the last `timeout` at most).
        var waiting: [Probe] = []
        var added = 0
        var closed = false
    }

    init(_ probe: SearchableProbe) {
        self.sample = probe.sample
        self.pollNanos = probe.poll.nanoseconds
        self.timeoutNanos = probe.timeout.nanoseconds
    }

    /// How often a probe's worker looks for rows just committed when none is due sooner.
    static let lookNanos: Int64 = 1_000_000

    /// Whether the insert numbered `index` of the stream is followed (a pure function of the number).
    private func follows(_ index: Int) -> Bool {
        if self.sample >= 1 { return true }
        var random = SplitMix64(seed: 0x7365_6172_6368, stream: UInt64(index))
        return Double(random.next() >> 11) * 0x1p-53 < self.sample
    }

    /// The insert numbered `index` of the stream put `row` in, acknowledged at `committed`: followed when
    /// sampled, its first search due at once.
    func inserted(_ index: Int, row: Int, committed: Int64) {
        guard self.follows(index) else { return }
        self.state.withLock { state in
            state.added += 1
            Self.insert(Probe(number: state.added - 1, row: row, committed: committed, due: committed), into: &state.waiting)
        }
    }

    /// What a probe's search sent at `sent` and ended at `now` settles: nil when it did not return the row and
    /// the probe waits for its next poll (nothing to record yet); else the request's error, nil when the row
    /// was returned, `not_searchable` past the timeout.
    func settle(_ probe: Probe, found: Bool, sent: Int64, now: Int64) -> String?? {
        if found { return .some(nil) }
        guard now - probe.committed < self.timeoutNanos else { return "not_searchable" }
        var next = probe
        next.due = sent + self.pollNanos
        self.state.withLock { Self.insert(next, into: &$0.waiting) }
        return nil
    }

    /// A probe worker's next look: the earliest probe's due time, at most ``lookNanos`` away; nil when none
    /// waits and none will come.
    func nextLook(now: Int64) -> Int64? { self.nextDue.map { min($0, now + Self.lookNanos) } }

    /// The insert stream has ended: no more rows come.
    func close() { self.state.withLock { $0.closed = true } }

    /// The earliest probe due at `now`, taken from the queue.
    func take(now: Int64) -> Probe? {
        self.state.withLock { state in
            guard let last = state.waiting.last, last.due <= now else { return nil }
            return state.waiting.removeLast()
        }
    }

    /// When the next probe is due; `.max` when none waits; nil when none waits and none will come.
    var nextDue: Int64? {
        self.state.withLock { state in
            if let last = state.waiting.last { return last.due }
            return state.closed ? nil : .max
        }
    }

    private static func insert(_ probe: Probe, into waiting: inout [Probe]) {
        let position = waiting.firstIndex { $0.due <= probe.due } ?? waiting.endIndex
        waiting.insert(probe, at: position)
    }
}
