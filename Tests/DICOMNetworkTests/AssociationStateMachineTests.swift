import Testing
@testable import DICOMNetwork

private typealias Machine = AssociationStateMachine
private typealias State = AssociationStateMachine.State
private typealias Event = AssociationStateMachine.Event
private typealias Action = AssociationStateMachine.Action
private typealias Role = AssociationStateMachine.Role

// MARK: - The standard's table, transcribed independently of the implementation

/// PS3.8 Table 9-10 (DICOM Upper Layer Protocol State Transition Table): rows Evt1…Evt19,
/// columns Sta1…Sta13, `nil` for an empty cell.
///
/// Generated once from pynetdicom 3.0.4 (`pynetdicom/fsm.py`, `TRANSITION_TABLE`), which
/// transcribes the standard's table, by:
///
///     from pynetdicom import fsm
///     for e in range(1, 20):
///         cells = [fsm.TRANSITION_TABLE.get((f"Evt{e}", f"Sta{s}")) for s in range(1, 14)]
///         print(f'    /* Evt{e}'.ljust(14) + '*/ [' + ", ".join(
///             (f'"{a}"' if a else "nil").rjust(7) for a in cells) + '],')
private let pynetdicomTransitionTable: [[String?]] = [
    //                  Sta1     Sta2     Sta3     Sta4     Sta5     Sta6     Sta7     Sta8     Sta9    Sta10    Sta11    Sta12    Sta13
    /* Evt1   */ [ "AE-1",     nil,     nil,     nil,     nil,     nil,     nil,     nil,     nil,     nil,     nil,     nil,     nil],
    /* Evt2   */ [    nil,     nil,     nil,  "AE-2",     nil,     nil,     nil,     nil,     nil,     nil,     nil,     nil,     nil],
    /* Evt3   */ [    nil,  "AA-1",  "AA-8",     nil,  "AE-3",  "AA-8",  "AA-8",  "AA-8",  "AA-8",  "AA-8",  "AA-8",  "AA-8",  "AA-6"],
    /* Evt4   */ [    nil,  "AA-1",  "AA-8",     nil,  "AE-4",  "AA-8",  "AA-8",  "AA-8",  "AA-8",  "AA-8",  "AA-8",  "AA-8",  "AA-6"],
    /* Evt5   */ [ "AE-5",     nil,     nil,     nil,     nil,     nil,     nil,     nil,     nil,     nil,     nil,     nil,     nil],
    /* Evt6   */ [    nil,  "AE-6",  "AA-8",     nil,  "AA-8",  "AA-8",  "AA-8",  "AA-8",  "AA-8",  "AA-8",  "AA-8",  "AA-8",  "AA-7"],
    /* Evt7   */ [    nil,     nil,  "AE-7",     nil,     nil,     nil,     nil,     nil,     nil,     nil,     nil,     nil,     nil],
    /* Evt8   */ [    nil,     nil,  "AE-8",     nil,     nil,     nil,     nil,     nil,     nil,     nil,     nil,     nil,     nil],
    /* Evt9   */ [    nil,     nil,     nil,     nil,     nil,  "DT-1",     nil,  "AR-7",     nil,     nil,     nil,     nil,     nil],
    /* Evt10  */ [    nil,  "AA-1",  "AA-8",     nil,  "AA-8",  "DT-2",  "AR-6",  "AA-8",  "AA-8",  "AA-8",  "AA-8",  "AA-8",  "AA-6"],
    /* Evt11  */ [    nil,     nil,     nil,     nil,     nil,  "AR-1",     nil,     nil,     nil,     nil,     nil,     nil,     nil],
    /* Evt12  */ [    nil,  "AA-1",  "AA-8",     nil,  "AA-8",  "AR-2",  "AR-8",  "AA-8",  "AA-8",  "AA-8",  "AA-8",  "AA-8",  "AA-6"],
    /* Evt13  */ [    nil,  "AA-1",  "AA-8",     nil,  "AA-8",  "AA-8",  "AR-3",  "AA-8",  "AA-8", "AR-10",  "AR-3",  "AA-8",  "AA-6"],
    /* Evt14  */ [    nil,     nil,     nil,     nil,     nil,     nil,     nil,  "AR-4",  "AR-9",     nil,     nil,  "AR-4",     nil],
    /* Evt15  */ [    nil,     nil,  "AA-1",  "AA-2",  "AA-1",  "AA-1",  "AA-1",  "AA-1",  "AA-1",  "AA-1",  "AA-1",  "AA-1",     nil],
    /* Evt16  */ [    nil,  "AA-2",  "AA-3",     nil,  "AA-3",  "AA-3",  "AA-3",  "AA-3",  "AA-3",  "AA-3",  "AA-3",  "AA-3",  "AA-2"],
    /* Evt17  */ [    nil,  "AA-5",  "AA-4",  "AA-4",  "AA-4",  "AA-4",  "AA-4",  "AA-4",  "AA-4",  "AA-4",  "AA-4",  "AA-4",  "AR-5"],
    /* Evt18  */ [    nil,  "AA-2",     nil,     nil,     nil,     nil,     nil,     nil,     nil,     nil,     nil,     nil,  "AA-2"],
    /* Evt19  */ [    nil,  "AA-1",  "AA-8",     nil,  "AA-8",  "AA-8",  "AA-8",  "AA-8",  "AA-8",  "AA-8",  "AA-8",  "AA-8",  "AA-7"],
]

