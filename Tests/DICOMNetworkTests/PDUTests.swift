import NIOCore
import NIOEmbedded
import Testing
import TestSupport
import DICOMNetwork

// MARK: - Fixtures and what they decode to

struct FixtureCase: Sendable, CustomTestStringConvertible {
    var name: String
    var bytes: [UInt8]
    var pdu: PDU
    /// Offsets where the captured bytes differ from what the encoder writes (reserved fields),
    /// with the byte the encoder writes.
    var reservedRewrites: [Int: UInt8] = [:]

    var testDescription: String { name }

    /// The bytes the encoder produces for `pdu`.
    var encoded: [UInt8] {
        var bytes = bytes
        for (offset, byte) in reservedRewrites { bytes[offset] = byte }
        return bytes
    }
}

private let verification = "1.2.840.10008.1.1"
private let ctImageStorage = "1.2.840.10008.5.1.4.1.1.2"
private let implicitLittle = "1.2.840.10008.1.2"
private let explicitLittle = "1.2.840.10008.1.2.1"
private let pynetdicomClassUID = "1.2.826.0.1.3680043.9.3811.3.0.4"

private let dcmtkUserInformation = UserInformation(
    maximumLength: 16384,
    implementationClassUID: "1.2.276.0.7230010.3.0.3.6.7",
    implementationVersionName: "OFFIS_DCMTK_367"
)

private func commandData(_ bytes: [UInt8]) -> ByteBuffer {
    // The PDV's data: after the 6-byte PDU header and the 6-byte PDV item header.
    ByteBuffer(bytes: bytes[12...])
}

