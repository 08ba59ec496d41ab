import Foundation
import NIOCore
import Synchronization

/// The upper layer of one association we requested: the NIO channel, the PS3.8 state machine
/// that every PDU in and out goes through, the PDUs waiting for the operation in progress, and
/// the watchdog that aborts when the peer stops answering.
///
/// The channel's inbound side is read by a task of its own (the scope of
/// `NIOAsyncChannel.executeThenClose`), which feeds each PDU to the state machine and performs
/// what it prescribes: confirmations and P-DATA go to the inbox, where the operation waiting for
/// them picks them up; an A-ABORT, an unexpected or invalid PDU, or the connection closing end
/// the association with an error that says so. Operations (one at a time, see
/// ``SCUAssociation``) send through ``send(_:)`` and wait with ``receive(_:)``.
final class SCUConnection: Sendable {
    private struct State {
        var machine = AssociationStateMachine()
        /// Confirmations and P-DATA-TF PDUs not yet taken by an operation.
        var inbox: [PDU] = []
        var waiter: CheckedContinuation<Result<PDU, SCUError>, Never>?
        var waitingFor = ""
        /// Set once the association is over: every later operation fails with it.
        var failure: SCUError?
        /// An operation waits on the peer: the watchdog runs.
        var busy = false
        var lastProgress = ContinuousClock.now
        var trace: AssociationTrace
        var finished = false
        var finishWaiters: [CheckedContinuation<Void, Never>] = []
    }

    /// Why the state machine is being driven: what to say when it asks for an indication.
    private enum Cause {
        case pdu(PDU)
        case invalidPDU(PDUDecodingError)
        case transportClosed((any Error)?)
        case local
    }

    let channel: any Channel
    private let outbound: NIOAsyncChannelOutboundWriter<PDU>
    let timeout: Duration
    /// `STORESCP at 127.0.0.1:11112`, for messages.
    let peer: String
    private let observer: (any AssociationObserver)?
    private let state: Mutex<State>
    private let watchdog = Mutex<Task<Void, Never>?>(nil)
    /// More PDUs than this waiting in the inbox means the peer sends what nobody asked for.
    private static let inboxLimit = 1024

    private init(channel: any Channel, outbound: NIOAsyncChannelOutboundWriter<PDU>, timeout: Duration, peer: String,
                 trace: AssociationTrace, observer: (any AssociationObserver)?) {
        self.channel = channel
        self.outbound = outbound
        self.timeout = timeout
        self.peer = peer
        self.observer = observer
        state = Mutex(State(trace: trace))
    }

    /// Takes over a connected channel: starts the task that reads it (and closes it when the
    /// association ends).
    static func start(_ asyncChannel: NIOAsyncChannel<PDU, PDU>, timeout: Duration, peer: String,
                      trace: AssociationTrace, observer: (any AssociationObserver)?) async -> SCUConnection {
        await withCheckedContinuation { (continuation: CheckedContinuation<SCUConnection, Never>) in
            Task {
                do {
                    try await asyncChannel.executeThenClose { inbound, outbound in
                        let connection = SCUConnection(channel: asyncChannel.channel, outbound: outbound, timeout: timeout,
                                                       peer: peer, trace: trace, observer: observer)
                        continuation.resume(returning: connection)
                        await connection.readLoop(inbound)
                    }
                } catch {
                    // Only closing can fail here, and the channel is closed either way.
                }
            }
        }
    }

    // MARK: Reading

    private func readLoop(_ inbound: NIOAsyncChannelInboundStream<PDU>) async {
        startWatchdog()
        var closeError: (any Error)? = nil
        do {
            for try await pdu in inbound {
                await handle(peerEvent(for: pdu), cause: .pdu(pdu))
            }
        } catch let error as PDUDecodingError {
            await handle(.evt19InvalidPDUReceived, cause: .invalidPDU(error))
        } catch {
            closeError = error
        }
        await finish(closeError)
    }

    private func peerEvent(for pdu: PDU) -> AssociationStateMachine.Event {
        switch pdu {
        case .associateAC: .evt3AssociateACReceived
        case .associateRJ: .evt4AssociateRJReceived
        case .associateRQ: .evt6AssociateRQReceived
        case .pData: .evt10PDataTFReceived
        case .releaseRQ: .evt12ReleaseRQReceived
        case .releaseRP: .evt13ReleaseRPReceived
        case .abort: .evt16AbortReceived
        }
    }

