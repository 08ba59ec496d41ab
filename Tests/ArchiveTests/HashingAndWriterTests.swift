import Foundation
import Testing
@testable import Archive
@testable import DICOM

/// The hash of a stored file, by coreutils' sha256sum (an oracle independent of our hashing).
func sha256sum(_ path: String) throws -> String {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
    p.arguments = [path]
    let pipe = Pipe()
    p.standardOutput = pipe
    try p.run()
    p.waitUntilExit()
    return String(String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).prefix(64))
}

/// Objects beyond the inline limit are hashed by a background hasher that reads back what was
/// written; the store's name for a file must still be the SHA-256 of exactly its bytes.
@Suite struct HashingTests {
    @Test(arguments: [0, 1, 65_535, 65_536, 65_537, 196_608, 196_609, 600_001])
    func storedUnderTheSHA256OfItsBytesWhateverThePieces(size: Int) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("swiftpacs-hash-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try HashedFileStore(root: dir, sync: false)
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<size).map { _ in UInt8.random(in: 0...255, using: &generator) }
        // Pieces of every size from 1 byte to past the background hasher's chunk.
        var file = try store.beginWrite()
        var offset = 0
        while offset < bytes.count {
            let n = min(bytes.count - offset, [1, 7, 4096, 65_536, 131_071, 300_000].randomElement(using: &generator)!)
            try file.write(bytes[offset..<offset + n])
            offset += n
        }
        file.finishWriting()
        let announced = try file.contentHash()
        let stored = try file.commit()
        #expect(stored.hash == announced)
        #expect(stored.size == size)
        #expect(try sha256sum(stored.path) == stored.hash)
        #expect(try [UInt8](Data(contentsOf: URL(fileURLWithPath: stored.path))) == bytes)
    }

    @Test func aLargeFileDroppedWhileHashingLeavesNothing() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("swiftpacs-hash-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try HashedFileStore(root: dir, sync: false)
        do {
            var file = try store.beginWrite()
            try file.write([UInt8](repeating: 7, count: 1 << 20))
        }
        do {
            var file = try store.beginWrite()
            try file.write([UInt8](repeating: 8, count: 1 << 20))
            file.discard()
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: store.temporaryDirectory).isEmpty)
        #expect(store.allHashes().isEmpty)
    }

    /// A streamed ingest of a multi-megabyte object (pixel data far past the kept header prefix),
    /// appended in uneven pieces: stored byte for byte under its SHA-256.
    @Test func aLargeObjectStreamedInPiecesIsStoredByteForByte() async throws {
        try await withTemporaryArchive { archive, _ in
            var file = try DICOMFile(bytes: try testFile("CT_small.dcm"))
            let pixels = (0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 9) }
            file.dataSet.set(DataElement(tag: .pixelData, vr: .OB, bytes: pixels))
            let bytes = file.encoded()
            var stream = try archive.ingestor.begin(origin: "test")
            var offset = 0, piece = 1
            while offset < bytes.count {
                let n = min(bytes.count - offset, piece)
                try stream.append(bytes[offset..<offset + n])
                offset += n
                piece = piece * 3 + 17
            }
            let result = try await archive.ingestor.finish(stream)
            #expect(result.status == .success)
            let path = archive.store.path(forHash: result.fileHash)
            #expect(try sha256sum(path) == result.fileHash)
            #expect(try [UInt8](Data(contentsOf: URL(fileURLWithPath: path))) == bytes)
        }
    }
}

/// The index writer commits an ingest's write inline when it is idle, and batches writes that
/// arrive while a commit is in flight; either way a failing write rolls back only its own changes.
/// `viaIngest` writes carry a stored file (nothing to sync: fd -1), as ingests do, so they take the
/// inline path when the writer is idle; the others always go through the writer's queue.
@Suite struct IndexWriterTests {
    struct Refused: Error {}

    static func write(_ archive: Archive, viaIngest: Bool, _ body: @escaping @Sendable (SQLiteConnection) throws -> Void) async throws {
        if viaIngest {
            try await archive.index.write(durable: StoredFile(hash: "h", size: 0, path: "", fd: -1), body)
        } else {
            try await archive.index.write(body)
        }
    }

    @Test(arguments: [true, false])
    func aFailingWriteAloneLeavesNoTrace(viaIngest: Bool) async throws {
        try await withTemporaryArchive { archive, _ in
            try await archive.index.write { db in try db.execute("CREATE TABLE t (v INTEGER)") }
            await #expect(throws: Refused.self) {
                try await Self.write(archive, viaIngest: viaIngest) { db in
                    try db.execute("INSERT INTO t VALUES (1)")
                    throw Refused()
                }
            }
            try await Self.write(archive, viaIngest: viaIngest) { db in try db.execute("INSERT INTO t VALUES (2)") }
            #expect(try archive.index.read { try $0.prepare("SELECT v FROM t").rows { $0.int64(0) } } == [2])
        }
    }

    @Test func concurrentWritesKeepExactlyTheSuccessfulOnes() async throws {
        try await withTemporaryArchive { archive, _ in
            try await archive.index.write { db in try db.execute("CREATE TABLE t (v INTEGER)") }
            let outcomes = await withTaskGroup(of: (Int, Bool).self) { group in
                for i in 0..<200 {
                    group.addTask {
                        do {
                            // Ingest-like and plain writes mixed: inline commits, queued batches and
                            // hand-overs between them all happen.
                            try await Self.write(archive, viaIngest: i % 2 == 0) { db in
                                try db.execute("INSERT INTO t VALUES (\(i))")
                                if i % 7 == 3 { throw Refused() }
                            }
                            return (i, true)
                        } catch {
                            return (i, false)
                        }
                    }
                }
                var out: [(Int, Bool)] = []
                for await o in group { out.append(o) }
                return out
            }
            let succeeded = Set(outcomes.filter(\.1).map(\.0))
            #expect(succeeded == Set((0..<200).filter { $0 % 7 != 3 }))
            let stored = try archive.index.read { try $0.prepare("SELECT v FROM t").rows { Int($0.int64(0)) } }
            #expect(Set(stored) == succeeded)
            #expect(stored.count == succeeded.count)
        }
    }
}
