import DICOM

/// The acceptor's side of presentation-context negotiation (PS3.8 §7.1.1.13, PS3.7 Annex D.3.3).
///
/// Each proposed context is accepted when its abstract syntax is one we serve and one of its
/// transfer syntaxes is accepted. The choice among several accepted transfer syntaxes is the
/// requestor's order of proposal: the first one we accept wins. That is deterministic, honours
/// the SCU's preference (dcmtk and pynetdicom list the preferred syntax first), and stores
/// compressed objects as they were sent, never transcoded.
public struct PresentationNegotiation: Sendable {
    /// Abstract syntaxes served (SOP class UIDs).
    public var abstractSyntaxes: Set<String>
    /// Accept any abstract syntax for storage (Orthanc's `UnknownSopClassAccepted`).
    public var acceptUnknownAbstractSyntaxes = false
    /// Transfer syntax UID patterns with `*` and `?` (Orthanc's `AcceptedTransferSyntaxes`).
    public var transferSyntaxPatterns: [String]
    /// Our maximum P-DATA-TF PDU length, announced in the A-ASSOCIATE-AC.
    public var maximumPDULength: UInt32
    /// SOP classes for which we take the SCP role when the requestor proposes it (C-GET storage).
    public var scpRoleSOPClasses: Set<String> = []

    public init(abstractSyntaxes: Set<String>, transferSyntaxPatterns: [String], maximumPDULength: UInt32) {
        self.abstractSyntaxes = abstractSyntaxes
        self.transferSyntaxPatterns = transferSyntaxPatterns
        self.maximumPDULength = maximumPDULength
    }

    /// Verification and every storage SOP class of the dictionary.
    public static var verificationAndStorage: Set<String> {
        storageSOPClassUIDs.union([verificationSOPClassUID])
    }

    /// Every storage SOP class of the dictionary.
    public static let storageSOPClassUIDs = Set(UIDDictionary.storageSOPClasses.map(\.uid))

    /// Our answer to a storage SOP class extended negotiation (PS3.4 B.3.1, the six bytes of
    /// Table B.3-2): a level 2 (full) storage SCP, since every attribute is kept with the file
    /// stored as received; digital signature level 2, since storage is bit-preserving (signatures
    /// are kept, not validated); no data element coerced.
    public static let storageApplicationInformation: [UInt8] = [2, 0, 2, 0, 0, 0]

    public static let verificationSOPClassUID = "1.2.840.10008.1.1"
    public static let applicationContextName = "1.2.840.10008.3.1.1.1"

    /// A transfer syntax this implementation can read a data set in: the native ones, Deflated,
    /// and the registered encapsulated ones (their data sets are Explicit VR Little Endian; the
    /// pixel data is stored as sent).
    public static func canRead(_ uid: String) -> Bool {
        if [TransferSyntax.implicitVRLittleEndian, .explicitVRLittleEndian, .explicitVRBigEndian,
            .deflatedExplicitVRLittleEndian].contains(where: { $0.uid == uid }) { return true }
        return UIDDictionary.entry(for: uid)?.type == "Transfer Syntax"
    }

    public func accepts(transferSyntax uid: String) -> Bool {
        Self.canRead(uid) && transferSyntaxPatterns.contains { Self.wildcardMatch(uid, $0) }
    }

    /// The outcome for one proposed context.
    public func negotiate(_ proposed: AssociateRQ.PresentationContext) -> AssociateAC.PresentationContext {
        let known = abstractSyntaxes.contains(proposed.abstractSyntax)
        guard known || acceptUnknownAbstractSyntaxes else {
            return .init(id: proposed.id, result: .abstractSyntaxNotSupported, transferSyntax: nil)
        }
        // Verification needs no data set: any syntax we can read will do.
        let isVerification = proposed.abstractSyntax == Self.verificationSOPClassUID
        guard let chosen = proposed.transferSyntaxes.first(where: { isVerification ? Self.canRead($0) : accepts(transferSyntax: $0) }) else {
            return .init(id: proposed.id, result: .transferSyntaxesNotSupported, transferSyntax: nil)
        }
        return .init(id: proposed.id, result: .acceptance, transferSyntax: chosen)
    }

    /// The A-ASSOCIATE-AC for a request we accept.
    public func accept(_ rq: AssociateRQ) -> AssociateAC {
        let contexts = rq.presentationContexts.map(negotiate)
        let acceptedClasses = Set(zip(rq.presentationContexts, contexts).filter { $0.1.result == .acceptance }.map { $0.0.abstractSyntax })
        // Role selection (PS3.7 D.3.3.4): we always let the requestor be SCU; we take the SCP role
        // only where we serve it.
        let roles = rq.userInformation.roleSelections.filter { acceptedClasses.contains($0.sopClassUID) }.map {
            UserInformation.RoleSelection(sopClassUID: $0.sopClassUID, scuRole: $0.scuRole,
                                          scpRole: $0.scpRole && scpRoleSOPClasses.contains($0.sopClassUID))
        }
        // User identity (PS3.7 D.3.3.7): accepted without checking; a positive response when asked.
        var identity: UserInformation.UserIdentityAC? = nil
        if let requested = rq.userInformation.userIdentityRQ, requested.positiveResponseRequested {
            identity = UserInformation.UserIdentityAC(serverResponse: [])
        }
        // SOP class extended negotiation (PS3.7 D.3.3.5): answered, once per SOP class, for the
        // storage SOP classes accepted on this association; other proposals are left unanswered,
        // which tells the requestor the acceptor does not support them.
        var answered = Set<String>()
        let extended = rq.userInformation.sopClassExtendedNegotiations.filter {
            acceptedClasses.contains($0.sopClassUID) && Self.storageSOPClassUIDs.contains($0.sopClassUID)
                && answered.insert($0.sopClassUID).inserted
        }.map {
            UserInformation.SOPClassExtendedNegotiation(sopClassUID: $0.sopClassUID,
                                                        serviceClassApplicationInformation: Self.storageApplicationInformation)
        }
        let info = UserInformation(maximumLength: maximumPDULength,
                                   implementationClassUID: DICOMImplementation.classUID,
                                   implementationVersionName: DICOMImplementation.versionName,
                                   roleSelections: roles, sopClassExtendedNegotiations: extended,
                                   userIdentityAC: identity)
        return AssociateAC(protocolVersion: 1, calledAETitle: rq.calledAETitle, callingAETitle: rq.callingAETitle,
                           applicationContextName: Self.applicationContextName, presentationContexts: contexts,
                           userInformation: info)
    }

    /// `*` any run, `?` any one character (Orthanc's AcceptedTransferSyntaxes patterns).
    public static func wildcardMatch(_ text: String, _ pattern: String) -> Bool {
        let t = Array(text.utf8), p = Array(pattern.utf8)
        var ti = 0, pi = 0, star = -1, mark = 0
        while ti < t.count {
            if pi < p.count, p[pi] == 0x3F || p[pi] == t[ti] { ti += 1; pi += 1 }
            else if pi < p.count, p[pi] == 0x2A { star = pi; mark = ti; pi += 1 }
            else if star >= 0 { pi = star + 1; mark += 1; ti = mark }
            else { return false }
        }
        while pi < p.count, p[pi] == 0x2A { pi += 1 }
        return pi == p.count
    }
}
