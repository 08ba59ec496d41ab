import Foundation

/// Runs a program to its end without blocking a thread of the cooperative pool (in-process
/// servers run their handlers there): output goes to temporary files, the exit is awaited
/// through `terminationHandler`.
func runProcess(_ executable: String, _ arguments: [String]) async throws -> (status: Int32, out: String, err: String) {
    let base = FileManager.default.temporaryDirectory.appendingPathComponent("swiftpacs-run-\(UUID().uuidString)").path
    let outPath = base + ".out", errPath = base + ".err"
    _ = FileManager.default.createFile(atPath: outPath, contents: nil)
    _ = FileManager.default.createFile(atPath: errPath, contents: nil)
    defer {
        try? FileManager.default.removeItem(atPath: outPath)
        try? FileManager.default.removeItem(atPath: errPath)
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let outHandle = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
    let errHandle = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
    defer {
        try? outHandle.close()
        try? errHandle.close()
    }
    process.standardOutput = outHandle
    process.standardError = errHandle
    process.standardInput = FileHandle.nullDevice
    let (exits, exitSink) = AsyncStream.makeStream(of: Int32.self)
    process.terminationHandler = { finished in
        exitSink.yield(finished.terminationStatus)
        exitSink.finish()
    }
    try process.run()
    var status: Int32 = -1
    for await code in exits { status = code }
    return (status, (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
            (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "")
}
