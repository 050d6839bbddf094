// swift-tools-version:6.0
// Release-mode benchmarks for the scheduler. Built by ../solver-bench.sh, which links
// Sources/WeftCore to the repository's Sources/WeftCore (WeftCore is not a product of the
// main package, so it cannot be depended on by path).
import PackageDescription

let package = Package(
    name: "SolverBench",
    // The same requirement as the main package's (WeftCore's heaps); pinned in Package.resolved.
    dependencies: [
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.1.0"),
    ],
    targets: [
        .systemLibrary(name: "CCbc", path: "Sources/CCbc", pkgConfig: "cbc", providers: [.apt(["coinor-libcbc-dev"])]),
        .target(
            name: "WeftCore",
            dependencies: ["CCbc", .product(name: "HeapModule", package: "swift-collections")],
            path: "Sources/WeftCore"
        ),
        .executableTarget(name: "solver-bench", dependencies: ["WeftCore"], path: "Sources/solver-bench"),
    ],
    swiftLanguageModes: [.v6]
)
