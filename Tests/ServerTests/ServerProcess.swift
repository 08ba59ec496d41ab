import Foundation
import TestSupport

/// A real `swiftpacs serve` process on free ports with its own data directory, for tests that
/// drive the server as clients do. `stop()` (or deinit) ends it and removes the directory.
final class ServerProcess: @unchecked Sendable {
    let process = Process()
    let directory: String
    let httpPort: Int
    let dicomPort: Int
    let configPath: String
    private let log = Pipe()
    private(set) var output = ""

    init(config: [String: Any] = [:]) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("swiftpacs-srv-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        httpPort = try freePort()
        dicomPort = try freePort()
        var full: [String: Any] = ["StorageDirectory": directory + "/data", "HttpPort": httpPort,
                                   "DicomPort": dicomPort, "SyncStorageArea": false]
        full.merge(config) { _, new in new }
        configPath = directory + "/config.json"
        try JSONSerialization.data(withJSONObject: full).write(to: URL(fileURLWithPath: configPath))
        process.executableURL = URL(fileURLWithPath: try swiftpacsBinary())
        process.arguments = ["serve", "--config", configPath]
        process.standardOutput = log
        process.standardError = log
        try process.run()
        try waitUntilListening()
    }

    var baseURL: String { "http://127.0.0.1:\(httpPort)" }

    private func waitUntilListening() throws {
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if !process.isRunning {
                output = String(decoding: log.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                throw TestFailure("swiftpacs exited with \(process.terminationStatus): \(output)")
            }
            if acceptsConnections(port: httpPort), acceptsConnections(port: dicomPort) { return }
            usleep(50_000)
        }
        throw TestFailure("swiftpacs did not start listening on \(httpPort)")
    }

    /// SIGTERM, wait, collect the log.
    @discardableResult func stop() -> String {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        output = String(decoding: log.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        try? FileManager.default.removeItem(atPath: directory)
        return output
    }

    deinit { if process.isRunning { stop() } }
}

/// Runs curl (the real one) and returns (HTTP status, body).
func curl(_ arguments: [String]) throws -> (status: Int, body: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
    p.arguments = ["-s", "-o", "-", "-w", "\n%{http_code}"] + arguments
    let out = Pipe()
    p.standardOutput = out
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    let text = String(decoding: data, as: UTF8.self)
    guard let newline = text.lastIndex(of: "\n") else { return (0, text) }
    return (Int(text[text.index(after: newline)...]) ?? 0, String(text[..<newline]))
}
