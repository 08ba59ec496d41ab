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
    public enum Reason: Sendable, Equatable {
        case noReasonGiven
        case applicationContextNameNotSupported
        case callingAETitleNotRecognized
        case calledAETitleNotRecognized
        case protocolVersionNotSupported
        case temporaryCongestion
        case localLimitExceeded
    }

    public var reason: Reason
    /// Permanent (1) or transient (2).
    public var isPermanent: Bool
    public var explanation: String

    public init(_ reason: Reason, permanent: Bool = true, explanation: String) {
        self.reason = reason
        isPermanent = permanent
        self.explanation = explanation
    }

    /// A-ASSOCIATE-RJ source and reason/diag fields.
    public var source: UInt8 {
        switch reason {
        case .noReasonGiven, .applicationContextNameNotSupported, .callingAETitleNotRecognized,
             .calledAETitleNotRecognized: 1  // DICOM UL service-user
        case .protocolVersionNotSupported: 2  // DICOM UL service-provider (ACSE)
        case .temporaryCongestion, .localLimitExceeded: 3  // DICOM UL service-provider (presentation)
        }
    }

    public var reasonCode: UInt8 {
        switch reason {
        case .noReasonGiven: 1
        case .applicationContextNameNotSupported: 2
        case .callingAETitleNotRecognized: 3
        case .calledAETitleNotRecognized: 7
        case .protocolVersionNotSupported: 2
        case .temporaryCongestion: 1
        case .localLimitExceeded: 2
        }
    }

    public var description: String { explanation }
}
