import DICOM
import DICOMNetwork
import Foundation
import NIOCore
import Testing

// Expected command sets were produced by pynetdicom 3.0.4 / pydicom 3.0.2:
// `dimse_messages.<MSG>().primitive_to_message(<C_xxx primitive>)` then
// `dsutils.encode(msg.command_set, True, True)` (Implicit VR Little Endian).
private enum Fixture {
    static let ct = "1.2.840.10008.5.1.4.1.1.2"
    static let find = "1.2.840.10008.5.1.4.1.2.2.1"
    static let move = "1.2.840.10008.5.1.4.1.2.2.2"
    static let get = "1.2.840.10008.5.1.4.1.2.2.3"

    static let pynetdicom: [(String, DIMSEMessage, String)] = [
        ("echo_rq", .cEchoRequest(CEchoRequest(messageID: 7)),
         "0000000004000000380000000000020012000000312e322e3834302e31303030382e312e3100000000010200000030000000100102000000070000000008020000000101"),
        ("echo_rsp", .cEchoResponse(CEchoResponse(messageIDBeingRespondedTo: 7)),
         "0000000004000000420000000000020012000000312e322e3834302e31303030382e312e310000000001020000003080000020010200000007000000000802000000010100000009020000000000"),
        ("store_rq", .cStoreRequest(CStoreRequest(messageID: 0x1234, affectedSOPClassUID: ct, affectedSOPInstanceUID: "1.2.3.4.5.6.7",
                                                  priority: .medium, moveOriginatorApplicationEntityTitle: "MOVESCU",
                                                  moveOriginatorMessageID: 3)),
         "00000000040000007a000000000002001a000000312e322e3834302e31303030382e352e312e342e312e312e320000000001020000000100000010010200000034120000000702000000000000000008020000000100000000100e000000312e322e332e342e352e362e370000003010080000004d4f56455343552000003110020000000300"),
        ("store_rq_plain", .cStoreRequest(CStoreRequest(messageID: 1, affectedSOPClassUID: ct, affectedSOPInstanceUID: "1.2.3.4",
                                                        priority: .low)),
         "00000000040000005a000000000002001a000000312e322e3834302e31303030382e352e312e342e312e312e3200000000010200000001000000100102000000010000000007020000000200000000080200000001000000001008000000312e322e332e3400"),
        ("store_rsp", .cStoreResponse(CStoreResponse(messageIDBeingRespondedTo: 0x1234, affectedSOPClassUID: ct,
                                                     affectedSOPInstanceUID: "1.2.3.4.5.6.7", status: .coercionOfDataElements,
                                                     offendingElements: [Tag(0x0010_0010), Tag(0x0010_0020)],
                                                     errorComment: "coerced")),
         "000000000400000080000000000002001a000000312e322e3834302e31303030382e352e312e342e312e312e3200000000010200000001800000200102000000341200000008020000000101000000090200000000b0000001090800000010001000100020000000020908000000636f657263656420000000100e000000312e322e332e342e352e362e3700"),
        ("find_rq", .cFindRequest(CFindRequest(messageID: 5, affectedSOPClassUID: find, priority: .high)),
         "00000000040000004c000000000002001c000000312e322e3834302e31303030382e352e312e342e312e322e322e310000000001020000002000000010010200000005000000000702000000010000000008020000000100"),
        ("find_rsp_pending", .cFindResponse(CFindResponse(messageIDBeingRespondedTo: 5, affectedSOPClassUID: find,
                                                          status: .pending, hasDataSet: true)),
         "00000000040000004c000000000002001c000000312e322e3834302e31303030382e352e312e342e312e322e322e3100000000010200000020800000200102000000050000000008020000000100000000090200000000ff"),
        ("find_rsp_success", .cFindResponse(CFindResponse(messageIDBeingRespondedTo: 5, affectedSOPClassUID: find,
                                                          status: .success, hasDataSet: false)),
         "00000000040000004c000000000002001c000000312e322e3834302e31303030382e352e312e342e312e322e322e310000000001020000002080000020010200000005000000000802000000010100000009020000000000"),
        ("move_rq", .cMoveRequest(CMoveRequest(messageID: 9, affectedSOPClassUID: move, moveDestination: "STORESCP")),
         "00000000040000005c000000000002001c000000312e322e3834302e31303030382e352e312e342e312e322e322e32000000000102000000210000001001020000000900000000060800000053544f52455343500000000702000000000000000008020000000100"),
        ("move_rsp_pending", .cMoveResponse(CMoveResponse(messageIDBeingRespondedTo: 9, affectedSOPClassUID: move, status: .pending,
                                                          subOperations: .init(remaining: 10, completed: 2, failed: 1, warning: 0))),
         "000000000400000074000000000002001c000000312e322e3834302e31303030382e352e312e342e312e322e322e3200000000010200000021800000200102000000090000000008020000000101000000090200000000ff00002010020000000a00000021100200000002000000221002000000010000002310020000000000"),
        ("get_rq", .cGetRequest(CGetRequest(messageID: 11, affectedSOPClassUID: get)),
         "00000000040000004c000000000002001c000000312e322e3834302e31303030382e352e312e342e312e322e322e33000000000102000000100000001001020000000b000000000702000000000000000008020000000100"),
        ("get_rsp_warning", .cGetResponse(CGetResponse(messageIDBeingRespondedTo: 11, affectedSOPClassUID: get,
                                                       status: .subOperationsCompleteWithFailures,
                                                       subOperations: .init(remaining: 0, completed: 3, failed: 1, warning: 1),
                                                       hasDataSet: true, errorComment: "one failed")),
         "000000000400000086000000000002001c000000312e322e3834302e31303030382e352e312e342e312e322e322e33000000000102000000108000002001020000000b0000000008020000000100000000090200000000b0000002090a0000006f6e65206661696c656400002010020000000000000021100200000003000000221002000000010000002310020000000100"),
        ("cancel_rq", .cCancelRequest(CCancelRequest(messageIDBeingRespondedTo: 9)),
         "00000000040000001e0000000000000102000000ff0f0000200102000000090000000008020000000101"),
    ]
}

private func hexBytes(_ hex: String) -> [UInt8] {
    var out: [UInt8] = []
    var index = hex.startIndex
    while index < hex.endIndex {
        let next = hex.index(index, offsetBy: 2)
        out.append(UInt8(hex[index..<next], radix: 16)!)
        index = next
    }
    return out
}

