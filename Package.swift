// swift-tools-version:6.2
import PackageDescription

let package = Package(
    name: "SwiftPACS",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "swiftpacs", targets: ["swiftpacs"]),
        .library(name: "DICOM", targets: ["DICOM"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // Small C wrappers over the system zlib: deflateInit2/inflateInit2 are macros Swift cannot import.
        .target(name: "CZlibShim", linkerSettings: [.linkedLibrary("z")]),
        .target(name: "DICOM", dependencies: ["CZlibShim"]),
        .executableTarget(name: "swiftpacs", dependencies: [
            "DICOM",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "DICOMBenchmarks", dependencies: ["DICOM"], path: "Benchmarks/DICOMBenchmarks"),
        .testTarget(name: "DICOMTests", dependencies: ["DICOM"], exclude: ["Oracle"]),
    ]
)