    /// Feeds one event from the peer or the transport to the state machine and performs its actions.
    ///
    /// When the event ends the association (a rejection, an abort either way, the connection
    /// lost), its error is recorded in the same critical section as the state change, so that an
    /// operation racing with it fails with that error rather than with "not established".
    private func handle(_ event: AssociationStateMachine.Event, cause: Cause) async {
        let (actions, stateBefore, waiter, failure) = state.withLock { s in
            s.lastProgress = .now
            let before = s.machine.state
            let actions = s.machine.handle(event)
            var waiter: CheckedContinuation<Result<PDU, SCUError>, Never>? = nil
            if s.failure == nil, let (error, outcome) = ending(actions, cause: cause, stateBefore: before) {
                s.failure = error
                s.trace.outcome = outcome
                s.trace.reason = error.description
                waiter = s.waiter.take()
            }
            return (actions, before, waiter, s.failure)
        }
        if let waiter, let failure { waiter.resume(returning: .failure(failure)) }
        await perform(actions, cause: cause, stateBefore: stateBefore)
    }

    /// The error and trace outcome of actions that end the association.
    private func ending(_ actions: [AssociationStateMachine.Action], cause: Cause,
                        stateBefore: AssociationStateMachine.State) -> (SCUError, AssociationTrace.Outcome)? {
        for action in actions {
            switch (action, cause) {
            case (.confirmAssociateRejected, .pdu(.associateRJ(let rj))):
                return (.rejected(result: rj.result, source: rj.source, reason: rj.reason), .rejected)
            case (.indicateAbort, .pdu(.abort(let abort))):
                return (.aborted(source: abort.source, reason: abort.reason), .abortedByPeer)
            case (.indicateProviderAbort, .pdu(let pdu)):
                return (.protocolError("\(peer) sent an unexpected \(pdu.type) PDU (\(stateBefore): \(Self.stateName(stateBefore))); association aborted"),
                        .abortedByUs)
            case (.indicateProviderAbort, .invalidPDU(let error)):
                return (.protocolError("\(peer) sent an invalid PDU (\(error)); association aborted"), .abortedByUs)
            case (.indicateProviderAbort, .transportClosed(let error)):
                let why = error.map { ": \($0)" } ?? ""
                return (.connectionClosed("\(peer) closed the connection \(Self.stateText(stateBefore))\(why)"), .connectionClosed)
            default:
                continue
            }
        }
        return nil
    }

    private func perform(_ actions: [AssociationStateMachine.Action], cause: Cause,
                         stateBefore: AssociationStateMachine.State) async {
        for action in actions {
            switch action {
            case .confirmAssociateAccepted, .indicatePData:
                if case .pdu(let pdu) = cause { deliver(pdu) }
            case .confirmAssociateRejected, .indicateAbort, .indicateProviderAbort:
                break  // recorded by `handle` with the state change
            case .confirmRelease:
                if case .pdu(let pdu) = cause { deliver(pdu) }
                fail(.notEstablished("the association with \(peer) has been released"), outcome: .released)
            case .indicateReleaseRequest:
                // The acceptor asks to release (unusual, but allowed): whatever was in progress
                // is over; answer at once (Evt14, AR-4).
                fail(.notEstablished("\(peer) released the association"), outcome: .released, reason: "released by the peer")
                let next = state.withLock { $0.machine.handle(.evt14ReleaseResponse) }
                await perform(next, cause: .local, stateBefore: .sta8AwaitingLocalReleaseResponse)
            case .indicateReleaseCollision:
                // Both sides asked to release; as requestor we answer at once (Evt14, AR-9) and
                // keep waiting for the peer's A-RELEASE-RP.
                let next = state.withLock { $0.machine.handle(.evt14ReleaseResponse) }
                await perform(next, cause: .local, stateBefore: .sta9CollisionRequestorAwaitingLocalReleaseResponse)
            case .sendAbort(let source, let reason):
                var abortReason = reason
                if case .invalidPDU(let error) = cause { abortReason = error.abortReason }
                await writeQuietly(.abort(Abort(source: source, reason: source == .serviceProvider ? abortReason : .notSpecified)))
            case .sendReleaseRP:
                await writeQuietly(.releaseRP)
            case .closeTransport, .startARTIM:
                // ARTIM (AA-1, AA-8, AR-4) waits for the peer to close after our A-ABORT or
                // A-RELEASE-RP; closing ourselves at once ends the association the same way
                // without keeping the caller waiting.
                channel.close(promise: nil)
            case .stopARTIM, .issueTransportConnect, .issueTransportConnectResponse, .sendAssociateRQ,
                 .sendAssociateAC, .sendAssociateRJ, .sendPData, .sendReleaseRQ, .indicateAssociateRequest,
                 .invalidLocalOperation:
                break
            }
        }
    }

