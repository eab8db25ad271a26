/// Which part of a run this process sends (`--shard i/N`): shard `i` of `N` takes the open loop's slots of the
/// global workers `i·W … i·W + W − 1` of `N·W` (so the shards' requests together are one run's), and of a closed
/// loop the clients `c ≡ i (mod N)`, each numbering its requests by its global id as in one run.
public struct RunShard: Sendable, Equatable, CustomStringConvertible {
    public let index: Int
    public let count: Int

    /// The whole run: one process.
    public static let whole = RunShard(index: 0, count: 1)

    public init(index: Int, count: Int) {
        precondition(count >= 1 && (0..<count).contains(index))
        self.index = index
        self.count = count
    }

    /// Parses `i/N` (0 ≤ i < N); nil otherwise.
    public init?(_ text: String) {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]), count >= 1, (0..<count).contains(index) else {
            return nil
        }
        self.init(index: index, count: count)
    }

    public var description: String { "\(self.index)/\(self.count)" }

    /// The closed loop's clients of this shard, by global id.
    func clients(of total: Int) -> [Int] { Array(stride(from: self.index, to: total, by: self.count)) }

    /// A request count's share: the count divided as evenly as it goes, the first shards taking the remainder.
    func share(of requests: Int) -> Int { requests / self.count + (self.index < requests % self.count ? 1 : 0) }

    /// How many of the open loop's first `slots` run-wide slots are this shard's, its `workers` workers being the
    /// global workers `index · workers …` of `count · workers`, to which the slots are dealt in turn.
    func slots(below slots: Int, workers: Int) -> Int {
        let round = self.count * workers
        return slots / round * workers + min(max(slots % round - self.index * workers, 0), workers)
    }
}
