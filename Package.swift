// swift-tools-version:6.2
import PackageDescription

let package = Package(
    name: "SwiftPACS",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "swiftpacs", targets: ["swiftpacs"]),
        .library(name: "DICOM", targets: ["DICOM"]),
        .library(name: "DICOMNetwork", targets: ["DICOMNetwork"]),
        .library(name: "Archive", targets: ["Archive"]),
        .library(name: "Server", targets: ["Server"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        // Small C wrappers over the system zlib: deflateInit2/inflateInit2 are macros Swift cannot import.
        .target(name: "CZlibShim", linkerSettings: [.linkedLibrary("z")]),
        // The system SQLite (libsqlite3-dev); SQLITE_TRANSIENT is a macro, wrapped in CSQLiteShim.
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .target(name: "DICOM", dependencies: ["CZlibShim"]),
        // PS3.8 upper layer and PS3.7 DIMSE, both roles.
        .target(name: "DICOMNetwork", dependencies: [
            "DICOM",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "Archive", dependencies: [
            "DICOM", "CSQLite", "CZlibShim",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "Server", dependencies: [
            "DICOM", "DICOMNetwork", "Archive",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdAuth", package: "hummingbird-auth"),
            .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),
        .executableTarget(name: "swiftpacs", dependencies: [
            "DICOM", "Archive", "Server",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
        ]),
        .executableTarget(name: "DICOMBenchmarks", dependencies: ["DICOM"], path: "Benchmarks/DICOMBenchmarks"),
        .executableTarget(name: "ArchiveBenchmarks", dependencies: ["Archive", "DICOM"], path: "Benchmarks/ArchiveBenchmarks"),
        .target(name: "TestSupport", dependencies: ["DICOM"], path: "Tests/TestSupport"),
        .testTarget(name: "DICOMTests", dependencies: ["DICOM", "TestSupport"], exclude: ["Oracle"]),
        .testTarget(name: "DICOMNetworkTests", dependencies: [
            "DICOMNetwork", "DICOM", "TestSupport",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOEmbedded", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),
        .testTarget(name: "ArchiveTests", dependencies: ["Archive", "DICOM"]),
        .testTarget(name: "ServerTests", dependencies: [
            "Server", "Archive", "DICOMNetwork", "DICOM", "TestSupport",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ], exclude: ["Clients"]),
    ]
)
