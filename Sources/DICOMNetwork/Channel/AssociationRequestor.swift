#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import DICOM
import Foundation
import NIOCore
import NIOPosix

/// One presentation context to propose in an A-ASSOCIATE-RQ: an abstract syntax (SOP class)
/// and the transfer syntaxes we can send it in, preferred first.
public struct ProposedContext: Sendable, Hashable {
    public var abstractSyntax: String
    public var transferSyntaxes: [String]

    public init(abstractSyntax: String, transferSyntaxes: [String]) {
        self.abstractSyntax = abstractSyntax
        self.transferSyntaxes = transferSyntaxes
    }

    /// The Verification SOP class (C-ECHO), in Explicit and Implicit VR Little Endian.
    public static let verification = ProposedContext(
        abstractSyntax: CEchoRequest.verificationSOPClassUID,
        transferSyntaxes: [TransferSyntax.explicitVRLittleEndian.uid, TransferSyntax.implicitVRLittleEndian.uid])

    /// The most contexts an A-ASSOCIATE-RQ can carry (odd IDs 1 to 255).
    public static let maximumCount = 128

    /// Contexts to send files of these SOP classes and transfer syntaxes on one association, as
    /// dcmtk's storescu proposes them: for each SOP class, one context per transfer syntax its
    /// files are in (so that every file can go as it is stored, compressed ones included), and,
    /// when some are in a native syntax, a context offering Explicit and Implicit VR Little
    /// Endian, into which ``SCUAssociation/store(fileAt:)`` converts when the peer takes neither
    /// syntax alone. When that makes more than 128 contexts, each SOP class gets one context
    /// with all its syntaxes instead (and the list is cut at 128).
    public static func storage(for files: [(sopClassUID: String, transferSyntaxUID: String)]) -> [ProposedContext] {
        var classes: [String] = []
        var syntaxes: [String: [String]] = [:]
        for file in files {
            if syntaxes[file.sopClassUID] == nil {
                classes.append(file.sopClassUID)
                syntaxes[file.sopClassUID] = []
            }
            if !syntaxes[file.sopClassUID]!.contains(file.transferSyntaxUID) {
                syntaxes[file.sopClassUID]!.append(file.transferSyntaxUID)
            }
        }
        let native = [TransferSyntax.explicitVRLittleEndian.uid, TransferSyntax.implicitVRLittleEndian.uid]
        var contexts: [ProposedContext] = []
        for sopClass in classes {
            let list = syntaxes[sopClass] ?? []
            contexts += list.map { ProposedContext(abstractSyntax: sopClass, transferSyntaxes: [$0]) }
            if list.contains(where: { !TransferSyntax(uid: $0).isEncapsulated }), !native.allSatisfy(list.contains) {
                contexts.append(ProposedContext(abstractSyntax: sopClass, transferSyntaxes: native))
            }
        }
        if contexts.count > maximumCount {
            contexts = classes.map { sopClass in
                let list = syntaxes[sopClass] ?? []
                let extra = list.contains(where: { !TransferSyntax(uid: $0).isEncapsulated }) ? native.filter { !list.contains($0) } : []
                return ProposedContext(abstractSyntax: sopClass, transferSyntaxes: list + extra)
            }
        }
        return Array(contexts.prefix(maximumCount))
    }
}

/// Requests associations with a remote application entity (the SCU side of PS3.8): TCP connect,
/// A-ASSOCIATE-RQ, and the A-ASSOCIATE-AC that gives an ``SCUAssociation``.
///
/// ```swift
/// let requestor = AssociationRequestor(callingAETitle: "SWIFTPACS", calledAETitle: "STORESCP",
///                                      host: "10.0.0.5", port: 104)
/// let association = try await requestor.open(proposing: [.verification])
/// let status = try await association.echo()
/// try await association.release()
/// ```
public struct AssociationRequestor: Sendable {
    public var callingAETitle: String
    public var calledAETitle: String
    public var host: String
    public var port: Int
    /// How long to wait for the TCP connection, for each answer of the peer (A-ASSOCIATE-AC,
    /// DIMSE responses, A-RELEASE-RP), and for the peer to read what we send. When it passes, the
    /// association is aborted and the operation fails with ``SCUError/timeout(_:)``.
    public var timeout: Duration
    /// The Maximum Length Received we announce: the longest P-DATA-TF we accept from the peer.
    public var maximumPDULength: UInt32
    public var group: any EventLoopGroup
    /// Gets the association's trace when it ends, including an association that never got
    /// established (rejected, connection refused).
    public var observer: (any AssociationObserver)?
    /// The ``AssociationTrace/id`` of the trace given to ``observer``.
    public var traceID: Int = 0

