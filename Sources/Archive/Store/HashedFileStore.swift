import Crypto
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Content-addressed storage: an instance's bytes live at `<root>/ab/cd/<sha256 hex>`.
///
/// A file is written once: to a temporary file in `<root>/.tmp` (same filesystem), hashed as it
/// is written, then renamed into place. The rename is atomic, so a crash leaves either nothing or
/// a whole file; leftover temporaries are removed at start-up. Identical bytes land on the same
/// path and are stored once.
///
/// Durability (when `sync`) is group-committed like the index: instead of fsync'ing each file and
/// its directory (three or four flushes per instance), the index writer calls `syncFilesystem()`
/// once before each commit, which makes every file renamed so far durable with one flush. Nobody
/// is told "stored" before that commit returns.
public struct HashedFileStore: Sendable {
    public let root: String
    public let sync: Bool

    public init(root: String, sync: Bool = true) throws {
        self.root = root
        self.sync = sync
        try Self.makeDirectory(root)
        try Self.makeDirectory(temporaryDirectory)
    }

    /// Flushes every written file and directory entry of the storage filesystem to disk (syncfs):
    /// one flush for a whole group of ingests. Throws when the flush fails (then nothing in the
    /// group may be acknowledged).
    public func syncFilesystem() throws {
        guard sync else { return }
        let fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw ArchiveError.storage("cannot open \(root): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        guard Self.syncfs(fd) == 0 else { throw ArchiveError.storage("syncfs failed: \(String(cString: strerror(errno)))") }
    }

    /// glibc's syncfs(2) (declared only under _GNU_SOURCE, so not imported into Swift); sync(2)
    /// where it is missing, which is slower but as durable.
    private static let syncfs: @convention(c) (Int32) -> Int32 = {
        if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "syncfs") {
            return unsafeBitCast(symbol, to: (@convention(c) (Int32) -> Int32).self)
        }
        return { _ in Glibc.sync(); return 0 }
    }()

    public var temporaryDirectory: String { root + "/.tmp" }

    public func path(forHash hash: String) -> String {
        let h = Array(hash.utf8)
        guard h.count >= 4 else { return root + "/" + hash }
        return root + "/" + String(decoding: h[0..<2], as: UTF8.self) + "/" + String(decoding: h[2..<4], as: UTF8.self) + "/" + hash
    }

    public func contains(hash: String) -> Bool { access(path(forHash: hash), F_OK) == 0 }

    /// Starts writing a new file.
    public func beginWrite() throws -> PendingFile {
        try PendingFile(store: self)
    }

    /// Stores `bytes` in one go.
    public func write(_ bytes: [UInt8]) throws -> (hash: String, size: Int) {
        var file = try beginWrite()
        try file.write(bytes)
        return try file.commit()
    }

