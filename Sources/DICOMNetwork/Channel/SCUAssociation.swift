import DICOM
import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// An established association we requested (``AssociationRequestor/open(proposing:)``): the
/// DIMSE-C operations of the SCU, one at a time (calls made concurrently wait their turn), with
/// message IDs counting up from 1 and each response matched by its Message ID Being Responded To.
///
/// End it with ``release()`` (or ``abort()``). An association dropped while still established
/// is aborted.
public final class SCUAssociation: Sendable {
    public let callingAETitle: String
    public let calledAETitle: String
    public let host: String
    public let port: Int
    /// The presentation contexts the peer accepted, with the transfer syntax it chose for each.
    public let acceptedContexts: [(id: UInt8, abstractSyntax: String, transferSyntax: String)]
    /// The peer's Maximum Length Received: the longest P-DATA-TF PDU we send it (0: no limit).
    public let peerMaximumPDULength: UInt32
    public let peerImplementationClassUID: String?
    public let peerImplementationVersionName: String?

    private let connection: SCUConnection
    private let gate = SCUOperationGate()
    private let nextMessageID = Mutex<UInt16>(1)

    init(requestor: AssociationRequestor, connection: SCUConnection,
         acceptedContexts: [(id: UInt8, abstractSyntax: String, transferSyntax: String)],
         peerMaximumPDULength: UInt32, peerImplementationClassUID: String?, peerImplementationVersionName: String?) {
        callingAETitle = requestor.callingAETitle
        calledAETitle = requestor.calledAETitle
        host = requestor.host
        port = requestor.port
        self.connection = connection
        self.acceptedContexts = acceptedContexts
        self.peerMaximumPDULength = peerMaximumPDULength
        self.peerImplementationClassUID = peerImplementationClassUID
        self.peerImplementationVersionName = peerImplementationVersionName
    }

    deinit {
        let connection = self.connection
        if connection.isEstablished {
            Task { await connection.abort(with: .notEstablished("the association was dropped without being released")) }
        }
    }

    /// True until the association is released, aborted or closed.
    public var isEstablished: Bool { connection.isEstablished }

    /// What happened on the association so far (the final one goes to the requestor's observer).
    public var trace: AssociationTrace { connection.trace }

    private var peer: String { connection.peer }

    // MARK: C-ECHO

    /// C-ECHO (PS3.7 §9.1.5) on an accepted Verification context; the response's status.
    public func echo() async throws(SCUError) -> DIMSEStatus {
        try await operation { () async throws(SCUError) -> DIMSEStatus in
            guard let context = acceptedContexts.first(where: { $0.abstractSyntax == CEchoRequest.verificationSOPClassUID }) else {
                throw .noPresentationContext("\(peer) did not accept the Verification SOP Class (\(CEchoRequest.verificationSOPClassUID))")
            }
            let started = ContinuousClock.now
            let request = CEchoRequest(messageID: makeMessageID())
            try await sendCommand(request.command, contextID: context.id)
            let command = try await awaitResponse(to: request.messageID, .cEchoRSP)
            let response: CEchoResponse
            do {
                response = try CEchoResponse(command: command)
            } catch {
                throw await protocolError("\(peer) sent a malformed C-ECHO-RSP: \(error)")
            }
            record(service: "C-ECHO", messageID: request.messageID, sopClass: request.affectedSOPClassUID, sopInstance: nil,
                   status: response.status, errorComment: response.errorComment, started: started, bytes: nil)
            return response.status
        }
    }

    // MARK: C-STORE