    public init(callingAETitle: String, calledAETitle: String, host: String, port: Int,
                timeout: Duration = .seconds(10), maximumPDULength: UInt32 = 16384,
                group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.callingAETitle = callingAETitle
        self.calledAETitle = calledAETitle
        self.host = host
        self.port = port
        self.timeout = timeout
        self.maximumPDULength = maximumPDULength
        self.group = group
    }

    /// `STORESCP at 127.0.0.1:11112`, as messages name the peer.
    var peerDescription: String { "\(calledAETitle) at \(host):\(port)" }

    /// Connects, proposes `contexts` (given IDs 1, 3, 5, … in order) and waits for the answer.
    ///
    /// Throws ``SCUError/rejected(result:source:reason:)`` for an A-ASSOCIATE-RJ,
    /// ``SCUError/connectionFailed(_:)`` when there is no TCP connection (refused, unknown host),
    /// ``SCUError/timeout(_:)`` when the connection or the answer takes longer than ``timeout``,
    /// and ``SCUError/aborted(source:reason:)`` or ``SCUError/protocolError(_:)`` when the peer
    /// aborts or answers with something else. An association whose contexts were all refused is
    /// still returned: its ``SCUAssociation/acceptedContexts`` is empty.
    public func open(proposing contexts: [ProposedContext]) async throws(SCUError) -> SCUAssociation {
        try validate(contexts)
        let proposed = contexts.enumerated().map { index, context in
            AssociateRQ.PresentationContext(id: UInt8(2 * index + 1), abstractSyntax: context.abstractSyntax,
                                            transferSyntaxes: context.transferSyntaxes)
        }
        var trace = AssociationTrace(id: traceID, peerAddress: host, peerPort: port)
        trace.callingAETitle = callingAETitle
        trace.calledAETitle = calledAETitle
        trace.ourMaximumPDULength = maximumPDULength
        trace.proposedContexts = proposed.map {
            .init(id: $0.id, abstractSyntax: $0.abstractSyntax, abstractSyntaxName: UIDDictionary.entry(for: $0.abstractSyntax)?.name,
                  transferSyntaxes: $0.transferSyntaxes)
        }

        let channel: NIOAsyncChannel<PDU, PDU>
        do {
            channel = try await connect()
        } catch {
            let failure = connectFailure(error)
            trace.outcome = .connectionClosed
            trace.reason = failure.description
            trace.endedAt = Date()
            observer?.associationEnded(trace)
            throw failure
        }

        let connection = await SCUConnection.start(channel, timeout: timeout, peer: peerDescription, trace: trace, observer: observer)
        connection.setBusy(true)
        let rq = AssociateRQ(
            calledAETitle: AETitle(calledAETitle), callingAETitle: AETitle(callingAETitle), presentationContexts: proposed,
            userInformation: UserInformation(maximumLength: maximumPDULength, implementationClassUID: DICOMImplementation.classUID,
                                             implementationVersionName: DICOMImplementation.versionName))
        do throws(SCUError) {
            try await connection.sendAssociateRQ(rq)
            let answer = try await connection.receive("the answer to the A-ASSOCIATE-RQ")
            let ac: AssociateAC
            switch answer {
            case .associateAC(let accepted):
                ac = accepted
            case .associateRJ(let rj):
                // Normally `receive` already threw the rejection.
                throw SCUError.rejected(result: rj.result, source: rj.source, reason: rj.reason)
            default:
                // The state machine aborts on anything else before it gets here.
                throw SCUError.protocolError("\(peerDescription) answered the A-ASSOCIATE-RQ with \(answer.type)")
            }
            var accepted: [(id: UInt8, abstractSyntax: String, transferSyntax: String)] = []
            for context in ac.presentationContexts where context.result == .acceptance {
                guard let request = proposed.first(where: { $0.id == context.id }), let syntax = context.transferSyntax else { continue }
                accepted.append((context.id, request.abstractSyntax, syntax))
            }
            let peerMaximum = ac.userInformation.maximumLength ?? 0
            if peerMaximum != 0, Int(peerMaximum) <= MessageFragmenter.pdvItemOverhead {
                throw SCUError.protocolError("\(peerDescription) announced a maximum PDU length of \(peerMaximum) bytes, too small to carry any data")
            }
            connection.updateTrace { trace in
                trace.peerImplementationClassUID = ac.userInformation.implementationClassUID
                trace.peerImplementationVersionName = ac.userInformation.implementationVersionName
                trace.peerMaximumPDULength = peerMaximum
                trace.acceptedContexts = ac.presentationContexts.map { context in
                    .init(id: context.id, abstractSyntax: proposed.first { $0.id == context.id }?.abstractSyntax ?? "",
                          result: context.result.description,
                          transferSyntax: context.result == .acceptance ? context.transferSyntax : nil)
                }
                if let window = ac.userInformation.asynchronousOperationsWindow {
                    trace.asynchronousOperationsWindow = "\(window.maximumOperationsInvoked)/\(window.maximumOperationsPerformed)"
                }
            }
            connection.setBusy(false)
            return SCUAssociation(requestor: self, connection: connection, acceptedContexts: accepted,
                                  peerMaximumPDULength: peerMaximum, peerImplementationClassUID: ac.userInformation.implementationClassUID,
                                  peerImplementationVersionName: ac.userInformation.implementationVersionName)
        } catch {
            await connection.abort(with: error)
            throw error
        }
    }

