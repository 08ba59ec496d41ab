/// Why an association requested by ``AssociationRequestor`` (or an operation on it) failed, in
/// words a person debugging the link can act on.
public enum SCUError: Error, Sendable, Hashable, CustomStringConvertible {
    /// No TCP connection: refused, unreachable, unknown host. The text says which and where.
    case connectionFailed(String)
    /// The peer did not answer (or did not read what we sent) within the timeout; the
    /// association has been aborted. The text says what we were waiting for.
    case timeout(String)
    /// The peer answered the A-ASSOCIATE-RQ with an A-ASSOCIATE-RJ (PS3.8 §9.3.4).
    case rejected(result: AssociateRJ.Result, source: AssociateRJ.Source, reason: AssociateRJ.Reason)
    /// The peer sent an A-ABORT (PS3.8 §9.3.8).
    case aborted(source: Abort.Source, reason: Abort.Reason)
    /// The peer broke the protocol (an invalid or unexpected PDU, a malformed DIMSE message);
    /// the association has been aborted.
    case protocolError(String)
    /// The transport connection closed under the association.
    case connectionClosed(String)
    /// None of the accepted presentation contexts can carry the request (the SOP class, or the
    /// file's transfer syntax, was not accepted). The association is still usable.
    case noPresentationContext(String)
    /// A file that cannot be sent: unreadable, not DICOM, without SOP class or instance UID, or
    /// not convertible to an accepted transfer syntax.
    case invalidFile(path: String, reason: String)
    /// The association is no longer established (released, aborted, closed).
    case notEstablished(String)
    /// A parameter that cannot go into an A-ASSOCIATE-RQ (an AE title over 16 characters, no
    /// presentation contexts, ...).
    case invalidParameter(String)

    /// True when the error leaves the association established: another operation may follow.
    public var leavesAssociationUsable: Bool {
        switch self {
        case .noPresentationContext, .invalidFile: true
        default: false
        }
    }

    public var description: String {
        switch self {
        case .connectionFailed(let text): text
        case .timeout(let text): text
        case let .rejected(result, source, reason):
            "association rejected by the peer (A-ASSOCIATE-RJ: \(result.text), source: \(source.text), reason: \(reason))"
        case let .aborted(source, reason):
            source == .serviceProvider
                ? "the peer aborted the association (A-ABORT, source: DICOM UL service-provider, reason: \(reason))"
                : "the peer aborted the association (A-ABORT, source: \(source == .serviceUser ? "DICOM UL service-user" : "reserved"))"
        case .protocolError(let text): text
        case .connectionClosed(let text): text
        case .noPresentationContext(let text): text
        case let .invalidFile(path, reason): "cannot send \(path): \(reason)"
        case .notEstablished(let text): text
        case .invalidParameter(let text): text
        }
    }
}

extension AssociateRJ.Result {
    /// PS3.8 Table 9-21's words.
    fileprivate var text: String {
        switch self {
        case .rejectedPermanent: "rejected-permanent"
        case .rejectedTransient: "rejected-transient"
        }
    }
}

extension AssociateRJ.Source {
    /// PS3.8 Table 9-21's words.
    fileprivate var text: String {
        switch self {
        case .serviceUser: "DICOM UL service-user"
        case .serviceProviderACSE: "DICOM UL service-provider (ACSE related function)"
        case .serviceProviderPresentation: "DICOM UL service-provider (presentation related function)"
        }
    }
}
