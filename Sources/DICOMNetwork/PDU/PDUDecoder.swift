import NIOCore

/// Frames and decodes PDUs: the 6-byte header (PDU type, reserved, PDU-length as UInt32 big
/// endian), then the body once all of it has arrived.
///
/// The header is checked as soon as its 6 bytes are in, before any of the body is buffered: an
/// unknown PDU type or a length over the limit for its type fails at once, so a hostile length
/// never makes the channel wait for (or grow a buffer towards) gigabytes. Nothing is ever
/// allocated from a length read off the wire. The presentation data values of a P-DATA-TF are
/// slices of the received bytes, not copies.
public struct PDUDecoder: ByteToMessageDecoder, Sendable {
    public typealias InboundOut = PDU

    /// The cap for A-ASSOCIATE-RQ/-AC PDUs unless told otherwise. A request with 128
    /// presentation contexts of 10 transfer syntaxes each and a large SAML assertion stays well
    /// under it.
    public static let defaultMaximumAssociationPDULength: UInt32 = 1 << 20
    /// The cap for P-DATA-TF PDUs when this side announced a maximum length of 0 (no limit,
    /// PS3.8 D.1): a peer may then send any length, but buffering more than this for one PDU is
    /// not something a server should do.
    public static let unlimitedPDataLengthCap: UInt32 = 64 << 20
    /// No limit goes above this, so that a PDU always fits a `ByteBuffer`.
    static let absoluteLengthCap: UInt32 = 1 << 30

    /// The Maximum Length Received this side announced in its user information (PS3.8 D.1): the
    /// longest PDU-length field accepted for a P-DATA-TF. 0 means no limit, bounded in practice
    /// by ``unlimitedPDataLengthCap``.
    public var maximumPDataLength: UInt32
    /// The longest PDU-length field accepted for an A-ASSOCIATE-RQ or -AC.
    public var maximumAssociationPDULength: UInt32
    /// When true, the channel handler passes a P-DATA-TF on as its bytes arrive, one
    /// `.pData([value])` per piece of a presentation data value, instead of waiting for the whole
    /// PDU: a receiver then never holds a PDU in one piece, and no bytes are copied to stitch a
    /// PDU together from several reads. Only the last piece of a value keeps its "last fragment"
    /// bit, so the message assembler sees the same bytes, in more fragments. The checks are the
    /// same as for a whole PDU, made as each header arrives.
    public var streamsPData: Bool
    /// The P-DATA-TF being streamed, if one is under way.
    private var pData: PDataProgress?

    /// Where a streamed P-DATA-TF stands.
    struct PDataProgress {
        /// PDU-length field, for error messages.
        let length: UInt32
        /// Bytes of the PDU consumed so far, counting its 6-byte header.
        var offset = 6
        /// The value being passed on: its context, its message control header, its bytes to come.
        var value: (contextID: UInt8, controlHeader: UInt8, remaining: Int)?
        var remainingInPDU: Int { 6 + Int(length) - offset }
    }

    /// The smallest piece of a presentation data value passed on before its end has arrived.
    static let minimumStreamedPiece = 8192

    public init(
        maximumPDataLength: UInt32,
        maximumAssociationPDULength: UInt32 = PDUDecoder.defaultMaximumAssociationPDULength,
        streamsPData: Bool = false
    ) {
        self.maximumPDataLength = maximumPDataLength
        self.maximumAssociationPDULength = maximumAssociationPDULength
        self.streamsPData = streamsPData
    }

    /// The longest PDU-length field accepted for a PDU of `type`.
    public func limit(for type: PDUType) -> UInt32 {
        switch type {
        case .pData:
            min(maximumPDataLength == 0 ? Self.unlimitedPDataLengthCap : maximumPDataLength, Self.absoluteLengthCap)
        case .associateRQ, .associateAC:
            min(maximumAssociationPDULength, Self.absoluteLengthCap)
        case .associateRJ, .releaseRQ, .releaseRP, .abort:
            4
        }
    }

    /// Decodes the PDU at the start of `buffer`'s readable bytes and consumes it, or returns nil
    /// (consuming nothing) while the PDU is incomplete. Throws as soon as the header shows the
    /// PDU cannot be accepted; after an error the connection must be aborted, and how much of
    /// `buffer` was consumed is unspecified.
    public func decodePDU(from buffer: inout ByteBuffer) throws(PDUDecodingError) -> PDU? {
        guard let (type, length) = try header(of: buffer) else { return nil }
        let total = 6 + Int(length)
        guard buffer.readableBytes >= total, let pdu = buffer.readSlice(length: total) else { return nil }
        return try PDUParser.parse(pdu, type: type)
    }