private func buffer(_ bytes: [UInt8]) -> ByteBuffer {
    var b = ByteBufferAllocator().buffer(capacity: bytes.count)
    b.writeBytes(bytes)
    return b
}

/// Splits `bytes` into PDVs of `size` bytes (the last shorter).
private func pdvs(_ bytes: [UInt8], size: Int, command: Bool, context: UInt8) -> [PresentationDataValue] {
    if bytes.isEmpty {
        return [PresentationDataValue(presentationContextID: context, isCommand: command, isLast: true, data: ByteBuffer())]
    }
    return stride(from: 0, to: bytes.count, by: size).map { start in
        let end = min(start + size, bytes.count)
        return PresentationDataValue(presentationContextID: context, isCommand: command, isLast: end == bytes.count,
                                     data: buffer(Array(bytes[start..<end])))
    }
}

private func testBytes(_ count: Int, seed: UInt64 = 1) -> [UInt8] {
    var state = seed &* 0x9E37_79B9_7F4A_7C15
    return (0..<count).map { _ in
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return UInt8(truncatingIfNeeded: state >> 33)
    }
}

/// All DIMSE tests (`swift test --filter DIMSETests`).
enum DIMSETests {}

// MARK: - Command sets

extension DIMSETests {
    @Suite struct CommandSetTests {
        @Test(arguments: Fixture.pynetdicom.indices)
        func encodesLikePynetdicom(_ index: Int) throws {
            let (name, message, hex) = Fixture.pynetdicom[index]
            let expected = hexBytes(hex)
            #expect(message.command.encodedBytes == expected, "\(name)")
            // And back: decoding pynetdicom's bytes gives the same message.
            let decoded = try DIMSEMessage(decoding: expected)
            #expect(decoded == message, "\(name)")
            #expect(decoded.hasDataSet == message.hasDataSet)
            #expect(decoded.commandField == message.command.commandField)
        }

        /// C-ECHO-RQ annotated by hand (PS3.7 Table 9.3-12).
        @Test func handAnnotatedEchoRequest() throws {
            let expected: [UInt8] = [
                0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x38, 0x00, 0x00, 0x00,  // (0000,0000) UL 4: 56
                0x00, 0x00, 0x02, 0x00, 0x12, 0x00, 0x00, 0x00,  // (0000,0002) UI 18
            ] + Array("1.2.840.10008.1.1".utf8) + [0x00] + [    // UID + NUL pad
                0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x30, 0x00,  // (0000,0100) US 0030H
                0x00, 0x00, 0x10, 0x01, 0x02, 0x00, 0x00, 0x00, 0x01, 0x00,  // (0000,0110) US 1
                0x00, 0x00, 0x00, 0x08, 0x02, 0x00, 0x00, 0x00, 0x01, 0x01,  // (0000,0800) US 0101H
            ]
            #expect(CEchoRequest(messageID: 1).command.encodedBytes == expected)
            let decoded = try CommandSet(decoding: expected)
            #expect(decoded.commandField == .cEchoRQ)
            #expect(decoded.messageID == 1)
            #expect(decoded.affectedSOPClassUID == "1.2.840.10008.1.1")
            #expect(!decoded.hasDataSet)
        }

        static let allMessages: [DIMSEMessage] = {
            var all = Fixture.pynetdicom.map(\.1)
            all += [
                .cEchoResponse(CEchoResponse(messageIDBeingRespondedTo: 65535, affectedSOPClassUID: nil,
                                             status: .unrecognizedOperation, errorComment: "odd")),
                .cStoreResponse(CStoreResponse(messageIDBeingRespondedTo: 2, affectedSOPClassUID: nil, affectedSOPInstanceUID: nil,
                                               status: .outOfResources)),
                .cFindResponse(CFindResponse(messageIDBeingRespondedTo: 1, affectedSOPClassUID: Fixture.find, status: .cancel,
                                             hasDataSet: false, offendingElements: [Tag(0x0008_0052)])),
                .cGetResponse(CGetResponse(messageIDBeingRespondedTo: 3, affectedSOPClassUID: Fixture.get, status: .pending,
                                           subOperations: .init(remaining: 5, completed: 0, failed: 0, warning: 0))),
                .cMoveResponse(CMoveResponse(messageIDBeingRespondedTo: 4, affectedSOPClassUID: Fixture.move,
                                             status: .moveDestinationUnknown, hasDataSet: true, errorComment: "who?")),
                .cMoveRequest(CMoveRequest(messageID: 4, affectedSOPClassUID: Fixture.move, moveDestination: "A", priority: .low)),
                .cStoreRequest(CStoreRequest(messageID: 0, affectedSOPClassUID: Fixture.ct, affectedSOPInstanceUID: "1.2.33")),
            ]
            return all
        }()

        @Test(arguments: allMessages)
        func roundTrips(_ message: DIMSEMessage) throws {
            let bytes = message.command.encodedBytes
            // Group length counts the bytes after the group length element.
            let groupLength = UInt32(bytes[8]) | UInt32(bytes[9]) << 8 | UInt32(bytes[10]) << 16 | UInt32(bytes[11]) << 24
            #expect(Int(groupLength) == bytes.count - 12)
            #expect(bytes.count % 2 == 0)
            let command = try CommandSet(decoding: bytes)
            #expect(command == message.command)
            let decoded = try DIMSEMessage(command: command)
            #expect(decoded == message)
            #expect(decoded.hasDataSet == message.hasDataSet)
            #expect(decoded.command.encodedBytes == bytes)
        }

        @Test func everyMessageKnowsItsDataSet() {
            #expect(!CEchoRequest(messageID: 1).hasDataSet)
            #expect(!CEchoResponse(messageIDBeingRespondedTo: 1).hasDataSet)
            #expect(CStoreRequest(messageID: 1, affectedSOPClassUID: "1", affectedSOPInstanceUID: "2").hasDataSet)
            #expect(!CStoreResponse(messageIDBeingRespondedTo: 1, affectedSOPClassUID: nil, affectedSOPInstanceUID: nil, status: .success).hasDataSet)
            #expect(CFindRequest(messageID: 1, affectedSOPClassUID: "1").hasDataSet)
            #expect(CGetRequest(messageID: 1, affectedSOPClassUID: "1").hasDataSet)
            #expect(CMoveRequest(messageID: 1, affectedSOPClassUID: "1", moveDestination: "X").hasDataSet)
            #expect(!CCancelRequest(messageIDBeingRespondedTo: 1).hasDataSet)
            let find = CFindRequest(messageID: 8, affectedSOPClassUID: "1")
            #expect(find.response(status: .pending).hasDataSet)
            #expect(!find.response(status: .success).hasDataSet)
            #expect(find.response(status: .success).messageIDBeingRespondedTo == 8)
            #expect(CommandFieldValues.values == [0x0030, 0x8030, 0x0001, 0x8001, 0x0020, 0x8020, 0x0010, 0x8010, 0x0021, 0x8021, 0x0FFF])
        }