    /// C-STORE (PS3.7 §9.1.1) of a Part 10 file; the response's status and error comment.
    ///
    /// The file goes on an accepted context for its SOP class: one whose transfer syntax is the
    /// file's, the data set then streamed from the file (read a fragment at a time, never whole,
    /// in PDUs within the peer's maximum length); otherwise, for a file in a native syntax, one
    /// whose syntax is native, the file then converted in memory (`DICOMFile.converted(to:)`).
    /// Compressed files need a context in their own syntax: transcoding them needs a codec.
    ///
    /// Fails with ``SCUError/noPresentationContext(_:)`` or ``SCUError/invalidFile(path:reason:)``
    /// before anything is sent, leaving the association usable; a file that cannot be read to
    /// the end once sending has started aborts the association.
    public func store(fileAt path: String) async throws(SCUError) -> (status: DIMSEStatus, errorComment: String?) {
        // The file is read and planned (and converted, when it must be) before the operation
        // starts, so that a slow disk does not look like a silent peer to the watchdog.
        let header = try await SCUFileHeader.read(path)
        let plan = try plan(for: header, path: path)
        let contextID = plan.contextID
        enum Prepared: Sendable {
            case file(FileRegionDataSetSource)
            case memory(ByteBuffer)
        }
        let prepared: Prepared
        switch plan.encoding {
        case .asStored:
            do {
                prepared = .file(try FileRegionDataSetSource(path: path, offset: header.dataSetOffset))
            } catch {
                throw .invalidFile(path: path, reason: "\(error)")
            }
        case .converted(let target):
            prepared = .memory(try await SCUFileHeader.convertedDataSet(path, to: target))
        }
        return try await operation { () async throws(SCUError) -> (status: DIMSEStatus, errorComment: String?) in
            let started = ContinuousClock.now
            let request = CStoreRequest(messageID: makeMessageID(), affectedSOPClassUID: header.sopClassUID,
                                        affectedSOPInstanceUID: header.sopInstanceUID)
            let byteCount: Int
            switch prepared {
            case .file(let source):
                byteCount = source.remainingByteCount ?? 0
                try await sendMessage(request.command, dataSet: source, contextID: contextID, path: path)
            case .memory(let bytes):
                byteCount = bytes.readableBytes
                try await sendMessage(request.command, dataSet: ByteBufferDataSetSource(bytes), contextID: contextID, path: path)
            }
            let command = try await awaitResponse(to: request.messageID, .cStoreRSP)
            let response: CStoreResponse
            do {
                response = try CStoreResponse(command: command)
            } catch {
                throw await protocolError("\(peer) sent a malformed C-STORE-RSP: \(error)")
            }
            record(service: "C-STORE", messageID: request.messageID, sopClass: header.sopClassUID, sopInstance: header.sopInstanceUID,
                   status: response.status, errorComment: response.errorComment, started: started, bytes: byteCount)
            return (response.status, response.errorComment)
        }
    }

    private struct StorePlan {
        enum Encoding {
            /// The data set bytes of the file, in its own transfer syntax.
            case asStored
            /// The file converted to another native syntax.
            case converted(TransferSyntax)
        }
        var contextID: UInt8
        var encoding: Encoding
    }

    private func plan(for header: SCUFileHeader, path: String) throws(SCUError) -> StorePlan {
        let candidates = acceptedContexts.filter { $0.abstractSyntax == header.sopClassUID }
        let sopName = Self.name(of: header.sopClassUID)
        guard !candidates.isEmpty else {
            throw .noPresentationContext(
                "\(peer) accepted no presentation context for \(sopName) (the file is in \(Self.name(of: header.transferSyntax.uid)))")
        }
        let syntax = header.transferSyntax
        if header.elementEncoding == syntax, !syntax.isDeflated,
           let same = candidates.first(where: { $0.transferSyntax == syntax.uid }) {
            return StorePlan(contextID: same.id, encoding: .asStored)
        }
        if !syntax.isEncapsulated {
            let preference = [syntax.uid, TransferSyntax.explicitVRLittleEndian.uid, TransferSyntax.implicitVRLittleEndian.uid,
                              TransferSyntax.explicitVRBigEndian.uid, TransferSyntax.deflatedExplicitVRLittleEndian.uid]
            let convertible = Set(preference.dropFirst())
            for uid in preference where convertible.contains(uid) {
                if let context = candidates.first(where: { $0.transferSyntax == uid }) {
                    return StorePlan(contextID: context.id, encoding: .converted(TransferSyntax(uid: uid)))
                }
            }
        }
        let offered = candidates.map { Self.name(of: $0.transferSyntax) }.joined(separator: ", ")
        throw .noPresentationContext(
            "\(peer) accepted \(sopName) only in \(offered), not in the file's \(Self.name(of: syntax.uid))"
                + (syntax.isEncapsulated ? " (transcoding compressed pixel data is not supported)" : ""))
    }

    static func name(of uid: String) -> String {
        UIDDictionary.entry(for: uid).map { "\($0.name) (\(uid))" } ?? uid
    }

    // MARK: Release and abort

