import DICOM
import Foundation
import Logging
import NIOCore

/// What the acceptor needs from the application: the services behind the DIMSE commands.
public protocol DIMSEServiceProvider: Sendable {
    /// C-STORE: where the data set of `request` goes. Throwing refuses the store with the
    /// error's status (a `DIMSEServiceError`) before any data is written.
    func beginStore(_ request: CStoreRequest, transferSyntaxUID: String, peer: AssociationPeer) async throws -> any StoreReceiver
}

/// Receives one C-STORE data set as it arrives, fragment by fragment, then decides its status.
public protocol StoreReceiver: AnyObject, Sendable {
    func append(_ fragment: ByteBuffer) throws
    /// After the last fragment: make it durable and answer the status (0x0000 only once durable).
    func complete() async -> (status: DIMSEStatus, errorComment: String?)
    /// The data set will not be completed (abort, error): drop what was written.
    func abandon()
}

/// A refusal with a DIMSE status and an error comment.
public struct DIMSEServiceError: Error, Sendable, CustomStringConvertible {
    public var status: DIMSEStatus
    public var comment: String
    public init(_ status: DIMSEStatus, _ comment: String) {
        self.status = status
        self.comment = comment
    }
    public var description: String { "\(status.description(for: .cStoreRQ)): \(comment)" }
}

/// How the acceptor behaves: our AE title, limits, negotiation, timeouts.
public struct AcceptorConfiguration: Sendable {
    public var aeTitle: String
    public var negotiation: PresentationNegotiation
    /// Seconds without a PDU before the association is aborted (Orthanc's DicomScpTimeout);
    /// also the ARTIM timer while waiting for the A-ASSOCIATE-RQ.
    public var timeout: TimeAmount

    public init(aeTitle: String, negotiation: PresentationNegotiation, timeout: TimeAmount = .seconds(30)) {
        self.aeTitle = aeTitle
        self.negotiation = negotiation
        self.timeout = timeout
    }
}

/// One association, acceptor side: drives the PS3.8 state machine with the PDUs of one
/// connection, negotiates, asks the access policy, runs the DIMSE services, records the trace.
/// Runs as a task of its own, so file writes and index commits never block an event loop; the
/// next PDU is read only when the previous one is handled, so a slow disk slows the socket.
struct AssociationAcceptor {
    let configuration: AcceptorConfiguration
    let policy: any AccessPolicy
    let services: any DIMSEServiceProvider
    let observer: (any AssociationObserver)?
    let logger: Logger

    typealias Inbound = NIOAsyncChannelInboundStream<PDU>
    typealias Outbound = NIOAsyncChannelOutboundWriter<PDU>

    /// Mutable state of one association.
    struct Session {
        var fsm = AssociationStateMachine()
        var trace: AssociationTrace
        var peer = AssociationPeer(callingAETitle: "", calledAETitle: "", address: "", port: 0)
        /// Accepted contexts: id → (abstract syntax, transfer syntax).
        var contexts: [UInt8: (abstractSyntax: String, transferSyntax: String)] = [:]
        var fragmenter = try! MessageFragmenter(maximumPDULength: 16384)  // 16384 > the 6-byte minimum
        var assembler = MessageAssembler<StoreSink>()
        var pendingStore: PendingStore?
        var finished = false
    }

    struct PendingStore {
        let request: CStoreRequest
        let receiver: (any StoreReceiver)?
        let refusal: DIMSEServiceError?
        let contextID: UInt8
        let started: ContinuousClock.Instant
    }