private let eventsFromLocalUser: Set<Int> = [1, 7, 8, 9, 11, 14, 15]
private let eventsFromPeerPDUs: Set<Int> = [3, 4, 6, 10, 12, 13, 16, 19]

/// The observable outcome of one (state, event) pair.
private struct Outcome: Equatable, CustomStringConvertible {
    var next: State
    var role: Role?
    var actions: [Action]

    var description: String { "\(next) role=\(String(describing: role)) \(actions)" }
}

/// What the standard's named action does, written from PS3.8 Tables 9-6 to 9-9 (not from the
/// implementation): next state and the driver actions.
private func expectedOutcome(of name: String, event: Event, state: State, role: Role?) -> Outcome {
    let providerReason: Abort.Reason = event.rawValue == 19 ? .unrecognizedPDU : .unexpectedPDU
    let artimRunning = (state.rawValue == 2 || state.rawValue == 13) && event.rawValue != 18
    func to(_ n: Int, _ actions: [Action]) -> Outcome {
        let next = State(rawValue: n)!
        return Outcome(next: next, role: n == 1 ? nil : role, actions: actions)
    }
    switch name {
    case "AE-1": return Outcome(next: .sta4AwaitingTransportConnect, role: .requestor, actions: [.issueTransportConnect])
    case "AE-2": return to(5, [.sendAssociateRQ])
    case "AE-3": return to(6, [.confirmAssociateAccepted])
    case "AE-4": return to(1, [.confirmAssociateRejected, .closeTransport])
    case "AE-5": return Outcome(next: .sta2AwaitingAssociateRQ, role: .acceptor,
                                actions: [.issueTransportConnectResponse, .startARTIM])
    case "AE-6": return to(3, [.stopARTIM, .indicateAssociateRequest])
    case "AE-7": return to(6, [.sendAssociateAC])
    case "AE-8": return to(13, [.sendAssociateRJ, .startARTIM])
    case "DT-1": return to(6, [.sendPData])
    case "DT-2": return to(6, [.indicatePData])
    case "AR-1": return to(7, [.sendReleaseRQ])
    case "AR-2": return to(8, [.indicateReleaseRequest])
    case "AR-3": return to(1, [.confirmRelease, .closeTransport])
    case "AR-4": return to(13, [.sendReleaseRP, .startARTIM])
    case "AR-5": return to(1, [.stopARTIM])
    case "AR-6": return to(7, [.indicatePData])
    case "AR-7": return to(8, [.sendPData])
    case "AR-8": return to(role == .requestor ? 9 : 10, [.indicateReleaseCollision])
    case "AR-9": return to(11, [.sendReleaseRP])
    case "AR-10": return to(12, [.confirmRelease])
    case "AA-1": return to(13, [.sendAbort(source: .serviceUser, reason: .notSpecified), .startARTIM])
    case "AA-2": return to(1, artimRunning ? [.stopARTIM, .closeTransport] : [.closeTransport])
    case "AA-3": return to(1, [.indicateAbort, .closeTransport])
    case "AA-4": return to(1, [.indicateProviderAbort(reason: .notSpecified)])
    case "AA-5": return to(1, [.stopARTIM])
    case "AA-6": return to(13, [])
    case "AA-7": return to(13, [.sendAbort(source: .serviceProvider, reason: providerReason)])
    case "AA-8": return to(13, [.sendAbort(source: .serviceProvider, reason: providerReason),
                                .indicateProviderAbort(reason: providerReason), .startARTIM])
    default:
        Issue.record("unknown action \(name)")
        return to(state.rawValue, [])
    }
}

