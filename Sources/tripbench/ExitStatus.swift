import ArgumentParser
import Datasets
import LocalServer
import Postgres
import Reporting
import VectorSearch
import Workload

/// The process exit codes, the same for every command.
enum ExitStatus: Int32, Error {
    case success = 0
    /// A threshold or gate failed.
    case thresholdFailed = 1
    /// Bad input or configuration: a malformed option, a wrong password, no pgvector, a port in use.
    case badInput = 2
    /// A failure at run time: the server is unreachable or stopped, a command failed.
    case runtimeFailure = 3
    /// Stopped by Ctrl-C (SIGINT or SIGTERM) before the work was done; what was measured is saved.
    case interrupted = 130

    /// The exit code for an error thrown by the core modules.
    init(for error: any Error) {
        switch error {
        case let error as PostgresError:
            switch error.code {
            case .invalidConnectionString, .connectionRejected, .encoding: self = .badInput
            default: self = .runtimeFailure
            }
        case let error as LocalServerError: self = error.kind == .configuration ? .badInput : .runtimeFailure
        case let error as DatasetError:
            switch error.kind {
            case .badInput: self = .badInput
            case .runtime: self = .runtimeFailure
            case .stopped: self = .interrupted
            }
        case let error as VectorSearchError: self = error.kind == .badInput ? .badInput : .runtimeFailure
        case let error as WorkloadError: self = error.kind == .badInput ? .badInput : .runtimeFailure
        case let error as ReportingError: self = error.kind == .badInput ? .badInput : .runtimeFailure
        case let error as CommandFailure: self = error.status
        case is ValidationError: self = .badInput
        default: self = .runtimeFailure
        }
    }

    /// The one-line message for a core error, or nil for ArgumentParser's own errors.
    static func message(for error: any Error) -> String? {
        switch error {
        case let error as PostgresError: error.description
        case let error as LocalServerError: error.description
        case let error as DatasetError: error.description
        case let error as VectorSearchError: error.description
        case let error as WorkloadError: error.description
        case let error as ReportingError: error.description
        case let error as CommandFailure: error.message
        default: nil
        }
    }
}

/// A failure a command reports itself, with its exit status.
struct CommandFailure: Error {
    var status: ExitStatus
    var message: String

    init(_ status: ExitStatus, _ message: String) {
        self.status = status
        self.message = message
    }
}
