/// The DICOM upper layer protocol state machine of PS3.8 §9.2, as a value that does no I/O.
///
/// The driver (the NIO channel glue) turns everything that happens into an ``Event`` (a PDU was
/// decoded, the local user asked for something, the transport connected or closed, the ARTIM
/// timer fired), calls ``handle(_:)``, and performs the returned ``Action``s in order. The
/// machine holds no PDUs and no parameters: the driver keeps the PDU or primitive that caused
/// the event and uses it when it performs the actions (e.g. ``Action/indicatePData`` delivers
/// the P-DATA-TF PDU that raised Evt10).
///
/// One machine serves one association (one transport connection) in either role:
/// - requestor (SCU): Sta1 →(Evt1, AE-1) Sta4 →(Evt2, AE-2) Sta5 →(Evt3, AE-3) Sta6;
/// - acceptor (SCP): Sta1 →(Evt5, AE-5) Sta2 →(Evt6, AE-6) Sta3 →(Evt7, AE-7) Sta6.
///
/// The standard's table (PS3.8 Table 9-10) is literal data in ``transitionTable``; the actions
/// of Tables 9-6 to 9-9 are ``StandardAction``. Pairs the table leaves empty never trap; see
/// ``handle(_:)`` for what they do.
public struct AssociationStateMachine: Sendable {

    /// The role the local application entity plays on this association. AR-8 (release
    /// collision) is the one action whose next state depends on it.
    public enum Role: Sendable, Hashable {
        /// Association-requestor: the local user issued the A-ASSOCIATE request (Evt1).
        case requestor
        /// Association-acceptor: the transport connection came from the peer (Evt5).
        case acceptor
    }

    /// The states of PS3.8 Tables 9-1 to 9-5. The raw value is the state's number (Sta*n*).
    public enum State: Int, Sendable, Hashable, CaseIterable, CustomStringConvertible {
        /// Sta1: Idle.
        case sta1Idle = 1
        /// Sta2: Transport connection open (Awaiting A-ASSOCIATE-RQ PDU).
        case sta2AwaitingAssociateRQ = 2
        /// Sta3: Awaiting local A-ASSOCIATE response primitive (from local user).
        case sta3AwaitingLocalAssociateResponse = 3
        /// Sta4: Awaiting transport connection opening to complete (from local transport service).
        case sta4AwaitingTransportConnect = 4
        /// Sta5: Awaiting A-ASSOCIATE-AC or A-ASSOCIATE-RJ PDU.
        case sta5AwaitingAssociateACOrRJ = 5
        /// Sta6: Association established and ready for data transfer.
        case sta6DataTransfer = 6
        /// Sta7: Awaiting A-RELEASE-RP PDU.
        case sta7AwaitingReleaseRP = 7
        /// Sta8: Awaiting local A-RELEASE response primitive (from local user).
        case sta8AwaitingLocalReleaseResponse = 8
        /// Sta9: Release collision requestor side; awaiting A-RELEASE response (from local user).
        case sta9CollisionRequestorAwaitingLocalReleaseResponse = 9
        /// Sta10: Release collision acceptor side; awaiting A-RELEASE-RP PDU.
        case sta10CollisionAcceptorAwaitingReleaseRP = 10
        /// Sta11: Release collision requestor side; awaiting A-RELEASE-RP PDU.
        case sta11CollisionRequestorAwaitingReleaseRP = 11
        /// Sta12: Release collision acceptor side; awaiting A-RELEASE response primitive (from
        /// local user).
        case sta12CollisionAcceptorAwaitingLocalReleaseResponse = 12
        /// Sta13: Awaiting Transport Connection Close Indication (Association no longer exists).
        case sta13AwaitingTransportClose = 13

        /// The standard's name, `Sta1` … `Sta13`.
        public var description: String { "Sta\(rawValue)" }
    }