let fixtureCases: [FixtureCase] = [
    FixtureCase(
        name: "dcmtk echoscu A-ASSOCIATE-RQ",
        bytes: PDUFixtures.echoscuAssociateRQ,
        pdu: .associateRQ(AssociateRQ(
            calledAETitle: "ANY-SCP",
            callingAETitle: "ECHOSCU",
            presentationContexts: [.init(id: 1, abstractSyntax: verification, transferSyntaxes: [implicitLittle])],
            userInformation: dcmtkUserInformation
        )),
        reservedRewrites: [105: 0x00]
    ),
    FixtureCase(
        name: "dcmtk storescp A-ASSOCIATE-AC",
        bytes: PDUFixtures.storescpAssociateAC,
        pdu: .associateAC(AssociateAC(
            calledAETitle: "ANY-SCP",
            callingAETitle: "ECHOSCU",
            presentationContexts: [.init(id: 1, result: .acceptance, transferSyntax: implicitLittle)],
            userInformation: dcmtkUserInformation
        ))
    ),
    FixtureCase(
        name: "dcmtk echoscu C-ECHO-RQ P-DATA-TF",
        bytes: PDUFixtures.echoscuCEchoRQ,
        pdu: .pData([PresentationDataValue(
            presentationContextID: 1, isCommand: true, isLast: true, data: commandData(PDUFixtures.echoscuCEchoRQ)
        )])
    ),
    FixtureCase(
        name: "dcmtk storescp C-ECHO-RSP P-DATA-TF",
        bytes: PDUFixtures.storescpCEchoRSP,
        pdu: .pData([PresentationDataValue(
            presentationContextID: 1, isCommand: true, isLast: true, data: commandData(PDUFixtures.storescpCEchoRSP)
        )])
    ),
    FixtureCase(name: "dcmtk A-RELEASE-RQ", bytes: PDUFixtures.echoscuReleaseRQ, pdu: .releaseRQ),
    FixtureCase(name: "dcmtk A-RELEASE-RP", bytes: PDUFixtures.storescpReleaseRP, pdu: .releaseRP),
    FixtureCase(
        name: "pynetdicom A-ASSOCIATE-RQ with extended negotiation",
        bytes: PDUFixtures.pynetdicomAssociateRQExtended,
        pdu: .associateRQ(AssociateRQ(
            calledAETitle: "PYSCP",
            callingAETitle: "PYSCU",
            presentationContexts: [
                .init(id: 1, abstractSyntax: verification, transferSyntaxes: [
                    implicitLittle, explicitLittle, "1.2.840.10008.1.2.1.99", "1.2.840.10008.1.2.2",
                ]),
                .init(id: 3, abstractSyntax: ctImageStorage, transferSyntaxes: [explicitLittle, implicitLittle]),
                .init(id: 5, abstractSyntax: "1.2.840.10008.5.1.4.1.1.4", transferSyntaxes: [implicitLittle]),
                .init(id: 7, abstractSyntax: "1.2.840.10008.5.1.4.1.1.7", transferSyntaxes: ["1.2.840.10008.1.2.4.50"]),
            ],
            userInformation: UserInformation(subItems: [
                .maximumLength(16382),
                .implementationClassUID(pynetdicomClassUID),
                .implementationVersionName("PYNETDICOM_304"),
                .roleSelection(.init(sopClassUID: ctImageStorage, scuRole: true, scpRole: true)),
                .asynchronousOperationsWindow(.init(maximumOperationsInvoked: 5, maximumOperationsPerformed: 4)),
                .userIdentityRQ(.init(
                    identityType: .usernameAndPasscode, positiveResponseRequested: true,
                    primaryField: Array("alice".utf8), secondaryField: Array("s3cret".utf8)
                )),
                .sopClassExtendedNegotiation(.init(sopClassUID: ctImageStorage, serviceClassApplicationInformation: [1, 1])),
                .sopClassCommonExtendedNegotiation(.init(
                    sopClassUID: ctImageStorage, serviceClassUID: "1.2.840.10008.4.2",
                    relatedGeneralSOPClassUIDs: ["1.2.840.10008.5.1.4.1.1.2.1"]
                )),
            ])
        ))
    ),
    FixtureCase(
        name: "pynetdicom A-ASSOCIATE-AC with rejections and extended negotiation",
        bytes: PDUFixtures.pynetdicomAssociateACExtended,
        pdu: .associateAC(AssociateAC(
            calledAETitle: "PYSCP",
            callingAETitle: "PYSCU",
            presentationContexts: [
                .init(id: 1, result: .acceptance, transferSyntax: implicitLittle),
                .init(id: 3, result: .acceptance, transferSyntax: explicitLittle),
                .init(id: 5, result: .abstractSyntaxNotSupported, transferSyntax: implicitLittle),
                .init(id: 7, result: .transferSyntaxesNotSupported, transferSyntax: "1.2.840.10008.1.2.4.50"),
            ],
            userInformation: UserInformation(subItems: [
                .maximumLength(16382),
                .implementationClassUID(pynetdicomClassUID),
                .implementationVersionName("PYNETDICOM_304"),
                .roleSelection(.init(sopClassUID: ctImageStorage, scuRole: true, scpRole: true)),
                .asynchronousOperationsWindow(.init(maximumOperationsInvoked: 1, maximumOperationsPerformed: 1)),
                .sopClassExtendedNegotiation(.init(sopClassUID: ctImageStorage, serviceClassApplicationInformation: [1, 0])),
            ])
        ))
    ),
    FixtureCase(
        name: "pynetdicom A-ABORT",
        bytes: PDUFixtures.pynetdicomAbort,
        pdu: .abort(Abort(source: .serviceUser, reason: .notSpecified))
    ),
    FixtureCase(
        name: "pynetdicom A-ASSOCIATE-RQ with a JSON web token",
        bytes: PDUFixtures.pynetdicomAssociateRQJWT,
        pdu: .associateRQ(AssociateRQ(
            calledAETitle: "PYSCP",
            callingAETitle: "PYSCU",
            presentationContexts: [.init(id: 1, abstractSyntax: verification, transferSyntaxes: [implicitLittle])],
            userInformation: UserInformation(subItems: [
                .maximumLength(16382),
                .implementationClassUID(pynetdicomClassUID),
                .implementationVersionName("PYNETDICOM_304"),
                .userIdentityRQ(.init(
                    identityType: .jsonWebToken, positiveResponseRequested: true,
                    primaryField: Array("eyJhbGciOiJub25lIn0.e30.".utf8)
                )),
            ])
        ))
    ),
    FixtureCase(
        name: "pynetdicom A-ASSOCIATE-AC with a user identity server response",
        bytes: PDUFixtures.pynetdicomAssociateACJWT,
        pdu: .associateAC(AssociateAC(
            calledAETitle: "PYSCP",
            callingAETitle: "PYSCU",
            presentationContexts: [.init(id: 1, result: .acceptance, transferSyntax: implicitLittle)],
            userInformation: UserInformation(subItems: [
                .maximumLength(16382),
                .implementationClassUID(pynetdicomClassUID),
                .implementationVersionName("PYNETDICOM_304"),
                .userIdentityAC(.init(serverResponse: Array("ok-token".utf8))),
            ])
        ))
    ),
    FixtureCase(
        name: "pynetdicom A-ASSOCIATE-RJ called AE title not recognized",
        bytes: PDUFixtures.pynetdicomAssociateRJCalledAETitle,
        pdu: .associateRJ(AssociateRJ(result: .rejectedPermanent, reason: .calledAETitleNotRecognized))
    ),
    FixtureCase(
        name: "dcmtk storescp --refuse A-ASSOCIATE-RJ",
        bytes: PDUFixtures.storescpAssociateRJRefused,
        pdu: .associateRJ(AssociateRJ(result: .rejectedPermanent, reason: .noReasonGiven))
    ),
    FixtureCase(
        name: "constructed provider A-ABORT",
        bytes: PDUFixtures.providerAbort,
        pdu: .abort(Abort(source: .serviceProvider, reason: .invalidPDUParameterValue))
    ),
    FixtureCase(
        name: "constructed transient A-ASSOCIATE-RJ",
        bytes: PDUFixtures.associateRJTransientCongestion,
        pdu: .associateRJ(AssociateRJ(result: .rejectedTransient, reason: .temporaryCongestion))
    ),
    FixtureCase(
        name: "constructed P-DATA-TF with two PDVs",
        bytes: PDUFixtures.pDataTwoValues,
        pdu: .pData([
            PresentationDataValue(presentationContextID: 3, isCommand: false, isLast: false, data: ByteBuffer(bytes: [0x08, 0x00, 0x16, 0x00])),
            PresentationDataValue(presentationContextID: 3, isCommand: false, isLast: true, data: ByteBuffer(bytes: [0x55, 0x49])),
        ])
    ),
    FixtureCase(
        name: "constructed A-ASSOCIATE-RQ with unknown items",
        bytes: PDUFixtures.associateRQUnknownItems,
        pdu: .associateRQ(AssociateRQ(
            calledAETitle: "SWIFTPACS",
            callingAETitle: "SCU",
            presentationContexts: [.init(id: 1, abstractSyntax: verification, transferSyntaxes: [implicitLittle])],
            userInformation: UserInformation(subItems: [
                .maximumLength(0),
                .implementationClassUID("1.2.3.4"),
                .unknown(RawPDUItem(itemType: 0x5F, value: Array("abc".utf8))),
            ]),
            unknownItems: [RawPDUItem(itemType: 0x60, value: [1, 2])]
        ))
    ),
    FixtureCase(
        name: "constructed A-ASSOCIATE-AC rejected without transfer syntax",
        bytes: PDUFixtures.associateACRejectedWithoutTransferSyntax,
        pdu: .associateAC(AssociateAC(
            calledAETitle: "SWIFTPACS",
            callingAETitle: "SCU",
            presentationContexts: [.init(id: 1, result: .noReason, transferSyntax: nil)],
            userInformation: UserInformation(maximumLength: 0, implementationClassUID: "1.2.3.4")
        ))
    ),
]

// MARK: - Helpers

private func decode(_ bytes: [UInt8], maximumPDataLength: UInt32 = 16384) throws(PDUDecodingError) -> PDU? {
    var buffer = ByteBuffer(bytes: bytes)
    return try PDUDecoder(maximumPDataLength: maximumPDataLength).decodePDU(from: &buffer)
}

private func decodingError(_ bytes: [UInt8], maximumPDataLength: UInt32 = 16384) -> PDUDecodingError? {
    do {
        _ = try decode(bytes, maximumPDataLength: maximumPDataLength)
        return nil
    } catch {
        return error
    }
}

func encode(_ pdu: PDU) throws -> [UInt8] {
    var buffer = ByteBuffer()
    try PDUEncoder().encode(pdu, into: &buffer)
    return Array(buffer.readableBytesView)
}

/// An item: type, reserved, UInt16 length, value.
private func item(_ type: UInt8, _ value: [UInt8]) -> [UInt8] {
    [type, 0, UInt8(value.count >> 8), UInt8(value.count & 0xFF)] + value
}

private func item(_ type: UInt8, _ text: String) -> [UInt8] { item(type, Array(text.utf8)) }

private func pduBytes(_ type: UInt8, _ body: [UInt8]) -> [UInt8] {
    let n = UInt32(body.count)
    return [type, 0, UInt8(n >> 24), UInt8((n >> 16) & 0xFF), UInt8((n >> 8) & 0xFF), UInt8(n & 0xFF)] + body
}

