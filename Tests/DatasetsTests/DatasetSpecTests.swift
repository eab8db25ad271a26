import Datasets
import Foundation
import Testing

@Suite struct DatasetSpecTests {
    private func parse(_ yaml: String) throws -> DatasetSpec {
        try DatasetSpec.parse(YAMLMapping.parse(yaml, file: "spec.yaml"))
    }

    @Test func shippedSpecsParse() throws {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../datasets")
        let tiny = try DatasetSpec.load("tiny", datasetsDirectory: directory)
        #expect(tiny.users == 200 && Int(tiny.embeddingsPerUser) * tiny.users == 2_000 && tiny.dimension == 1536)
        let small = try DatasetSpec.load("small", datasetsDirectory: directory)
        #expect(small.users == 1_000 && Int(small.embeddingsPerUser) * small.users == 50_000)
        let medium = try DatasetSpec.load("medium", datasetsDirectory: directory)
        #expect(Int(medium.embeddingsPerUser) * medium.users == 500_000)
        let large = try DatasetSpec.load("large", datasetsDirectory: directory)
        #expect(large.embeddingTotal == 1_000_000 && large.dimension == 1536)
        let xlarge = try DatasetSpec.load("xlarge", datasetsDirectory: directory)
        #expect(xlarge.embeddingTotal == 10_000_000 && xlarge.dimension == 384)
        // Streaming generation: memory does not grow with the vectors (10M × 384 is 15 GB of them).
        #expect(xlarge.estimatedMemoryBytes < 2_000_000_000)
        #expect(throws: DatasetError.self) { try DatasetSpec.load("huge", datasetsDirectory: directory) }
    }

    @Test(arguments: [
        ("name: x\nusers: 10\nuserz: 3\n", "spec.yaml:3:1: unknown key userz (did you mean users?)"),
        ("name: x\nusers: -5\n", "spec.yaml:2:8: users must be between 1 and"),
        ("name: x\nusers: 10\ndimension: 0\n", "spec.yaml:3:12: dimension must be between 1 and 16000, not 0"),
        ("name: x\nusers: ten\n", "spec.yaml:2:8: users must be a whole number"),
        ("name: x\nusers: 10\nmetric: hamming\n", "spec.yaml:3:9: metric must be cosine, l2 or ip"),
        ("name: x\nusers: 10\ncontentTypes: {chat: 1}\n", "spec.yaml:3:16: unknown key chat"),
        ("name: x\nusers: [1\n", "spec.yaml:3:1:"),
        ("users: 10\n", "missing key name"),
    ])
    func badSpecsNameTheLineAndColumn(yaml: String, message: String) {
        #expect { try self.parse(yaml) } throws: { error in
            let error = error as! DatasetError
            return error.kind == .badInput && error.message.contains(message)
        }
    }

    @Test func scaleMultipliesUsers() throws {
        let spec = try self.parse("name: x\nusers: 200\n").scaled(by: 2.5)
        #expect(spec.users == 500 && spec.directoryName == "x-1-x2.5")
        #expect(throws: DatasetError.self) { try spec.scaled(by: 0) }
    }

    @Test func planSharesRowsBySkewedActivity() throws {
        let spec = try self.parse("name: x\nusers: 100\nembeddingsPerUser: 20\ntripsPerUser: 3\nactivitySkew: 1.0\n")
        let plan = DatasetPlan(spec)
        #expect(plan.embeddingCount == 2_000)
        #expect(plan.tripCount == 300)
        #expect(plan.trips.allSatisfy { $0 >= 1 } && plan.sessions.allSatisfy { $0 >= 1 })
        let perUser = plan.embeddings.map { $0.reduce(0, +) }.sorted(by: >)
        // Zipf with exponent 1: the top 10 % of users hold far more than 10 % of the rows.
        #expect(perUser.prefix(10).reduce(0, +) > 800)
        let uniform = DatasetPlan(try self.parse("name: x\nusers: 100\nembeddingsPerUser: 20\nactivitySkew: 0\n"))
        #expect(Set(uniform.embeddings.map { $0.reduce(0, +) }) == [20])
    }
}