        private enum CommandFieldValues {
            static let values: [UInt16] = [CEchoRequest.commandField, CEchoResponse.commandField, CStoreRequest.commandField,
                                           CStoreResponse.commandField, CFindRequest.commandField, CFindResponse.commandField,
                                           CGetRequest.commandField, CGetResponse.commandField, CMoveRequest.commandField,
                                           CMoveResponse.commandField, CCancelRequest.commandField].map(\.rawValue)
        }

        @Test func commandFieldNames() {
            #expect(CommandField.cStoreRQ.description == "C-STORE-RQ")
            #expect(CommandField.cMoveRSP.description == "C-MOVE-RSP")
            #expect(CommandField.cCancelRQ.description == "C-CANCEL-RQ")
            #expect(CommandField.nActionRSP.description == "N-ACTION-RSP")
            #expect(CommandField(rawValue: 0x1234).description == "command 0x1234")
            #expect(CommandField.cFindRQ.response == .cFindRSP)
            #expect(CommandField.cCancelRQ.response == nil)
            #expect(CommandField.cCancelRQ.isResponse == false)
        }

        @Test func keepsUntypedGroupZeroElements() throws {
            // An N-EVENT-REPORT-RQ: Event Type ID (0000,1002) has no typed field.
            var command = CommandSet(commandField: .nEventReportRQ, hasDataSet: true)
            command.messageID = 2
            command.affectedSOPClassUID = "1.2.840.10008.1.20.1"
            command.affectedSOPInstanceUID = "1.2.840.10008.1.20.1.1"
            command.otherElements = [CommandElement(tag: Tag(0x0000_1002), value: [0x01, 0x00])]
            let decoded = try CommandSet(decoding: command.encodedBytes)
            #expect(decoded == command)
            #expect(decoded.otherElement(Tag(0x0000_1002))?.value == [0x01, 0x00])
            let message = try DIMSEMessage(command: decoded)
            #expect(message == .other(command))
            #expect(message.hasDataSet)
        }

        @Test func paddingIsStripped() throws {
            var command = CommandSet(commandField: .cMoveRQ, hasDataSet: true)
            command.messageID = 1
            command.affectedSOPClassUID = Fixture.move
            command.moveDestination = "ODD"
            command.errorComment = "x"
            let decoded = try CommandSet(decoding: command.encodedBytes)
            #expect(decoded.moveDestination == "ODD")
            #expect(decoded.errorComment == "x")
            // A peer that pads AE titles to 16 bytes with spaces, UIDs with a space.
            var raw = CommandSet(commandField: .cMoveRQ, hasDataSet: true)
            raw.moveDestination = "  STORESCP      "
            raw.affectedSOPClassUID = "1.2.3 "
            let lax = try CommandSet(decoding: raw.encodedBytes)
            #expect(lax.moveDestination == "STORESCP")
            #expect(lax.affectedSOPClassUID == "1.2.3")
        }

        // MARK: Validation

        /// An Implicit VR Little Endian element.
        private func element(_ tag: UInt32, _ value: [UInt8]) -> [UInt8] {
            let t = Tag(tag)
            var out: [UInt8] = [UInt8(t.group & 0xFF), UInt8(t.group >> 8), UInt8(t.element & 0xFF), UInt8(t.element >> 8)]
            let n = UInt32(value.count)
            out += [UInt8(n & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n >> 16 & 0xFF), UInt8(n >> 24)]
            return out + value
        }

        @Test func missingCommandField() {
            let bytes = element(0x0000_0110, [1, 0]) + element(0x0000_0800, [1, 1])
            #expect(throws: DIMSEError.missingCommandElement(tag: .commandField, command: nil)) {
                try CommandSet(decoding: bytes)
            }
        }

