import Logging

extension Logger {
    /// This logger for the workload engine's runs inside a study: warnings and errors only. The engine's own
    /// lines (clients connected, …), once per run, would drown the study's.
    var forEngineRuns: Logger {
        var quiet = self
        quiet.logLevel = max(self.logLevel, .warning)
        return quiet
    }
}
