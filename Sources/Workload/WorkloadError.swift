/// A failure in the Workload module, in one line, with whether the input or configuration is at fault.
public struct WorkloadError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable {
        /// The scenario, options or dataset are wrong; the user can fix them (exit code 2).
        case badInput
        /// Something failed while running (exit code 3).
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