/// An A-ASSOCIATE-RQ (or -AC) with the given variable items; variable items start at offset 74.
private func associate(_ items: [UInt8], type: UInt8 = 1) -> [UInt8] {
    pduBytes(type, [0, 1, 0, 0] + Array("CALLED          CALLING         ".utf8) + [UInt8](repeating: 0, count: 32) + items)
}

private let applicationContextItem = item(0x10, "1.2.840.10008.3.1.1.1")
private let echoContextItem = item(0x20, [1, 0, 0, 0] + item(0x30, verification) + item(0x40, implicitLittle))
private let userInformationItem = item(0x50, item(0x51, [0, 0, 0x40, 0]))

// MARK: - Tests

@Suite("PDU codec")
struct PDUTests {

    @Test("fixture decodes to the expected PDU and encodes to the same bytes", arguments: fixtureCases)
    fileprivate func fixtureRoundTrip(_ fixture: FixtureCase) throws {
        for (offset, _) in fixture.reservedRewrites {
            #expect(fixture.bytes[offset] != fixture.encoded[offset], "the rewrite at \(offset) is real")
        }
        var buffer = ByteBuffer(bytes: fixture.bytes)
        let decoded = try PDUDecoder(maximumPDataLength: 16384).decodePDU(from: &buffer)
        #expect(decoded == fixture.pdu)
        #expect(buffer.readableBytes == 0)
        #expect(try encode(fixture.pdu) == fixture.encoded)
        if let decoded {
            #expect(try encode(decoded) == fixture.encoded)
        }
    }

    @Test func everyPDUTypeAndItemIsCovered() {
        let types = Set(fixtureCases.map(\.pdu.type))
        #expect(types == Set(PDUType.allCases))
        var itemTypes = Set<UInt8>()
        for fixture in fixtureCases {
            switch fixture.pdu {
            case .associateRQ(let rq):
                itemTypes.formUnion([0x10, 0x20, 0x30, 0x40, 0x50])
                itemTypes.formUnion(rq.userInformation.subItems.map(\.itemType))
                itemTypes.formUnion(rq.unknownItems.map(\.itemType))
            case .associateAC(let ac):
                itemTypes.formUnion([0x10, 0x21, 0x50])
                itemTypes.formUnion(ac.userInformation.subItems.map(\.itemType))
            default:
                break
            }
        }
        let expected: Set<UInt8> = [0x10, 0x20, 0x21, 0x30, 0x40, 0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5F, 0x60]
        #expect(itemTypes == expected)
    }

    @Test func decodedFieldsReadAsExpected() throws {
        guard case .associateRQ(let rq) = try decode(PDUFixtures.echoscuAssociateRQ) else {
            Issue.record("not an A-ASSOCIATE-RQ")
            return
        }
        #expect(rq.calledAETitle.raw == "ANY-SCP         ")
        #expect(rq.calledAETitle.trimmed == "ANY-SCP")
        #expect(rq.callingAETitle.trimmed == "ECHOSCU")
        #expect(rq.protocolVersion == 1)
        #expect(rq.applicationContextName == PDU.dicomApplicationContextName)
        #expect(rq.userInformation.maximumLength == 16384)
        #expect(rq.userInformation.implementationVersionName == "OFFIS_DCMTK_367")

        guard case .associateRQ(let extended) = try decode(PDUFixtures.pynetdicomAssociateRQExtended) else {
            Issue.record("not an A-ASSOCIATE-RQ")
            return
        }
        let info = extended.userInformation
        #expect(info.roleSelections == [.init(sopClassUID: ctImageStorage, scuRole: true, scpRole: true)])
        #expect(info.asynchronousOperationsWindow == .init(maximumOperationsInvoked: 5, maximumOperationsPerformed: 4))
        #expect(info.userIdentityRQ?.identityType == .usernameAndPasscode)
        #expect(info.userIdentityRQ?.secondaryField == Array("s3cret".utf8))
        #expect(info.sopClassExtendedNegotiations.count == 1)
        #expect(info.sopClassCommonExtendedNegotiations.first?.relatedGeneralSOPClassUIDs == ["1.2.840.10008.5.1.4.1.1.2.1"])
        #expect(info.userIdentityAC == nil)
        #expect(info.unknownSubItems.isEmpty)

        guard case .associateRJ(let rj) = try decode(PDUFixtures.pynetdicomAssociateRJCalledAETitle) else {
            Issue.record("not an A-ASSOCIATE-RJ")
            return
        }
        #expect(rj.source == .serviceUser)
        #expect(rj.reason.code == 7)
    }

    @Test func rejectReasonsMatchTable9_21() {
        let table: [(AssociateRJ.Reason, AssociateRJ.Source, UInt8)] = [
            (.noReasonGiven, .serviceUser, 1),
            (.applicationContextNameNotSupported, .serviceUser, 2),
            (.callingAETitleNotRecognized, .serviceUser, 3),
            (.calledAETitleNotRecognized, .serviceUser, 7),
            (.providerNoReasonGiven, .serviceProviderACSE, 1),
            (.protocolVersionNotSupported, .serviceProviderACSE, 2),
            (.temporaryCongestion, .serviceProviderPresentation, 1),
            (.localLimitExceeded, .serviceProviderPresentation, 2),
        ]
        for (reason, source, code) in table {
            #expect(reason.source == source)
            #expect(reason.code == code)
            #expect(AssociateRJ.Reason(source: source, reason: code) == reason)
        }
        #expect(AssociateRJ.Reason(source: .serviceUser, reason: 5) == .reserved(source: .serviceUser, reason: 5))
        #expect(Abort.Reason.allCases.map(\.rawValue) == [0, 1, 2, 4, 5, 6])
        #expect(AssociateAC.Result.allCases.map(\.rawValue) == [0, 1, 2, 3, 4])
    }

    // MARK: Framing