/// The documented choice for the cells the standard leaves empty (see `handle(_:)`).
private func expectedOutcomeOfEmptyCell(event: Event, state: State, role: Role?) -> Outcome {
    let unchanged = { (actions: [Action]) in Outcome(next: state, role: role, actions: actions) }
    let e = event.rawValue
    if eventsFromLocalUser.contains(e) { return unchanged([.invalidLocalOperation(event)]) }
    if eventsFromPeerPDUs.contains(e) {
        if state == .sta1Idle { return unchanged([]) }
        return expectedOutcome(of: e == 16 ? "AA-3" : "AA-8", event: event, state: state, role: role)
    }
    switch e {
    case 2: return unchanged(state == .sta1Idle ? [.closeTransport] : [.invalidLocalOperation(event)])
    case 5: return unchanged([.invalidLocalOperation(event)])
    case 17, 18: return unchanged([])
    default:
        Issue.record("event \(event) has no empty-cell rule")
        return unchanged([])
    }
}

/// The roles a machine can have in a state: none in Sta1, acceptor in Sta2/Sta3, requestor in
/// Sta4/Sta5, either from Sta6 on.
private func roles(in state: State) -> [Role?] {
    switch state.rawValue {
    case 1: return [nil]
    case 2, 3: return [.acceptor]
    case 4, 5: return [.requestor]
    default: return [.requestor, .acceptor]
    }
}

// MARK: - The full state × event matrix

@Suite struct AssociationStateMachineTests {
    typealias Machine = AssociationStateMachine
    typealias State = AssociationStateMachine.State
    typealias Event = AssociationStateMachine.Event
    typealias Action = AssociationStateMachine.Action

    @Test func transcribedTableHasTheStandardsShape() {
        #expect(pynetdicomTransitionTable.count == 19)
        #expect(pynetdicomTransitionTable.allSatisfy { $0.count == 13 })
        #expect(pynetdicomTransitionTable.joined().compactMap { $0 }.count == 123)
        #expect(Machine.transitionTable.count == 19)
        #expect(Machine.transitionTable.allSatisfy { $0.count == 13 })
        #expect(State.allCases.count == 13)
        #expect(Event.allCases.count == 19)
        #expect(Machine.StandardAction.allCases.count == 28)
        #expect(Set(Machine.transitionTable.joined().compactMap { $0 }) == Set(Machine.StandardAction.allCases))
    }

