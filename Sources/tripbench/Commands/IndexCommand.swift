import ArgumentParser

/// `tripbench index …`: the in-process HNSW index.
struct IndexCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "index",
        abstract: "Build and measure tripbench's in-process HNSW index (no database involved).",
        subcommands: [IndexBench.self]
    )
}