    @Test func dripFeedOneByteAtATime() throws {
        let stream = fixtureCases.flatMap(\.bytes)
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(PDUDecoder(maximumPDataLength: 16384)))
        var decoded: [PDU] = []
        for byte in stream {
            try channel.writeInbound(ByteBuffer(bytes: [byte]))
            while let pdu = try channel.readInbound(as: PDU.self) { decoded.append(pdu) }
        }
        #expect(decoded == fixtureCases.map(\.pdu))
        #expect(try channel.finish().isClean)
    }

    @Test func randomChunks() throws {
        var rng = SplitMix64(seed: 7)
        let stream = fixtureCases.flatMap(\.bytes)
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(PDUDecoder(maximumPDataLength: 16384)))
        var decoded: [PDU] = []
        var index = 0
        while index < stream.count {
            let count = min(Int.random(in: 1...300, using: &rng), stream.count - index)
            try channel.writeInbound(ByteBuffer(bytes: stream[index..<index + count]))
            index += count
            while let pdu = try channel.readInbound(as: PDU.self) { decoded.append(pdu) }
        }
        #expect(decoded == fixtureCases.map(\.pdu))
        #expect(try channel.finish().isClean)
    }

    @Test func incompletePDUConsumesNothing() throws {
        let bytes = PDUFixtures.echoscuAssociateRQ
        for count in [0, 1, 5, 6, 7, bytes.count - 1] {
            var buffer = ByteBuffer(bytes: bytes[0..<count])
            #expect(try PDUDecoder(maximumPDataLength: 16384).decodePDU(from: &buffer) == nil)
            #expect(buffer.readableBytes == count)
        }
    }

    @Test func pDataValuesAreSlicesOfTheInput() throws {
        let buffer = ByteBuffer(bytes: PDUFixtures.echoscuCEchoRQ)
        var input = buffer
        guard case .pData(let values) = try PDUDecoder(maximumPDataLength: 16384).decodePDU(from: &input) else {
            Issue.record("not a P-DATA-TF")
            return
        }
        let inputBase = buffer.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) }
        let dataBase = values[0].data.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) }
        #expect(dataBase == inputBase + 12)
    }

    @Test func truncatedPDUAtEndOfStream() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(PDUDecoder(maximumPDataLength: 16384)))
        try channel.writeInbound(ByteBuffer(bytes: PDUFixtures.echoscuReleaseRQ + PDUFixtures.echoscuAssociateRQ.prefix(20)))
        #expect(try channel.readInbound(as: PDU.self) == .releaseRQ)
        #expect(throws: PDUDecodingError(.truncatedPDU(received: 20, expected: 211), pduType: 1, offset: 20)) {
            _ = try channel.finish()
        }
    }

    // MARK: Limits

    @Test func oversizePDataLengthFailsOnTheHeaderAlone() throws {
        let header: [UInt8] = [0x04, 0x00, 0xFF, 0xFF, 0xFF, 0xF0]
        let error = decodingError(header)
        #expect(error == PDUDecodingError(.pduTooLong(length: 0xFFFF_FFF0, limit: 16384), pduType: 4, offset: 2))
        #expect(error?.abortReason == .invalidPDUParameterValue)

        // Through the channel handler: the error comes with the 6th byte, nothing is waited for.
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(PDUDecoder(maximumPDataLength: 16384)))
        for byte in header.dropLast() {
            try channel.writeInbound(ByteBuffer(bytes: [byte]))
        }
        #expect(throws: PDUDecodingError.self) {
            try channel.writeInbound(ByteBuffer(bytes: [header[5]]))
        }
        _ = try? channel.finish()
    }

    @Test func pDataLimitIsTheAnnouncedMaximum() throws {
        let value = [UInt8](repeating: 0xAB, count: 100)
        let pdu = PDU.pData([PresentationDataValue(presentationContextID: 1, isCommand: false, isLast: true, data: ByteBuffer(bytes: value))])
        let bytes = try encode(pdu)  // PDU-length 106
        #expect(try decode(bytes, maximumPDataLength: 106) == pdu)
        #expect(decodingError(bytes, maximumPDataLength: 105)?.problem == .pduTooLong(length: 106, limit: 105))
        // 0: no limit announced; still bounded.
        #expect(try decode(bytes, maximumPDataLength: 0) == pdu)
        #expect(decodingError([0x04, 0, 0x04, 0, 0, 1], maximumPDataLength: 0)?.problem
            == .pduTooLong(length: 0x0400_0001, limit: PDUDecoder.unlimitedPDataLengthCap))
    }

    @Test func associationPDUsHaveTheirOwnCap() {
        #expect(decodingError([0x01, 0, 0xFF, 0xFF, 0xFF, 0xF0])?.problem
            == .pduTooLong(length: 0xFFFF_FFF0, limit: PDUDecoder.defaultMaximumAssociationPDULength))
        #expect(decodingError([0x02, 0, 0x00, 0x10, 0x00, 0x01])?.problem
            == .pduTooLong(length: 0x0010_0001, limit: 1 << 20))
        #expect(PDUDecoder(maximumPDataLength: 0, maximumAssociationPDULength: 4096).limit(for: .associateRQ) == 4096)
    }

    // MARK: Decoding errors

    @Test func unknownPDUTypeFailsOnTheHeader() {
        for type: UInt8 in [0x00, 0x08, 0x10, 0xFF] {
            let error = decodingError([type, 0, 0, 0, 0, 4])
            #expect(error == PDUDecodingError(.unrecognizedPDUType, pduType: type, offset: 0))
            #expect(error?.abortReason == .unrecognizedPDU)
        }
        #expect(decodingError([0x08, 0, 0xFF, 0xFF, 0xFF, 0xFF])?.problem == .unrecognizedPDUType)
    }

    @Test func fixedLengthPDUsMustBeFourBytes() {
        for type: UInt8 in [3, 5, 6, 7] {
            #expect(decodingError(pduBytes(type, [0, 0, 0, 0, 0]))
                == PDUDecodingError(.invalidPDULength(5), pduType: type, offset: 2))
            #expect(decodingError(pduBytes(type, [0, 0]))?.problem == .invalidPDULength(2))
        }
        #expect(decodingError(pduBytes(1, [UInt8](repeating: 0, count: 10)))?.problem == .invalidPDULength(10))
    }

    @Test func garbageGivesTypedErrors() {
        var rng = SplitMix64(seed: 3)
        for _ in 0..<2000 {
            let bytes = (0..<Int.random(in: 0...64, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            var buffer = ByteBuffer(bytes: bytes)
            do {
                while let _ = try PDUDecoder(maximumPDataLength: 16384).decodePDU(from: &buffer) {}
            } catch {
                #expect(!error.description.isEmpty)
            }
        }
    }

    @Test func itemOverrunNamesItemAndOffset() {
        var bytes = PDUFixtures.echoscuAssociateRQ
        // The user information item starts at 74 + 25 (application context) + 50 (context) = 149.
        #expect(bytes[149] == 0x50)
        bytes[151] = 0x00
        bytes[152] = 0xFF
        let error = decodingError(bytes)
        #expect(error == PDUDecodingError(.itemOverrun(length: 255, remaining: 58), pduType: 1, itemType: 0x50, offset: 149))
        #expect(error?.abortReason == .invalidPDUParameterValue)
        let description = error?.description ?? ""
        #expect(description.contains("A-ASSOCIATE-RQ"))
        #expect(description.contains("user information item (0x50)"))
        #expect(description.contains("offset 149"))
    }

    @Test func subItemOverrun() {
        var bytes = PDUFixtures.echoscuAssociateRQ
        // The abstract syntax sub-item at 107 claims 200 bytes inside a 46-byte context item.
        #expect(bytes[107] == 0x30)
        bytes[110] = 200
        #expect(decodingError(bytes) == PDUDecodingError(.itemOverrun(length: 200, remaining: 38), pduType: 1, itemType: 0x30, offset: 107))
    }

    @Test func truncatedItemHeader() {
        let bytes = associate(applicationContextItem + echoContextItem + userInformationItem + [0x60, 0x00])
        let error = decodingError(bytes)
        #expect(error == PDUDecodingError(.truncatedItemHeader(remaining: 2), pduType: 1, offset: bytes.count - 2))
    }

    @Test func missingMandatoryItems() {
        #expect(decodingError(associate(echoContextItem + userInformationItem))
            == PDUDecodingError(.missingItem(0x10), pduType: 1, offset: 74))
        #expect(decodingError(associate(applicationContextItem + userInformationItem))?.problem == .missingItem(0x20))
        #expect(decodingError(associate(applicationContextItem + userInformationItem, type: 2))?.problem == .missingItem(0x21))
        #expect(decodingError(associate(applicationContextItem + echoContextItem))?.problem == .missingItem(0x50))

        let noAbstractSyntax = item(0x20, [1, 0, 0, 0] + item(0x40, implicitLittle))
        let error = decodingError(associate(applicationContextItem + noAbstractSyntax + userInformationItem))
        #expect(error == PDUDecodingError(.missingItem(0x30), pduType: 1, itemType: 0x20, offset: 74 + applicationContextItem.count))
        #expect(error?.abortReason == .invalidPDUParameterValue)

        let noTransferSyntax = item(0x20, [1, 0, 0, 0] + item(0x30, verification))
        #expect(decodingError(associate(applicationContextItem + noTransferSyntax + userInformationItem))?.problem == .missingItem(0x40))

        let acceptedWithoutTransferSyntax = item(0x21, [1, 0, 0, 0])
        #expect(decodingError(associate(applicationContextItem + acceptedWithoutTransferSyntax + userInformationItem, type: 2))?.problem
            == .missingItem(0x40))

        #expect(decodingError(pduBytes(4, []))
            == PDUDecodingError(.missingItem(nil), pduType: 4, offset: 6))
    }

    @Test func unexpectedAndUnrecognizedItems() {
        let acContext = item(0x21, [1, 0, 0, 0] + item(0x40, implicitLittle))
        let error = decodingError(associate(applicationContextItem + echoContextItem + acContext + userInformationItem))
        #expect(error == PDUDecodingError(.unexpectedItem(0x21), pduType: 1, itemType: 0x21, offset: 74 + applicationContextItem.count + echoContextItem.count))
        #expect(error?.abortReason == .unexpectedPDUParameter)

        #expect(decodingError(associate(applicationContextItem + applicationContextItem + echoContextItem + userInformationItem))?.problem
            == .unexpectedItem(0x10))
        #expect(decodingError(associate(applicationContextItem + echoContextItem + userInformationItem + userInformationItem))?.problem
            == .unexpectedItem(0x50))

        let strangeSubItem = item(0x20, [1, 0, 0, 0] + item(0x30, verification) + item(0x31, "x") + item(0x40, implicitLittle))
        let unrecognized = decodingError(associate(applicationContextItem + strangeSubItem + userInformationItem))
        #expect(unrecognized?.problem == .unrecognizedItem(0x31))
        #expect(unrecognized?.abortReason == .unrecognizedPDUParameter)
    }

    @Test func malformedSubItems() {
        func userInformation(_ subItems: [UInt8]) -> [UInt8] {
            associate(applicationContextItem + echoContextItem + item(0x50, subItems))
        }
        let userInformationOffset = 74 + applicationContextItem.count + echoContextItem.count
        #expect(decodingError(userInformation(item(0x51, [0, 0, 1])))
            == PDUDecodingError(.invalidItemLength(3), pduType: 1, itemType: 0x51, offset: userInformationOffset + 4))
        #expect(decodingError(userInformation(item(0x53, [0, 1, 0])))?.problem == .invalidItemLength(3))
        // Role selection: UID length beyond the item, then missing role bytes, then extra bytes.
        #expect(decodingError(userInformation(item(0x54, [0, 50] + Array("1.2".utf8) + [1, 1])))
            == PDUDecodingError(.itemOverrun(length: 50, remaining: 5), pduType: 1, itemType: 0x54, offset: userInformationOffset + 8))
        #expect(decodingError(userInformation(item(0x54, [0, 3] + Array("1.2".utf8) + [1])))?.problem == .invalidItemLength(6))
        #expect(decodingError(userInformation(item(0x54, [0, 3] + Array("1.2".utf8) + [1, 1, 0])))?.problem == .invalidItemLength(8))
        #expect(decodingError(userInformation(item(0x54, [0])))?.problem == .invalidItemLength(1))
        // User identity: secondary field length missing, or past the end.
        #expect(decodingError(userInformation(item(0x58, [1, 0, 0, 1, 0x41])))?.problem == .invalidItemLength(5))
        #expect(decodingError(userInformation(item(0x58, [1, 0, 0, 1, 0x41, 0, 9])))?.problem == .itemOverrun(length: 9, remaining: 0))
        #expect(decodingError(userInformation(item(0x59, [0, 4, 1])))?.problem == .itemOverrun(length: 4, remaining: 1))
        // Common extended negotiation: related UIDs field beyond the item, and a related UID beyond that field.
        let uid = [0, 3] + Array("1.2".utf8)
        #expect(decodingError(userInformation(item(0x57, uid + uid + [0, 9] + uid)))?.problem == .itemOverrun(length: 9, remaining: 5))
        #expect(decodingError(userInformation(item(0x57, uid + uid + [0, 4] + [0, 3, 0x31, 0x2E])))?.problem
            == .itemOverrun(length: 3, remaining: 2))
        // A PDU item inside user information.
        #expect(decodingError(userInformation(item(0x40, implicitLittle)))?.problem == .unexpectedItem(0x40))
    }

    @Test func invalidFieldValues() throws {
        let rj = decodingError(pduBytes(3, [0, 3, 1, 1]))
        #expect(rj == PDUDecodingError(.invalidFieldValue(field: "result", value: 3), pduType: 3, offset: 7))
        #expect(rj?.abortReason == .invalidPDUParameterValue)
        #expect(decodingError(pduBytes(3, [0, 1, 4, 1]))?.problem == .invalidFieldValue(field: "source", value: 4))
        #expect(decodingError(pduBytes(7, [0, 0, 3, 0]))?.problem == .invalidFieldValue(field: "source", value: 3))
        // Reserved values that are kept or tolerated.
        #expect(try decode(pduBytes(3, [0, 1, 1, 9])) == .associateRJ(.init(result: .rejectedPermanent, reason: .reserved(source: .serviceUser, reason: 9))))
        #expect(try decode(pduBytes(7, [0, 0, 2, 3])) == .abort(Abort(source: .serviceProvider, reason: .notSpecified)))
        #expect(try decode(pduBytes(7, [0, 0, 1, 0])) == .abort(Abort(source: .reserved)))

        let badResult = item(0x21, [1, 0, 9, 0] + item(0x40, implicitLittle))
        #expect(decodingError(associate(applicationContextItem + badResult + userInformationItem, type: 2))
            == PDUDecodingError(.invalidFieldValue(field: "result/reason", value: 9), pduType: 2, itemType: 0x21, offset: 74 + applicationContextItem.count + 6))
    }

    @Test func malformedPDVItems() throws {
        #expect(decodingError(pduBytes(4, [0, 0, 0, 1, 1]))
            == PDUDecodingError(.invalidItemLength(1), pduType: 4, offset: 6))
        let overrun = decodingError(pduBytes(4, [0, 0, 0, 9, 1, 3, 0xAA]))
        #expect(overrun == PDUDecodingError(.itemOverrun(length: 9, remaining: 3), pduType: 4, offset: 6))
        #expect(overrun?.description.contains("P-DATA-TF PDU, presentation data value item, offset 6") == true)
        #expect(decodingError(pduBytes(4, [0, 0, 0, 2, 1, 3, 0, 0]))?.problem == .truncatedItemHeader(remaining: 2))
        // Empty data and reserved header bits are accepted.
        #expect(try decode(pduBytes(4, [0, 0, 0, 2, 1, 0xFF]))
            == .pData([PresentationDataValue(presentationContextID: 1, isCommand: true, isLast: true, data: ByteBuffer())]))
    }

    @Test func paddedUIDsAreTrimmed() throws {
        let padded = item(0x20, [1, 0, 0, 0] + item(0x30, verification + "\0") + item(0x40, implicitLittle + " "))
        guard case .associateRQ(let rq) = try decode(associate(applicationContextItem + padded + userInformationItem)) else {
            Issue.record("not an A-ASSOCIATE-RQ")
            return
        }
        #expect(rq.presentationContexts == [.init(id: 1, abstractSyntax: verification, transferSyntaxes: [implicitLittle])])
    }

    // MARK: Encoding

    @Test func encodingErrorsLeaveTheBufferAsItWas() {
        var buffer = ByteBuffer(bytes: [1, 2, 3])
        let longTitle = PDU.associateRQ(AssociateRQ(
            calledAETitle: AETitle("THIS-TITLE-IS-TOO-LONG"), callingAETitle: "SCU",
            presentationContexts: [], userInformation: UserInformation(maximumLength: 0, implementationClassUID: "1.2")
        ))
        #expect(throws: PDUEncodingError.self) { try PDUEncoder().encode(longTitle, into: &buffer) }
        #expect(Array(buffer.readableBytesView) == [1, 2, 3])

        let longName = PDU.associateAC(AssociateAC(
            calledAETitle: "A", callingAETitle: "B", presentationContexts: [],
            userInformation: UserInformation(maximumLength: 0, implementationClassUID: "1.2", implementationVersionName: String(repeating: "X", count: 70000))
        ))
        do {
            try PDUEncoder().encode(longName, into: &buffer)
            Issue.record("encoded a 70000-byte item")
        } catch {
            #expect(error.itemType == 0x55)
            #expect(error.description.contains("implementation version name"))
        }
        #expect(Array(buffer.readableBytesView) == [1, 2, 3])

        let notLatin1 = PDU.associateRQ(AssociateRQ(
            calledAETitle: "A", callingAETitle: "B", applicationContextName: "1.2.✓",
            presentationContexts: [], userInformation: UserInformation(maximumLength: 0, implementationClassUID: "1.2")
        ))
        #expect(throws: PDUEncodingError.self) { try PDUEncoder().encode(notLatin1, into: &buffer) }
        #expect(Array(buffer.readableBytesView) == [1, 2, 3])
    }

    @Test func messageToByteEncoderWritesPDUs() throws {
        let channel = EmbeddedChannel(handler: MessageToByteHandler(PDUEncoder()))
        try channel.writeOutbound(PDU.releaseRQ)
        try channel.writeOutbound(PDU.abort(Abort(source: .serviceProvider, reason: .invalidPDUParameterValue)))
        var out: [UInt8] = []
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) { out += buffer.readableBytesView }
        #expect(out == PDUFixtures.echoscuReleaseRQ + PDUFixtures.providerAbort)
        #expect(try channel.finish().isClean)
    }

    @Test func aeTitles() throws {
        let title = AETitle("  STORE ")
        #expect(title.raw == "  STORE         ")
        #expect(title.trimmed == "STORE")
        #expect(AETitle("ANY-SCP") == "ANY-SCP         ")
        // Bytes outside ASCII survive a round trip.
        var bytes = PDUFixtures.echoscuAssociateRQ
        bytes[10] = 0xC9
        bytes[25] = 0x00
        guard case .associateRQ(let rq) = try decode(bytes) else {
            Issue.record("not an A-ASSOCIATE-RQ")
            return
        }
        #expect(rq.calledAETitle.trimmed == "ÉNY-SCP")
        var expected = bytes
        expected[105] = 0
        #expect(try encode(.associateRQ(rq)) == expected)
    }

    @Test func userInformationAccessors() {
        var info = UserInformation(subItems: [
            .maximumLength(16382), .implementationClassUID("1.2"), .implementationVersionName("V"),
            .unknown(RawPDUItem(itemType: 0x5F, value: [])),
        ])
        info.maximumLength = 0
        info.asynchronousOperationsWindow = .init(maximumOperationsInvoked: 1, maximumOperationsPerformed: 1)
        info.userIdentityAC = .init(serverResponse: [1])
        info.roleSelections = [.init(sopClassUID: "1.2.3", scuRole: false, scpRole: true)]
        #expect(info.subItems.map(\.itemType) == [0x51, 0x52, 0x53, 0x54, 0x55, 0x5F, 0x59])
        #expect(info.maximumLength == 0)
        info.implementationVersionName = nil
        info.roleSelections = []
        #expect(info.subItems.map(\.itemType) == [0x51, 0x52, 0x53, 0x5F, 0x59])
        #expect(info.unknownSubItems == [RawPDUItem(itemType: 0x5F, value: [])])

        let built = UserInformation(
            maximumLength: 1, implementationClassUID: "1", implementationVersionName: "N",
            asynchronousOperationsWindow: .init(maximumOperationsInvoked: 0, maximumOperationsPerformed: 0),
            roleSelections: [.init(sopClassUID: "1", scuRole: true, scpRole: false)],
            sopClassExtendedNegotiations: [.init(sopClassUID: "1", serviceClassApplicationInformation: [])],
            sopClassCommonExtendedNegotiations: [.init(sopClassUID: "1", serviceClassUID: "2")],
            userIdentityRQ: .init(identityType: .username, positiveResponseRequested: false, primaryField: [0x41]),
            userIdentityAC: .init(serverResponse: [])
        )
        #expect(built.subItems.map(\.itemType) == [0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59])
    }

    // MARK: Fragmentation

    @Test func fragmentationStaysWithinThePeersMaximum() throws {
        let message = ByteBuffer(bytes: (0..<100).map { UInt8($0) })
        for maximum: UInt32 in [7, 16, 50, 105, 106, 107, 16384] {
            let pdus = PresentationDataValue.fragment(message, presentationContextID: 5, isCommand: false, maximumPDULength: maximum)
            #expect(pdus.count == (100 + Int(maximum) - 7) / (Int(maximum) - 6))
            var reassembled: [UInt8] = []
            for (index, pdu) in pdus.enumerated() {
                let bytes = try encode(pdu)
                let pduLength = Int(bytes[2]) << 24 | Int(bytes[3]) << 16 | Int(bytes[4]) << 8 | Int(bytes[5])
                #expect(pduLength <= Int(maximum))
                #expect(try decode(bytes, maximumPDataLength: maximum) == pdu)
                guard case .pData(let values) = pdu, values.count == 1 else {
                    Issue.record("not one PDV")
                    continue
                }
                #expect(values[0].presentationContextID == 5)
                #expect(values[0].isCommand == false)
                #expect(values[0].isLast == (index == pdus.count - 1))
                reassembled += values[0].data.readableBytesView
            }
            #expect(reassembled == Array(message.readableBytesView))
        }
    }

    @Test func fragmentationEdgeCases() {
        let empty = PresentationDataValue.fragment(ByteBuffer(), presentationContextID: 1, isCommand: true, maximumPDULength: 16384)
        #expect(empty == [.pData([PresentationDataValue(presentationContextID: 1, isCommand: true, isLast: true, data: ByteBuffer())])])

        let unlimited = PresentationDataValue.fragment(
            ByteBuffer(repeating: 7, count: 2 * PresentationDataValue.defaultFragmentLength + 10),
            presentationContextID: 1, isCommand: false, maximumPDULength: 0
        )
        let sizes = unlimited.map { pdu -> Int in
            guard case .pData(let values) = pdu else { return -1 }
            return values[0].data.readableBytes
        }
        #expect(sizes == [PresentationDataValue.defaultFragmentLength, PresentationDataValue.defaultFragmentLength, 10])

        // No room for data: one byte per PDU rather than nothing.
        #expect(PresentationDataValue.fragment(ByteBuffer(bytes: [1, 2, 3]), presentationContextID: 1, isCommand: true, maximumPDULength: 4).count == 3)

        // Fragments are slices of the message.
        let message = ByteBuffer(repeating: 1, count: 40)
        let pdus = PresentationDataValue.fragment(message, presentationContextID: 1, isCommand: false, maximumPDULength: 16)
        guard case .pData(let second) = pdus[1] else {
            Issue.record("not a P-DATA-TF")
            return
        }
        let base = message.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) }
        #expect(second[0].data.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) } == base + 10)
    }

    // MARK: Fuzzing

    @Test func randomValidPDUsRoundTrip() throws {
        var rng = SplitMix64(seed: 0x5EED)
        let decoder = PDUDecoder(maximumPDataLength: 0)
        var stream = ByteBuffer()
        var pdus: [PDU] = []
        for _ in 0..<2000 {
            let pdu = RandomPDU.make(using: &rng)
            let bytes = try encode(pdu)
            var buffer = ByteBuffer(bytes: bytes)
            #expect(try decoder.decodePDU(from: &buffer) == pdu)
            #expect(buffer.readableBytes == 0)
            stream.writeBytes(bytes)
            pdus.append(pdu)
        }
        var decoded: [PDU] = []
        while let pdu = try decoder.decodePDU(from: &stream) { decoded.append(pdu) }
        #expect(decoded == pdus)
    }

    @Test func randomMutationsNeverCrash() throws {
        var rng = SplitMix64(seed: 0xBAD5EED)
        let decoder = PDUDecoder(maximumPDataLength: 1 << 16)
        let seeds = try fixtureCases.map(\.bytes) + (0..<200).map { _ in try encode(RandomPDU.make(using: &rng)) }
        var outcomes = (decoded: 0, failed: 0, incomplete: 0)
        for _ in 0..<20000 {
            var bytes = seeds.randomElement(using: &rng)!
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                Mutation.apply(to: &bytes, using: &rng)
            }
            var buffer = ByteBuffer(bytes: bytes)
            do {
                guard let pdu = try decoder.decodePDU(from: &buffer) else {
                    outcomes.incomplete += 1
                    continue
                }
                outcomes.decoded += 1
                // Whatever decodes re-encodes, and decoding that gives the same PDU again.
                let reencoded = try encode(pdu)
                #expect(try decode(reencoded, maximumPDataLength: 1 << 16) == pdu)
            } catch let error as PDUDecodingError {
                outcomes.failed += 1
                #expect(error.offset >= 0 && error.offset <= bytes.count)
            }
        }
        #expect(outcomes.decoded > 1000)
        #expect(outcomes.failed > 1000)
    }
}