    /// Every (state, event) pair of PS3.8 Table 9-10, in every role the state allows: the
    /// table entry, the next state, the role and the actions.
    @Test(arguments: State.allCases, Event.allCases)
    func matrixCell(state: State, event: Event) {
        let name = pynetdicomTransitionTable[event.rawValue - 1][state.rawValue - 1]
        #expect(Machine.standardAction(for: event, in: state)?.rawValue == name, "\(event) in \(state)")
        for role in roles(in: state) {
            var machine = Machine(state: state, role: role)
            let actions = machine.handle(event)
            let got = Outcome(next: machine.state, role: machine.role, actions: actions)
            let expected = name.map { expectedOutcome(of: $0, event: event, state: state, role: role) }
                ?? expectedOutcomeOfEmptyCell(event: event, state: state, role: role)
            #expect(got == expected, "\(event) in \(state) as \(String(describing: role)), table \(name ?? "empty")")
        }
    }

    @Test func artimRunsExactlyInSta2AndSta13() {
        for state in State.allCases {
            let running = Machine(state: state, role: roles(in: state)[0]).isARTIMRunning
            #expect(running == (state == .sta2AwaitingAssociateRQ || state == .sta13AwaitingTransportClose))
        }
    }

    // MARK: - Scenarios

    @Test func requestorAssociatesTransfersAndReleases() {
        var m = Machine()
        #expect(m.state == .sta1Idle && m.role == nil)
        #expect(m.handle(.evt1AssociateRequest) == [.issueTransportConnect])
        #expect(m.state == .sta4AwaitingTransportConnect && m.role == .requestor)
        #expect(m.handle(.evt2TransportConnectConfirm) == [.sendAssociateRQ])
        #expect(m.state == .sta5AwaitingAssociateACOrRJ)
        #expect(m.handle(.evt3AssociateACReceived) == [.confirmAssociateAccepted])
        #expect(m.state == .sta6DataTransfer)
        #expect(m.handle(.evt9PDataRequest) == [.sendPData])
        #expect(m.handle(.evt10PDataTFReceived) == [.indicatePData])
        #expect(m.state == .sta6DataTransfer)
        #expect(m.handle(.evt11ReleaseRequest) == [.sendReleaseRQ])
        #expect(m.state == .sta7AwaitingReleaseRP)
        // The peer may still send data before it answers the release (AR-6).
        #expect(m.handle(.evt10PDataTFReceived) == [.indicatePData])
        #expect(m.state == .sta7AwaitingReleaseRP)
        #expect(m.handle(.evt13ReleaseRPReceived) == [.confirmRelease, .closeTransport])
        #expect(m.state == .sta1Idle && m.role == nil)
        // The close we asked for comes back as Evt17 and is ignored.
        #expect(m.handle(.evt17TransportClosed) == [])
        #expect(m.state == .sta1Idle)
    }

    @Test func requestorIsRejected() {
        var m = Machine()
        _ = m.handle(.evt1AssociateRequest)
        _ = m.handle(.evt2TransportConnectConfirm)
        #expect(m.handle(.evt4AssociateRJReceived) == [.confirmAssociateRejected, .closeTransport])
        #expect(m.state == .sta1Idle)
    }

    @Test func requestorAbortsWhileConnecting() {
        var m = Machine()
        _ = m.handle(.evt1AssociateRequest)
        #expect(m.handle(.evt15AbortRequest) == [.closeTransport])
        #expect(m.state == .sta1Idle)
        // The connect completes anyway: the unwanted connection is closed.
        #expect(m.handle(.evt2TransportConnectConfirm) == [.closeTransport])
        #expect(m.state == .sta1Idle)
    }

