import DICOM
import Logging
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// What an ingest answers (the REST `POST /instances` body and the C-STORE status come from it).
public struct IngestResult: Sendable {
    public var status: StoreStatus
    public var instanceID: String
    public var seriesID: String
    public var studyID: String
    public var patientID: String
    public var fileHash: String
    public var fileSize: Int
    public var sopInstanceUID: String
}

/// The single ingest path for every source (REST upload, C-STORE, STOW-RS, bulk import): bytes go
/// to a temporary file while being hashed; the object is parsed and validated; the file is made
/// durable and moved to its content path; the index row is committed (sharing a group commit with
/// concurrent ingests); only then is the caller told it is stored.
public final class Ingestor: Sendable {
    public let store: HashedFileStore
    public let index: ArchiveIndex
    public let overwriteInstances: Bool
    /// Bytes; 0 means no limit (Orthanc's `MaximumStorageSize` is in MB; the config converts).
    public let maximumStorageSize: Int
    /// The first bytes of every object are kept in memory while it is written. An object that
    /// fits is parsed whole from memory (every length checked); of a larger one this is normally
    /// the whole header, parsed up to Pixel Data (from the temporary file when the header is
    /// longer), whose length is then checked against the file size. Keeping only a prefix spares
    /// a copy of every pixel byte on the hot path.
    public static let headerPrefixLimit = 64 << 10

    let usedBytes: Mutex<Int>
    /// Hashes of files written but not yet indexed: never removed from under an ingest.
    let inFlight = Mutex<[String: Int]>([:])
    let logger: Logger

    public init(store: HashedFileStore, index: ArchiveIndex, overwriteInstances: Bool = false,
                maximumStorageSize: Int = 0, logger: Logger = Logger(label: "swiftpacs.ingest")) throws {
        self.store = store
        self.index = index
        self.overwriteInstances = overwriteInstances
        self.maximumStorageSize = maximumStorageSize
        self.logger = logger
        let used = try index.read { db in try db.scalarInt("SELECT coalesce(sum(file_size), 0) FROM instances") ?? 0 }
        usedBytes = Mutex(Int(used))
    }

    /// Ingests a whole object held in memory.
    public func ingest(bytes: [UInt8], origin: String) async throws(ArchiveError) -> IngestResult {
        var stream = try begin(origin: origin)
        try stream.append(bytes)
        return try await finish(stream)
    }

    /// Starts a streamed ingest: `append` chunks as they arrive, then `finish`.
    public func begin(origin: String) throws(ArchiveError) -> IngestStream {
        do {
            return IngestStream(file: try store.beginWrite(), origin: origin)
        } catch let e as ArchiveError {
            throw e
        } catch {
            throw .storage("\(error)")
        }
    }

    public func finish(_ stream: consuming IngestStream) async throws(ArchiveError) -> IngestResult {
        let origin = stream.origin
        let prefix = stream.prefix
        let expected = stream.expected
        var file = stream.takeFile()
        file.finishWriting()
        let size = file.size

        // Parse and validate before anything becomes visible (while a large object's last bytes
        // are still being hashed).
        let header: DataSet
        let syntaxUID: String
        do {
            let parsed: DICOMFile
            if size == prefix.count {
                parsed = try DICOMFile(bytes: prefix)  // whole object: every length is checked
                header = parsed.dataSet.prefix(before: .pixelData)
            } else {
                parsed = try Self.parseHeader(prefix: prefix, path: file.temporaryPath)
                try Self.checkPixelDataFits(parsed, fileSize: size, prefix: prefix, path: file.temporaryPath)
                header = parsed.dataSet
            }
            syntaxUID = parsed.meta?.string(.transferSyntaxUID) ?? parsed.transferSyntax.uid
        } catch let e as DICOMError {
            file.discard()
            throw .unreadable(e)
        } catch {
            file.discard()
            throw .unreadable(.notDICOM(reason: "\(error)"))
        }
        let record: InstanceRecord
        do {
            var built = try InstanceRecord(header: header, transferSyntaxUID: syntaxUID, fileHash: "", fileSize: size,
                                           origin: origin, receivedAt: Timestamp.now())
            built.fileHash = try file.contentHash()
            record = built
        } catch {
            file.discard()
            throw error
        }
        let hash = record.fileHash
        if let expected {
            if record.sopClassUID != expected.sopClassUID || record.sopInstanceUID != expected.sopInstanceUID {
                file.discard()
                throw .mismatch("the data set has SOP class \(record.sopClassUID) / instance \(record.sopInstanceUID), the command \(expected.sopClassUID) / \(expected.sopInstanceUID)")
            }
        }
        if maximumStorageSize > 0 {
            let used = usedBytes.withLock { $0 }
            if used + size > maximumStorageSize {
                file.discard()
                throw .storageFull("storing \(size) bytes would exceed MaximumStorageSize (\(used) of \(maximumStorageSize) bytes used)")
            }
        }

        // From the rename until the index commit, the file is referenced by nothing but this
        // ingest: mark it so a concurrent delete of identical bytes does not remove it.
        inFlight.withLock { $0[hash, default: 0] += 1 }
        let outcome: StoreOutcome
        do {
            defer { inFlight.withLock { $0[hash]! -= 1; if $0[hash] == 0 { $0[hash] = nil } } }
            let stored = try file.commit()
            let overwrite = overwriteInstances
            outcome = try await index.write(durable: stored) { db in try IndexStore.store(record, overwrite: overwrite, on: db) }
        } catch let e as ArchiveError {
            releaseIfUnreferenced([hash])
            throw e
        } catch let e as SQLiteError {
            releaseIfUnreferenced([hash])
            throw e.isStorageFull ? .storageFull(e.message) : .storage(e.description)
        } catch {
            releaseIfUnreferenced([hash])
            throw .storage("\(error)")
        }
        switch outcome.status {
        case .success:
            usedBytes.withLock { $0 += size }
            if let released = outcome.releasedFileHash { releaseIfUnreferenced([released]) }
        case .alreadyStored:
            if outcome.fileHash != hash { releaseIfUnreferenced([hash]) }
        }
        return IngestResult(status: outcome.status, instanceID: outcome.instancePublicID, seriesID: outcome.seriesPublicID,
                            studyID: outcome.studyPublicID, patientID: outcome.patientPublicID,
                            fileHash: outcome.fileHash, fileSize: size, sopInstanceUID: record.sopInstanceUID)
    }