    /// The events of PS3.8 Table 9-10. The raw value is the event's number (Evt*n*).
    ///
    /// Events carry no payload: the driver keeps the PDU or primitive that raised one.
    public enum Event: Int, Sendable, Hashable, CaseIterable, CustomStringConvertible {
        /// Evt1: A-ASSOCIATE request (local user).
        case evt1AssociateRequest = 1
        /// Evt2: Transport connect confirmation (local transport service).
        case evt2TransportConnectConfirm = 2
        /// Evt3: A-ASSOCIATE-AC PDU (received on transport connection).
        case evt3AssociateACReceived = 3
        /// Evt4: A-ASSOCIATE-RJ PDU (received on transport connection).
        case evt4AssociateRJReceived = 4
        /// Evt5: Transport connection indication (local transport service).
        case evt5TransportConnectIndication = 5
        /// Evt6: A-ASSOCIATE-RQ PDU (received on transport connection).
        case evt6AssociateRQReceived = 6
        /// Evt7: A-ASSOCIATE response primitive (accept).
        case evt7AssociateResponseAccept = 7
        /// Evt8: A-ASSOCIATE response primitive (reject).
        case evt8AssociateResponseReject = 8
        /// Evt9: P-DATA request primitive.
        case evt9PDataRequest = 9
        /// Evt10: P-DATA-TF PDU (received on transport connection).
        case evt10PDataTFReceived = 10
        /// Evt11: A-RELEASE request primitive.
        case evt11ReleaseRequest = 11
        /// Evt12: A-RELEASE-RQ PDU (received on open transport connection).
        case evt12ReleaseRQReceived = 12
        /// Evt13: A-RELEASE-RP PDU (received on transport connection).
        case evt13ReleaseRPReceived = 13
        /// Evt14: A-RELEASE response primitive.
        case evt14ReleaseResponse = 14
        /// Evt15: A-ABORT request primitive.
        case evt15AbortRequest = 15
        /// Evt16: A-ABORT PDU (received on open transport connection).
        case evt16AbortReceived = 16
        /// Evt17: Transport connection closed indication (local transport service).
        case evt17TransportClosed = 17
        /// Evt18: ARTIM timer expired (Association reject/release timer).
        case evt18ARTIMExpired = 18
        /// Evt19: Unrecognized or invalid PDU received.
        case evt19InvalidPDUReceived = 19

        /// Where an event comes from.
        public enum Origin: Sendable, Hashable {
            /// A service primitive issued by the local user (Evt1, 7, 8, 9, 11, 14, 15).
            case localUser
            /// The local transport service (Evt2, 5, 17).
            case transport
            /// A PDU read from the transport connection (Evt3, 4, 6, 10, 12, 13, 16, 19).
            case peer
            /// The ARTIM timer (Evt18).
            case timer
        }

        public var origin: Origin {
            switch self {
            case .evt1AssociateRequest, .evt7AssociateResponseAccept, .evt8AssociateResponseReject,
                 .evt9PDataRequest, .evt11ReleaseRequest, .evt14ReleaseResponse, .evt15AbortRequest:
                return .localUser
            case .evt2TransportConnectConfirm, .evt5TransportConnectIndication, .evt17TransportClosed:
                return .transport
            case .evt3AssociateACReceived, .evt4AssociateRJReceived, .evt6AssociateRQReceived,
                 .evt10PDataTFReceived, .evt12ReleaseRQReceived, .evt13ReleaseRPReceived,
                 .evt16AbortReceived, .evt19InvalidPDUReceived:
                return .peer
            case .evt18ARTIMExpired:
                return .timer
            }
        }

        /// The standard's name, `Evt1` … `Evt19`.
        public var description: String { "Evt\(rawValue)" }
    }

    /// The current state; Sta1 (Idle) initially.
    public private(set) var state: State

    /// The local role, fixed by the event that left Sta1 (Evt1: requestor, Evt5: acceptor);
    /// `nil` while in Sta1.
    public private(set) var role: Role?

    public init() {
        self.state = .sta1Idle
        self.role = nil
    }

    /// Puts the machine in any state, for tests that walk the whole state × event matrix.
    init(state: State, role: Role?) {
        self.state = state
        self.role = state == .sta1Idle ? nil : role
    }

