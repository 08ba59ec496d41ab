import Crypto
import Foundation
import Synchronization
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
/// Durability (when `sync`, Orthanc's `SyncStorageArea`): each file is fsync'd after its rename
/// and before its index row is written, by the index writer for a whole batch at once, in
/// parallel, never on the cooperative pool (`StoredFile`, `ArchiveIndex.write(durable:_:)`). An
/// fsync flushes only that file's data, so concurrent stores' device flushes merge; unlike
/// syncfs(2) it does not also wait for every other dirty page of the filesystem. On journalling
/// filesystems (ext4, xfs) the fsync after the rename also commits the new directory entry.
public struct HashedFileStore: Sendable {
    public let root: String
    public let sync: Bool

    public init(root: String, sync: Bool = true) throws {
        self.root = root
        self.sync = sync
        try Self.makeDirectory(root)
        try Self.makeDirectory(temporaryDirectory)
    }

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

    /// Stores `bytes` in one go, durably when the store syncs (blocks on the fsync: for tools and
    /// tests, not for the ingest path, whose fsyncs the index writer does).
    public func write(_ bytes: [UInt8]) throws -> (hash: String, size: Int) {
        var file = try beginWrite()
        try file.write(bytes)
        let stored = try file.commit()
        try stored.makeDurable()
        return (stored.hash, stored.size)
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
            name = store.temporaryDirectory + "/" + Self.uniqueName()
            fd = open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)  // read back by BackgroundHasher
            if fd >= 0 || errno != EEXIST { break }
        }
        guard fd >= 0 else {
            throw errno == ENOSPC ? ArchiveError.storageFull("no space left in \(store.root)")
                : ArchiveError.storage("cannot create a file in \(store.temporaryDirectory): \(String(cString: strerror(errno)))")
        }
        self.fd = fd
        temporaryPath = name
    }

    /// Process ID, start time and a counter: unique without the cost of a random UUID per file.
    private static let namePrefix = "\(getpid())-\(UInt64(Date().timeIntervalSince1970 * 1e6))-"
    private static let counter = Atomic<UInt64>(0)
    private static func uniqueName() -> String {
        namePrefix + String(counter.add(1, ordering: .relaxed).newValue)
    }

    deinit {
        if fd >= 0 {
            background?.wait()  // it may still read from `fd`
            close(fd)
            unlink(temporaryPath)
        }
    }

    public mutating func write<C: Collection>(_ bytes: C) throws where C.Element == UInt8 {
        let written: Void? = try bytes.withContiguousStorageIfAvailable { buffer in
            try write(UnsafeRawBufferPointer(buffer))
        }
        if written == nil { try Array(bytes).withUnsafeBytes { try write($0) } }
    }

    public mutating func write(_ buffer: UnsafeRawBufferPointer) throws {
        try Self.writeAll(fd, buffer)
        if size + buffer.count <= Self.inlineHashLimit {
            hasher.update(bufferPointer: buffer)
        } else {
            if background == nil {
                // The object turned out large: the first bytes are hashed here, the rest by a
                // background hasher while more arrives.
                let inline = Self.inlineHashLimit - size
                hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[..<inline]))
                background = BackgroundHasher(fd: fd, continuing: hasher)
                hashedUpTo = Self.inlineHashLimit
            }
            if size + buffer.count - hashedUpTo >= Self.hashChunk { handToBackground(upTo: size + buffer.count) }
        }
        size += buffer.count
        if store.sync && size - writebackStart >= Self.writebackChunk {
            // Start writing this part to disk now, while the rest is still arriving, so that the
            // group sync before the index commit has little left to wait for.
            _ = Self.syncFileRange(fd, Int64(writebackStart), Int64(size - writebackStart), Self.syncFileRangeWrite)
            writebackStart = size
        }
    }

    /// After the last byte: starts writing what is left to disk, so that the data is on its way
    /// while the object is parsed and indexed, and the fsync in `commit` mostly waits for the
    /// inode and the flush. The background hasher (if any) gets the last bytes too, and finishes
    /// them while the caller parses the header: `contentHash()` waits for it.
    public mutating func finishWriting() {
        handToBackground(upTo: size)
        guard store.sync, size > writebackStart else { return }
        _ = Self.syncFileRange(fd, Int64(writebackStart), Int64(size - writebackStart), Self.syncFileRangeWrite)
        writebackStart = size
    }

    /// Gives the background hasher (if any) the bytes from `hashedUpTo` to `end`.
    private mutating func handToBackground(upTo end: Int) {
        guard let background, end > hashedUpTo else { return }
        background.hash(offset: hashedUpTo, count: end - hashedUpTo)
        hashedUpTo = end
    }

    /// Waits for the background hasher (if any) to have hashed every byte written.
    private mutating func settleHash() {
        handToBackground(upTo: size)
        guard let background else { return }
        if let hashed = background.finish(fileSize: size) { hasher = hashed } else { hashFailed = true }
        self.background = nil
    }

    /// Objects up to this size are hashed as they are written; beyond it, by a `BackgroundHasher`
    /// in pieces of at least `hashChunk`.
    private static let inlineHashLimit = 64 << 10
    private static let hashChunk = 128 << 10
    private var background: BackgroundHasher?
    /// The file could not be read back for hashing: `commit` fails.
    private var hashFailed = false
    /// Bytes before this offset are hashed, or handed to `background`.
    private var hashedUpTo = 0

    /// Bytes from here on have not been handed to the disk yet.
    private var writebackStart = 0
    private static let writebackChunk = 256 << 10
    private static let syncFileRangeWrite: UInt32 = 2  // SYNC_FILE_RANGE_WRITE
    /// glibc's sync_file_range(2) (declared only under _GNU_SOURCE); a no-op where it is missing.
    private static let syncFileRange: @convention(c) (Int32, Int64, Int64, UInt32) -> Int32 = {
        if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "sync_file_range") {
            return unsafeBitCast(symbol, to: (@convention(c) (Int32, Int64, Int64, UInt32) -> Int32).self)
        }
        return { _, _, _, _ in 0 }
    }()

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

    /// The SHA-256 the file will be stored under, without committing it (after the last write;
    /// waits for the background hasher).
    public mutating func contentHash() throws(ArchiveError) -> String {
        settleHash()
        if hashFailed { throw .storage("cannot read \(temporaryPath) back to hash it") }
        return HashedFileStore.hex(hasher.finalize())
    }

    /// Moves the file to its content-hash path. It is durable once the returned `StoredFile` is
    /// (`makeDurable`): the index writer does that for a whole batch of ingests, just before
    /// committing their rows.
    public consuming func commit() throws -> StoredFile {
        let hash = try contentHash()
        let fd = self.fd
        self.fd = -1
        let target = store.path(forHash: hash)
        if access(target, F_OK) == 0 {
            // The same bytes are already stored (perhaps by an ingest whose fsync is still to
            // come): this ingest syncs the stored file itself before acknowledging.
            close(fd)
            unlink(temporaryPath)
            return StoredFile(hash: hash, size: size, path: target, fd: store.sync ? open(target, O_RDONLY | O_CLOEXEC) : -1)
        }
        var moved = rename(temporaryPath, target) == 0
        if !moved && errno == ENOENT {
            // First file of its `ab/cd` bucket: create the bucket (mkdir(2) directly, as this is
            // the ingest hot path) and try again.
            let bucket = String(target.dropLast(hash.count + 1))
            let parent = String(bucket.dropLast(3))
            if mkdir(parent, 0o755) != 0 && errno != EEXIST || mkdir(bucket, 0o755) != 0 && errno != EEXIST {
                let reason = String(cString: strerror(errno))
                close(fd)
                unlink(temporaryPath)
                throw ArchiveError.storage("cannot create directory \(bucket): \(reason)")
            }
            moved = rename(temporaryPath, target) == 0
        }
        if !moved {
            let reason = String(cString: strerror(errno))
            close(fd)
            unlink(temporaryPath)
            throw ArchiveError.storage("cannot move the file into place: \(reason)")
        }
        if !store.sync { close(fd) }
        return StoredFile(hash: hash, size: size, path: target, fd: store.sync ? fd : -1)
    }

    /// Abandons the file.
    public consuming func discard() {
        background?.wait()
        close(fd)
        fd = -1
        unlink(temporaryPath)
    }
}

