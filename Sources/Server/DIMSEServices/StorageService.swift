import Archive
import DICOM
import DICOMNetwork
import NIOCore
import Synchronization

/// The Storage SCP: every C-STORE data set goes through the archive's single ingest path,
/// streamed to disk as its fragments arrive. Status 0x0000 is answered only once the file and
/// its index row are durable; failures carry the archive's reason as the error comment.
struct StorageService: DIMSEServiceProvider {
    let archive: Archive
    let ourAETitle: String

    func beginStore(_ request: CStoreRequest, transferSyntaxUID: String, peer: AssociationPeer) async throws -> any StoreReceiver {
        do {
            var stream = try archive.ingestor.begin(origin: "dicom:\(peer.callingAETitle)@\(peer.address)")
            stream.expected = (request.affectedSOPClassUID, request.affectedSOPInstanceUID)
            // The file on disk is Part 10: a meta header, then the data set exactly as received.
            try stream.append(DICOMFile.part10Header(sopClassUID: request.affectedSOPClassUID,
                                                     sopInstanceUID: request.affectedSOPInstanceUID,
                                                     transferSyntaxUID: transferSyntaxUID,
                                                     sourceAET: peer.callingAETitle))
            return IngestReceiver(stream: stream, ingestor: archive.ingestor)
        } catch {
            throw DIMSEServiceError(DIMSEStatus(error.dimseStatus), error.description)
        }
    }
}

/// Owns one ingest stream for the duration of one C-STORE.
final class IngestReceiver: StoreReceiver, @unchecked Sendable {
    // Used by one association task at a time, in order: append…, then complete or abandon.
    private var stream: IngestStream?
    private let ingestor: Ingestor

    init(stream: consuming IngestStream, ingestor: Ingestor) {
        self.stream = consume stream
        self.ingestor = ingestor
    }

    func append(_ fragment: ByteBuffer) throws {
        try fragment.withUnsafeReadableBytes { bytes in
            try stream!.append(bytes)
        }
    }

    func complete() async -> (status: DIMSEStatus, errorComment: String?) {
        guard let stream = take() else { return (DIMSEStatus(0xC000), "the data set was already handled") }
        do {
            _ = try await ingestor.finish(stream)
            return (.success, nil)
        } catch {
            return (DIMSEStatus(error.dimseStatus), error.description)
        }
    }

    func abandon() {
        _ = take()  // dropping the stream removes its temporary file
    }

    private func take() -> IngestStream? {
        var taken: IngestStream? = nil
        swap(&taken, &stream)
        return taken
    }
}