    /// The type and length of the PDU starting at `buffer`'s reader index, checked against the
    /// type's rules and limits; nil (consuming nothing) until the 6 header bytes are in.
    func header(of buffer: ByteBuffer) throws(PDUDecodingError) -> (type: PDUType, length: UInt32)? {
        let start = buffer.readerIndex
        guard buffer.readableBytes >= 6,
              let typeByte = buffer.getInteger(at: start, as: UInt8.self),
              let length = buffer.getInteger(at: start + 2, as: UInt32.self)
        else { return nil }
        guard let type = PDUType(rawValue: typeByte) else {
            throw PDUDecodingError(.unrecognizedPDUType, pduType: typeByte, offset: 0)
        }
        switch type {
        case .associateRJ, .releaseRQ, .releaseRP, .abort:
            guard length == 4 else {
                throw PDUDecodingError(.invalidPDULength(length), pduType: typeByte, offset: 2)
            }
        case .associateRQ, .associateAC:
            guard length >= 68 else {
                throw PDUDecodingError(.invalidPDULength(length), pduType: typeByte, offset: 2)
            }
        case .pData:
            break
        }
        let limit = limit(for: type)
        guard length <= limit else {
            throw PDUDecodingError(.pduTooLong(length: length, limit: limit), pduType: typeByte, offset: 2)
        }
        return (type, length)
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        let decoded = streamsPData ? try decodeStreaming(from: &buffer) : try decodePDU(from: &buffer)
        guard let pdu = decoded else { return .needMoreData }
        context.fireChannelRead(Self.wrapInboundOut(pdu))
        return .continue
    }

    /// `decodePDU`, except that a P-DATA-TF comes out piece by piece (see `streamsPData`).
    public mutating func decodeStreaming(from buffer: inout ByteBuffer) throws(PDUDecodingError) -> PDU? {
        guard var progress = pData else {
            guard let (type, length) = try header(of: buffer), type == .pData else { return try decodePDU(from: &buffer) }
            guard length > 0 else { throw PDUDecodingError(.missingItem(nil), pduType: PDUType.pData.rawValue, offset: 6) }
            buffer.moveReaderIndex(forwardBy: 6)
            pData = PDataProgress(length: length)
            return try decodeStreaming(from: &buffer)
        }
        func failure(_ problem: PDUDecodingError.Problem, at offset: Int) -> PDUDecodingError {
            PDUDecodingError(problem, pduType: PDUType.pData.rawValue, offset: offset)
        }
        if progress.value == nil {
            // A PDV item header: item length (4 bytes), presentation context ID, message control header.
            guard progress.remainingInPDU >= 6 else {
                throw failure(.truncatedItemHeader(remaining: progress.remainingInPDU), at: progress.offset)
            }
            guard buffer.readableBytes >= 6, let itemLength = buffer.readInteger(as: UInt32.self),
                  let contextID = buffer.readInteger(as: UInt8.self), let controlHeader = buffer.readInteger(as: UInt8.self)
            else { return nil }
            let length = Int(itemLength)
            guard length >= 2 else { throw failure(.invalidItemLength(length), at: progress.offset) }
            guard length <= progress.remainingInPDU - 4 else {
                throw failure(.itemOverrun(length: length, remaining: progress.remainingInPDU - 4), at: progress.offset)
            }
            progress.offset += 6
            progress.value = (contextID, controlHeader, length - 2)
        }
        let value = progress.value!
        let count = min(buffer.readableBytes, value.remaining)
        guard count == value.remaining || count >= Self.minimumStreamedPiece, let data = buffer.readSlice(length: count) else {
            pData = progress
            return nil
        }
        let isEnd = count == value.remaining
        progress.offset += count
        progress.value = isEnd ? nil : (value.contextID, value.controlHeader, value.remaining - count)
        pData = isEnd && progress.remainingInPDU == 0 ? nil : progress
        return .pData([PresentationDataValue(presentationContextID: value.contextID, isCommand: value.controlHeader & 0x01 != 0,
                                             isLast: isEnd && value.controlHeader & 0x02 != 0, data: data)])
    }

