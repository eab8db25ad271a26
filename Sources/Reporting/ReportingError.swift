/// A failure in the Reporting module, in one line, with whether the input is at fault.
public struct ReportingError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable {
        /// A report or threshold the user gave is wrong: unreadable, newer, mismatched (exit code 2).
        case badInput
        /// Writing an output failed (exit code 3).
        case runtime
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { self.message }
}
