import DICOM
import Foundation
#if canImport(Glibc)
import Glibc
#endif

// Process and socket plumbing shared by the test targets that drive real peers (dcmtk, Python
// clients, the swiftpacs executable): one copy instead of one per target.

/// A failure of the test plumbing itself (a peer that did not start, a socket call that failed).
public struct TestSupportFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Runs a program to its end without blocking a thread of the cooperative pool (in-process
/// servers run their handlers there): output goes to temporary files, the exit is awaited
/// through `terminationHandler`.
public func runProcess(_ executable: String, _ arguments: [String]) async throws -> (status: Int32, out: String, err: String) {
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
    let exits = try launch(process, output: outHandle, error: errHandle)
    var status: Int32 = -1
    for await code in exits { status = code }
    return (status, (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
            (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "")
}

/// Starts `process` with no input and the given outputs; the stream yields its exit status
/// once it has ended (awaited without blocking a thread).
func launch(_ process: Process, output: FileHandle, error: FileHandle) throws -> AsyncStream<Int32> {
    process.standardOutput = output
    process.standardError = error
    process.standardInput = FileHandle.nullDevice
    let (exits, exitSink) = AsyncStream.makeStream(of: Int32.self)
    process.terminationHandler = { finished in
        exitSink.yield(finished.terminationStatus)
        exitSink.finish()
    }
    try process.run()
    return exits
}

/// A TCP port of 127.0.0.1 that nothing listens on (bound, then released).
public func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw TestSupportFailure("socket: errno \(errno)") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
    }
    guard bound else { throw TestSupportFailure("bind: errno \(errno)") }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// Whether something accepts TCP connections on `host:port`.
public func acceptsConnections(port: Int, host: String = "127.0.0.1") -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr(host)
    address.sin_port = UInt16(port).bigEndian
    return withUnsafePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
    }
}

/// A new, empty directory under the system's temporary directory.
public func makeTemporaryDirectory(_ prefix: String = "swiftpacs-test") throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Starts a peer process on a free port (its arguments built from the port and a working
/// directory), waits until it listens, runs `body`, and always stops the process and removes
/// the directory. Its output is in `<directory>/peer.log`.
public func withPeerProcess(_ executable: String, directory: String? = nil, arguments: (Int, String) -> [String],
                            _ body: (Int, String) async throws -> Void) async throws {
    let directory = try directory ?? makeTemporaryDirectory("swiftpacs-peer")
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let port = try freePort()
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments(port, directory)
    process.currentDirectoryURL = URL(fileURLWithPath: directory)
    let logPath = directory + "/peer.log"
    _ = FileManager.default.createFile(atPath: logPath, contents: nil)
    let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
    defer { try? log.close() }
    let exits = try launch(process, output: log, error: log)

    func stop() async {
        // storescp does not stop on SIGTERM while it waits for an association.
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        for await _ in exits {}
    }
    let deadline = ContinuousClock.now.advanced(by: .seconds(20))
    while !acceptsConnections(port: port) {
        guard process.isRunning, ContinuousClock.now < deadline else {
            await stop()
            let output = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
            throw TestSupportFailure("\(executable) did not listen on \(port): \(output)")
        }
        try await Task.sleep(for: .milliseconds(50))
    }
    do {
        try await body(port, directory)
    } catch {
        await stop()
        throw error
    }
    await stop()
}

/// dcmtk's storescp (installed with apt-get when missing) on a free port, writing what it
/// receives into a fresh directory (with its log, `peer.log`): `body` gets the port and the
/// directory.
public func withStorescp(_ options: [String], _ body: (Int, String) async throws -> Void) async throws {
    if !FileManager.default.isExecutableFile(atPath: "/usr/bin/storescp") {
        _ = try await runProcess("/usr/bin/env", ["apt-get", "install", "-y", "dcmtk"])
    }
    try await withPeerProcess("/usr/bin/storescp", arguments: { port, directory in
        options + ["-od", directory, String(port)]
    }, body)
}

/// The files a peer such as storescp wrote into `directory` (not its log, not hidden files).
public func receivedFiles(in directory: String) -> Set<String> {
    Set(((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { !$0.hasPrefix(".") && !$0.hasSuffix(".log") })
}

/// The received files of `directory` by their SOP Instance UID.
public func receivedFilesByInstanceUID(in directory: String) throws -> [String: String] {
    var result: [String: String] = [:]
    for name in receivedFiles(in: directory) {
        let path = directory + "/" + name
        if let uid = try DICOMFile(contentsOf: path, stopAt: .pixelData).dataSet.string(.sopInstanceUID) { result[uid] = path }
    }
    return result
}

/// SplitMix64: a small seeded random number generator, the same on every platform, so fuzz and
/// generated inputs are reproducible.
public struct SplitMix64: RandomNumberGenerator {
    public var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