    /// What the requestor does in a state.
    private static func stateName(_ state: AssociationStateMachine.State) -> String {
        switch state {
        case .sta5AwaitingAssociateACOrRJ: "awaiting the A-ASSOCIATE-AC or -RJ"
        case .sta6DataTransfer: "association established"
        case .sta7AwaitingReleaseRP, .sta11CollisionRequestorAwaitingReleaseRP: "awaiting the A-RELEASE-RP"
        case .sta13AwaitingTransportClose: "awaiting the close of the connection"
        default: "\(state)"
        }
    }

    /// Where the association was when something happened, in words.
    private static func stateText(_ state: AssociationStateMachine.State) -> String {
        switch state {
        case .sta4AwaitingTransportConnect, .sta5AwaitingAssociateACOrRJ: "before answering the A-ASSOCIATE-RQ"
        case .sta6DataTransfer: "during the association"
        case .sta7AwaitingReleaseRP, .sta9CollisionRequestorAwaitingLocalReleaseResponse,
             .sta11CollisionRequestorAwaitingReleaseRP:
            "before answering the A-RELEASE-RQ"
        default: "(\(state))"
        }
    }

    /// The end of the transport connection: Evt17 for the state machine, the association's
    /// error for whoever still waits, the trace to the observer.
    private func finish(_ error: (any Error)?) async {
        await handle(.evt17TransportClosed, cause: .transportClosed(error))
        fail(.connectionClosed("\(peer) closed the connection"), outcome: .connectionClosed)
        channel.close(promise: nil)
        watchdog.withLock { $0.take() }?.cancel()
        let (trace, waiters) = state.withLock { s in
            s.finished = true
            s.trace.endedAt = Date()
            defer { s.finishWaiters = [] }
            return (s.trace, s.finishWaiters)
        }
        observer?.associationEnded(trace)
        for waiter in waiters { waiter.resume() }
    }

    /// Returns once the connection is closed and the trace reported.
    func waitUntilFinished() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = state.withLock { s in
                if s.finished { return true }
                s.finishWaiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }

    // MARK: Inbox

    private func deliver(_ pdu: PDU) {
        let (waiter, overflow) = state.withLock { s -> (CheckedContinuation<Result<PDU, SCUError>, Never>?, Bool) in
            if let waiter = s.waiter.take() { return (waiter, false) }
            s.inbox.append(pdu)
            return (nil, s.inbox.count > Self.inboxLimit)
        }
        waiter?.resume(returning: .success(pdu))
        if overflow {
            Task { await self.abort(with: .protocolError("\(peer) sent more than \(Self.inboxLimit) PDUs nobody asked for; association aborted")) }
        }
    }

    /// Ends the association for whoever uses it: the first error wins, and the operation
    /// waiting (if any) gets it.
    private func fail(_ error: SCUError, outcome: AssociationTrace.Outcome, reason: String? = nil) {
        let (waiter, failure) = state.withLock { s -> (CheckedContinuation<Result<PDU, SCUError>, Never>?, SCUError) in
            if s.failure == nil {
                s.failure = error
                s.trace.outcome = outcome
                if outcome != .released || reason != nil { s.trace.reason = reason ?? error.description }
            }
            return (s.waiter.take(), s.failure ?? error)
        }
        waiter?.resume(returning: .failure(failure))
    }