    func run(_ channel: NIOAsyncChannel<PDU, PDU>, traceID: Int) async {
        let remote = channel.channel.remoteAddress
        var session = Session(trace: AssociationTrace(id: traceID, peerAddress: remote?.ipAddress ?? "?", peerPort: remote?.port ?? 0))
        session.peer.address = session.trace.peerAddress
        session.peer.port = session.trace.peerPort
        _ = session.fsm.handle(.evt5TransportConnectIndication)
        do {
            try await channel.executeThenClose { inbound, outbound in
                do {
                    for try await pdu in inbound {
                        try await handle(pdu, &session, outbound)
                        if session.finished { break }
                    }
                    if !session.finished {
                        _ = session.fsm.handle(.evt17TransportClosed)
                        if session.trace.outcome == .inProgress { session.trace.outcome = .connectionClosed }
                    }
                } catch let error as PDUDecodingError {
                    session.trace.outcome = .abortedByUs
                    session.trace.reason = "invalid PDU: \(error.description)"
                    _ = session.fsm.handle(.evt19InvalidPDUReceived)
                    try? await outbound.write(.abort(Abort(source: .serviceProvider, reason: error.abortReason)))
                } catch let error as AcceptorAbort {
                    session.trace.outcome = .abortedByUs
                    session.trace.reason = error.reason
                    try? await outbound.write(.abort(Abort(source: error.source, reason: error.abortReason)))
                } catch let error as IdleTimeout {
                    session.trace.outcome = .abortedByUs
                    session.trace.reason = error.description
                    try? await outbound.write(.abort(Abort(source: .serviceProvider, reason: .notSpecified)))
                }
            }
        } catch {
            if session.trace.outcome == .inProgress {
                session.trace.outcome = .connectionClosed
                session.trace.reason = "\(error)"
            }
        }
        session.pendingStore?.receiver?.abandon()
        session.trace.endedAt = Date()
        observer?.associationEnded(session.trace)
    }

    /// Aborts the association from our side, with the reason recorded in the trace.
    struct AcceptorAbort: Error {
        var source: Abort.Source = .serviceProvider
        var abortReason: Abort.Reason
        var reason: String
    }

    func handle(_ pdu: PDU, _ session: inout Session, _ outbound: Outbound) async throws {
        switch pdu {
        case .associateRQ(let rq):
            try await handleAssociateRQ(rq, &session, outbound)
        case .pData(let values):
            let actions = session.fsm.handle(.evt10PDataTFReceived)
            guard actions.contains(where: { if case .indicatePData = $0 { true } else { false } }) else {
                throw AcceptorAbort(abortReason: .unexpectedPDU, reason: "P-DATA-TF received in state \(session.fsm.state) (before the association was accepted)")
            }
            for pdv in values { try await handleData(pdv, &session, outbound) }
        case .releaseRQ:
            _ = session.fsm.handle(.evt12ReleaseRQReceived)
            if session.pendingStore != nil {
                throw AcceptorAbort(abortReason: .unexpectedPDU, reason: "A-RELEASE-RQ in the middle of a C-STORE data set")
            }
            _ = session.fsm.handle(.evt14ReleaseResponse)
            try await outbound.write(.releaseRP)
            session.trace.outcome = .released
            session.finished = true
        case .abort(let abort):
            _ = session.fsm.handle(.evt16AbortReceived)
            session.trace.outcome = .abortedByPeer
            session.trace.reason = "A-ABORT from the peer (source \(abort.source.rawValue), reason \(abort.reason.rawValue))"
            session.finished = true
        case .associateAC, .associateRJ, .releaseRP:
            let event: AssociationStateMachine.Event = switch pdu {
            case .associateAC: .evt3AssociateACReceived
            case .associateRJ: .evt4AssociateRJReceived
            default: .evt13ReleaseRPReceived
            }
            _ = session.fsm.handle(event)
            throw AcceptorAbort(abortReason: .unexpectedPDU, reason: "unexpected \(pdu.type) from the peer (an SCU sends none)")
        }
    }

