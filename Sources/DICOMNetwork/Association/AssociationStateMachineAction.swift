extension AssociationStateMachine {

    /// What the driver must do after ``AssociationStateMachine/handle(_:)``: I/O on the
    /// transport, the ARTIM timer, and indications or confirmations to the local user.
    ///
    /// The PDU or primitive an action refers to is the one the driver holds: the primitive the
    /// local user passed with the event (``sendAssociateRQ`` sends the A-ASSOCIATE request's
    /// parameters), or the PDU that raised it (``indicatePData`` hands on the P-DATA-TF PDU).
    public enum Action: Sendable, Hashable {

        // MARK: Transport

        /// AE-1: issue a TRANSPORT CONNECT request to the local transport service.
        case issueTransportConnect
        /// AE-5: issue the transport connection response primitive. With a listening socket the
        /// connection is already accepted, so a TCP driver has nothing to do here.
        case issueTransportConnectResponse
        /// Close the transport connection (AE-4, AR-3, AA-2, AA-3).
        case closeTransport

        // MARK: ARTIM timer

        /// Start the ARTIM timer, or restart it if it runs (AE-5, AE-8, AR-4, AA-1, AA-8).
        case startARTIM
        /// Stop the ARTIM timer (AE-6, AR-5, AA-2, AA-5).
        case stopARTIM

        // MARK: PDUs to send

        /// AE-2: send the A-ASSOCIATE-RQ PDU built from the local A-ASSOCIATE request.
        case sendAssociateRQ
        /// AE-7: send the A-ASSOCIATE-AC PDU built from the local A-ASSOCIATE response (accept).
        case sendAssociateAC
        /// AE-8: send the A-ASSOCIATE-RJ PDU built from the local A-ASSOCIATE response (reject).
        case sendAssociateRJ
        /// DT-1, AR-7: send a P-DATA-TF PDU built from the local P-DATA request.
        case sendPData
        /// AR-1: send an A-RELEASE-RQ PDU.
        case sendReleaseRQ
        /// AR-4, AR-9: send an A-RELEASE-RP PDU.
        case sendReleaseRP
        /// AA-1 (service-user source, reason not significant, sent as 0), AA-7 and AA-8
        /// (service-provider source with unexpected-PDU or unrecognized-PDU reason): send an
        /// A-ABORT PDU.
        case sendAbort(source: Abort.Source, reason: Abort.Reason)

        // MARK: To the local user

        /// AE-6: A-ASSOCIATE indication: the acceptor received an A-ASSOCIATE-RQ PDU and must
        /// answer with Evt7 (accept) or Evt8 (reject). A request the service-provider itself
        /// cannot accept (AE-6's other branch, e.g. an unsupported protocol version) is
        /// answered the same way, with Evt8 and an A-ASSOCIATE-RJ with service-provider source:
        /// AE-8 then sends it and starts ARTIM, which is what AE-6 prescribes.
        case indicateAssociateRequest
        /// AE-3: A-ASSOCIATE confirmation (accept).
        case confirmAssociateAccepted
        /// AE-4: A-ASSOCIATE confirmation (reject); followed by ``closeTransport``.
        case confirmAssociateRejected
        /// DT-2, AR-6: P-DATA indication with the received P-DATA-TF PDU.
        case indicatePData
        /// AR-2: A-RELEASE indication; the local user answers with Evt14 (A-RELEASE response),
        /// after sending any P-DATA it still has (Evt9 is valid in Sta8).
        case indicateReleaseRequest
        /// AR-8: A-RELEASE indication during a release collision (both sides sent A-RELEASE-RQ).
        /// The requestor (now Sta9) answers with Evt14 at once; the acceptor (now Sta10) must
        /// wait for ``confirmRelease`` (AR-10, Sta12) before it answers with Evt14.
        case indicateReleaseCollision
        /// AR-3, AR-10: A-RELEASE confirmation. After AR-3 the association is released and
        /// ``closeTransport`` follows.
        case confirmRelease
        /// AA-3: the peer sent an A-ABORT PDU. The driver issues an A-ABORT indication, or an
        /// A-P-ABORT indication if the PDU's source is the service-provider (source 2); it holds
        /// the PDU, so it knows which. Followed by ``closeTransport``.
        case indicateAbort
        /// AA-4 (transport closed under the association, reason not specified) and AA-8
        /// (this provider aborted, same reason as in the A-ABORT PDU it sends): A-P-ABORT
        /// indication.
        case indicateProviderAbort(reason: Abort.Reason)

        // MARK: Usage error

        /// The local user (or the driver, for Evt2 and Evt5) issued a primitive that is not
        /// valid in the current state (an empty cell of PS3.8 Table 9-10). The state has not
        /// changed; the driver fails the request.
        case invalidLocalOperation(Event)
    }
}
