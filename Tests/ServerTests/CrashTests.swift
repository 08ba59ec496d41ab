import Foundation
import Testing

/// The built `swiftpacs` executable (Scripts/test.sh builds it before the tests run).
func swiftpacsBinary() throws -> String {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let path = root.appendingPathComponent(".build/debug/swiftpacs").path
    guard FileManager.default.isExecutableFile(atPath: path) else {
        throw TestFailure("swiftpacs is not built at \(path): run Scripts/test.sh (it runs swift build --build-tests first)")
    }
    return path
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// Runs a client script under Tests/ServerTests/Clients with python3; returns (status, stdout, stderr).
func runClient(_ script: String, _ arguments: [String], timeout: TimeInterval = 600) throws -> (Int32, String, String) {
    let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Clients")
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["python3", dir.appendingPathComponent(script).path] + arguments
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
}

@Suite struct CrashTests {
    /// kill -9 during concurrent uploads, three times; every acknowledged instance survives,
    /// byte-identical, and `swiftpacs check` is clean afterwards.
    @Test func acknowledgedInstancesSurviveKill9() throws {
        let binary = try swiftpacsBinary()
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("swiftpacs-crash-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: work) }
        let (status, out, err) = try runClient("crash_test.py", [binary, work, "3"])
        #expect(status == 0, "crash test failed:\n\(out)\n\(err.suffix(3000))")
        let summary = try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any]
        #expect((summary?["acknowledged"] as? Int ?? 0) > 20, "too few uploads acknowledged to prove anything: \(out)")
    }
}