    func handleAssociateRQ(_ rq: AssociateRQ, _ session: inout Session, _ outbound: Outbound) async throws {
        let actions = session.fsm.handle(.evt6AssociateRQReceived)
        guard actions.contains(where: { if case .indicateAssociateRequest = $0 { true } else { false } }) else {
            throw AcceptorAbort(abortReason: .unexpectedPDU, reason: "A-ASSOCIATE-RQ received in state \(session.fsm.state)")
        }
        session.peer.callingAETitle = rq.callingAETitle.trimmed
        session.peer.calledAETitle = rq.calledAETitle.trimmed
        var trace = session.trace
        trace.callingAETitle = session.peer.callingAETitle
        trace.calledAETitle = session.peer.calledAETitle
        trace.peerImplementationClassUID = rq.userInformation.implementationClassUID
        trace.peerImplementationVersionName = rq.userInformation.implementationVersionName
        trace.peerMaximumPDULength = rq.userInformation.maximumLength
        trace.proposedContexts = rq.presentationContexts.map {
            .init(id: $0.id, abstractSyntax: $0.abstractSyntax, abstractSyntaxName: UIDDictionary.entry(for: $0.abstractSyntax)?.name,
                  transferSyntaxes: $0.transferSyntaxes)
        }
        trace.roleSelections = rq.userInformation.roleSelections.map { "\($0.sopClassUID) SCU=\($0.scuRole) SCP=\($0.scpRole)" }
        if let identity = rq.userInformation.userIdentityRQ {
            trace.userIdentity = "type \(identity.identityType.rawValue), \(String(decoding: identity.primaryField.prefix(64), as: UTF8.self))"
        }
        if let window = rq.userInformation.asynchronousOperationsWindow {
            trace.asynchronousOperationsWindow = "invoked \(window.maximumOperationsInvoked), performed \(window.maximumOperationsPerformed) (we perform 1 at a time)"
        }
        session.trace = trace

        var refusal: (AssociateRJ, String)? = nil
        if rq.protocolVersion & 1 == 0 {
            refusal = (AssociateRJ(result: .rejectedPermanent, reason: .protocolVersionNotSupported),
                       "protocol version \(rq.protocolVersion) does not include version 1")
        } else if rq.applicationContextName != PresentationNegotiation.applicationContextName {
            refusal = (AssociateRJ(result: .rejectedPermanent, reason: .applicationContextNameNotSupported),
                       "application context \(rq.applicationContextName) is not the DICOM application context")
        } else if let denied = policy.evaluate(session.peer) {
            refusal = (denied.pdu, denied.explanation)
        }
        if let (rj, why) = refusal {
            _ = session.fsm.handle(.evt8AssociateResponseReject)
            try await outbound.write(.associateRJ(rj))
            session.trace.outcome = .rejected
            session.trace.reason = "\(rj.reason): \(why)"
            session.finished = true
            return
        }

        var negotiation = configuration.negotiation
        if negotiation.maximumPDULength == 0 { negotiation.maximumPDULength = 16384 }
        let ac = negotiation.accept(rq)
        _ = session.fsm.handle(.evt7AssociateResponseAccept)
        try await outbound.write(.associateAC(ac))
        session.trace.ourMaximumPDULength = negotiation.maximumPDULength
        session.trace.acceptedContexts = zip(rq.presentationContexts, ac.presentationContexts).map { proposed, result in
            .init(id: result.id, abstractSyntax: proposed.abstractSyntax, result: result.result.description,
                  transferSyntax: result.transferSyntax)
        }
        let answers = Dictionary(ac.userInformation.sopClassExtendedNegotiations.map { ($0.sopClassUID, $0.serviceClassApplicationInformation) },
                                 uniquingKeysWith: { first, _ in first })
        session.trace.extendedNegotiations = rq.userInformation.sopClassExtendedNegotiations.map { proposal in
            let answer = answers[proposal.sopClassUID].map { "\($0)" } ?? "nothing (not a storage SOP class accepted here)"
            return "\(proposal.sopClassUID) proposed \(proposal.serviceClassApplicationInformation), answered \(answer)"
        }
        for (proposed, result) in zip(rq.presentationContexts, ac.presentationContexts) where result.result == .acceptance {
            session.contexts[result.id] = (proposed.abstractSyntax, result.transferSyntax ?? "")
        }
        guard let fragmenter = try? MessageFragmenter(maximumPDULength: rq.userInformation.maximumLength ?? 0) else {
            throw AcceptorAbort(abortReason: .invalidPDUParameterValue,
                                reason: "maximum length \(rq.userInformation.maximumLength ?? 0) is too small for any P-DATA")
        }
        session.fragmenter = fragmenter
    }

