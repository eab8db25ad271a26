/// Which plan each request of a run takes, known before it is sent: PostgreSQL chooses a vector search's plan by
/// its filter's parameters (the (user, content type) group, or none), so the groups the run will draw are
/// EXPLAINed before it starts and each request is classed by a table read, off the server's path.
///
/// Read by every load-driver thread: plain arrays, written once.
final class PlanClassifier: Sendable {
    /// Per operation: the plans seen (`hnsw`, `btree`, `bitmap`, `seq_scan`, `none`), and each group's index into
    /// them (``unexplained`` for a group not EXPLAINed).
    let names: [[String]]
    private let classes: [[UInt8]]
    private let typeCount: Int
    static let unexplained: UInt8 = 255

    init(names: [[String]], classes: [[UInt8]], typeCount: Int) {
        self.names = names
        self.classes = classes
        self.typeCount = typeCount
    }

    /// The group of a draw: its (user, content type), either of them absent (-1).
    static func group(user: Int, type: Int, typeCount: Int) -> Int { (user + 1) * (typeCount + 1) + type + 1 }

    /// The plan class of a request.
    @inline(__always)
    func classify(_ draw: RequestDraw) -> UInt8 {
        let table = self.classes[draw.operation]
        let group = Self.group(user: draw.user, type: draw.type, typeCount: self.typeCount)
        return group < table.count ? table[group] : Self.unexplained
    }

    /// The plan's name, `unexplained` for a group not EXPLAINed.
    func name(operation: Int, class planClass: UInt8) -> String {
        Int(planClass) < self.names[operation].count ? self.names[operation][Int(planClass)] : "unexplained"
    }
}