    /// The header of an object larger than the kept prefix: from the prefix when it reaches
    /// Pixel Data, else from the temporary file (a header longer than the prefix, or deflated).
    static func parseHeader(prefix: [UInt8], path: String) throws -> DICOMFile {
        if let parsed = try? DICOMFile(bytes: prefix, stopAt: .pixelData), parsed.isPartial,
           !parsed.transferSyntax.isDeflated {
            return parsed
        }
        return try DICOMFile(contentsOf: path, stopAt: .pixelData)
    }

    /// A large object parsed only up to Pixel Data must still be whole: its pixel data element
    /// must end exactly at the end of the file (or be encapsulated, whose items were not read).
    static func checkPixelDataFits(_ file: DICOMFile, fileSize: Int, prefix: [UInt8], path: String) throws {
        guard file.isPartial, !file.transferSyntax.isDeflated else { return }
        let start = file.dataSetEndOffset
        let head = start + 12 <= prefix.count ? Array(prefix[start..<start + 12])
            : try FileBytesReader.read(path: path, offset: start, count: 12)
        guard head.count >= 8 else {
            throw DICOMError.truncated(tag: .pixelData, offset: file.dataSetEndOffset, needed: 8, available: head.count)
        }
        let explicit = file.elementEncoding.isExplicitVR
        var length: UInt32
        var headerSize = 8
        if explicit, let vr = VR(byte0: head[4], byte1: head[5]), vr.hasLongExplicitLength {
            guard head.count >= 12 else { throw DICOMError.truncated(tag: .pixelData, offset: file.dataSetEndOffset, needed: 12, available: head.count) }
            length = UInt32(head[8]) | UInt32(head[9]) << 8 | UInt32(head[10]) << 16 | UInt32(head[11]) << 24
            headerSize = 12
        } else if explicit {
            length = UInt32(head[6]) | UInt32(head[7]) << 8
        } else {
            length = UInt32(head[4]) | UInt32(head[5]) << 8 | UInt32(head[6]) << 16 | UInt32(head[7]) << 24
        }
        if length == 0xFFFF_FFFF { return }
        let end = file.dataSetEndOffset + headerSize + Int(length)
        if end > fileSize {
            throw DICOMError.lengthPastEnd(tag: .pixelData, offset: file.dataSetEndOffset, length: length,
                                           available: fileSize - file.dataSetEndOffset - headerSize)
        }
    }

    /// Removes files that no index row refers to (after a delete or an overwrite), except those an
    /// ingest is about to index.
    public func releaseIfUnreferenced(_ hashes: [String]) {
        for hash in hashes {
            if inFlight.withLock({ $0[hash] != nil }) { continue }
            let referenced = (try? index.read { db in try db.scalarInt("SELECT count(*) FROM instances WHERE file_hash = ?", [.text(hash)]) }) ?? 1
            if referenced == 0 {
                if let size = try? fileSize(hash) { usedBytes.withLock { $0 -= size } }
                store.remove(hash: hash)
            }
        }
    }

    func fileSize(_ hash: String) throws -> Int {
        var st = stat()
        guard stat(store.path(forHash: hash), &st) == 0 else { return 0 }
        return Int(st.st_size)
    }

    /// Deletes a resource (and its descendants) from the index, then its files.
    public func delete(level: ResourceLevel, publicID: String) async throws -> DeleteOutcome? {
        let outcome = try await index.write { db in try IndexStore.delete(level: level, publicID: publicID, on: db) }
        if let outcome { releaseIfUnreferenced(outcome.releasedFileHashes) }
        return outcome
    }

    public var storageUsed: Int { usedBytes.withLock { $0 } }
}

/// A streamed ingest in progress: bytes are written to the temporary file as they come, and the
/// first `Ingestor.headerPrefixLimit` bytes are also kept for parsing.
public struct IngestStream: ~Copyable {
    var file: PendingFile?
    let origin: String
    var prefix: [UInt8] = []
    /// SOP class and instance the object must have (the C-STORE command's); checked before
    /// anything is committed.
    public var expected: (sopClassUID: String, sopInstanceUID: String)?

    init(file: consuming PendingFile, origin: String) {
        self.file = consume file
        self.origin = origin
    }

    public mutating func append<C: Collection>(_ bytes: C) throws(ArchiveError) where C.Element == UInt8 {
        do {
            try file!.write(bytes)
        } catch let e as ArchiveError {
            throw e
        } catch {
            throw .storage("\(error)")
        }
        size += bytes.count
        if prefix.count < Ingestor.headerPrefixLimit {
            prefix.append(contentsOf: bytes.prefix(Ingestor.headerPrefixLimit - prefix.count))
        }
    }

    public private(set) var size = 0

    mutating func takeFile() -> PendingFile {
        var taken: PendingFile? = nil
        swap(&taken, &file)
        return taken!
    }
}