    func handleData(_ pdv: PresentationDataValue, _ session: inout Session, _ outbound: Outbound) async throws {
        guard session.contexts[pdv.presentationContextID] != nil else {
            throw AcceptorAbort(abortReason: .invalidPDUParameterValue,
                                reason: "P-DATA for presentation context \(pdv.presentationContextID), which was not accepted")
        }
        let event: MessageAssembler<StoreSink>.Event?
        do {
            event = try session.assembler.receive(pdv)
        } catch {
            throw AcceptorAbort(abortReason: .unexpectedPDUParameter, reason: "malformed DIMSE message: \(error)")
        }
        switch consume event {
        case nil:
            return
        case .dataSetFollows(let received):
            try await beginDataSet(received, &session)
        case .message(let received, let dataSet):
            switch consume dataSet {
            case .noDataSet:
                try await dispatch(received, &session, outbound, storeFailure: nil)
            case .discarded(let bytes):
                try await finishStore(received, bytes: bytes, failure: nil, &session, outbound)
            case .received(_, let bytes):
                try await finishStore(received, bytes: bytes, failure: nil, &session, outbound)
            case .failed(let error, let bytes):
                try await finishStore(received, bytes: bytes, failure: error, &session, outbound)
            }
        }
    }

    /// A command announced a data set: decide where it goes.
    func beginDataSet(_ received: ReceivedCommand, _ session: inout Session) async throws {
        let message: DIMSEMessage
        do { message = try received.message() } catch {
            throw AcceptorAbort(abortReason: .unexpectedPDUParameter, reason: "invalid command: \(error)")
        }
        guard case .cStoreRequest(let request) = message else {
            // Not a service with a data set we perform (yet): the data set is discarded and the
            // command answered as unrecognized when it completes.
            try? session.assembler.discardDataSet()
            return
        }
        let transferSyntax = session.contexts[received.presentationContextID]?.transferSyntax ?? ""
        var receiver: (any StoreReceiver)? = nil
        var refusal: DIMSEServiceError? = nil
        if !policy.allows(.store, from: session.peer) {
            refusal = DIMSEServiceError(DIMSEStatus(0x0124), "\(session.peer.callingAETitle) may not C-STORE (AllowStore is false in DicomModalities)")
        } else if let context = session.contexts[received.presentationContextID], context.abstractSyntax != request.affectedSOPClassUID {
            refusal = DIMSEServiceError(DIMSEStatus(0x0122), "SOP class \(request.affectedSOPClassUID) sent on the presentation context for \(context.abstractSyntax)")
        } else {
            do {
                receiver = try await services.beginStore(request, transferSyntaxUID: transferSyntax, peer: session.peer)
            } catch let error as DIMSEServiceError {
                refusal = error
            } catch {
                refusal = DIMSEServiceError(DIMSEStatus(0xA700), "\(error)")
            }
        }
        session.pendingStore = PendingStore(request: request, receiver: receiver, refusal: refusal,
                                            contextID: received.presentationContextID, started: .now)
        do {
            if let receiver {
                try session.assembler.receiveDataSet(into: StoreSink(receiver: receiver))
            } else {
                try session.assembler.discardDataSet()
            }
        } catch {
            throw AcceptorAbort(abortReason: .unexpectedPDUParameter, reason: "\(error)")
        }
    }

    func finishStore(_ received: ReceivedCommand, bytes: Int, failure: (any Error)?, _ session: inout Session,
                     _ outbound: Outbound) async throws {
        guard let pending = session.pendingStore else {
            try await dispatch(received, &session, outbound, storeFailure: failure)
            return
        }
        session.pendingStore = nil
        var status: DIMSEStatus
        var comment: String?
        if let refusal = pending.refusal {
            (status, comment) = (refusal.status, refusal.comment)
        } else if let failure {
            pending.receiver?.abandon()
            (status, comment) = (DIMSEStatus(0xA700), "cannot write the data set: \(failure)")
        } else if let receiver = pending.receiver {
            (status, comment) = await receiver.complete()
        } else {
            (status, comment) = (DIMSEStatus(0xC000), "no receiver")
        }
        let response = pending.request.response(status: status, errorComment: comment.map { String($0.prefix(64)) })
        try await send(response.command, contextID: pending.contextID, &session, outbound)
        record(&session, service: "C-STORE", messageID: pending.request.messageID, sopClass: pending.request.affectedSOPClassUID,
               sopInstance: pending.request.affectedSOPInstanceUID, status: status, comment: comment,
               started: pending.started, bytes: bytes, field: .cStoreRQ)
    }