    public mutating func decodeLast(
        context: ChannelHandlerContext,
        buffer: inout ByteBuffer,
        seenEOF: Bool
    ) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        if seenEOF, let progress = pData {
            let received = progress.offset + buffer.readableBytes
            buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
            throw PDUDecodingError(.truncatedPDU(received: received, expected: 6 + Int(progress.length)),
                                   pduType: PDUType.pData.rawValue, offset: received)
        }
        if seenEOF, buffer.readableBytes > 0, let typeByte = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self) {
            let expected = buffer.getInteger(at: buffer.readerIndex + 2, as: UInt32.self).map { 6 + Int($0) } ?? 6
            let received = buffer.readableBytes
            buffer.moveReaderIndex(forwardBy: received)
            throw PDUDecodingError(.truncatedPDU(received: received, expected: expected), pduType: typeByte, offset: received)
        }
        return .needMoreData
    }
}

// MARK: - Body parsing

/// Reads the fields of one complete PDU. Every read is bounds-checked against the enclosing
/// item, and errors carry the offset from the PDU's first byte.
enum PDUParser {
    static func parse(_ pdu: ByteBuffer, type: PDUType) throws(PDUDecodingError) -> PDU {
        var cursor = PDUCursor(bytes: pdu, pduType: type.rawValue, offset: 6, end: pdu.readableBytes, itemType: nil)
        switch type {
        case .associateRQ, .associateAC:
            return try parseAssociate(&cursor, isRequest: type == .associateRQ)
        case .associateRJ:
            cursor.skip(1)
            let resultByte = cursor.uint8()
            guard let result = AssociateRJ.Result(rawValue: resultByte) else {
                throw cursor.error(.invalidFieldValue(field: "result", value: UInt32(resultByte)), at: 7)
            }
            let sourceByte = cursor.uint8()
            guard let source = AssociateRJ.Source(rawValue: sourceByte) else {
                throw cursor.error(.invalidFieldValue(field: "source", value: UInt32(sourceByte)), at: 8)
            }
            return .associateRJ(AssociateRJ(result: result, reason: .init(source: source, reason: cursor.uint8())))
        case .pData:
            return .pData(try parsePData(&cursor))
        case .releaseRQ:
            return .releaseRQ
        case .releaseRP:
            return .releaseRP
        case .abort:
            cursor.skip(2)
            let sourceByte = cursor.uint8()
            guard let source = Abort.Source(rawValue: sourceByte) else {
                throw cursor.error(.invalidFieldValue(field: "source", value: UInt32(sourceByte)), at: 8)
            }
            // The reason is not significant for a service-user abort, and reserved values are
            // no reason to refuse an abort.
            return .abort(Abort(source: source, reason: Abort.Reason(rawValue: cursor.uint8()) ?? .notSpecified))
        }
    }

    private static func parsePData(_ cursor: inout PDUCursor) throws(PDUDecodingError) -> [PresentationDataValue] {
        var values: [PresentationDataValue] = []
        while cursor.remaining > 0 {
            let itemStart = cursor.offset
            guard cursor.remaining >= 4 else {
                throw cursor.error(.truncatedItemHeader(remaining: cursor.remaining), at: itemStart)
            }
            let length = Int(cursor.uint32())
            guard length >= 2 else { throw cursor.error(.invalidItemLength(length), at: itemStart) }
            guard length <= cursor.remaining else {
                throw cursor.error(.itemOverrun(length: length, remaining: cursor.remaining), at: itemStart)
            }
            let contextID = cursor.uint8()
            let header = cursor.uint8()
            let data = cursor.slice(length - 2)
            values.append(PresentationDataValue(
                presentationContextID: contextID,
                isCommand: header & 0x01 != 0,
                isLast: header & 0x02 != 0,
                data: data
            ))
        }
        guard !values.isEmpty else { throw cursor.error(.missingItem(nil), at: 6) }
        return values
    }

