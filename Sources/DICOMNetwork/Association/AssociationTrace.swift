import Foundation

/// Everything about one association, for people debugging their DICOM client: who connected,
/// what they proposed, what we accepted and why, every operation with its status and duration,
/// and how it ended. The SCP fills one per association and hands it to its `AssociationObserver`.
public struct AssociationTrace: Sendable, Codable {
    public var id: Int
    public var peerAddress: String
    public var peerPort: Int
    public var callingAETitle: String = ""
    public var calledAETitle: String = ""
    public var peerImplementationClassUID: String?
    public var peerImplementationVersionName: String?
    public var startedAt: Date
    public var endedAt: Date?
    /// Max PDU length the peer will receive (what we may send) and the one we announced.
    public var peerMaximumPDULength: UInt32?
    public var ourMaximumPDULength: UInt32?
    public var proposedContexts: [ProposedContext] = []
    public var acceptedContexts: [NegotiatedContext] = []
    public var roleSelections: [String] = []
    /// SOP class extended negotiation: what the peer proposed per SOP class, and our answer.
    public var extendedNegotiations: [String] = []
    public var userIdentity: String?
    public var asynchronousOperationsWindow: String?
    public var outcome: Outcome = .inProgress
    /// The reason for a rejection or abort, in words.
    public var reason: String?
    public var operations: [Operation] = []

    public init(id: Int, peerAddress: String, peerPort: Int, startedAt: Date = Date()) {
        self.id = id
        self.peerAddress = peerAddress
        self.peerPort = peerPort
        self.startedAt = startedAt
    }

    public enum Outcome: String, Sendable, Codable {
        case inProgress = "in progress"
        case rejected
        case released
        case abortedByPeer = "aborted by peer"
        case abortedByUs = "aborted by SwiftPACS"
        case connectionClosed = "connection closed"
    }

    public struct ProposedContext: Sendable, Codable {
        public var id: UInt8
        public var abstractSyntax: String
        public var abstractSyntaxName: String?
        public var transferSyntaxes: [String]
    }

    public struct NegotiatedContext: Sendable, Codable {
        public var id: UInt8
        public var abstractSyntax: String
        public var result: String
        public var transferSyntax: String?
    }

    public struct Operation: Sendable, Codable {
        public var service: String
        public var messageID: UInt16
        public var affectedSOPClassUID: String?
        public var affectedSOPInstanceUID: String?
        public var status: UInt16
        public var statusDescription: String
        public var errorComment: String?
        public var durationMilliseconds: Double
        public var bytes: Int?
    }

    /// One line for the log.
    public var summary: String {
        var s = "association #\(id) \(callingAETitle)@\(peerAddress):\(peerPort) → \(calledAETitle): \(outcome.rawValue)"
        if let reason { s += " (\(reason))" }
        s += ", \(operations.count) operation(s)"
        return s
    }
}

/// Receives traces: when an association ends (and when its state changes, for live views).
public protocol AssociationObserver: Sendable {
    func associationEnded(_ trace: AssociationTrace)
}
