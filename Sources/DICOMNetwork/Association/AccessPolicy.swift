/// Who may associate and what they may do: the SCP asks its policy before accepting an
/// association and before running each command. The server's modality whitelist implements it.
public protocol AccessPolicy: Sendable {
    /// Nil to accept; otherwise the A-ASSOCIATE-RJ to send and a reason for the trace and log.
    func evaluate(_ peer: AssociationPeer) -> AssociationRefusal?
    /// Whether `peer` may run `service` on an accepted association.
    func allows(_ service: DIMSEService, from peer: AssociationPeer) -> Bool
}

/// What is known about the peer when it asks to associate.
public struct AssociationPeer: Sendable, Hashable {
    public var callingAETitle: String
    public var calledAETitle: String
    /// Numeric IP address of the peer.
    public var address: String
    public var port: Int

    public init(callingAETitle: String, calledAETitle: String, address: String, port: Int) {
        self.callingAETitle = callingAETitle
        self.calledAETitle = calledAETitle
        self.address = address
        self.port = port
    }
}

/// The DIMSE-C services a policy rules on.
public enum DIMSEService: String, Sendable, CaseIterable, Codable {
    case echo = "C-ECHO", store = "C-STORE", find = "C-FIND", move = "C-MOVE", get = "C-GET"
}

/// A refusal: the standard's A-ASSOCIATE-RJ result/source/reason (PS3.8 Table 9-21) plus a
/// sentence for people debugging their client.
public struct AssociationRefusal: Sendable, Equatable, Error, CustomStringConvertible {
    /// The A-ASSOCIATE-RJ source and reason (one value: PS3.8 defines each reason for one source).
    public var reason: AssociateRJ.Reason
    /// Permanent (1) or transient (2).
    public var isPermanent: Bool
    public var explanation: String

    public init(_ reason: AssociateRJ.Reason, permanent: Bool = true, explanation: String) {
        self.reason = reason
        isPermanent = permanent
        self.explanation = explanation
    }

    /// The A-ASSOCIATE-RJ PDU that carries this refusal.
    public var pdu: AssociateRJ {
        AssociateRJ(result: isPermanent ? .rejectedPermanent : .rejectedTransient, reason: reason)
    }

    public var description: String { explanation }
}
