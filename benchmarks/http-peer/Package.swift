// swift-tools-version:6.1
// The Hummingbird 2 peer that benchmarks/http-bench.sh measures Weft against: the same routes
// and response bodies as `weft serve` (GET /healthz, a 404 problem document, the 401 problem
// document of /v1 without a key). A benchmark tool only; never a dependency of Weft.
import PackageDescription

let package = Package(
    name: "http-peer",
    platforms: [.macOS(.v15)],
    dependencies: [
        // No default traits: swift-configuration is not needed for a fixed host and port.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
    ],
    targets: [
        .executableTarget(
            name: "HTTPPeer",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
