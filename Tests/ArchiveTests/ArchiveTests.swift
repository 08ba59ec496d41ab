import Foundation
import Synchronization
import Logging
import Testing
@testable import Archive
@testable import DICOM

/// pydicom's test files (installed by Scripts/setup.sh).
let pydicomTestFiles: String = {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["python3", "-c", "import pydicom,os;print(os.path.join(os.path.dirname(pydicom.__file__),'data','test_files'))"]
    let pipe = Pipe()
    p.standardOutput = pipe
    try? p.run()
    p.waitUntilExit()
    return String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
}()

func testFile(_ name: String) throws -> [UInt8] {
    try [UInt8](Data(contentsOf: URL(fileURLWithPath: pydicomTestFiles + "/" + name)))
}

/// A fresh archive in a temporary directory, removed at the end of the test.
func withTemporaryArchive<T>(overwrite: Bool = false, maximumStorageSize: Int = 0,
                             _ body: (Archive, String) async throws -> T) async throws -> T {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("swiftpacs-test-\(UUID().uuidString)").path
    defer { try? FileManager.default.removeItem(atPath: dir) }
    var config = ArchiveConfiguration(storageDirectory: dir + "/storage", indexDirectory: dir + "/index")
    config.syncStorageArea = false
    config.overwriteInstances = overwrite
    config.maximumStorageSize = maximumStorageSize
    let archive = try Archive(configuration: config, logger: Logger(label: "test"))
    return try await body(archive, dir)
}

func count(_ archive: Archive, _ table: String) throws -> Int {
    Int(try archive.index.read { try $0.scalarInt("SELECT count(*) FROM \(table)") } ?? -1)
}

@Suite struct ArchiveTests {
    @Test func ingestStoresOnceUnderTheContentHash() async throws {
        try await withTemporaryArchive { archive, _ in
            let bytes = try testFile("CT_small.dcm")
            let first = try await archive.ingestor.ingest(bytes: bytes, origin: "test")
            #expect(first.status == .success)
            // Orthanc's IDs for this file (SHA-1 of the UID chain).
            #expect(first.patientID == ResourceID.patient(patientID: "1CT1"))
            #expect(first.instanceID.count == 44)
            let path = archive.store.path(forHash: first.fileHash)
            #expect(try [UInt8](Data(contentsOf: URL(fileURLWithPath: path))) == bytes)
            #expect(try archive.store.computeHash(ofFileAt: path) == first.fileHash)
            #expect(path.hasSuffix("/\(first.fileHash.prefix(2))/\(first.fileHash.dropFirst(2).prefix(2))/\(first.fileHash)"))

            let second = try await archive.ingestor.ingest(bytes: bytes, origin: "test")
            #expect(second.status == .alreadyStored)
            #expect(second.instanceID == first.instanceID)
            #expect(try count(archive, "instances") == 1)
            #expect(archive.store.allHashes() == [first.fileHash])
            #expect(try count(archive, "changes") == 4)  // NewPatient, NewStudy, NewSeries, NewInstance
        }
    }

    @Test func duplicateWithDifferentBytesKeepsTheFirstUnlessOverwriting() async throws {
        let original = try testFile("CT_small.dcm")
        var file = try DICOMFile(bytes: original)
        file.dataSet.set(DataElement(tag: Tag(0x0008_1030), vr: .LO, string: "CHANGED"))
        let changed = file.encoded()

        try await withTemporaryArchive(overwrite: false) { archive, _ in
            let a = try await archive.ingestor.ingest(bytes: original, origin: "test")
            let b = try await archive.ingestor.ingest(bytes: changed, origin: "test")
            #expect(b.status == .alreadyStored)
            #expect(b.fileHash == a.fileHash)
            #expect(archive.store.allHashes() == [a.fileHash], "the rejected duplicate's file is not kept")
        }
        try await withTemporaryArchive(overwrite: true) { archive, _ in
            let a = try await archive.ingestor.ingest(bytes: original, origin: "test")
            let b = try await archive.ingestor.ingest(bytes: changed, origin: "test")
            #expect(b.status == .success)
            #expect(b.fileHash != a.fileHash)
            #expect(archive.store.allHashes() == [b.fileHash], "the replaced file is removed")
            #expect(try count(archive, "instances") == 1)
        }
    }