    /// Whether the ARTIM timer runs. Every action that enters Sta2 or Sta13 starts it and every
    /// action that leaves them stops it (or the state is left through AA-2/AA-5/AR-5, which stop
    /// it), so it runs exactly in those two states.
    public var isARTIMRunning: Bool {
        state == .sta2AwaitingAssociateRQ || state == .sta13AwaitingTransportClose
    }

    /// Feeds one event to the machine, moves to the next state and returns the I/O and the
    /// indications the driver must perform, in order.
    ///
    /// Pairs that PS3.8 Table 9-10 fills run the standard's action (``transitionTable``).
    /// Pairs the table leaves empty (124 of 247) never trap:
    /// - A local-user primitive (Evt1, 7, 8, 9, 11, 14, 15) that is not valid in the current
    ///   state returns `[.invalidLocalOperation(event)]` and leaves the state unchanged; the
    ///   driver fails the user's request with a usage error. This includes an A-ABORT request
    ///   in Sta1, Sta2 (the user knows of no association yet) and Sta13 (it is already gone).
    /// - A PDU (Evt3, 4, 6, 10, 12, 13, 16, 19) is unlisted only in Sta1 and Sta4:
    ///   - in Sta4 the connection evidently exists, so the machine aborts as everywhere else:
    ///     AA-8 (A-ABORT PDU with service-provider source, A-P-ABORT indication, ARTIM, Sta13),
    ///     except for an A-ABORT PDU (Evt16), which gets AA-3 (indication, close, Sta1), as in
    ///     every other state, so that an A-ABORT is never answered with an A-ABORT;
    ///   - in Sta1 there is no transport connection, so the PDU can only be a late delivery
    ///     from a connection already closed (e.g. a second PDU decoded from the same read after
    ///     AR-3 closed the transport): it is ignored (no actions, still Sta1).
    /// - Evt2 (transport connect confirmation) in Sta1 means the connect completed after the
    ///   user aborted it (Sta4 + Evt15, AA-2): the machine returns `[.closeTransport]` and stays
    ///   in Sta1. In any other state it is `.invalidLocalOperation`, as is Evt5 (transport
    ///   connection indication) outside Sta1: one machine serves one connection.
    /// - Evt17 (transport closed) in Sta1 is ignored: AE-4, AR-3, AA-2 and AA-3 close the
    ///   transport and go to Sta1, and the close then comes back as Evt17.
    /// - Evt18 (ARTIM expired) outside Sta2 and Sta13 is ignored: a timer the driver failed to
    ///   cancel in time after ``Action/stopARTIM``.
    public mutating func handle(_ event: Event) -> [Action] {
        if let action = Self.standardAction(for: event, in: state) {
            return perform(action, for: event)
        }
        switch event.origin {
        case .localUser:
            return [.invalidLocalOperation(event)]
        case .peer:
            if state == .sta1Idle { return [] }
            return perform(event == .evt16AbortReceived ? .aa3 : .aa8, for: event)
        case .transport:
            switch event {
            case .evt2TransportConnectConfirm where state == .sta1Idle:
                return [.closeTransport]
            case .evt17TransportClosed:
                return []
            default:
                return [.invalidLocalOperation(event)]
            }
        case .timer:
            return []
        }
    }