    /// A-RELEASE (PS3.8 §7.2): waits for the A-RELEASE-RP, then closes the connection. After an
    /// operation in progress, if any.
    public func release() async throws(SCUError) {
        try await operation { () async throws(SCUError) in
            try await connection.send(.releaseRQ)
            while true {
                // P-DATA may still arrive (AR-6); nothing is outstanding, so it is dropped.
                if case .releaseRP = try await connection.receive("the A-RELEASE-RP") { break }
            }
        }
        await connection.waitUntilFinished()
    }

    /// A-ABORT (PS3.8 §7.3.1) at once, interrupting any operation in progress (which fails with
    /// ``SCUError/notEstablished(_:)``); the connection is closed when this returns.
    public func abort() async {
        await connection.abort(with: .notEstablished("the association with \(peer) was aborted"))
    }

    // MARK: DIMSE plumbing

    /// Runs one operation: after the one in progress, with the watchdog armed.
    private func operation<T>(_ body: () async throws(SCUError) -> T) async throws(SCUError) -> T {
        await gate.acquire()
        defer { gate.release() }
        connection.setBusy(true)
        defer { connection.setBusy(false) }
        return try await body()
    }

    private func makeMessageID() -> UInt16 {
        nextMessageID.withLock { id in
            defer { id = id == .max ? 1 : id + 1 }
            return id
        }
    }

    private func fragmenter() throws(SCUError) -> MessageFragmenter {
        do {
            return try MessageFragmenter(maximumPDULength: peerMaximumPDULength)
        } catch {
            throw .protocolError("\(peer): \(error)")
        }
    }

    private func sendCommand(_ command: CommandSet, contextID: UInt8) async throws(SCUError) {
        var command = command
        command.hasDataSet = false
        for pdv in try fragmenter().commandFragments(command, presentationContextID: contextID) {
            try await connection.send(.pData([pdv]))
        }
    }

    /// The command, then the data set pulled from `source` one fragment at a time, each in its own
    /// P-DATA-TF. A source that fails half-way aborts the association (the peer cannot be told
    /// the data set ends early).
    private func sendMessage<Source: DataSetSource & Sendable>(_ command: CommandSet, dataSet source: Source, contextID: UInt8,
                                                               path: String) async throws(SCUError) {
        var fragments = try fragmenter().fragments(command: command, dataSet: source, presentationContextID: contextID)
            .makeAsyncIterator()
        while true {
            let next: PresentationDataValue?
            do {
                next = try await fragments.next()
            } catch {
                let failure = SCUError.invalidFile(path: path, reason: "reading the data set failed after sending began: \(error)")
                await connection.abort(with: failure)
                throw failure
            }
            guard let pdv = next else { return }
            try await connection.send(.pData([pdv]))
        }
    }

    /// Reads P-DATA until a whole response arrives: it must be `field` for `messageID`; any other
    /// message aborts the association (only one operation is ever outstanding).
    private func awaitResponse(to messageID: UInt16, _ field: CommandField) async throws(SCUError) -> CommandSet {
        var assembler = MessageAssembler<DataSetBuffer>()
        let what = "the \(field) to message \(messageID)"
        while true {
            let pdu = try await connection.receive(what)
            guard case .pData(let values) = pdu else {
                throw await protocolError("\(peer) sent \(pdu.type) while we waited for \(what)")
            }
            for pdv in values {
                let event: MessageAssembler<DataSetBuffer>.Event?
                do {
                    event = try assembler.receive(pdv)
                } catch {
                    throw await protocolError("\(peer) broke the DIMSE message encoding while we waited for \(what): \(error)")
                }
                switch event {
                case nil:
                    continue
                case .dataSetFollows?:
                    do {
                        try assembler.discardDataSet()
                    } catch {
                        throw await protocolError("\(peer): \(error)")
                    }
                case .message(let received, _)?:
                    let command = received.command
                    guard command.commandField == field, command.messageIDBeingRespondedTo == messageID else {
                        let answered = command.messageIDBeingRespondedTo.map { "message \($0)" } ?? "no message"
                        throw await protocolError("\(peer) sent a \(command.commandField) answering \(answered) while we waited for \(what)")
                    }
                    return command
                }
            }
        }
    }

    /// Aborts the association for a protocol violation and returns the error to throw.
    private func protocolError(_ text: String) async -> SCUError {
        let error = SCUError.protocolError(text + "; association aborted")
        await connection.abort(with: error)
        return error
    }