    @Test func truncatedOrInvalidInputStoresNothing() async throws {
        try await withTemporaryArchive { archive, _ in
            let bytes = try testFile("CT_small.dcm")
            for cut in [bytes.count - 1, bytes.count / 2, 200, 10] {
                await #expect(throws: ArchiveError.self) {
                    try await archive.ingestor.ingest(bytes: Array(bytes[..<cut]), origin: "test")
                }
            }
            await #expect(throws: ArchiveError.self) {
                try await archive.ingestor.ingest(bytes: Array("not DICOM at all, just text".utf8), origin: "test")
            }
            // A data set without SOP Instance UID is refused with the attribute named.
            var file = try DICOMFile(bytes: bytes)
            file.dataSet.remove(.sopInstanceUID)
            do {
                _ = try await archive.ingestor.ingest(bytes: file.encoded(), origin: "test")
                Issue.record("accepted an instance without SOPInstanceUID")
            } catch let error as ArchiveError {
                #expect("\(error)".contains("SOPInstanceUID"))
                #expect(error.httpStatus == 400)
            }
            #expect(try count(archive, "instances") == 0)
            #expect(archive.store.allHashes().isEmpty)
            #expect(try FileManager.default.contentsOfDirectory(atPath: archive.store.temporaryDirectory).isEmpty)
        }
    }

    @Test func concurrentIngestsShareGroupCommits() async throws {
        try await withTemporaryArchive { archive, _ in
            let names = try FileManager.default.contentsOfDirectory(atPath: pydicomTestFiles).filter { $0.hasSuffix(".dcm") }
            let results = await withTaskGroup(of: IngestResult?.self) { group in
                for name in names {
                    group.addTask { try? await archive.ingestor.ingest(bytes: testFile(name), origin: "test") }
                }
                var out: [IngestResult] = []
                for await r in group { if let r { out.append(r) } }
                return out
            }
            // Several of pydicom's files share SOP Instance UIDs: one of each is stored, the others
            // are AlreadyStored; files without the required UIDs are refused.
            #expect(results.count > 60)
            let distinct = Set(results.map(\.sopInstanceUID))
            #expect(results.filter { $0.status == .success }.count == distinct.count)
            #expect(try count(archive, "instances") == distinct.count)
        }
    }

    @Test func aFileThatCannotBeMadeDurableFailsOnlyItsOwnWrite() async throws {
        try await withTemporaryArchive { archive, dir in
            // A file (fsync succeeds) and a pipe (fsync fails with EINVAL). Never a closed descriptor:
            // tests run in parallel, and its number may already belong to another test's file.
            let good = open(dir + "/good", O_CREAT | O_WRONLY | O_CLOEXEC, 0o644)
            var ends: [Int32] = [0, 0]
            #expect(pipe(&ends) == 0)
            close(ends[1])
            let bad = ends[0]
            final class Ran: Sendable { let names = Mutex<[String]>([]) }
            let ran = Ran()
            let writes = [("good", good), ("bad", bad)].map { name, fd in
                Task { () -> Result<String, any Error> in
                    let file = StoredFile(hash: name, size: 0, path: dir + "/" + name, fd: fd)
                    do {
                        return .success(try await archive.index.write(durable: file) { _ in
                            ran.names.withLock { $0.append(name) }
                            return name
                        })
                    } catch {
                        return .failure(error)
                    }
                }
            }
            let a = await writes[0].value, b = await writes[1].value
            #expect((try? a.get()) == "good")
            guard case .failure(let error) = b else { Issue.record("the bad file's write succeeded"); return }
            #expect("\(error)".contains("fsync of \(dir)/bad failed"))
            #expect(ran.names.withLock { $0 } == ["good"], "the body of a write whose file is not durable never runs")
        }
    }

    /// The deflated DICOM JSON header (bulk values left out) lives in `instance_headers`, one row
    /// per instance, and goes with its instance.
    @Test func headersLiveInTheirOwnTableAndGoWithTheirInstance() async throws {
        try await withTemporaryArchive { archive, _ in
            let bytes = try testFile("CT_small.dcm")
            let result = try await archive.ingestor.ingest(bytes: bytes, origin: "test")
            let stored = try archive.index.read { db in
                try db.statement("SELECT h.header FROM instance_headers h JOIN instances i ON i.id = h.instance WHERE i.public_id = ?")
                    .rows([.text(result.instanceID)]) { $0.blob(0) ?? [] }
            }
            try #require(stored.count == 1)
            let header = try DICOMFile(bytes: bytes).dataSet.prefix(before: .pixelData)
            let expected = DICOMJSONEncoder(bulkDataThreshold: 1024) { _, _ in "" }.encodeBytes(header)
            #expect(try Deflate.inflate(stored[0][...]) == expected)
            _ = try await archive.ingestor.delete(level: .instance, publicID: result.instanceID)
            #expect(try count(archive, "instance_headers") == 0)
            #expect(try count(archive, "instances") == 0)
        }
    }

    /// A clean close leaves the index in one file: the WAL's content checkpointed, the WAL empty.
    @Test func closeCheckpointsTheWAL() async throws {
        try await withTemporaryArchive { archive, _ in
            _ = try await archive.ingestor.ingest(bytes: try testFile("CT_small.dcm"), origin: "test")
            let wal = archive.index.path + "-wal"
            let size = { ((try? FileManager.default.attributesOfItem(atPath: wal))?[.size] as? Int) ?? 0 }
            #expect(size() > 0, "the commit is in the WAL")
            archive.close()
            #expect(size() == 0)
            #expect(try count(archive, "instances") == 1, "and readable from the database file")
        }
    }

    @Test func storageLimitRejects() async throws {
        try await withTemporaryArchive(maximumStorageSize: 10_000) { archive, _ in
            do {
                _ = try await archive.ingestor.ingest(bytes: try testFile("CT_small.dcm"), origin: "test")
                Issue.record("stored past MaximumStorageSize")
            } catch let error as ArchiveError {
                #expect(error.dimseStatus == 0xA700)
                #expect(error.httpStatus == 507)
            }
        }
    }

    @Test func deleteRemovesUnreferencedFilesAndEmptyParents() async throws {
        try await withTemporaryArchive { archive, _ in
            let a = try await archive.ingestor.ingest(bytes: try testFile("CT_small.dcm"), origin: "test")
            let b = try await archive.ingestor.ingest(bytes: try testFile("MR_small.dcm"), origin: "test")
            let outcome = try await archive.ingestor.delete(level: .instance, publicID: a.instanceID)
            #expect(outcome != nil)
            #expect(outcome?.remainingAncestor == nil, "CT_small is alone in its patient")
            #expect(archive.store.allHashes() == [b.fileHash])
            #expect(try count(archive, "patients") == 1)
            #expect(try await archive.ingestor.delete(level: .study, publicID: "no-such-id") == nil)
        }
    }

    @Test func recoveryIndexesOrphansAndRemovesTemporaries() async throws {
        try await withTemporaryArchive { archive, dir in
            // A file that reached the store but not the index (a crash between rename and commit),
            // an unreadable one, and a leftover temporary.
            let orphan = try archive.store.write(try testFile("MR_small.dcm"))
            let garbage = try archive.store.write(Array("garbage".utf8))
            FileManager.default.createFile(atPath: archive.store.temporaryDirectory + "/leftover", contents: Data([1, 2, 3]))
            let report = await archive.recover(force: true)
            #expect(report.removedTemporaryFiles == ["leftover"])
            #expect(report.indexedOrphans == [orphan.hash])
            #expect(report.removedOrphans == [garbage.hash])
            #expect(try count(archive, "instances") == 1)
            let check = try archive.check()
            #expect(check.isClean, "\(check)")
        }
    }

    @Test func checkFindsCorruptionAndReindexRebuilds() async throws {
        try await withTemporaryArchive { archive, dir in
            let a = try await archive.ingestor.ingest(bytes: try testFile("CT_small.dcm"), origin: "test")
            _ = try await archive.ingestor.ingest(bytes: try testFile("MR_small.dcm"), origin: "test")
            #expect(try archive.check().isClean)
            let before = try archive.index.read { db in
                try db.prepare("SELECT public_id FROM instances ORDER BY public_id").rows { $0.text(0) ?? "" }
            }
            let reindexed = try await Archive.reindex(configuration: archive.configuration, logger: Logger(label: "test"))
            #expect(reindexed.indexedOrphans.count == 2)
            let rebuilt = try Archive(configuration: archive.configuration)
            let after = try rebuilt.index.read { db in
                try db.prepare("SELECT public_id FROM instances ORDER BY public_id").rows { $0.text(0) ?? "" }
            }
            #expect(after == before)
            // Flip a byte of a stored file: check reports it.
            let path = rebuilt.store.path(forHash: a.fileHash)
            var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
            bytes[bytes.count - 1] ^= 0xFF
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            let report = try rebuilt.check()
            #expect(report.corruptFiles.count == 1)
            #expect(!report.isClean)
        }
    }
}
