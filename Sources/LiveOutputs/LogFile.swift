import Foundation
import Synchronization

/// A log written while a run goes: appended to `PATH.partial-PID`, renamed to `PATH` when closed, removed when
/// discarded; the first write that fails is kept and reported at ``close()``, later writes are dropped.
final class LogFile: Sendable {
    let path: String
    /// The option that named it, for messages (`--hlog`).
    let option: String
    private let temporaryPath: String
    private struct State {
        var handle: FileHandle?
        var failure: String?
        var records = 0
    }
    private let state: Mutex<State>

    /// Creates the temporary file next to `path`.
    /// - Throws: ``LiveOutputError`` (bad input) when it cannot be created there.
    init(path: String, option: String) throws {
        self.path = path
        self.option = option
        self.temporaryPath = path + ".partial-\(getpid())"
        guard FileManager.default.createFile(atPath: self.temporaryPath, contents: nil) else {
            throw LiveOutputError("\(option) \(path): cannot create a file there", kind: .badInput)
        }
        self.state = Mutex(State(handle: FileHandle(forWritingAtPath: self.temporaryPath)))
    }

    /// Records appended so far.
    var records: Int { self.state.withLock { $0.records } }

    /// Appends `text`, counting `records` records.
    func append(_ text: String, records: Int = 0) {
        self.state.withLock { state in
            guard state.failure == nil, let handle = state.handle else { return }
            do {
                try handle.write(contentsOf: Data(text.utf8))
                state.records += records
            } catch {
                state.failure = "\(error)"
            }
        }
    }

    /// Notes a failure to prepare what was to be written: the log is then not put in place.
    func fail(_ reason: String) { self.state.withLock { $0.failure = $0.failure ?? reason } }

    /// Closes the file and removes it (the run failed before its report).
    func discard() {
        try? self.takeHandle().handle?.close()
        try? FileManager.default.removeItem(atPath: self.temporaryPath)
    }

    /// Closes the file and renames it into place.
    /// - Throws: ``LiveOutputError`` saying why it could not be written (the temporary file is then removed).
    func close() throws {
        let (handle, failure) = self.takeHandle()
        try? handle?.close()
        if let failure {
            try? FileManager.default.removeItem(atPath: self.temporaryPath)
            throw LiveOutputError("\(self.option) \(self.path): \(failure)")
        }
        if rename(self.temporaryPath, self.path) != 0 {
            throw LiveOutputError("\(self.option) \(self.path): cannot rename \(self.temporaryPath) into place: \(String(cString: strerror(errno)))")
        }
    }

    private func takeHandle() -> (handle: FileHandle?, failure: String?) {
        self.state.withLock { state in
            defer { state.handle = nil }
            return (state.handle, state.failure)
        }
    }
}