    /// Commands without a data set (or whose data set was discarded).
    func dispatch(_ received: ReceivedCommand, _ session: inout Session, _ outbound: Outbound, storeFailure: (any Error)?) async throws {
        let started = ContinuousClock.now
        let message: DIMSEMessage
        do { message = try received.message() } catch {
            throw AcceptorAbort(abortReason: .unexpectedPDUParameter, reason: "invalid command: \(error)")
        }
        switch message {
        case .cEchoRequest(let request):
            let allowed = policy.allows(.echo, from: session.peer)
            let status: DIMSEStatus = allowed ? .success : DIMSEStatus(0x0124)
            let comment = allowed ? nil : "\(session.peer.callingAETitle) may not C-ECHO (AllowEcho is false)"
            try await send(request.response(status: status, errorComment: comment).command, contextID: received.presentationContextID, &session, outbound)
            record(&session, service: "C-ECHO", messageID: request.messageID, sopClass: nil, sopInstance: nil,
                   status: status, comment: comment, started: started, bytes: nil, field: .cEchoRQ)
        case .cCancelRequest:
            return  // nothing in progress to cancel: the C-CANCEL is acknowledged by silence (PS3.7 9.3.2.3)
        default:
            // A command we do not perform: "unrecognized operation" (PS3.7 C.5.4).
            let command = received.command
            var response = CommandSet(commandField: CommandField(rawValue: command.commandField.rawValue | 0x8000))
            response.messageIDBeingRespondedTo = command.messageID
            response.affectedSOPClassUID = command.affectedSOPClassUID ?? command.requestedSOPClassUID
            response.status = DIMSEStatus(0x0211)
            response.errorComment = "\(command.commandField) is not supported"
            try await send(response, contextID: received.presentationContextID, &session, outbound)
            record(&session, service: "\(command.commandField)", messageID: command.messageID ?? 0,
                   sopClass: command.affectedSOPClassUID, sopInstance: nil, status: DIMSEStatus(0x0211),
                   comment: response.errorComment, started: started, bytes: nil, field: command.commandField)
        }
    }

    func send(_ command: CommandSet, contextID: UInt8, _ session: inout Session, _ outbound: Outbound) async throws {
        let actions = session.fsm.handle(.evt9PDataRequest)
        guard actions.contains(where: { if case .sendPData = $0 { true } else { false } }) else { return }
        for pdv in session.fragmenter.commandFragments(command, presentationContextID: contextID) {
            try await outbound.write(.pData([pdv]))
        }
    }

    func record(_ session: inout Session, service: String, messageID: UInt16, sopClass: String?, sopInstance: String?,
                status: DIMSEStatus, comment: String?, started: ContinuousClock.Instant, bytes: Int?, field: CommandField) {
        let elapsed = ContinuousClock.now - started
        let ms = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        session.trace.operations.append(.init(service: service, messageID: messageID, affectedSOPClassUID: sopClass,
                                              affectedSOPInstanceUID: sopInstance, status: status.rawValue,
                                              statusDescription: status.description(for: field), errorComment: comment,
                                              durationMilliseconds: ms, bytes: bytes))
        if status.isFailure {
            logger.warning("\(service) from \(session.peer.callingAETitle)@\(session.peer.address) → \(status.description(for: field))\(comment.map { ": \($0)" } ?? "")")
        }
    }
}

/// The assembler's sink for C-STORE data sets: fragments go straight to the receiver.
struct StoreSink: DataSetSink {
    let receiver: any StoreReceiver
    mutating func append(_ fragment: ByteBuffer) throws { try receiver.append(fragment) }
    mutating func finish() throws {}
}

/// Raised when the peer stays silent past the timeout.
struct IdleTimeout: Error, CustomStringConvertible {
    let seconds: Int64
    var description: String { "no PDU for \(seconds) s (DicomScpTimeout)" }
}
