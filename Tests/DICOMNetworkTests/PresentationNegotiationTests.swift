import NIOCore
import Testing
@testable import DICOMNetwork

/// What the acceptor answers in its A-ASSOCIATE-AC beyond the presentation contexts.
@Suite struct PresentationNegotiationTests {
    static let ct = "1.2.840.10008.5.1.4.1.1.2"
    static let mr = "1.2.840.10008.5.1.4.1.1.4"
    static let explicitLE = "1.2.840.10008.1.2.1"
    static let implicitLE = "1.2.840.10008.1.2"

    static func request(contexts: [AssociateRQ.PresentationContext],
                        extended: [UserInformation.SOPClassExtendedNegotiation]) -> AssociateRQ {
        AssociateRQ(calledAETitle: "SWIFTPACS", callingAETitle: "SCU", presentationContexts: contexts,
                    userInformation: UserInformation(maximumLength: 16384, implementationClassUID: "1.2.3",
                                                     sopClassExtendedNegotiations: extended))
    }

    /// PS3.4 B.3.1: a storage SOP class proposed with extended negotiation and accepted gets the
    /// six bytes of a level 2 SCP, signature level 2, no coercion; once, however often proposed.
    /// A storage class that was not accepted, or a class that is not a storage class, gets none.
    @Test func storageExtendedNegotiationIsAnsweredForAcceptedStorageClassesOnly() {
        let negotiation = PresentationNegotiation(abstractSyntaxes: PresentationNegotiation.verificationAndStorage,
                                                  transferSyntaxPatterns: [Self.explicitLE], maximumPDULength: 131072)
        let rq = Self.request(
            contexts: [
                .init(id: 1, abstractSyntax: Self.ct, transferSyntaxes: [Self.explicitLE]),
                .init(id: 3, abstractSyntax: Self.mr, transferSyntaxes: [Self.implicitLE]),  // refused: syntax
                .init(id: 5, abstractSyntax: PresentationNegotiation.verificationSOPClassUID, transferSyntaxes: [Self.implicitLE]),
            ],
            extended: [
                .init(sopClassUID: Self.ct, serviceClassApplicationInformation: [3, 0, 0, 0, 2, 0]),
                .init(sopClassUID: Self.ct, serviceClassApplicationInformation: [3, 0, 0, 0, 2, 0]),
                .init(sopClassUID: Self.mr, serviceClassApplicationInformation: [3, 0, 0, 0, 2, 0]),
                .init(sopClassUID: PresentationNegotiation.verificationSOPClassUID, serviceClassApplicationInformation: [1]),
            ])
        let ac = negotiation.accept(rq)
        #expect(ac.presentationContexts.map(\.result) == [.acceptance, .transferSyntaxesNotSupported, .acceptance])
        #expect(ac.userInformation.sopClassExtendedNegotiations
                == [.init(sopClassUID: Self.ct, serviceClassApplicationInformation: [2, 0, 2, 0, 0, 0])])
        // And it survives the PDU codec: the AC's bytes carry the sub-item.
        guard var bytes = try? PDUEncoder().encode(.associateAC(ac)),
              case .associateAC(let back)?? = try? PDUDecoder(maximumPDataLength: 16384).decodePDU(from: &bytes) else {
            Issue.record("the AC does not round-trip through the PDU codec")
            return
        }
        #expect(back.userInformation.sopClassExtendedNegotiations == ac.userInformation.sopClassExtendedNegotiations)
    }

    @Test func noExtendedNegotiationProposedNoneAnswered() {
        let negotiation = PresentationNegotiation(abstractSyntaxes: PresentationNegotiation.verificationAndStorage,
                                                  transferSyntaxPatterns: [Self.explicitLE], maximumPDULength: 131072)
        let ac = negotiation.accept(Self.request(contexts: [.init(id: 1, abstractSyntax: Self.ct, transferSyntaxes: [Self.explicitLE])],
                                                 extended: []))
        #expect(ac.userInformation.sopClassExtendedNegotiations.isEmpty)
    }
}