    private static func parseAssociate(_ cursor: inout PDUCursor, isRequest: Bool) throws(PDUDecodingError) -> PDU {
        let protocolVersion = cursor.uint16()
        cursor.skip(2)
        let called = AETitle(rawField: cursor.latin1(16))
        let calling = AETitle(rawField: cursor.latin1(16))
        cursor.skip(32)
        let variableItemsStart = cursor.offset

        var applicationContext: String?
        var requestContexts: [AssociateRQ.PresentationContext] = []
        var acceptContexts: [AssociateAC.PresentationContext] = []
        var userInformation: UserInformation?
        var unknownItems: [RawPDUItem] = []

        while cursor.remaining > 0 {
            var item = try cursor.item()
            switch item.itemType ?? 0 {
            case 0x10:
                guard applicationContext == nil else { throw item.error(.unexpectedItem(0x10), at: item.start) }
                applicationContext = item.uid(item.remaining)
            case 0x20 where isRequest:
                requestContexts.append(try parseRequestContext(&item))
            case 0x21 where !isRequest:
                acceptContexts.append(try parseAcceptContext(&item))
            case 0x50:
                guard userInformation == nil else { throw item.error(.unexpectedItem(0x50), at: item.start) }
                userInformation = try parseUserInformation(&item)
            case 0x20, 0x21, 0x30, 0x40, 0x51...0x59:
                throw item.error(.unexpectedItem(item.itemType ?? 0), at: item.start)
            default:
                unknownItems.append(RawPDUItem(itemType: item.itemType ?? 0, value: item.bytes(item.remaining)))
            }
        }

        guard let applicationContext else {
            throw cursor.error(.missingItem(0x10), at: variableItemsStart)
        }
        guard isRequest ? !requestContexts.isEmpty : !acceptContexts.isEmpty else {
            throw cursor.error(.missingItem(isRequest ? 0x20 : 0x21), at: variableItemsStart)
        }
        guard let userInformation else {
            throw cursor.error(.missingItem(0x50), at: variableItemsStart)
        }
        if isRequest {
            return .associateRQ(AssociateRQ(
                protocolVersion: protocolVersion, calledAETitle: called, callingAETitle: calling,
                applicationContextName: applicationContext, presentationContexts: requestContexts,
                userInformation: userInformation, unknownItems: unknownItems
            ))
        }
        return .associateAC(AssociateAC(
            protocolVersion: protocolVersion, calledAETitle: called, callingAETitle: calling,
            applicationContextName: applicationContext, presentationContexts: acceptContexts,
            userInformation: userInformation, unknownItems: unknownItems
        ))
    }

    private static func parseRequestContext(_ item: inout PDUCursor) throws(PDUDecodingError) -> AssociateRQ.PresentationContext {
        try item.need(4)
        let id = item.uint8()
        item.skip(3)
        var abstractSyntax: String?
        var transferSyntaxes: [String] = []
        while item.remaining > 0 {
            var sub = try item.item()
            switch sub.itemType ?? 0 {
            case 0x30:
                guard abstractSyntax == nil else { throw sub.error(.unexpectedItem(0x30), at: sub.start) }
                abstractSyntax = sub.uid(sub.remaining)
            case 0x40:
                transferSyntaxes.append(sub.uid(sub.remaining))
            case 0x10, 0x20, 0x21, 0x50...0x59:
                throw sub.error(.unexpectedItem(sub.itemType ?? 0), at: sub.start)
            default:
                throw sub.error(.unrecognizedItem(sub.itemType ?? 0), at: sub.start)
            }
        }
        guard let abstractSyntax else { throw item.error(.missingItem(0x30), at: item.start) }
        guard !transferSyntaxes.isEmpty else { throw item.error(.missingItem(0x40), at: item.start) }
        return .init(id: id, abstractSyntax: abstractSyntax, transferSyntaxes: transferSyntaxes)
    }

    private static func parseAcceptContext(_ item: inout PDUCursor) throws(PDUDecodingError) -> AssociateAC.PresentationContext {
        try item.need(4)
        let id = item.uint8()
        item.skip(1)
        let resultOffset = item.offset
        let resultByte = item.uint8()
        guard let result = AssociateAC.Result(rawValue: resultByte) else {
            throw item.error(.invalidFieldValue(field: "result/reason", value: UInt32(resultByte)), at: resultOffset)
        }
        item.skip(1)
        var transferSyntax: String?
        while item.remaining > 0 {
            var sub = try item.item()
            switch sub.itemType ?? 0 {
            case 0x40:
                guard transferSyntax == nil else { throw sub.error(.unexpectedItem(0x40), at: sub.start) }
                transferSyntax = sub.uid(sub.remaining)
            case 0x10, 0x20, 0x21, 0x30, 0x50...0x59:
                throw sub.error(.unexpectedItem(sub.itemType ?? 0), at: sub.start)
            default:
                throw sub.error(.unrecognizedItem(sub.itemType ?? 0), at: sub.start)
            }
        }
        if result == .acceptance, transferSyntax == nil {
            throw item.error(.missingItem(0x40), at: item.start)
        }
        return .init(id: id, result: result, transferSyntax: transferSyntax)
    }

