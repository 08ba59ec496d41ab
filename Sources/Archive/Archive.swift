import DICOM
import Foundation
import Logging

/// Where and how the archive keeps its data (the archive's part of the configuration).
public struct ArchiveConfiguration: Sendable {
    public var storageDirectory: String
    public var indexDirectory: String
    public var syncStorageArea = true
    public var overwriteInstances = false
    /// Bytes; 0 = no limit.
    public var maximumStorageSize = 0

    public init(storageDirectory: String, indexDirectory: String) {
        self.storageDirectory = storageDirectory
        self.indexDirectory = indexDirectory
    }

    /// The SQLite file inside `indexDirectory`.
    public var indexPath: String { indexDirectory + "/index.sqlite" }
    /// Present while a server runs: found at start-up, it means the last run did not stop cleanly.
    var runningMarkerPath: String { indexDirectory + "/running" }
}

/// The archive: hashed file store, SQLite index, and the single ingest path over them.
public final class Archive: Sendable {
    public let configuration: ArchiveConfiguration
    public let store: HashedFileStore
    public let index: ArchiveIndex
    public let ingestor: Ingestor
    let logger: Logger

    public init(configuration: ArchiveConfiguration, logger: Logger = Logger(label: "swiftpacs.archive")) throws {
        self.configuration = configuration
        self.logger = logger
        try HashedFileStore.makeDirectory(configuration.indexDirectory)
        let store = try HashedFileStore(root: configuration.storageDirectory, sync: configuration.syncStorageArea)
        self.store = store
        index = try ArchiveIndex(path: configuration.indexPath, logger: logger)
        ingestor = try Ingestor(store: store, index: index, overwriteInstances: configuration.overwriteInstances,
                                maximumStorageSize: configuration.maximumStorageSize, logger: logger)
    }

    /// Start-up after a crash: removes leftover temporary files, and (when the last run did not
    /// stop cleanly) indexes or removes stored files that no index row knows. Logs what it did.
    @discardableResult
    public func recover(force: Bool = false) async -> RecoveryReport {
        var report = RecoveryReport()
        report.removedTemporaryFiles = store.removeTemporaryFiles()
        for name in report.removedTemporaryFiles {
            logger.warning("removed leftover temporary file \(name) (an interrupted store)")
        }
        let uncleanShutdown = FileManager.default.fileExists(atPath: configuration.runningMarkerPath)
        if uncleanShutdown || force {
            if uncleanShutdown { logger.warning("the last run did not stop cleanly: checking the storage area against the index") }
            let known = Set((try? index.read { db in try db.prepare("SELECT DISTINCT file_hash FROM instances").rows { $0.text(0) ?? "" } }) ?? [])
            for hash in store.allHashes() where !known.contains(hash) {
                do {
                    let result = try await reindexFile(hash: hash, origin: "recovery")
                    report.indexedOrphans.append(hash)
                    logger.notice("indexed orphan file \(hash) as instance \(result.instanceID) (\(result.status.rawValue))")
                } catch {
                    store.remove(hash: hash)
                    report.removedOrphans.append(hash)
                    logger.warning("removed orphan file \(hash): \(error)")
                }
            }
        }
        _ = FileManager.default.createFile(atPath: configuration.runningMarkerPath, contents: Data())
        return report
    }

    /// Marks a clean shutdown (no recovery scan at the next start), after moving the WAL's
    /// content into the index file: a stopped archive's index is one file, its WAL empty.
    public func close() {
        index.checkpoint()
        try? FileManager.default.removeItem(atPath: configuration.runningMarkerPath)
    }

    /// Indexes a file already in the store, without rewriting it.
    func reindexFile(hash: String, origin: String) async throws -> IngestResult {
        let bytes = try store.read(hash: hash)
        let parsed = try DICOMFile(bytes: bytes)
        let record = try InstanceRecord(header: parsed.dataSet.prefix(before: .pixelData),
                                        transferSyntaxUID: parsed.meta?.string(.transferSyntaxUID) ?? parsed.transferSyntax.uid,
                                        fileHash: hash, fileSize: bytes.count, origin: origin, receivedAt: Timestamp.now())
        let outcome = try await index.write { db in try IndexStore.store(record, overwrite: false, on: db) }
        if outcome.status == .alreadyStored && outcome.fileHash != hash {
            throw ArchiveError.storage("a different file is already indexed for SOP instance \(record.sopInstanceUID)")
        }
        return IngestResult(status: outcome.status, instanceID: outcome.instancePublicID, seriesID: outcome.seriesPublicID,
                            studyID: outcome.studyPublicID, patientID: outcome.patientPublicID, fileHash: hash,
                            fileSize: bytes.count, sopInstanceUID: record.sopInstanceUID)
    }

    /// Verifies every stored file's hash and every index row against the store (`swiftpacs check`).
    public func check(progress: (Int, Int) -> Void = { _, _ in }) throws -> CheckReport {
        var report = CheckReport()
        let rows = try index.read { db in
            try db.prepare("SELECT public_id, file_hash FROM instances").rows { ($0.text(0) ?? "", $0.text(1) ?? "") }
        }
        let stored = Set(store.allHashes())
        let referenced = Set(rows.map(\.1))
        report.instances = rows.count
        for (i, (publicID, hash)) in rows.enumerated() {
            progress(i + 1, rows.count)
            if !stored.contains(hash) {
                report.missingFiles.append("instance \(publicID): file \(hash) is missing")
            }
        }
        report.files = stored.count
        for hash in stored.sorted() {
            let actual = try store.computeHash(ofFileAt: store.path(forHash: hash))
            if actual != hash { report.corruptFiles.append("file \(hash) has hash \(actual)") }
            if !referenced.contains(hash) { report.orphanFiles.append(hash) }
        }
        return report
    }

    /// Rebuilds the whole index from the stored files alone (`swiftpacs reindex`).
    public static func reindex(configuration: ArchiveConfiguration, logger: Logger,
                               progress: @Sendable (Int, Int) -> Void = { _, _ in }) async throws -> RecoveryReport {
        for suffix in ["", "-wal", "-shm"] {
            try? FileManager.default.removeItem(atPath: configuration.indexPath + suffix)
        }
        let archive = try Archive(configuration: configuration, logger: logger)
        var report = RecoveryReport()
        let hashes = archive.store.allHashes()
        for (i, hash) in hashes.enumerated() {
            do {
                _ = try await archive.reindexFile(hash: hash, origin: "reindex")
                report.indexedOrphans.append(hash)
            } catch {
                report.unreadable.append("\(hash): \(error)")
                logger.warning("cannot index \(hash): \(error)")
            }
            progress(i + 1, hashes.count)
        }
        return report
    }
}

public struct RecoveryReport: Sendable {
    public var removedTemporaryFiles: [String] = []
    public var indexedOrphans: [String] = []
    public var removedOrphans: [String] = []
    public var unreadable: [String] = []
}

public struct CheckReport: Sendable {
    public var instances = 0
    public var files = 0
    public var missingFiles: [String] = []
    public var corruptFiles: [String] = []
    public var orphanFiles: [String] = []
    public var isClean: Bool { missingFiles.isEmpty && corruptFiles.isEmpty && orphanFiles.isEmpty }
}