/// A file in its content path, with the descriptor its fsync needs while it is still due.
/// Whoever holds it calls `makeDurable` exactly once (it closes the descriptor, whether the fsync
/// succeeds or not).
public struct StoredFile: Sendable {
    public let hash: String
    public let size: Int
    public let path: String
    /// -1 when there is nothing to sync (the store does not sync, or the file could not be opened).
    let fd: Int32

    public func makeDurable() throws {
        guard fd >= 0 else { return }
        defer { close(fd) }
        if fsync(fd) != 0 {
            throw ArchiveError.storage("fsync of \(path) failed: \(String(cString: strerror(errno)))")
        }
    }
}

/// Hashes the rest of a large file on another thread while more of it arrives. On one
/// association the SHA-256 of a 0.5 MB CT image (~0.4 ms) would otherwise run between socket
/// reads, in series with the client. It reads back what was written (from the page cache), in
/// order, so no received buffer has to be kept alive for it.
final class BackgroundHasher: @unchecked Sendable {
    private let fd: Int32
    private let queue = DispatchQueue(label: "swiftpacs.hash", target: .global(qos: .userInitiated))
    // Used only on `queue`, and by `finish` once the queue is idle.
    private var hasher: SHA256
    private var failed = false
    /// What a range is read into, one per file.
    private let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 256 << 10, alignment: 64)

    init(fd: Int32, continuing hasher: SHA256) {
        self.fd = fd
        self.hasher = hasher
    }

    deinit { buffer.deallocate() }

    /// Hashes bytes `offset..<offset + count`, after the ranges handed over before.
    func hash(offset: Int, count: Int) {
        queue.async { [self] in
            if !failed { failed = !hashRange(offset, count, into: &hasher) }
        }
    }

    /// Waits until no range is being read (before the descriptor is closed).
    func wait() { queue.sync {} }

    /// Waits for the ranges handed over, and returns the hasher. Should reading back have failed,
    /// hashes the whole file again here; nil if that fails too.
    func finish(fileSize: Int) -> SHA256? {
        wait()
        guard failed else { return hasher }
        var again = SHA256()
        return hashRange(0, fileSize, into: &again) ? again : nil
    }

    private func hashRange(_ offset: Int, _ count: Int, into hasher: inout SHA256) -> Bool {
        var done = 0
        while done < count {
            let n = pread(fd, buffer.baseAddress, min(buffer.count, count - done), off_t(offset + done))
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return false }
            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[..<n]))
            done += n
        }
        return true
    }
}