    @Test func acceptorAcceptsAndPeerReleases() {
        var m = Machine()
        #expect(m.handle(.evt5TransportConnectIndication) == [.issueTransportConnectResponse, .startARTIM])
        #expect(m.state == .sta2AwaitingAssociateRQ && m.role == .acceptor)
        #expect(m.handle(.evt6AssociateRQReceived) == [.stopARTIM, .indicateAssociateRequest])
        #expect(m.state == .sta3AwaitingLocalAssociateResponse)
        #expect(m.handle(.evt7AssociateResponseAccept) == [.sendAssociateAC])
        #expect(m.state == .sta6DataTransfer)
        #expect(m.handle(.evt10PDataTFReceived) == [.indicatePData])
        #expect(m.handle(.evt9PDataRequest) == [.sendPData])
        #expect(m.handle(.evt12ReleaseRQReceived) == [.indicateReleaseRequest])
        #expect(m.state == .sta8AwaitingLocalReleaseResponse)
        // Pending responses may still go out before the release response (AR-7).
        #expect(m.handle(.evt9PDataRequest) == [.sendPData])
        #expect(m.state == .sta8AwaitingLocalReleaseResponse)
        #expect(m.handle(.evt14ReleaseResponse) == [.sendReleaseRP, .startARTIM])
        #expect(m.state == .sta13AwaitingTransportClose)
        // The requestor closes the connection (AR-5).
        #expect(m.handle(.evt17TransportClosed) == [.stopARTIM])
        #expect(m.state == .sta1Idle && m.role == nil)
    }

    @Test func acceptorRejectsAndPeerCloses() {
        var m = Machine()
        _ = m.handle(.evt5TransportConnectIndication)
        _ = m.handle(.evt6AssociateRQReceived)
        #expect(m.handle(.evt8AssociateResponseReject) == [.sendAssociateRJ, .startARTIM])
        #expect(m.state == .sta13AwaitingTransportClose)
        // Late PDUs are ignored (AA-6); a new A-ASSOCIATE-RQ gets an A-ABORT (AA-7).
        #expect(m.handle(.evt10PDataTFReceived) == [])
        #expect(m.handle(.evt6AssociateRQReceived) == [.sendAbort(source: .serviceProvider, reason: .unexpectedPDU)])
        #expect(m.state == .sta13AwaitingTransportClose)
        #expect(m.handle(.evt17TransportClosed) == [.stopARTIM])
        #expect(m.state == .sta1Idle)
    }

    @Test func artimExpiresInSta13AfterReject() {
        var m = Machine()
        _ = m.handle(.evt5TransportConnectIndication)
        _ = m.handle(.evt6AssociateRQReceived)
        _ = m.handle(.evt8AssociateResponseReject)
        // The peer does not close: the acceptor closes when ARTIM expires (AA-2).
        #expect(m.handle(.evt18ARTIMExpired) == [.closeTransport])
        #expect(m.state == .sta1Idle)
        #expect(m.handle(.evt17TransportClosed) == [])
        #expect(m.state == .sta1Idle)
    }

    @Test func artimExpiresInSta2() {
        var m = Machine()
        _ = m.handle(.evt5TransportConnectIndication)
        // No A-ASSOCIATE-RQ arrives in time.
        #expect(m.handle(.evt18ARTIMExpired) == [.closeTransport])
        #expect(m.state == .sta1Idle)
    }

    @Test func peerClosesInSta2() {
        var m = Machine()
        _ = m.handle(.evt5TransportConnectIndication)
        #expect(m.handle(.evt17TransportClosed) == [.stopARTIM])
        #expect(m.state == .sta1Idle)
    }

    @Test func staleARTIMExpiryIsIgnored() {
        var m = Machine()
        _ = m.handle(.evt5TransportConnectIndication)
        _ = m.handle(.evt6AssociateRQReceived)
        #expect(m.handle(.evt18ARTIMExpired) == [])
        #expect(m.state == .sta3AwaitingLocalAssociateResponse)
    }

    @Test func peerAbortsInDataTransfer() {
        for start in [Event.evt1AssociateRequest, .evt5TransportConnectIndication] {
            var m = Self.established(by: start)
            #expect(m.handle(.evt16AbortReceived) == [.indicateAbort, .closeTransport])
            #expect(m.state == .sta1Idle)
        }
    }

