/// One system under test.
public enum TargetKind: String, Sendable, Codable {
    case postgres, index
}
