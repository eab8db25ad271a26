/// A failure managing the local cluster, in one line, with whether the user can fix it by changing input.
public struct LocalServerError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable {
        /// Something the user controls is wrong: no binaries, a port in use, a directory owned by someone else.
        case configuration
        /// Something failed while running: a command crashed, the server did not start in time.
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