        @Test func rejectsOtherGroups() {
            let bytes = element(0x0000_0100, [0x30, 0]) + element(0x0008_0016, Array("1.2\0".utf8))
            #expect(throws: DIMSEError.elementNotInCommandGroup(tag: Tag(0x0008_0016))) {
                try CommandSet(decoding: bytes)
            }
        }

        @Test func rejectsBadLengths() {
            #expect(throws: DIMSEError.invalidCommandElementLength(tag: .messageID, length: 3)) {
                try CommandSet(decoding: element(0x0000_0100, [0x30, 0]) + element(0x0000_0110, [1, 0, 0]))
            }
            #expect(throws: DIMSEError.invalidCommandElementLength(tag: .commandGroupLength, length: 2)) {
                try CommandSet(decoding: element(0x0000_0000, [1, 0]) + element(0x0000_0100, [0x30, 0]))
            }
            #expect(throws: DIMSEError.invalidCommandElementLength(tag: .offendingElement, length: 6)) {
                try CommandSet(decoding: element(0x0000_0100, [0x30, 0]) + element(0x0000_0901, [1, 0, 2, 0, 3, 0]))
            }
            // Event Type ID (US) without a typed field is still checked against its VR.
            #expect(throws: DIMSEError.invalidCommandElementLength(tag: Tag(0x0000_1002), length: 1)) {
                try CommandSet(decoding: element(0x0000_0100, [0x00, 1]) + element(0x0000_1002, [1]))
            }
            // Undefined length.
            let undefined: [UInt8] = [0x00, 0x00, 0x02, 0x00, 0xFF, 0xFF, 0xFF, 0xFF]
            #expect(throws: DIMSEError.invalidCommandElementLength(tag: .affectedSOPClassUID, length: 0xFFFF_FFFF)) {
                try CommandSet(decoding: element(0x0000_0100, [0x30, 0]) + undefined)
            }
            // A length past the end, and a header cut short.
            let long = element(0x0000_0100, [0x30, 0]) + [0x00, 0x00, 0x02, 0x00, 0x10, 0x00, 0x00, 0x00, 0x31, 0x00]
            #expect(throws: DIMSEError.commandTruncated(tag: .affectedSOPClassUID, offset: 10)) {
                try CommandSet(decoding: long)
            }
            #expect(throws: DIMSEError.commandTruncated(tag: .messageID, offset: 10)) {
                try CommandSet(decoding: element(0x0000_0100, [0x30, 0]) + [0x00, 0x00, 0x10, 0x01, 0x02])
            }
            #expect(throws: DIMSEError.commandTruncated(tag: nil, offset: 10)) {
                try CommandSet(decoding: element(0x0000_0100, [0x30, 0]) + [0x00, 0x00])
            }
        }

        @Test func rejectsDuplicates() {
            #expect(throws: DIMSEError.duplicateCommandElement(tag: .commandField)) {
                try CommandSet(decoding: element(0x0000_0100, [0x30, 0]) + element(0x0000_0100, [0x30, 0]))
            }
        }

        @Test func toleratesWrongGroupLength() throws {
            let bytes = element(0x0000_0000, [0xFF, 0, 0, 0]) + element(0x0000_0100, [0x30, 0]) + element(0x0000_0110, [5, 0])
                + element(0x0000_0002, Array("1.2.840.10008.1.1\0".utf8))
            #expect(try DIMSEMessage(decoding: bytes) == .cEchoRequest(CEchoRequest(messageID: 5)))
        }

        @Test func messageLevelRequiredFields() throws {
            var store = CStoreRequest(messageID: 1, affectedSOPClassUID: Fixture.ct, affectedSOPInstanceUID: "1.2").command
            store.affectedSOPInstanceUID = nil
            #expect(throws: DIMSEError.missingCommandElement(tag: .affectedSOPInstanceUID, command: .cStoreRQ)) {
                try DIMSEMessage(command: store)
            }
            var rsp = CEchoResponse(messageIDBeingRespondedTo: 1).command
            rsp.status = nil
            #expect(throws: DIMSEError.missingCommandElement(tag: .status, command: .cEchoRSP)) {
                try DIMSEMessage(command: rsp)
            }
            var find = CFindRequest(messageID: 1, affectedSOPClassUID: Fixture.find).command
            find.hasDataSet = false
            #expect(throws: DIMSEError.self) { try DIMSEMessage(command: find) }
            #expect((try? CFindRequest(command: CEchoRequest(messageID: 1).command)) == nil)
            var move = CMoveRequest(messageID: 1, affectedSOPClassUID: Fixture.move, moveDestination: "X").command
            move.moveDestination = nil
            let error = #expect(throws: DIMSEError.self) { try DIMSEMessage(command: move) }
            #expect(error?.tag == .moveDestination)
        }

        @Test func descriptionForTheTrace() {
            let rq = CStoreRequest(messageID: 3, affectedSOPClassUID: Fixture.ct, affectedSOPInstanceUID: "1.2.3")
            #expect(rq.description == "C-STORE-RQ id=3 class=1.2.840.10008.5.1.4.1.1.2 instance=1.2.3 priority=MEDIUM data set")
            let rsp = rq.response(status: DIMSEStatus(0xA711))
            #expect(rsp.description.contains("status=0xA711 Failure: Refused: Out of resources"))
        }
    }
}

// MARK: - Status

extension DIMSETests {
    @Suite struct StatusTests {
        @Test func categories() {
            let cases: [(UInt16, DIMSEStatus.Category)] = [
                (0x0000, .success), (0xFF00, .pending), (0xFF01, .pending), (0xFE00, .cancel),
                (0x0001, .warning), (0xB000, .warning), (0xB006, .warning), (0xB007, .warning), (0xBFFF, .warning),
                (0x0107, .warning), (0x0116, .warning),
                (0xA700, .failure), (0xA801, .failure), (0xA900, .failure), (0xAFFF, .failure), (0xC000, .failure),
                (0xCFFF, .failure), (0x0105, .failure), (0x0110, .failure), (0x0122, .failure), (0x0124, .failure),
                (0x0211, .failure), (0x0212, .failure), (0x0213, .failure),
                (0x0002, .unknown), (0xD000, .unknown), (0xFF02, .unknown), (0x9000, .unknown),
            ]
            for (code, category) in cases {
                #expect(DIMSEStatus(code).category == category, "0x\(String(code, radix: 16))")
            }
            #expect(DIMSEStatus.pending.isPending && !DIMSEStatus.pending.isFinal)
            #expect(DIMSEStatus(0xD000).isFailure)
            #expect(DIMSEStatus.success.isSuccess && DIMSEStatus.success.isFinal)
        }

        @Test func serviceSpecificMeanings() {
            #expect(DIMSEStatus(0xA7FE).meaning(for: .storage) == "Refused: Out of resources")
            #expect(DIMSEStatus(0xA900).meaning(for: .storage) == "Error: Data set does not match SOP Class")
            #expect(DIMSEStatus(0xC123).meaning(for: .storage) == "Error: Cannot understand")
            #expect(DIMSEStatus(0xB000).meaning(for: .storage) == "Coercion of data elements")
            #expect(DIMSEStatus(0xB007).meaning(for: .storage) == "Data set does not match SOP Class")
            #expect(DIMSEStatus(0xB006).meaning(for: .storage) == "Elements discarded")
            #expect(DIMSEStatus(0xB000).meaning(for: .move) == "Sub-operations complete: one or more failures or warnings")
            #expect(DIMSEStatus(0xA801).meaning(for: .move) == "Refused: Move destination unknown")
            #expect(DIMSEStatus(0xA801).meaning(for: .get) == nil)
            #expect(DIMSEStatus(0xA701).meaning(for: .get) == "Refused: Out of resources, unable to calculate number of matches")
            #expect(DIMSEStatus(0xA702).meaning(for: .move) == "Refused: Out of resources, unable to perform sub-operations")
            #expect(DIMSEStatus(0xA700).meaning(for: .find) == "Refused: Out of resources")
            #expect(DIMSEStatus(0xC001).meaning(for: .find) == "Unable to process")
            #expect(DIMSEStatus(0xFF00).meaning(for: .find) == "Matches are continuing: current match supplied")
            #expect(DIMSEStatus(0x0122).meaning(for: .storage) == "Refused: SOP Class not supported")
            #expect(DIMSEStatus(0x0124).meaning(for: .general) == "Refused: not authorized")
            #expect(DIMSEStatus(0x0211).meaning(for: .verification) == "Unrecognized operation")
            #expect(DIMSEStatus(0x0212).meaning(for: .find) == "Mistyped argument")
            #expect(DIMSEStatus(0xD000).meaning(for: .storage) == nil)
        }