    private static func parseUserInformation(_ item: inout PDUCursor) throws(PDUDecodingError) -> UserInformation {
        var subItems: [UserInformation.SubItem] = []
        while item.remaining > 0 {
            var sub = try item.item()
            let type = sub.itemType ?? 0
            switch type {
            case 0x51:
                try sub.requireLength(4)
                subItems.append(.maximumLength(sub.uint32()))
            case 0x52:
                subItems.append(.implementationClassUID(sub.uid(sub.remaining)))
            case 0x53:
                try sub.requireLength(4)
                subItems.append(.asynchronousOperationsWindow(.init(
                    maximumOperationsInvoked: sub.uint16(), maximumOperationsPerformed: sub.uint16()
                )))
            case 0x54:
                let uid = try sub.lengthPrefixedUID()
                try sub.requireRemaining(2)
                subItems.append(.roleSelection(.init(sopClassUID: uid, scuRole: sub.uint8() != 0, scpRole: sub.uint8() != 0)))
            case 0x55:
                subItems.append(.implementationVersionName(sub.latin1(sub.remaining)))
            case 0x56:
                let uid = try sub.lengthPrefixedUID()
                subItems.append(.sopClassExtendedNegotiation(.init(
                    sopClassUID: uid, serviceClassApplicationInformation: sub.bytes(sub.remaining)
                )))
            case 0x57:
                let sopClass = try sub.lengthPrefixedUID()
                let serviceClass = try sub.lengthPrefixedUID()
                var related = try sub.lengthPrefixedField()
                var relatedUIDs: [String] = []
                while related.remaining > 0 {
                    relatedUIDs.append(try related.lengthPrefixedUID())
                }
                try sub.requireRemaining(0)
                subItems.append(.sopClassCommonExtendedNegotiation(.init(
                    sopClassUID: sopClass, serviceClassUID: serviceClass, relatedGeneralSOPClassUIDs: relatedUIDs
                )))
            case 0x58:
                try sub.need(2)
                let identityType = UserInformation.IdentityType(rawValue: sub.uint8())
                let positiveResponseRequested = sub.uint8() != 0
                let primary = try sub.lengthPrefixedField()
                let secondary = try sub.lengthPrefixedField()
                try sub.requireRemaining(0)
                subItems.append(.userIdentityRQ(.init(
                    identityType: identityType, positiveResponseRequested: positiveResponseRequested,
                    primaryField: primary.allBytes(), secondaryField: secondary.allBytes()
                )))
            case 0x59:
                let response = try sub.lengthPrefixedField()
                try sub.requireRemaining(0)
                subItems.append(.userIdentityAC(.init(serverResponse: response.allBytes())))
            case 0x10, 0x20, 0x21, 0x30, 0x40, 0x50:
                throw sub.error(.unexpectedItem(type), at: sub.start)
            default:
                subItems.append(.unknown(RawPDUItem(itemType: type, value: sub.bytes(sub.remaining))))
            }
        }
        return UserInformation(subItems: subItems)
    }
}

/// A bounded view of part of a PDU: reads never pass `end`, which never passes the PDU's end.
/// The callers check the remaining length before each fixed-size read; the reads themselves
/// also stop at the end (yielding zeros) rather than trap.
struct PDUCursor {
    let bytes: ByteBuffer
    let pduType: UInt8
    /// Offsets from the PDU's first byte.
    var offset: Int
    let end: Int
    /// The item this cursor walks (nil for the PDU's own fields).
    let itemType: UInt8?
    /// Where that item's header starts.
    let start: Int
    /// That item's length field.
    let itemLength: Int

    init(bytes: ByteBuffer, pduType: UInt8, offset: Int, end: Int, itemType: UInt8?, start: Int = 0, itemLength: Int = 0) {
        self.bytes = bytes
        self.pduType = pduType
        self.offset = offset
        self.end = end
        self.itemType = itemType
        self.start = start
        self.itemLength = itemLength
    }

    var remaining: Int { end - offset }