    /// Runs one of the actions of PS3.8 Tables 9-6 to 9-9: returns its I/O and moves to its
    /// next state.
    private mutating func perform(_ action: StandardAction, for event: Event) -> [Action] {
        switch action {
        case .ae1:
            role = .requestor
            state = .sta4AwaitingTransportConnect
            return [.issueTransportConnect]
        case .ae2:
            state = .sta5AwaitingAssociateACOrRJ
            return [.sendAssociateRQ]
        case .ae3:
            state = .sta6DataTransfer
            return [.confirmAssociateAccepted]
        case .ae4:
            enterIdle()
            return [.confirmAssociateRejected, .closeTransport]
        case .ae5:
            role = .acceptor
            state = .sta2AwaitingAssociateRQ
            return [.issueTransportConnectResponse, .startARTIM]
        case .ae6:
            // The "not acceptable by the service-provider" branch of AE-6 (send A-ASSOCIATE-RJ,
            // start ARTIM, Sta13) is taken by the driver answering the indication with Evt8,
            // whose AE-8 does exactly that; see `Action.indicateAssociateRequest`.
            state = .sta3AwaitingLocalAssociateResponse
            return [.stopARTIM, .indicateAssociateRequest]
        case .ae7:
            state = .sta6DataTransfer
            return [.sendAssociateAC]
        case .ae8:
            state = .sta13AwaitingTransportClose
            return [.sendAssociateRJ, .startARTIM]
        case .dt1:
            state = .sta6DataTransfer
            return [.sendPData]
        case .dt2:
            state = .sta6DataTransfer
            return [.indicatePData]
        case .ar1:
            state = .sta7AwaitingReleaseRP
            return [.sendReleaseRQ]
        case .ar2:
            state = .sta8AwaitingLocalReleaseResponse
            return [.indicateReleaseRequest]
        case .ar3:
            enterIdle()
            return [.confirmRelease, .closeTransport]
        case .ar4:
            state = .sta13AwaitingTransportClose
            return [.sendReleaseRP, .startARTIM]
        case .ar5:
            enterIdle()
            return [.stopARTIM]
        case .ar6:
            state = .sta7AwaitingReleaseRP
            return [.indicatePData]
        case .ar7:
            state = .sta8AwaitingLocalReleaseResponse
            return [.sendPData]
        case .ar8:
            state = role == .acceptor
                ? .sta10CollisionAcceptorAwaitingReleaseRP
                : .sta9CollisionRequestorAwaitingLocalReleaseResponse
            return [.indicateReleaseCollision]
        case .ar9:
            state = .sta11CollisionRequestorAwaitingReleaseRP
            return [.sendReleaseRP]
        case .ar10:
            state = .sta12CollisionAcceptorAwaitingLocalReleaseResponse
            return [.confirmRelease]
        case .aa1:
            state = .sta13AwaitingTransportClose
            return [.sendAbort(source: .serviceUser, reason: .notSpecified), .startARTIM]
        case .aa2:
            // "Stop ARTIM timer if running": it runs in Sta2 and Sta13, unless it just expired.
            let wasRunning = isARTIMRunning && event != .evt18ARTIMExpired
            enterIdle()
            return wasRunning ? [.stopARTIM, .closeTransport] : [.closeTransport]
        case .aa3:
            enterIdle()
            return [.indicateAbort, .closeTransport]
        case .aa4:
            enterIdle()
            return [.indicateProviderAbort(reason: .notSpecified)]
        case .aa5:
            enterIdle()
            return [.stopARTIM]
        case .aa6:
            state = .sta13AwaitingTransportClose
            return []
        case .aa7:
            state = .sta13AwaitingTransportClose
            return [.sendAbort(source: .serviceProvider, reason: Self.abortReason(for: event))]
        case .aa8:
            let reason = Self.abortReason(for: event)
            state = .sta13AwaitingTransportClose
            return [
                .sendAbort(source: .serviceProvider, reason: reason),
                .indicateProviderAbort(reason: reason),
                .startARTIM,
            ]
        }
    }

    private mutating func enterIdle() {
        state = .sta1Idle
        role = nil
    }

    /// The A-ABORT reason (PS3.8 §9.3.8) for a provider-initiated abort caused by `event`:
    /// unrecognized-PDU for Evt19, unexpected-PDU for a well-formed PDU that arrived in the
    /// wrong state. A driver that knows better for Evt19 (e.g. invalid-PDU-parameter value) may
    /// substitute its own reason when it performs the action.
    private static func abortReason(for event: Event) -> Abort.Reason {
        event == .evt19InvalidPDUReceived ? .unrecognizedPDU : .unexpectedPDU
    }
}
