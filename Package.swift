// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "weft",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "weft", targets: ["weft"]),
        .executable(name: "weft-mip-worker", targets: ["weft-mip-worker"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.81.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.6.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.1.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.0.0"),
    ],
    targets: [
        // System libraries: libpq for PostgreSQL, libcrypto for SHA-256 and random bytes.
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        // COIN-OR CBC (mixed-integer programming) for the scheduler's exact solves and bounds,
        // linked only into weft-mip-worker (a crash in C must not take the server down).
        .systemLibrary(
            name: "CCbc",
            pkgConfig: "cbc",
            providers: [.apt(["coinor-libcbc-dev"])]
        ),

        // 1. core: domain types, validation, the scheduling model, verifier and solvers. No IO.
        .target(
            name: "WeftCore",
            dependencies: [.product(name: "HeapModule", package: "swift-collections")]
        ),
        // 1b. the exact step's MIP solves in a child process (spawns weft-mip-worker; IO).
        .target(name: "WeftMIP", dependencies: ["WeftCore"]),
        // The worker itself: one MIP from stdin, CBC, the answer on stdout.
        .executableTarget(name: "weft-mip-worker", dependencies: ["WeftCore", "CCbc"]),
        // 2. store: libpq wrapper, pool, migrations, SQL per aggregate.
        .target(
            name: "WeftStore",
            dependencies: [
                "CLibPQ",
                "COpenSSL",
                "WeftCore",
                .product(name: "Logging", package: "swift-log"),
            ],
            // Sources/WeftStore/Migrations links to the top-level Migrations/ folder.
            resources: [.copy("Migrations")]
        ),
        // 3. http: server, router, middleware, problem+json. Knows nothing of factories.
        .target(
            name: "WeftHTTP",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // 4. api: handlers wiring http to core and store.
        .target(
            name: "WeftAPI",
            dependencies: [
                "WeftCore",
                "WeftStore",
                "WeftHTTP",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Mustache", package: "swift-mustache"),
            ],
            resources: [.copy("Resources/openapi.yaml"), .copy("Resources/Templates")]
        ),
        // 5. the executable: command line and start-up only.
        .executableTarget(
            name: "weft",
            dependencies: [
                "WeftAPI",
                "WeftStore",
                "WeftHTTP",
                "WeftMIP",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),

        // Shared by the test targets: a fresh, migrated database per suite, a raw HTTP client.
        .target(
            name: "WeftTestSupport",
            dependencies: ["WeftStore", .product(name: "Logging", package: "swift-log")],
            path: "Tests/WeftTestSupport"
        ),

        // A seeded generator and byte mutations for the fuzz tests of every layer.
        .target(name: "WeftFuzzSupport", path: "Tests/WeftFuzzSupport"),

        .testTarget(name: "WeftCoreTests", dependencies: ["WeftCore", "WeftFuzzSupport"]),
        // The exact step through the real worker (built with everything by `swift build --build-tests`) and failing ones.
        .testTarget(name: "WeftMIPTests", dependencies: ["WeftMIP", "WeftCore"]),
        .testTarget(name: "WeftStoreTests", dependencies: ["WeftStore", "WeftCore", "WeftTestSupport"]),
        .testTarget(
            name: "WeftHTTPTests",
            dependencies: [
                "WeftHTTP", "WeftFuzzSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(
            name: "WeftAPITests",
            dependencies: [
                "WeftAPI", "WeftStore", "WeftHTTP", "WeftCore", "WeftTestSupport", "WeftFuzzSupport", "WeftMIP",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
