import Synchronization

/// A progress callback, safe from any thread, that passes on at most one count every ten seconds: the long
/// steps of a large dataset (writing its embeddings, its exact search, an index over it) say how far they are
/// without flooding the log.
public func everyTenSeconds(_ report: @escaping @Sendable (Int) -> Void) -> @Sendable (Int) -> Void {
    let last = Mutex(ContinuousClock.now)
    return { count in
        let due = last.withLock { last in
            guard ContinuousClock.now - last > .seconds(10) else { return false }
            last = ContinuousClock.now
            return true
        }
        if due { report(count) }
    }
}
