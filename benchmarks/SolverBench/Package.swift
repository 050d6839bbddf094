// swift-tools-version:6.0
// Release-mode benchmarks for the scheduler. Built by ../solver-bench.sh, which links
// Sources/WeftCore (and WeftMIP, weft-mip-worker, CCbc) to the repository's (WeftCore is not a product of the
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
            dependencies: [.product(name: "HeapModule", package: "swift-collections")],
            path: "Sources/WeftCore"
        ),
        .target(name: "WeftMIP", dependencies: ["WeftCore"], path: "Sources/WeftMIP"),
        // The exact step's worker, built beside solver-bench (which finds it there).
        .executableTarget(name: "weft-mip-worker", dependencies: ["WeftCore", "CCbc"], path: "Sources/weft-mip-worker"),
        .executableTarget(name: "solver-bench", dependencies: ["WeftCore", "WeftMIP"], path: "Sources/solver-bench"),
    ],
    swiftLanguageModes: [.v6]
)
