/// A failure in the VectorSearch module: a bad file or argument, in one line naming what and where.
public struct VectorSearchError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable {
        /// The input is wrong: a truncated or mis-sized file, a zero dimension, k out of range.
        case badInput
        /// Reading or writing failed for another reason (permissions, disk full).
        case io
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { self.message }
}
