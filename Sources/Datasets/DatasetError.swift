/// A failure in the Datasets module, in one line, with whether the input or configuration is at fault.
public struct DatasetError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable {
        /// The input, configuration or server setup is wrong; the user can fix it (exit code 2).
        case badInput
        /// Something failed while running (exit code 3).
        case runtime
        /// Stopped on request (Ctrl-C) with the finished part kept for the next run (exit code 130).
        case stopped
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { self.message }
}