        @Test func descriptions() {
            #expect(DIMSEStatus.outOfResources.description(for: .cStoreRSP) == "0xA700 Failure: Refused: Out of resources")
            #expect(DIMSEStatus.success.description == "0x0000 Success: Success")
            #expect(DIMSEStatus(0xB000).description(for: .cGetRSP) == "0xB000 Warning: Sub-operations complete: one or more failures or warnings")
            #expect(DIMSEStatus(0x1234).description == "0x1234 Unknown")
            #expect(DIMSEStatus.Service(.cMoveRQ) == .move)
        }
    }
}

// MARK: - Assembler

/// A sink that cannot be copied, like an ingest stream that owns a file.
private struct MoveOnlySink: DataSetSink, ~Copyable {
    var bytes: [UInt8] = []
    var appends = 0
    var finished = false
    var failAfter: Int? = nil
    struct Failure: Error {}

    mutating func append(_ fragment: ByteBuffer) throws {
        if let failAfter, appends >= failAfter { throw Failure() }
        appends += 1
        bytes += fragment.readableBytesView
    }
    mutating func finish() throws { finished = true }
}

extension DIMSETests {
    @Suite struct AssemblerTests {
        let store = CStoreRequest(messageID: 42, affectedSOPClassUID: Fixture.ct, affectedSOPInstanceUID: "1.2.826.0.1.3680043.1.2.3",
                                  moveOriginatorApplicationEntityTitle: "ORIGIN", moveOriginatorMessageID: 7)

        @Test func fragmentsOfEverySize() throws {
            let command = store.command.encodedBytes
            let data = testBytes(1000)
            for size in 1...max(command.count, data.count) {
                var assembler = MessageAssembler<DataSetBuffer>()
                var commands = 0
                var completed: (ReceivedCommand, [UInt8], Int)?
                for pdv in pdvs(command, size: size, command: true, context: 5) + pdvs(data, size: size, command: false, context: 5) {
                    switch try assembler.receive(pdv) {
                    case nil: break
                    case .dataSetFollows(let received):
                        commands += 1
                        #expect(received.presentationContextID == 5)
                        #expect(try received.message() == .cStoreRequest(store))
                        try assembler.receiveDataSet(into: DataSetBuffer())
                    case .message(let received, .received(let sink, let count)):
                        #expect(sink.isFinished)
                        completed = (received, sink.bytes, count)
                    case .message:
                        Issue.record("unexpected outcome")
                    }
                }
                #expect(commands == 1)
                #expect(completed?.1 == data, "fragment size \(size)")
                #expect(completed?.2 == data.count)
                #expect(completed?.0.command == store.command)
                #expect(assembler.isIdle)
            }
        }

        @Test func commandOnlyMessagesAndSequences() throws {
            var assembler = MessageAssembler<DataSetBuffer>()
            let echo = CEchoRequest(messageID: 1).command.encodedBytes
            for size in [1, 7, 64, echo.count] {
                var events = 0
                for pdv in pdvs(echo, size: size, command: true, context: 1) {
                    if case .message(let received, .noDataSet) = try assembler.receive(pdv) {
                        events += 1
                        #expect(try received.message() == .cEchoRequest(CEchoRequest(messageID: 1)))
                    }
                }
                #expect(events == 1)
            }
            // A C-FIND-RQ with its identifier on one context, then a C-CANCEL-RQ on the same.
            let identifier = testBytes(40)
            let find = CFindRequest(messageID: 2, affectedSOPClassUID: Fixture.find).command.encodedBytes
            var identifiers: [[UInt8]] = []
            var cancels = 0
            let stream = pdvs(find, size: 50, command: true, context: 3) + pdvs(identifier, size: 13, command: false, context: 3)
                + pdvs(CCancelRequest(messageIDBeingRespondedTo: 2).command.encodedBytes, size: 100, command: true, context: 3)
            for pdv in stream {
                switch try assembler.receive(pdv) {
                case nil: break
                case .dataSetFollows: try assembler.receiveDataSet(into: DataSetBuffer(limit: 1024))
                case .message(_, .received(let sink, _)): identifiers.append(sink.bytes)
                case .message(let received, .noDataSet):
                    if case .cCancelRequest(let cancel) = try received.message() {
                        #expect(cancel.messageIDBeingRespondedTo == 2)
                        cancels += 1
                    }
                default: Issue.record("unexpected event")
                }
            }
            #expect(identifiers == [identifier])
            #expect(cancels == 1)
        }

        @Test func emptyDataSetFragment() throws {
            var assembler = MessageAssembler<DataSetBuffer>()
            var outcome: Int?
            for pdv in pdvs(store.command.encodedBytes, size: 1000, command: true, context: 1) + pdvs([], size: 1, command: false, context: 1) {
                switch try assembler.receive(pdv) {
                case .dataSetFollows: try assembler.receiveDataSet(into: DataSetBuffer())
                case .message(_, .received(_, let count)): outcome = count
                default: break
                }
            }
            #expect(outcome == 0)
        }

        @Test func noncopyableSinkAndDiscard() throws {
            var assembler = MessageAssembler<MoveOnlySink>()
            let data = testBytes(300)
            var got: [UInt8] = []
            var discardedBytes = 0
            for round in 0..<2 {
                for pdv in pdvs(store.command.encodedBytes, size: 33, command: true, context: 9)
                    + pdvs(data, size: 64, command: false, context: 9) {
                    let event = try assembler.receive(pdv)
                    switch consume event {
                    case nil: break
                    case .dataSetFollows?:
                        if round == 0 { try assembler.receiveDataSet(into: MoveOnlySink()) } else { try assembler.discardDataSet() }
                    case .message(_, let outcome)?:
                        switch consume outcome {
                        case .received(let sink, let count):
                            let (finished, appends) = (sink.finished, sink.appends)
                            #expect(finished)
                            #expect(appends == 5)
                            #expect(count == 300)
                            got = sink.bytes
                        case .discarded(let count): discardedBytes = count
                        case .noDataSet: Issue.record("unexpected outcome")
                        case .failed: Issue.record("unexpected outcome")
                        }
                    }
                }
            }
            #expect(got == data)
            #expect(discardedBytes == 300)
        }