    public func read(hash: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path(forHash: hash)) else {
            throw ArchiveError.notFound("file \(hash) in the storage area")
        }
        return [UInt8](data)
    }

    /// Removes a file (when no index row refers to it any more).
    public func remove(hash: String) {
        unlink(path(forHash: hash))
    }

    /// Every stored file's hash (walks the `ab/cd` tree).
    public func allHashes() -> [String] {
        var out: [String] = []
        let fm = FileManager.default
        for a in (try? fm.contentsOfDirectory(atPath: root)) ?? [] where a.count == 2 {
            for b in (try? fm.contentsOfDirectory(atPath: root + "/" + a)) ?? [] where b.count == 2 {
                for name in (try? fm.contentsOfDirectory(atPath: root + "/" + a + "/" + b)) ?? []
                    where name.count == 64 && name.hasPrefix(a + b) {
                    out.append(name)
                }
            }
        }
        return out
    }

    /// Deletes temporaries a crash left behind; returns their names for the log.
    public func removeTemporaryFiles() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: temporaryDirectory)) ?? []
        for name in names { unlink(temporaryDirectory + "/" + name) }
        return names
    }

    /// SHA-256 of a stored file, recomputed (for `swiftpacs check`).
    public func computeHash(ofFileAt path: String) throws -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ArchiveError.storage("cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var hasher = SHA256()
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 { if errno == EINTR { continue }; throw ArchiveError.storage("cannot read \(path)") }
            if n == 0 { break }
            buffer.withUnsafeBytes { hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
        }
        return Self.hex(hasher.finalize())
    }

    static func hex(_ digest: SHA256.Digest) -> String {
        let table = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(64)
        for b in digest { out.append(table[Int(b >> 4)]); out.append(table[Int(b & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }

    static func makeDirectory(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw ArchiveError.storage("cannot create directory \(path): \(error)")
        }
    }

    static func fsyncDirectory(_ path: String) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 { fsync(fd); close(fd) }
    }
}

/// A file being written: bytes go straight to disk and into the hash, never collected in memory.
public struct PendingFile: ~Copyable {
    let store: HashedFileStore
    public let temporaryPath: String
    private var fd: Int32
    private var hasher = SHA256()
    public private(set) var size = 0

    init(store: HashedFileStore) throws {
        self.store = store
        var name = ""
        var fd: Int32 = -1
        for _ in 0..<8 {
            name = store.temporaryDirectory + "/" + UUID().uuidString
            fd = open(name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            if fd >= 0 || errno != EEXIST { break }
        }
        guard fd >= 0 else {
            throw errno == ENOSPC ? ArchiveError.storageFull("no space left in \(store.root)")
                : ArchiveError.storage("cannot create a file in \(store.temporaryDirectory): \(String(cString: strerror(errno)))")
        }
        self.fd = fd
        temporaryPath = name
    }

    deinit {
        if fd >= 0 {
            close(fd)
            unlink(temporaryPath)
        }
    }

    public mutating func write<C: Collection>(_ bytes: C) throws where C.Element == UInt8 {
        let fd = self.fd
        try bytes.withContiguousStorageIfAvailable { buffer in
            try Self.writeAll(fd, UnsafeRawBufferPointer(buffer))
        } ?? Array(bytes).withUnsafeBytes { try Self.writeAll(fd, $0) }
        bytes.withContiguousStorageIfAvailable { hasher.update(bufferPointer: UnsafeRawBufferPointer($0)) }
            ?? Array(bytes).withUnsafeBytes { hasher.update(bufferPointer: $0) }
        size += bytes.count
    }

    public mutating func write(_ buffer: UnsafeRawBufferPointer) throws {
        try Self.writeAll(fd, buffer)
        hasher.update(bufferPointer: buffer)
        size += buffer.count
    }

    static func writeAll(_ fd: Int32, _ buffer: UnsafeRawBufferPointer) throws {
        var done = 0
        while done < buffer.count {
            let n = Glibc.write(fd, buffer.baseAddress! + done, buffer.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw errno == ENOSPC || errno == EDQUOT ? ArchiveError.storageFull("no space left on device")
                    : ArchiveError.storage("write failed: \(String(cString: strerror(errno)))")
            }
            done += n
        }
    }

    /// The hash the file will be stored under, without committing it.
    public var currentHash: String { HashedFileStore.hex(hasher.finalize()) }

    /// Moves the file to its content-hash path (made durable by the next group sync).
    public consuming func commit() throws -> (hash: String, size: Int) {
        let hash = HashedFileStore.hex(hasher.finalize())
        let fd = self.fd
        self.fd = -1
        defer { close(fd) }
        let target = store.path(forHash: hash)
        let directory = String(target.dropLast(hash.count + 1))
        if access(directory, F_OK) != 0 {
            do { try HashedFileStore.makeDirectory(directory) } catch { unlink(temporaryPath); throw error }
        }
        if access(target, F_OK) == 0 {
            unlink(temporaryPath)  // the same bytes are already stored
        } else if rename(temporaryPath, target) != 0 {
            unlink(temporaryPath)
            throw ArchiveError.storage("cannot move the file into place: \(String(cString: strerror(errno)))")
        }
        // Durability comes from the index writer's syncFilesystem() before its commit.
        return (hash, size)
    }

    /// Abandons the file.
    public consuming func discard() {
        close(fd)
        fd = -1
        unlink(temporaryPath)
    }
}
