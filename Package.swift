// swift-tools-version: 6.2
import PackageDescription

/// Settings every Swift target shares: explicit existentials and imports that say what they use.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

var targets: [Target] = [
    // C libraries, wrapped once.
    .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
    .systemLibrary(name: "CJemalloc", pkgConfig: "jemalloc", providers: [.apt(["libjemalloc-dev"])]),
    // Exact search's matrix products (a pthread or OpenMP variant works too: tripbench asks it for one thread).
    .systemLibrary(name: "COpenBLAS", providers: [.apt(["libopenblas-serial-dev"])]),
    .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),
    // ann-benchmarks' dataset files (HDF5), read as vector inputs.
    .systemLibrary(name: "CHDF5", pkgConfig: "hdf5", providers: [.apt(["libhdf5-dev"])]),
    .target(name: "CPrefetch"),
    .target(name: "CPoll"),

    // The core: libraries with no CLI code, following the data flow.
    .target(
        name: "Postgres",
        dependencies: ["CLibPQ"],
        // The load driver's statements go through PostgresWireChannel's buffers per request; their run-time
        // exclusivity checks were ~450 of its ~3,000 instructions per request (callgrind, make profile-driver).
        swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]
    ),
    .target(
        name: "LocalServer",
        dependencies: ["Postgres", .product(name: "Logging", package: "swift-log")]
    ),
    // Hot loops live here: optimised even in debug builds, so tests of generation and search stay quick.
    .target(
        name: "VectorSearch",
        dependencies: ["CPrefetch", "COpenBLAS"],
        swiftSettings: [.unsafeFlags(["-O"], .when(configuration: .debug))]
    ),
    .target(
        name: "Datasets",
        dependencies: [
            "Postgres", "VectorSearch", "CHDF5", .product(name: "Yams", package: "Yams"),
            .product(name: "Logging", package: "swift-log"),
        ]
    ),
    // The documents every run and study writes and Reporting reads: plain values, no server or dataset code.
    .target(name: "Results", dependencies: ["CZlib", .product(name: "Histogram", package: "hdrhistogram-swift")]),
    .target(
        name: "Workload",
        dependencies: [
            "Postgres", "VectorSearch", "Datasets", "Results", "CPoll", .product(name: "Histogram", package: "hdrhistogram-swift"),
            .product(name: "Yams", package: "Yams"), .product(name: "Logging", package: "swift-log"),
        ],
        // The load driver's hot loop touches class properties per request; their run-time exclusivity checks
        // cost ~0.3 µs of CPU per request (measured at 8 clients). Debug builds, which the tests run, keep them.
        swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]
    ),
    // Studies sequence runs of the workload engine: sweeps (index parameters), capacity (rate), scale (data size).
    .target(
        name: "Studies",
        dependencies: ["Workload", "Results", "Datasets", "Postgres", "VectorSearch", .product(name: "Logging", package: "swift-log")]
    ),
    // Renders results; runs nothing.
    .target(name: "Reporting", dependencies: ["Results", .product(name: "Mustache", package: "swift-mustache")]),
    // What runs show while they go: the engine's sinks (Prometheus endpoint, dashboard, interval and request logs).
    .target(
        name: "LiveOutputs",
        dependencies: ["Workload", "Results", "Reporting", .product(name: "Histogram", package: "hdrhistogram-swift")]
    ),

    // The thin executable: argument parsing and dispatch.
    .executableTarget(
        name: "tripbench",
        dependencies: [
            "Postgres", "LocalServer", "Datasets", "VectorSearch", "Workload", "Results", "Studies", "Reporting", "LiveOutputs", "CJemalloc",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]
    ),

    // Tests mirror the modules; TestSupport brings up the real server they share.
    .target(
        name: "TestSupport",
        dependencies: ["Postgres", "LocalServer", "Datasets"],
        path: "Tests/TestSupport"
    ),
    .testTarget(name: "PostgresTests", dependencies: ["Postgres", "TestSupport"]),
    .testTarget(name: "LocalServerTests", dependencies: ["LocalServer", "Postgres", "TestSupport"]),
    .testTarget(name: "VectorSearchTests", dependencies: ["VectorSearch"]),
    .testTarget(name: "WorkloadTests", dependencies: ["Workload", "Results", "Datasets", "Postgres", "LocalServer", "TestSupport", "VectorSearch"]),
    .testTarget(name: "StudiesTests", dependencies: ["Studies", "Workload", "Results", "Datasets", "Postgres", "TestSupport"]),
    // LocalServer: the hdrhistogram package of the project's Python environment writes histograms to read back.
    .testTarget(name: "ResultsTests", dependencies: ["Results", "LocalServer", .product(name: "Histogram", package: "hdrhistogram-swift")]),
    // Workload: the fixtures parse their thresholds as scenarios do.
    .testTarget(name: "ReportingTests", dependencies: ["Reporting", "Results", "Workload", "LocalServer", "VectorSearch"]),
    .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "Postgres", "TestSupport"]),
    .testTarget(
        name: "LiveOutputsTests", dependencies: ["LiveOutputs", "Workload", "Results", "TestSupport"]),
    .testTarget(name: "TripbenchTests", dependencies: ["LocalServer", "Postgres", "TestSupport", "VectorSearch"]),
]

for index in targets.indices where targets[index].type != .system && !["CPrefetch", "CPoll"].contains(targets[index].name) {
    targets[index].swiftSettings = (targets[index].swiftSettings ?? []) + swiftSettings
}

let package = Package(
    name: "tripbench",
    platforms: [.macOS(.v15)],
    products: [.executable(name: "tripbench", targets: ["tripbench"])],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
    ],
    targets: targets
)