    private func record(service: String, messageID: UInt16, sopClass: String?, sopInstance: String?, status: DIMSEStatus,
                        errorComment: String?, started: ContinuousClock.Instant, bytes: Int?) {
        let elapsed = started.duration(to: .now).components
        let milliseconds = Double(elapsed.seconds) * 1000 + Double(elapsed.attoseconds) / 1e15
        let statusDescription = status.description(for: service == "C-ECHO" ? CommandField.cEchoRSP : CommandField.cStoreRSP)
        connection.updateTrace { trace in
            trace.operations.append(.init(service: service, messageID: messageID, affectedSOPClassUID: sopClass,
                                          affectedSOPInstanceUID: sopInstance, status: status.rawValue,
                                          statusDescription: statusDescription, errorComment: errorComment,
                                          durationMilliseconds: milliseconds, bytes: bytes))
        }
    }
}

/// What `store(fileAt:)` needs of a file before sending it: its UIDs, its transfer syntax, and
/// where its data set starts.
struct SCUFileHeader: Sendable {
    var sopClassUID: String
    var sopInstanceUID: String
    /// The syntax the file declares.
    var transferSyntax: TransferSyntax
    /// How the elements are actually encoded (differs for files that lie about VR).
    var elementEncoding: TransferSyntax
    /// Offset of the data set's first byte (after the preamble and File Meta Information).
    var dataSetOffset: Int

    /// Reads the meta information and the first elements of the data set (on the NIO thread pool).
    static func read(_ path: String) async throws(SCUError) -> SCUFileHeader {
        do {
            return try await NIOThreadPool.singleton.runIfActive { () throws -> SCUFileHeader in
                // Stopping at the first element gives where the data set starts.
                let start = try DICOMFile(contentsOf: path, stopAt: Tag(0))
                let head = try DICOMFile(contentsOf: path, stopAt: Tag(group: 0x0008, element: 0x0019))
                let sopClass = head.dataSet.string(.sopClassUID) ?? start.meta?.string(.mediaStorageSOPClassUID)
                let sopInstance = head.dataSet.string(.sopInstanceUID) ?? start.meta?.string(.mediaStorageSOPInstanceUID)
                guard let sopClass, !sopClass.isEmpty else { throw SCUError.invalidFile(path: path, reason: "no SOP Class UID") }
                guard let sopInstance, !sopInstance.isEmpty else {
                    throw SCUError.invalidFile(path: path, reason: "no SOP Instance UID")
                }
                return SCUFileHeader(sopClassUID: sopClass, sopInstanceUID: sopInstance, transferSyntax: start.transferSyntax,
                                     elementEncoding: start.elementEncoding, dataSetOffset: start.dataSetEndOffset)
            }
        } catch let error as SCUError {
            throw error
        } catch {
            throw .invalidFile(path: path, reason: "\(error)")
        }
    }

    /// The whole data set of the file, converted to `target` (a native syntax).
    static func convertedDataSet(_ path: String, to target: TransferSyntax) async throws(SCUError) -> ByteBuffer {
        do {
            return try await NIOThreadPool.singleton.runIfActive { () throws -> ByteBuffer in
                let converted = try DICOMFile(contentsOf: path).converted(to: target)
                var bytes = DataSetWriter.encode(converted.dataSet, syntax: converted.elementEncoding)
                if target.isDeflated {
                    bytes = Deflate.deflate(bytes)
                    // PS3.5 A.5: an odd-length deflated stream gets one trailing null byte.
                    if bytes.count % 2 == 1 { bytes.append(0) }
                }
                return ByteBuffer(bytes: bytes)
            }
        } catch {
            throw .invalidFile(path: path, reason: "cannot convert it to \(SCUAssociation.name(of: target.uid)): \(error)")
        }
    }
}

/// A FIFO lock for async code: one operation at a time on an association.
final class SCUOperationGate: Sendable {
    private struct State {
        var busy = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    func acquire() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let proceed = state.withLock { s in
                if !s.busy {
                    s.busy = true
                    return true
                }
                s.waiters.append(continuation)
                return false
            }
            if proceed { continuation.resume() }
        }
    }

    func release() {
        let next = state.withLock { s -> CheckedContinuation<Void, Never>? in
            if s.waiters.isEmpty {
                s.busy = false
                return nil
            }
            return s.waiters.removeFirst()
        }
        next?.resume()
    }
}