    private func validate(_ contexts: [ProposedContext]) throws(SCUError) {
        for (name, title) in [("calling", callingAETitle), ("called", calledAETitle)] {
            let trimmed = title.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty, title.unicodeScalars.count <= 16,
                  title.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value < 0x7F && $0 != "\\" }) else {
                throw .invalidParameter("invalid \(name) AE title \"\(title)\": 1 to 16 characters of the default repertoire, no backslash")
            }
        }
        guard (1...65535).contains(port) else { throw .invalidParameter("invalid port \(port)") }
        guard !contexts.isEmpty else { throw .invalidParameter("no presentation context to propose") }
        guard contexts.count <= ProposedContext.maximumCount else {
            throw .invalidParameter("\(contexts.count) presentation contexts proposed; an association carries at most \(ProposedContext.maximumCount)")
        }
        for context in contexts {
            guard Self.isUID(context.abstractSyntax) else {
                throw .invalidParameter("invalid abstract syntax UID \"\(context.abstractSyntax)\"")
            }
            guard !context.transferSyntaxes.isEmpty else {
                throw .invalidParameter("no transfer syntax proposed for \(context.abstractSyntax)")
            }
            if let bad = context.transferSyntaxes.first(where: { !Self.isUID($0) }) {
                throw .invalidParameter("invalid transfer syntax UID \"\(bad)\" proposed for \(context.abstractSyntax)")
            }
        }
    }

    private static func isUID(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= 64 && text.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2E }
    }

    private func connect() async throws -> NIOAsyncChannel<PDU, PDU> {
        let maximumPDULength = self.maximumPDULength
        return try await ClientBootstrap(group: group)
            .connectTimeout(TimeAmount(timeout))
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(PDUDecoder(maximumPDataLength: maximumPDULength)))
                    try channel.pipeline.syncOperations.addHandler(MessageToByteHandler(PDUEncoder()))
                    return try NIOAsyncChannel<PDU, PDU>(wrappingChannelSynchronously: channel)
                }
            }
    }

    /// Why the TCP connection failed, in words.
    private func connectFailure(_ error: any Error) -> SCUError {
        let target = "\(host):\(port)"
        func isTimeout(_ error: any Error) -> Bool {
            if let channelError = error as? ChannelError, case .connectTimeout = channelError { return true }
            return false
        }
        func reason(_ error: any Error) -> String {
            if let io = error as? IOError { return String(cString: strerror(io.errnoCode)) }
            return "\(error)"
        }
        if isTimeout(error) {
            return .timeout("no TCP connection to \(target) within \(SCUConnection.secondsText(timeout))")
        }
        if let failure = error as? NIOConnectionError {
            if failure.connectionErrors.contains(where: { isTimeout($0.error) }) {
                return .timeout("no TCP connection to \(target) within \(SCUConnection.secondsText(timeout))")
            }
            if failure.connectionErrors.isEmpty, let dns = failure.dnsAError ?? failure.dnsAAAAError {
                return .connectionFailed("cannot resolve host \"\(host)\": \(dns)")
            }
            var reasons: [String] = []
            for attempt in failure.connectionErrors {
                let text = reason(attempt.error)
                if !reasons.contains(text) { reasons.append(text) }
            }
            return .connectionFailed("cannot connect to \(target): \(reasons.isEmpty ? "\(failure)" : reasons.joined(separator: "; "))")
        }
        return .connectionFailed("cannot connect to \(target): \(reason(error))")
    }
}
