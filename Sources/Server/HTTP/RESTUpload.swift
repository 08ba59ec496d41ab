import Archive
import DICOM
import Foundation
import Hummingbird
import NIOCore

/// `POST /instances`: the body is one DICOM file, or a ZIP archive of them, optionally with
/// `Content-Encoding: gzip` (or `deflate`). The Content-Type is ignored (curl's `--data-binary`
/// sends `application/x-www-form-urlencoded`).
///
/// The body is streamed, never collected: a DICOM file goes chunk by chunk into the ingestor's
/// temporary file; a ZIP archive (told by its first bytes) is spooled to a temporary file, whose
/// central directory is then read by `Archive.ingestZip`.
enum RESTUpload {
    /// The inflater for the request's `Content-Encoding`, nil for none; 415 for one we lack.
    static func compression(of request: Request) throws(RESTError) -> CompressionFormat? {
        guard let header = request.headers[.contentEncoding] else { return nil }
        let codings = header.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            .filter { !$0.isEmpty && $0 != "identity" }
        switch codings {
        case []: return nil
        case ["gzip"], ["x-gzip"]: return .gzip
        case ["deflate"]: return .zlib
        default:
            throw RESTError(.unsupportedMediaType, .notImplemented,
                            "unsupported Content-Encoding \"\(header)\" (gzip and deflate are supported)")
        }
    }

    static func handle(_ request: Request, context: SwiftPACSRequestContext, archive: Archive) async throws -> Response {
        do {
            let upload = RESTInstanceUpload(archive: archive, origin: context.origin)
            if let format = try compression(of: request) {
                var inflater = GzipInflater(format: format)
                for try await buffer in request.body {
                    try buffer.withUnsafeReadableBytes { raw in
                        try inflater.inflate(raw) { piece in try upload.append(UnsafeRawBufferPointer(piece)) }
                    }
                }
                try inflater.finish()
            } else {
                for try await buffer in request.body {
                    try buffer.withUnsafeReadableBytes { raw in try upload.append(raw) }
                }
            }
            switch try await upload.finish() {
            case .instance(let result):
                context.logger.debug("stored instance \(result.instanceID) (\(result.status.rawValue)) from \(context.origin)")
                return RESTResponse.json(answer(result))
            case .zip(let entries):
                return RESTResponse.json(.array(entries.compactMap(answer)))
            }
        } catch {
            var failure = RESTError(error)
            failure.extra["Status"] = .string("Failure")
            context.logger.notice("upload from \(context.origin) refused: \(failure.message)")
            throw failure
        }
    }

    /// Orthanc's answer for one stored instance.
    static func answer(_ result: IngestResult) -> RESTJSON {
        .object([
            "ID": .string(result.instanceID),
            "ParentPatient": .string(result.patientID),
            "ParentStudy": .string(result.studyID),
            "ParentSeries": .string(result.seriesID),
            "Path": .string("/instances/" + result.instanceID),
            "Status": .string(result.status.rawValue),
        ])
    }

    /// One entry of a ZIP answer; nil for entries Orthanc skips silently (DICOMDIR).
    static func answer(_ entry: ZipEntryResult) -> RESTJSON? {
        switch entry.outcome {
        case .ingested(let result):
            return answer(result)
        case .skipped(let why):
            let file = entry.name.split(separator: "/").last.map(String.init) ?? entry.name
            if file.uppercased() == "DICOMDIR" { return nil }
            return .object(["Status": .string("Failure"), "Name": .string(entry.name), "Message": .string(why)])
        case .failed(let why):
            return .object(["Status": .string("Failure"), "Name": .string(entry.name), "Message": .string(why)])
        }
    }
}

/// What an upload turned out to be.
enum RESTUploadOutcome {
    case instance(IngestResult)
    case zip([ZipEntryResult])
}

/// Receives an upload's bytes. The first four decide: a ZIP local file header (or an empty
/// archive's end record) starts a spool file, anything else an ingest stream (the ingestor
/// parses it at the end and says whether it is DICOM). Used by one task only.
final class RESTInstanceUpload {
    let archive: Archive
    let origin: String
    private var head: [UInt8] = []
    private var stream: IngestStream?
    private var spool: RESTZipSpool?

    init(archive: Archive, origin: String) {
        self.archive = archive
        self.origin = origin
    }

    func append(_ bytes: UnsafeRawBufferPointer) throws {
        if stream != nil {
            try stream!.append(bytes)
        } else if let spool {
            try spool.write(bytes)
        } else if head.isEmpty && bytes.count >= 4 {
            try start(with: bytes)  // the usual case: the first part decides, and is written, not copied
        } else {
            head.append(contentsOf: bytes)
            if head.count >= 4 { try startWithHead() }
        }
    }

    /// Starts a spool file or an ingest stream, by the first bytes, and writes `bytes` to it.
    private func start(with bytes: UnsafeRawBufferPointer) throws {
        let magic = Array(bytes.prefix(4))
        if magic == [0x50, 0x4B, 0x03, 0x04] || magic == [0x50, 0x4B, 0x05, 0x06] {
            let spool = try RESTZipSpool(directory: archive.store.temporaryDirectory)
            try spool.write(bytes)
            self.spool = spool
        } else {
            var stream = try archive.ingestor.begin(origin: origin)
            try stream.append(bytes)
            self.stream = consume stream
        }
    }

    private func startWithHead() throws {
        let first = head
        head = []
        try first.withUnsafeBytes { try start(with: $0) }
    }

    func finish() async throws -> RESTUploadOutcome {
        if stream == nil && spool == nil { try startWithHead() }  // fewer than four bytes: not DICOM, let the parser say why
        if let spool {
            try spool.close()
            defer { self.spool = nil }  // removes the spool file
            return .zip(await archive.ingestZip(path: spool.path, origin: origin))
        }
        guard let stream = stream.take() else { throw ArchiveError.storage("the upload was not started") }
        return .instance(try await archive.ingestor.finish(stream))
    }
}

/// A ZIP upload spooled to disk (a ZIP's directory is at its end). Removed on deinit.
final class RESTZipSpool {
    let path: String
    private var fd: Int32

    init(directory: String) throws {
        path = directory + "/upload-" + UUID().uuidString + ".zip"
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw ArchiveError.storage("cannot create \(path): \(String(cString: strerror(errno)))")
        }
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        var done = 0
        while done < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                let full = errno == ENOSPC || errno == EDQUOT
                let reason = String(cString: strerror(errno))
                throw full ? ArchiveError.storageFull("cannot spool the ZIP upload: \(reason)")
                    : ArchiveError.storage("cannot spool the ZIP upload: \(reason)")
            }
            done += n
        }
    }

    func close() throws {
        if fd >= 0 {
            Glibc.close(fd)
            fd = -1
        }
    }

    deinit {
        if fd >= 0 { Glibc.close(fd) }
        unlink(path)
    }
}