        @Test func sinkFailureKeepsTheAssociation() throws {
            var assembler = MessageAssembler<MoveOnlySink>()
            let data = testBytes(500)
            var failedCount: Int?
            for pdv in pdvs(store.command.encodedBytes, size: 500, command: true, context: 1)
                + pdvs(data, size: 100, command: false, context: 1)
                + pdvs(CEchoRequest(messageID: 2).command.encodedBytes, size: 500, command: true, context: 1) {
                let event = try assembler.receive(pdv)
                switch consume event {
                case nil: break
                case .dataSetFollows?:
                    var sink = MoveOnlySink()
                    sink.failAfter = 2
                    try assembler.receiveDataSet(into: sink)
                case .message(let received, let outcome)?:
                    switch consume outcome {
                    case .failed(let error, let count):
                        #expect(error is MoveOnlySink.Failure)
                        failedCount = count
                    case .noDataSet:
                        #expect(received.command.commandField == .cEchoRQ)
                    case .received: Issue.record("unexpected outcome")
                    case .discarded: Issue.record("unexpected outcome")
                    }
                }
            }
            #expect(failedCount == 500)
            let idle = assembler.isIdle
            #expect(idle)
        }

        @Test func resetHandsBackTheSink() throws {
            var assembler = MessageAssembler<DataSetBuffer>()
            for pdv in pdvs(store.command.encodedBytes, size: 500, command: true, context: 1) {
                if case .dataSetFollows = try assembler.receive(pdv) { try assembler.receiveDataSet(into: DataSetBuffer()) }
            }
            _ = try assembler.receive(PresentationDataValue(presentationContextID: 1, isCommand: false, isLast: false,
                                                            data: buffer([1, 2, 3])))
            #expect(assembler.currentCommand?.command == store.command)
            let sink = assembler.reset()
            #expect(sink?.bytes == [1, 2, 3])
            #expect(sink?.isFinished == false)
            #expect(assembler.isIdle)
        }

        @Test func dataSetBufferLimit() throws {
            var assembler = MessageAssembler<DataSetBuffer>()
            var failed = false
            for pdv in pdvs(store.command.encodedBytes, size: 500, command: true, context: 1)
                + pdvs(testBytes(100), size: 30, command: false, context: 1) {
                switch try assembler.receive(pdv) {
                case .dataSetFollows: try assembler.receiveDataSet(into: DataSetBuffer(limit: 50))
                case .message(_, .failed(let error, let count)):
                    failed = error is DataSetBuffer.LimitExceeded && count == 100
                default: break
                }
            }
            #expect(failed)
        }

        // MARK: Stream errors

        private func cmd(_ bytes: [UInt8], context: UInt8 = 1, last: Bool = true) -> PresentationDataValue {
            PresentationDataValue(presentationContextID: context, isCommand: true, isLast: last, data: buffer(bytes))
        }

        private func data(_ bytes: [UInt8], context: UInt8 = 1, last: Bool = true) -> PresentationDataValue {
            PresentationDataValue(presentationContextID: context, isCommand: false, isLast: last, data: buffer(bytes))
        }

        @Test func dataBeforeAnyCommand() {
            var assembler = MessageAssembler<DataSetBuffer>()
            #expect(throws: DIMSEError.dataSetWithoutCommand(presentationContextID: 1)) { try assembler.receive(data([1, 2])) }
        }

        @Test func dataAfterCommandWithoutDataSet() throws {
            var assembler = MessageAssembler<DataSetBuffer>()
            _ = try assembler.receive(cmd(CEchoRequest(messageID: 1).command.encodedBytes))
            #expect(throws: DIMSEError.unexpectedDataSet(command: .cEchoRQ, presentationContextID: 1)) {
                try assembler.receive(data([1, 2]))
            }
        }

        @Test func contextChangeInsideCommand() throws {
            var assembler = MessageAssembler<DataSetBuffer>()
            let bytes = store.command.encodedBytes
            _ = try assembler.receive(cmd(Array(bytes[..<10]), context: 1, last: false))
            #expect(throws: DIMSEError.presentationContextMismatch(expected: 1, received: 3)) {
                try assembler.receive(cmd(Array(bytes[10...]), context: 3))
            }
        }

        @Test func contextChangeInsideDataSet() throws {
            var assembler = MessageAssembler<DataSetBuffer>()
            _ = try assembler.receive(cmd(store.command.encodedBytes, context: 1))
            try assembler.receiveDataSet(into: DataSetBuffer())
            _ = try assembler.receive(data([1], context: 1, last: false))
            #expect(throws: DIMSEError.presentationContextMismatch(expected: 1, received: 5)) {
                try assembler.receive(data([2], context: 5))
            }
        }

        @Test func dataInsideCommand() throws {
            var assembler = MessageAssembler<DataSetBuffer>()
            let bytes = store.command.encodedBytes
            _ = try assembler.receive(cmd(Array(bytes[..<10]), last: false))
            #expect(throws: DIMSEError.dataSetBeforeCommandEnded(presentationContextID: 1)) { try assembler.receive(data([1])) }
        }

        @Test func secondCommandBeforeDataSetEnded() throws {
            var assembler = MessageAssembler<DataSetBuffer>()
            _ = try assembler.receive(cmd(store.command.encodedBytes))
            try assembler.receiveDataSet(into: DataSetBuffer())
            _ = try assembler.receive(data([1, 2, 3], last: false))
            #expect(throws: DIMSEError.commandBeforeDataSetEnded(command: .cStoreRQ, presentationContextID: 1)) {
                try assembler.receive(cmd(CEchoRequest(messageID: 2).command.encodedBytes))
            }
            // Also before the data set began.
            var other = MessageAssembler<DataSetBuffer>()
            _ = try other.receive(cmd(store.command.encodedBytes))
            #expect(throws: DIMSEError.commandBeforeDataSetEnded(command: .cStoreRQ, presentationContextID: 1)) {
                try other.receive(cmd(CEchoRequest(messageID: 2).command.encodedBytes))
            }
        }

        @Test func consumerMistakes() throws {
            var assembler = MessageAssembler<DataSetBuffer>()
            #expect(throws: DIMSEError.noDataSetExpected) { try assembler.receiveDataSet(into: DataSetBuffer()) }
            _ = try assembler.receive(cmd(store.command.encodedBytes))
            #expect(throws: DIMSEError.noDataSetSink(command: .cStoreRQ)) { try assembler.receive(data([1])) }
        }

        @Test func malformedCommandAndLimit() throws {
            var assembler = MessageAssembler<DataSetBuffer>()
            #expect(throws: DIMSEError.elementNotInCommandGroup(tag: Tag(0x0008_0000))) {
                try assembler.receive(cmd([0x08, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0]))
            }
            var small = MessageAssembler<DataSetBuffer>(maximumCommandLength: 100)
            _ = try small.receive(cmd([UInt8](repeating: 0, count: 60), last: false))
            #expect(throws: DIMSEError.commandTooLong(limit: 100)) { try small.receive(cmd([UInt8](repeating: 0, count: 60))) }
        }
    }
}