// MARK: - Random PDUs and mutations


private enum RandomPDU {
    static func make(using rng: inout SplitMix64) -> PDU {
        switch Int.random(in: 0..<7, using: &rng) {
        case 0:
            return .associateRQ(AssociateRQ(
                protocolVersion: UInt16.random(in: 0...3, using: &rng),
                calledAETitle: aeTitle(&rng), callingAETitle: aeTitle(&rng),
                applicationContextName: uid(&rng),
                presentationContexts: (0..<Int.random(in: 1...5, using: &rng)).map { _ in
                    .init(
                        id: UInt8.random(in: 0...255, using: &rng), abstractSyntax: uid(&rng),
                        transferSyntaxes: (0..<Int.random(in: 1...4, using: &rng)).map { _ in uid(&rng) }
                    )
                },
                userInformation: userInformation(&rng),
                unknownItems: Bool.random(using: &rng) ? [] : [RawPDUItem(itemType: UInt8.random(in: 0x60...0xFF, using: &rng), value: bytes(&rng))]
            ))
        case 1:
            return .associateAC(AssociateAC(
                calledAETitle: aeTitle(&rng), callingAETitle: aeTitle(&rng),
                applicationContextName: uid(&rng),
                presentationContexts: (0..<Int.random(in: 1...5, using: &rng)).map { _ in
                    let result = AssociateAC.Result.allCases.randomElement(using: &rng)!
                    let transferSyntax = result == .acceptance || Bool.random(using: &rng) ? uid(&rng) : nil
                    return .init(id: UInt8.random(in: 0...255, using: &rng), result: result, transferSyntax: transferSyntax)
                },
                userInformation: userInformation(&rng)
            ))
        case 2:
            let source = AssociateRJ.Source.allCases.randomElement(using: &rng)!
            return .associateRJ(AssociateRJ(
                result: AssociateRJ.Result.allCases.randomElement(using: &rng)!,
                reason: .init(source: source, reason: UInt8.random(in: 0...10, using: &rng))
            ))
        case 3:
            return .pData((0..<Int.random(in: 1...4, using: &rng)).map { _ in
                PresentationDataValue(
                    presentationContextID: UInt8.random(in: 0...255, using: &rng),
                    isCommand: Bool.random(using: &rng), isLast: Bool.random(using: &rng),
                    data: ByteBuffer(bytes: bytes(&rng))
                )
            })
        case 4:
            return .releaseRQ
        case 5:
            return .releaseRP
        default:
            return .abort(Abort(
                source: Abort.Source.allCases.randomElement(using: &rng)!,
                reason: Abort.Reason.allCases.randomElement(using: &rng)!
            ))
        }
    }