    func error(_ problem: PDUDecodingError.Problem, at offset: Int) -> PDUDecodingError {
        PDUDecodingError(problem, pduType: pduType, itemType: itemType, offset: offset)
    }

    /// At least `count` bytes must be left for the item's fixed fields.
    func need(_ count: Int) throws(PDUDecodingError) {
        guard remaining >= count else { throw error(.invalidItemLength(itemLength), at: start) }
    }

    /// The item's length must be exactly `length`.
    func requireLength(_ length: Int) throws(PDUDecodingError) {
        guard itemLength == length else { throw error(.invalidItemLength(itemLength), at: start) }
    }

    /// Exactly `count` bytes must be left: the item's last fixed fields, nothing after them.
    func requireRemaining(_ count: Int) throws(PDUDecodingError) {
        guard remaining == count else { throw error(.invalidItemLength(itemLength), at: start) }
    }

    mutating func skip(_ count: Int) {
        offset += min(count, remaining)
    }

    mutating func uint8() -> UInt8 { read(UInt8.self) }
    mutating func uint16() -> UInt16 { read(UInt16.self) }
    mutating func uint32() -> UInt32 { read(UInt32.self) }

    private mutating func read<T: FixedWidthInteger>(_: T.Type) -> T {
        let size = MemoryLayout<T>.size
        guard remaining >= size else {
            offset = end
            return 0
        }
        defer { offset += size }
        return bytes.getInteger(at: bytes.readerIndex + offset, as: T.self) ?? 0
    }

    mutating func slice(_ count: Int) -> ByteBuffer {
        let count = min(max(count, 0), remaining)
        defer { offset += count }
        return bytes.getSlice(at: bytes.readerIndex + offset, length: count) ?? ByteBuffer()
    }

    mutating func bytes(_ count: Int) -> [UInt8] {
        let count = min(max(count, 0), remaining)
        defer { offset += count }
        return bytes.getBytes(at: bytes.readerIndex + offset, length: count) ?? []
    }

    func allBytes() -> [UInt8] {
        bytes.getBytes(at: bytes.readerIndex + offset, length: remaining) ?? []
    }

    /// Text of the default character repertoire; each byte read as one ISO 8859-1 character so
    /// that nothing is lost.
    mutating func latin1(_ count: Int) -> String {
        let raw = bytes(count)
        if raw.allSatisfy({ $0 < 0x80 }) { return String(decoding: raw, as: UTF8.self) }
        var scalars = String.UnicodeScalarView()
        scalars.append(contentsOf: raw.map { Unicode.Scalar($0) })
        return String(scalars)
    }

    /// A UID, without the trailing NUL or space padding some implementations add although
    /// PS3.8 forbids it.
    mutating func uid(_ count: Int) -> String {
        var text = latin1(count)
        while let last = text.unicodeScalars.last, last == "\0" || last == " " {
            text.unicodeScalars.removeLast()
        }
        return text
    }

    /// Reads an item header (type, reserved, UInt16 length) and returns a cursor over the item's
    /// value; this cursor moves past the item.
    mutating func item() throws(PDUDecodingError) -> PDUCursor {
        let itemStart = offset
        guard remaining >= 4 else { throw error(.truncatedItemHeader(remaining: remaining), at: itemStart) }
        let type = uint8()
        skip(1)
        let length = Int(uint16())
        guard length <= remaining else {
            throw PDUDecodingError(
                .itemOverrun(length: length, remaining: remaining), pduType: pduType, itemType: type, offset: itemStart
            )
        }
        let value = PDUCursor(
            bytes: bytes, pduType: pduType, offset: offset, end: offset + length, itemType: type, start: itemStart, itemLength: length
        )
        offset += length
        return value
    }

    /// A field preceded by its UInt16 length, as a cursor over the field.
    mutating func lengthPrefixedField() throws(PDUDecodingError) -> PDUCursor {
        let fieldStart = offset
        try need(2)
        let length = Int(uint16())
        guard length <= remaining else {
            throw error(.itemOverrun(length: length, remaining: remaining), at: fieldStart)
        }
        let field = PDUCursor(
            bytes: bytes, pduType: pduType, offset: offset, end: offset + length, itemType: itemType, start: start, itemLength: itemLength
        )
        offset += length
        return field
    }

    mutating func lengthPrefixedUID() throws(PDUDecodingError) -> String {
        var field = try lengthPrefixedField()
        return field.uid(field.remaining)
    }
}