// MARK: - Fragmenter

extension DIMSETests {
    @Suite struct FragmenterTests {
        let store = CStoreRequest(messageID: 1, affectedSOPClassUID: Fixture.ct, affectedSOPInstanceUID: "1.2.3.4")

        /// Reassembles PDVs with the assembler, checking each against the PDU limit.
        func reassemble(_ fragments: [PresentationDataValue], maximumPDULength: UInt32,
                        file: String = #filePath, line: Int = #line) throws -> (CommandSet, [UInt8]?) {
            var assembler = MessageAssembler<DataSetBuffer>(maximumCommandLength: 1 << 20)
            var result: (CommandSet, [UInt8]?)?
            var sawData = false
            for (i, pdv) in fragments.enumerated() {
                if maximumPDULength > 0 {
                    // PS3.8 9.3.5: item length (4) + context ID (1) + control header (1) + fragment.
                #expect(4 + 1 + 1 + pdv.data.readableBytes <= Int(maximumPDULength))
                #expect(MessageFragmenter.pduBodyLength(of: pdv) == 6 + pdv.data.readableBytes)
                }
                if pdv.isCommand { #expect(!sawData, "command after data") } else { sawData = true }
                switch try assembler.receive(pdv) {
                case nil: #expect(i < fragments.count - 1 || !pdv.isLast)
                case .dataSetFollows: try assembler.receiveDataSet(into: DataSetBuffer(limit: .max))
                case .message(let received, .noDataSet):
                    #expect(i == fragments.count - 1)
                    result = (received.command, nil)
                case .message(let received, .received(let sink, _)):
                    #expect(i == fragments.count - 1)
                    result = (received.command, sink.bytes)
                case .message: Issue.record("unexpected outcome")
                }
            }
            return try #require(result)
        }

        @Test func matchesPynetdicomFragmentation() throws {
            // pynetdicom: C_ECHO_RQ.encode_msg(context_id=1, max_pdu_length=32).
            let echo = try MessageFragmenter(maximumPDULength: 32).fragments(.cEchoRequest(CEchoRequest(messageID: 7)),
                                                                              dataSet: nil, presentationContextID: 1)
            let expectedEcho: [(UInt8, String)] = [
                (1, "0000000004000000380000000000020012000000312e322e3834"),
                (1, "302e31303030382e312e31000000000102000000300000001001"),
                (3, "02000000070000000008020000000101"),
            ]
            #expect(Array(echo).map { $0.messageControlHeader } == expectedEcho.map(\.0))
            #expect(Array(echo).map { Array($0.data.readableBytesView) } == expectedEcho.map { hexBytes($0.1) })
            #expect(Array(echo).allSatisfy { $0.presentationContextID == 1 })

            // C_STORE_RQ with a 100-byte data set, context 3, max PDU 64.
            let storeFragments = Array(try MessageFragmenter(maximumPDULength: 64).fragments(
                .cStoreRequest(store), dataSet: buffer(Array(0..<100)), presentationContextID: 3))
            let expectedStore: [(UInt8, String)] = [
                (1, "00000000040000005a000000000002001a000000312e322e3834302e31303030382e352e312e342e312e312e3200000000010200000001000000"),
                (3, "100102000000010000000007020000000000000000080200000001000000001008000000312e322e332e3400"),
                (0, "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f30313233343536373839"),
                (2, "3a3b3c3d3e3f404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f60616263"),
            ]
            #expect(storeFragments.map { $0.messageControlHeader } == expectedStore.map(\.0))
            #expect(storeFragments.map { Array($0.data.readableBytesView) } == expectedStore.map { hexBytes($0.1) })
        }

        @Test(arguments: [UInt32(4096), 16384, 0, 7, 20, 137, 65536])
        func respectsMaximumPDULength(_ maximum: UInt32) throws {
            let fragmenter = try MessageFragmenter(maximumPDULength: maximum)
            for length in [0, 1, 4089, 4090, 4091, 16378, 16379, 50_000] {
                if maximum == 7 && length > 4091 { continue }  // a PDV per byte: slow and adds nothing
                let data = testBytes(length, seed: UInt64(length))
                let fragments = Array(fragmenter.fragments(.cStoreRequest(store), dataSet: buffer(data), presentationContextID: 1))
                let (command, received) = try reassemble(fragments, maximumPDULength: maximum)
                #expect(command == store.command)
                #expect(received == data, "max \(maximum) length \(length)")
                let dataFragments = fragments.filter { !$0.isCommand }
                let expectedCount = length == 0 ? 1 : (length + fragmenter.fragmentLength - 1) / fragmenter.fragmentLength
                #expect(dataFragments.count == expectedCount)
                #expect(dataFragments.filter(\.isLast).count == 1 && dataFragments.last!.isLast)
            }
            // Command only.
            let echo = Array(fragmenter.fragments(.cEchoRequest(CEchoRequest(messageID: 9)), dataSet: nil, presentationContextID: 1))
            #expect(try reassemble(echo, maximumPDULength: maximum) == (CEchoRequest(messageID: 9).command, nil))
        }

        @Test func fragmentLengths() throws {
            #expect(try MessageFragmenter(maximumPDULength: 16384).fragmentLength == 16378)
            #expect(try MessageFragmenter(maximumPDULength: 0).fragmentLength == MessageFragmenter.defaultMaximumFragmentLength)
            #expect(try MessageFragmenter(maximumPDULength: 0, maximumFragmentLength: 1000).fragmentLength == 1000)
            #expect(try MessageFragmenter(maximumPDULength: UInt32.max).fragmentLength == MessageFragmenter.defaultMaximumFragmentLength)
            #expect(try MessageFragmenter(maximumPDULength: 7).fragmentLength == 1)
            #expect(throws: DIMSEError.maximumPDULengthTooSmall(6)) { try MessageFragmenter(maximumPDULength: 6) }
        }

        @Test func dataSetTypeFollowsTheDataSet() throws {
            let fragmenter = try MessageFragmenter(maximumPDULength: 0)
            // A pending C-FIND-RSP built without the flag still announces its identifier.
            var rsp = CFindRequest(messageID: 1, affectedSOPClassUID: Fixture.find).response(status: .success)
            rsp.status = .pending
            let fragments = Array(fragmenter.fragments(.cFindResponse(rsp), dataSet: buffer([1, 2]), presentationContextID: 1))
            let (command, data) = try reassemble(fragments, maximumPDULength: 0)
            #expect(command.hasDataSet && data == [1, 2])
        }

        @Test func inMemoryFragmentsShareStorage() throws {
            let data = buffer(testBytes(100_000))
            let fragments = Array(try MessageFragmenter(maximumPDULength: 16384).dataSetFragments(data, presentationContextID: 1))
            #expect(fragments.count == 7)
            // Slices: the fragment bytes live in the original storage.
            data.withUnsafeReadableBytes { whole in
                fragments[1].data.withUnsafeReadableBytes { part in
                    #expect(part.baseAddress == whole.baseAddress! + 16378)
                }
            }
        }

        // MARK: Streamed sources

        func collect<S: AsyncSequence>(_ sequence: S) async throws -> [PresentationDataValue] where S.Element == PresentationDataValue {
            var out: [PresentationDataValue] = []
            for try await pdv in sequence { out.append(pdv) }
            return out
        }

        @Test(arguments: [UInt32(4096), 16384, 0])
        func streamsAFileRegion(_ maximum: UInt32) async throws {
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("dimse-\(UUID().uuidString).bin").path
            defer { try? FileManager.default.removeItem(atPath: path) }
            let header = testBytes(132, seed: 3)  // stands in for preamble + meta
            let body = testBytes(100_003, seed: 4)
            try Data(header + body).write(to: URL(fileURLWithPath: path))

            let fragmenter = try MessageFragmenter(maximumPDULength: maximum, maximumFragmentLength: 32768)
            let source = try FileRegionDataSetSource(path: path, offset: header.count)
            #expect(source.remainingByteCount == body.count)
            let fragments = try await collect(fragmenter.fragments(command: store.command, dataSet: source, presentationContextID: 7))
            let (command, data) = try reassemble(fragments, maximumPDULength: maximum)
            #expect(command == store.command)
            #expect(data == body)
            // Every fragment but the last is full, and none exceeds our own cap either.
            let dataFragments = fragments.filter { !$0.isCommand }
            #expect(dataFragments.dropLast().allSatisfy { $0.data.readableBytes == fragmenter.fragmentLength })
            #expect(dataFragments.allSatisfy { $0.data.readableBytes <= 32768 })

            // A region in the middle.
            let middle = try FileRegionDataSetSource(path: path, offset: 1000, length: 5000)
            let part = try await collect(fragmenter.fragments(command: store.command, dataSet: middle, presentationContextID: 7))
            #expect(try reassemble(part, maximumPDULength: maximum).1 == Array((header + body)[1000..<6000]))

            #expect(throws: FileRegionDataSetSource.Error.self) {
                try FileRegionDataSetSource(path: path, offset: 100, length: header.count + body.count)
            }
            #expect(throws: FileRegionDataSetSource.Error.self) { try FileRegionDataSetSource(path: path + ".missing") }
        }