    @Test func transportDropsInDataTransfer() {
        var m = Self.established(by: .evt1AssociateRequest)
        #expect(m.handle(.evt17TransportClosed) == [.indicateProviderAbort(reason: .notSpecified)])
        #expect(m.state == .sta1Idle)
    }

    @Test func localUserAborts() {
        var m = Self.established(by: .evt1AssociateRequest)
        #expect(m.handle(.evt15AbortRequest) == [.sendAbort(source: .serviceUser, reason: .notSpecified), .startARTIM])
        #expect(m.state == .sta13AwaitingTransportClose)
        // An A-ABORT request in Sta13 is a usage error: the association is already gone.
        #expect(m.handle(.evt15AbortRequest) == [.invalidLocalOperation(.evt15AbortRequest)])
        #expect(m.state == .sta13AwaitingTransportClose)
        #expect(m.handle(.evt17TransportClosed) == [.stopARTIM])
        #expect(m.state == .sta1Idle)
    }

    @Test func unexpectedAndUnrecognizedPDUsAbortTheAssociation() {
        var m = Self.established(by: .evt5TransportConnectIndication)
        #expect(m.handle(.evt3AssociateACReceived) == [
            .sendAbort(source: .serviceProvider, reason: .unexpectedPDU),
            .indicateProviderAbort(reason: .unexpectedPDU),
            .startARTIM,
        ])
        #expect(m.state == .sta13AwaitingTransportClose)

        m = Self.established(by: .evt5TransportConnectIndication)
        #expect(m.handle(.evt19InvalidPDUReceived) == [
            .sendAbort(source: .serviceProvider, reason: .unrecognizedPDU),
            .indicateProviderAbort(reason: .unrecognizedPDU),
            .startARTIM,
        ])
        #expect(m.state == .sta13AwaitingTransportClose)
        #expect(m.handle(.evt18ARTIMExpired) == [.closeTransport])
        #expect(m.state == .sta1Idle)
    }

    @Test func invalidLocalOperationsLeaveTheStateAlone() {
        var m = Machine()
        #expect(m.handle(.evt9PDataRequest) == [.invalidLocalOperation(.evt9PDataRequest)])
        #expect(m.handle(.evt11ReleaseRequest) == [.invalidLocalOperation(.evt11ReleaseRequest)])
        #expect(m.state == .sta1Idle)
        m = Self.established(by: .evt1AssociateRequest)
        #expect(m.handle(.evt1AssociateRequest) == [.invalidLocalOperation(.evt1AssociateRequest)])
        _ = m.handle(.evt11ReleaseRequest)
        #expect(m.handle(.evt9PDataRequest) == [.invalidLocalOperation(.evt9PDataRequest)])
        #expect(m.handle(.evt11ReleaseRequest) == [.invalidLocalOperation(.evt11ReleaseRequest)])
        #expect(m.state == .sta7AwaitingReleaseRP && m.role == .requestor)
    }

    @Test func releaseCollisionOnTheRequestorSide() {
        var m = Self.established(by: .evt1AssociateRequest)
        _ = m.handle(.evt11ReleaseRequest)
        #expect(m.handle(.evt12ReleaseRQReceived) == [.indicateReleaseCollision])
        #expect(m.state == .sta9CollisionRequestorAwaitingLocalReleaseResponse)
        #expect(m.handle(.evt14ReleaseResponse) == [.sendReleaseRP])
        #expect(m.state == .sta11CollisionRequestorAwaitingReleaseRP)
        #expect(m.handle(.evt13ReleaseRPReceived) == [.confirmRelease, .closeTransport])
        #expect(m.state == .sta1Idle)
    }

    @Test func releaseCollisionOnTheAcceptorSide() {
        var m = Self.established(by: .evt5TransportConnectIndication)
        _ = m.handle(.evt11ReleaseRequest)
        #expect(m.handle(.evt12ReleaseRQReceived) == [.indicateReleaseCollision])
        #expect(m.state == .sta10CollisionAcceptorAwaitingReleaseRP)
        // The acceptor may not answer before the requestor's A-RELEASE-RP.
        #expect(m.handle(.evt14ReleaseResponse) == [.invalidLocalOperation(.evt14ReleaseResponse)])
        #expect(m.handle(.evt13ReleaseRPReceived) == [.confirmRelease])
        #expect(m.state == .sta12CollisionAcceptorAwaitingLocalReleaseResponse)
        #expect(m.handle(.evt14ReleaseResponse) == [.sendReleaseRP, .startARTIM])
        #expect(m.state == .sta13AwaitingTransportClose)
        #expect(m.handle(.evt17TransportClosed) == [.stopARTIM])
        #expect(m.state == .sta1Idle)
    }

    @Test func machineIsReusableAfterIdle() {
        var m = Self.established(by: .evt1AssociateRequest)
        _ = m.handle(.evt16AbortReceived)
        #expect(m.role == nil)
        #expect(m.handle(.evt5TransportConnectIndication) == [.issueTransportConnectResponse, .startARTIM])
        #expect(m.role == .acceptor)
    }

    // MARK: - Two machines wired together

    /// A requestor and an acceptor connected by an in-memory "wire": every PDU one sends is the
    /// matching event on the other; transport close reaches the other side as Evt17.
    struct Wire {
        var scu = Machine()
        var scp = Machine()
        /// PDUs in flight, per destination, in order.
        var toSCU: [Event] = []
        var toSCP: [Event] = []
        /// Everything each side indicated to its local user.
        var scuUser: [Action] = []
        var scpUser: [Action] = []
        var connected = false

        mutating func scuDoes(_ event: Event) { run(event, onSCU: true) }
        mutating func scpDoes(_ event: Event) { run(event, onSCU: false) }

        /// Delivers one PDU in flight to the SCU or SCP.
        mutating func deliverToSCU() { run(toSCU.removeFirst(), onSCU: true) }
        mutating func deliverToSCP() { run(toSCP.removeFirst(), onSCU: false) }

        private mutating func run(_ event: Event, onSCU: Bool) {
            let actions = onSCU ? scu.handle(event) : scp.handle(event)
            for action in actions { perform(action, fromSCU: onSCU) }
        }

        private mutating func send(_ event: Event, fromSCU: Bool) {
            if fromSCU { toSCP.append(event) } else { toSCU.append(event) }
        }

        private mutating func perform(_ action: Action, fromSCU: Bool) {
            switch action {
            case .issueTransportConnect:
                connected = true
                run(.evt5TransportConnectIndication, onSCU: false)
                run(.evt2TransportConnectConfirm, onSCU: true)
            case .issueTransportConnectResponse, .startARTIM, .stopARTIM:
                break
            case .closeTransport:
                guard connected else { break }
                connected = false
                run(.evt17TransportClosed, onSCU: !fromSCU)
            case .sendAssociateRQ: send(.evt6AssociateRQReceived, fromSCU: fromSCU)
            case .sendAssociateAC: send(.evt3AssociateACReceived, fromSCU: fromSCU)
            case .sendAssociateRJ: send(.evt4AssociateRJReceived, fromSCU: fromSCU)
            case .sendPData: send(.evt10PDataTFReceived, fromSCU: fromSCU)
            case .sendReleaseRQ: send(.evt12ReleaseRQReceived, fromSCU: fromSCU)
            case .sendReleaseRP: send(.evt13ReleaseRPReceived, fromSCU: fromSCU)
            case .sendAbort: send(.evt16AbortReceived, fromSCU: fromSCU)
            default:
                if fromSCU { scuUser.append(action) } else { scpUser.append(action) }
            }
        }
    }

    @Test func wiredAssociationAndRelease() {
        var w = Wire()
        w.scuDoes(.evt1AssociateRequest)
        #expect(w.scu.state == .sta5AwaitingAssociateACOrRJ)
        #expect(w.scp.state == .sta2AwaitingAssociateRQ)
        w.deliverToSCP()
        #expect(w.scpUser == [.indicateAssociateRequest])
        w.scpDoes(.evt7AssociateResponseAccept)
        w.deliverToSCU()
        #expect(w.scuUser == [.confirmAssociateAccepted])
        #expect(w.scu.state == .sta6DataTransfer && w.scp.state == .sta6DataTransfer)
        w.scuDoes(.evt9PDataRequest)
        w.deliverToSCP()
        w.scpDoes(.evt9PDataRequest)
        w.deliverToSCU()
        w.scuDoes(.evt11ReleaseRequest)
        w.deliverToSCP()
        w.scpDoes(.evt14ReleaseResponse)
        w.deliverToSCU()
        #expect(w.scuUser == [.confirmAssociateAccepted, .indicatePData, .confirmRelease])
        #expect(w.scpUser == [.indicateAssociateRequest, .indicatePData, .indicateReleaseRequest])
        #expect(w.scu.state == .sta1Idle && w.scp.state == .sta1Idle)
        #expect(w.toSCU.isEmpty && w.toSCP.isEmpty && !w.connected)
    }

    /// PS3.8 §7.2 release collision: both sides send A-RELEASE-RQ before they see the other's.
    @Test func wiredReleaseCollision() {
        var w = Wire()
        w.scuDoes(.evt1AssociateRequest)
        w.deliverToSCP()
        w.scpDoes(.evt7AssociateResponseAccept)
        w.deliverToSCU()
        w.scuDoes(.evt11ReleaseRequest)
        w.scpDoes(.evt11ReleaseRequest)
        w.deliverToSCU()
        w.deliverToSCP()
        #expect(w.scu.state == .sta9CollisionRequestorAwaitingLocalReleaseResponse)
        #expect(w.scp.state == .sta10CollisionAcceptorAwaitingReleaseRP)
        w.scuDoes(.evt14ReleaseResponse)
        #expect(w.scu.state == .sta11CollisionRequestorAwaitingReleaseRP)
        w.deliverToSCP()
        #expect(w.scp.state == .sta12CollisionAcceptorAwaitingLocalReleaseResponse)
        w.scpDoes(.evt14ReleaseResponse)
        #expect(w.scp.state == .sta13AwaitingTransportClose)
        w.deliverToSCU()
        #expect(w.scu.state == .sta1Idle && w.scp.state == .sta1Idle)
        #expect(w.scuUser == [.confirmAssociateAccepted, .indicateReleaseCollision, .confirmRelease])
        #expect(w.scpUser == [.indicateAssociateRequest, .indicateReleaseCollision, .confirmRelease])
    }

    @Test func wiredRejection() {
        var w = Wire()
        w.scuDoes(.evt1AssociateRequest)
        w.deliverToSCP()
        w.scpDoes(.evt8AssociateResponseReject)
        #expect(w.scp.state == .sta13AwaitingTransportClose)
        w.deliverToSCU()
        #expect(w.scuUser == [.confirmAssociateRejected])
        #expect(w.scu.state == .sta1Idle && w.scp.state == .sta1Idle)
    }

    // MARK: - Helpers

    /// A machine in Sta6, as requestor (`.evt1AssociateRequest`) or acceptor
    /// (`.evt5TransportConnectIndication`).
    static func established(by start: Event) -> Machine {
        var m = Machine()
        if start == .evt1AssociateRequest {
            _ = m.handle(.evt1AssociateRequest)
            _ = m.handle(.evt2TransportConnectConfirm)
            _ = m.handle(.evt3AssociateACReceived)
        } else {
            _ = m.handle(.evt5TransportConnectIndication)
            _ = m.handle(.evt6AssociateRQReceived)
            _ = m.handle(.evt7AssociateResponseAccept)
        }
        precondition(m.state == .sta6DataTransfer)
        return m
    }
}
