/// A live output that cannot be set up or written: bad input (an address, a path) or a runtime failure.
public struct LiveOutputError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable { case badInput, runtime }

    public let kind: Kind
    public let message: String

    init(_ message: String, kind: Kind = .runtime) {
        self.kind = kind
        self.message = message
    }

    public var description: String { self.message }
}