        @Test(arguments: [UInt32(4096), 16384, 0])
        func streamsAnAsyncSequence(_ maximum: UInt32) async throws {
            let fragmenter = try MessageFragmenter(maximumPDULength: maximum, maximumFragmentLength: 20000)
            let body = testBytes(70_001, seed: 9)
            // Chunk sizes from tiny to larger than a fragment, and an empty one.
            let sizes = [1, 0, 5000, 3, 16378, 16379, 40000]
            var chunks: [ByteBuffer] = []
            var offset = 0
            var i = 0
            while offset < body.count {
                let n = min(sizes[i % sizes.count], body.count - offset)
                chunks.append(buffer(Array(body[offset..<offset + n])))
                offset += n
                i += 1
            }
            let stream = AsyncStream<ByteBuffer> { continuation in
                for chunk in chunks { continuation.yield(chunk) }
                continuation.finish()
            }
            let fragments = try await collect(fragmenter.fragments(command: store.command, dataSet: AsyncSequenceDataSetSource(stream),
                                                                   presentationContextID: 1))
            let (_, data) = try reassemble(fragments, maximumPDULength: maximum)
            #expect(data == body)

            // An empty stream is one empty last fragment.
            let empty = AsyncStream<ByteBuffer> { $0.finish() }
            let none = try await collect(fragmenter.fragments(command: store.command, dataSet: AsyncSequenceDataSetSource(empty),
                                                              presentationContextID: 1))
            #expect(none.filter { !$0.isCommand }.map(\.data.readableBytes) == [0])
            #expect(try reassemble(none, maximumPDULength: maximum).1 == [])
        }

        @Test func streamsABuffer() async throws {
            let fragmenter = try MessageFragmenter(maximumPDULength: 4096)
            let body = testBytes(10_000)
            let fragments = try await collect(fragmenter.fragments(command: store.command, dataSet: ByteBufferDataSetSource(buffer(body)),
                                                                   presentationContextID: 1))
            #expect(fragments.filter { !$0.isCommand }.map(\.data.readableBytes) == [4090, 4090, 1820])
            #expect(try reassemble(fragments, maximumPDULength: 4096).1 == body)
        }

        /// A source that promises more than it has.
        struct ShortSource: DataSetSource {
            var left = 10
            var remainingByteCount: Int? { 100 }
            mutating func read(upTo maxLength: Int) async throws -> ByteBuffer? {
                guard left > 0 else { return nil }
                let n = min(left, maxLength)
                left -= n
                return buffer([UInt8](repeating: 1, count: n))
            }
        }

        @Test func truncatedSourceFails() async throws {
            let fragmenter = try MessageFragmenter(maximumPDULength: 0)
            await #expect(throws: DIMSEError.dataSetSourceTruncated(expected: 100, received: 10)) {
                _ = try await collect(fragmenter.fragments(command: store.command, dataSet: ShortSource(), presentationContextID: 1))
            }
        }
    }
}