    static func aeTitle(_ rng: inout SplitMix64) -> AETitle {
        AETitle(String(String.UnicodeScalarView((0..<Int.random(in: 0...16, using: &rng)).map { _ in
            Unicode.Scalar(UInt8.random(in: 0x20...0xFF, using: &rng))
        })))
    }

    static func uid(_ rng: inout SplitMix64) -> String {
        let characters = Array("0123456789.")
        return String((0..<Int.random(in: 1...64, using: &rng)).map { _ in characters.randomElement(using: &rng)! })
    }

    static func bytes(_ rng: inout SplitMix64) -> [UInt8] {
        (0..<Int.random(in: 0...40, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
    }

    static func userInformation(_ rng: inout SplitMix64) -> UserInformation {
        var items: [UserInformation.SubItem] = []
        for _ in 0..<Int.random(in: 0...8, using: &rng) {
            let item: UserInformation.SubItem = switch Int.random(in: 0..<10, using: &rng) {
            case 0: .maximumLength(UInt32.random(in: 0...UInt32.max, using: &rng))
            case 1: .implementationClassUID(uid(&rng))
            case 2: .asynchronousOperationsWindow(.init(
                maximumOperationsInvoked: UInt16.random(in: 0...UInt16.max, using: &rng),
                maximumOperationsPerformed: UInt16.random(in: 0...UInt16.max, using: &rng)
            ))
            case 3: .roleSelection(.init(sopClassUID: uid(&rng), scuRole: Bool.random(using: &rng), scpRole: Bool.random(using: &rng)))
            case 4: .implementationVersionName(String(aeTitle(&rng).raw.prefix(16)))
            case 5: .sopClassExtendedNegotiation(.init(sopClassUID: uid(&rng), serviceClassApplicationInformation: bytes(&rng)))
            case 6: .sopClassCommonExtendedNegotiation(.init(
                sopClassUID: uid(&rng), serviceClassUID: uid(&rng),
                relatedGeneralSOPClassUIDs: (0..<Int.random(in: 0...3, using: &rng)).map { _ in uid(&rng) }
            ))
            case 7: .userIdentityRQ(.init(
                identityType: .init(rawValue: UInt8.random(in: 0...255, using: &rng)),
                positiveResponseRequested: Bool.random(using: &rng), primaryField: bytes(&rng), secondaryField: bytes(&rng)
            ))
            case 8: .userIdentityAC(.init(serverResponse: bytes(&rng)))
            default: .unknown(RawPDUItem(itemType: UInt8.random(in: 0x5A...0xFF, using: &rng), value: bytes(&rng)))
            }
            items.append(item)
        }
        return UserInformation(subItems: items)
    }
}

private enum Mutation {
    static func apply(to bytes: inout [UInt8], using rng: inout SplitMix64) {
        guard !bytes.isEmpty else {
            bytes = [UInt8.random(in: 0...255, using: &rng)]
            return
        }
        let index = Int.random(in: 0..<bytes.count, using: &rng)
        switch Int.random(in: 0..<6, using: &rng) {
        case 0:
            bytes[index] = UInt8.random(in: 0...255, using: &rng)
        case 1:
            bytes[index] ^= 1 << UInt8.random(in: 0...7, using: &rng)
        case 2:
            bytes.removeSubrange(index..<min(bytes.count, index + Int.random(in: 1...8, using: &rng)))
        case 3:
            bytes.insert(contentsOf: (0..<Int.random(in: 1...8, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }, at: index)
        case 4:
            bytes = Array(bytes.prefix(index))
        default:
            // Rewrite the PDU length to what is there now, so that the body's items get parsed.
            let length = UInt32(max(0, bytes.count - 6))
            if bytes.count >= 6 {
                bytes[2] = UInt8(length >> 24)
                bytes[3] = UInt8((length >> 16) & 0xFF)
                bytes[4] = UInt8((length >> 8) & 0xFF)
                bytes[5] = UInt8(length & 0xFF)
            }
        }
    }
}