    /// The next confirmation or P-DATA-TF PDU from the peer. `what` names it for the timeout
    /// message.
    func receive(_ what: String) async throws(SCUError) -> PDU {
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<PDU, SCUError>, Never>) in
            let immediate = state.withLock { s -> Result<PDU, SCUError>? in
                if !s.inbox.isEmpty { return .success(s.inbox.removeFirst()) }
                if let failure = s.failure { return .failure(failure) }
                s.waiter = continuation
                s.waitingFor = what
                return nil
            }
            if let immediate { continuation.resume(returning: immediate) }
        }
        return try result.get()
    }

    // MARK: Writing

    /// Sends the A-ASSOCIATE-RQ (Evt1 and Evt2: the transport is already connected).
    func sendAssociateRQ(_ rq: AssociateRQ) async throws(SCUError) {
        state.withLock { s in
            _ = s.machine.handle(.evt1AssociateRequest)
            _ = s.machine.handle(.evt2TransportConnectConfirm)
        }
        try await write(.associateRQ(rq))
    }

    /// Sends a P-DATA-TF (Evt9) or A-RELEASE-RQ (Evt11) PDU.
    func send(_ pdu: PDU) async throws(SCUError) {
        let event: AssociationStateMachine.Event = pdu.type == .releaseRQ ? .evt11ReleaseRequest : .evt9PDataRequest
        let refusal = state.withLock { s -> SCUError? in
            if let failure = s.failure { return failure }
            let actions = s.machine.handle(event)
            if actions.contains(.invalidLocalOperation(event)) {
                return .notEstablished("the association with \(peer) is not established (\(s.machine.state))")
            }
            return nil
        }
        if let refusal { throw refusal }
        try await write(pdu)
    }

    private func write(_ pdu: PDU) async throws(SCUError) {
        do {
            try await outbound.write(pdu)
        } catch {
            if let failure = state.withLock({ $0.failure }) { throw failure }
            // Part of a message may have gone out: the association cannot go on.
            let failure = SCUError.connectionClosed("cannot send to \(peer): \(error)")
            await abort(with: failure)
            throw failure
        }
        state.withLock { $0.lastProgress = .now }
    }

    /// For the A-ABORT and A-RELEASE-RP PDUs the state machine asks for, right before the
    /// connection closes: written to the channel directly (the async writer may still hold it
    /// when the close comes, and drop it), not awaited (a peer that does not read must not keep
    /// us from closing). Submitted before the close, it is attempted before it.
    private func writeQuietly(_ pdu: PDU) async {
        guard channel.isActive else { return }
        channel.writeAndFlush(pdu, promise: nil)
    }

    // MARK: Operations

    /// Marks an operation as waiting on the peer (the watchdog aborts after `timeout` without
    /// progress) or done.
    func setBusy(_ busy: Bool) {
        state.withLock { s in
            s.busy = busy
            s.lastProgress = .now
        }
    }

    /// True while data can be exchanged (Sta6 and no error).
    var isEstablished: Bool {
        state.withLock { $0.failure == nil && $0.machine.state == .sta6DataTransfer }
    }

    /// A-ABORT (Evt15, AA-1) with `error` as the association's error; the connection is closed.
    /// Nothing happens when the association is already over.
    func abort(with error: SCUError) async {
        let (actions, stateBefore) = state.withLock { s -> ([AssociationStateMachine.Action], AssociationStateMachine.State) in
            let before = s.machine.state
            guard s.failure == nil else { return ([], before) }
            return (s.machine.handle(.evt15AbortRequest), before)
        }
        fail(error, outcome: .abortedByUs, reason: error.description)
        if actions.isEmpty || actions.contains(.invalidLocalOperation(.evt15AbortRequest)) {
            channel.close(promise: nil)
        } else {
            await perform(actions, cause: .local, stateBefore: stateBefore)
        }
        await waitUntilFinished()
    }

    // MARK: Trace

    var trace: AssociationTrace { state.withLock { $0.trace } }

    func updateTrace(_ body: (inout AssociationTrace) -> Void) {
        state.withLock { body(&$0.trace) }
    }

    // MARK: Watchdog

    private func startWatchdog() {
        let timeout = self.timeout
        let task = Task { [weak self] in
            while !Task.isCancelled {
                guard let self else { return }
                let (busy, deadline, what) = self.state.withLock { s in
                    (s.busy, s.lastProgress.advanced(by: timeout),
                     s.waiter == nil ? "sending (it does not read)" : "waiting for \(s.waitingFor)")
                }
                if busy, ContinuousClock.now >= deadline {
                    await self.abort(with: .timeout("no answer from \(self.peer) within \(Self.secondsText(timeout)) while \(what); association aborted"))
                    return
                }
                let wake = busy ? deadline : ContinuousClock.now.advanced(by: timeout)
                do { try await Task.sleep(until: wake, clock: .continuous) } catch { return }
            }
        }
        watchdog.withLock { $0 = task }
    }

    static func secondsText(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        if attoseconds == 0 { return "\(seconds) s" }
        let value = Double(seconds) + Double(attoseconds) / 1e18
        return "\((value * 1000).rounded() / 1000) s"
    }
}
