import NIOCore

/// Encodes PDUs (PS3.8 §9.3). Every PDU is written as given: P-DATA-TF PDUs are not split here
/// (the DIMSE layer fragments, see ``PresentationDataValue/fragment(_:presentationContextID:isCommand:maximumPDULength:)``).
/// Reserved fields are written as zero, except the A-ASSOCIATE-AC's called and calling AE title
/// fields, which carry ``AssociateAC/calledAETitle`` and ``AssociateAC/callingAETitle``.
public struct PDUEncoder: MessageToByteEncoder, Sendable {
    public typealias OutboundIn = PDU

    public init() {}

    public func encode(data: PDU, out: inout ByteBuffer) throws {
        try encode(data, into: &out)
    }

    /// Appends `pdu` to `buffer`. Throws when a value does not fit its field (an AE title longer
    /// than 16 characters, text outside ISO 8859-1, an item longer than 65535 bytes); `buffer`
    /// is then left as it was.
    public func encode(_ pdu: PDU, into buffer: inout ByteBuffer) throws(PDUEncodingError) {
        let start = buffer.writerIndex
        do {
            try Self.write(pdu, into: &buffer)
        } catch {
            buffer.moveWriterIndex(to: start)
            throw error
        }
    }

    /// `pdu` encoded into a new buffer.
    public func encode(_ pdu: PDU, allocator: ByteBufferAllocator = ByteBufferAllocator()) throws(PDUEncodingError) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: Self.estimatedLength(of: pdu))
        try encode(pdu, into: &buffer)
        return buffer
    }

    private static func estimatedLength(of pdu: PDU) -> Int {
        switch pdu {
        case .pData(let values): values.reduce(6) { $0 + 6 + $1.data.readableBytes }
        case .associateRQ, .associateAC: 512
        case .associateRJ, .releaseRQ, .releaseRP, .abort: 10
        }
    }

    private static func write(_ pdu: PDU, into buffer: inout ByteBuffer) throws(PDUEncodingError) {
        let type = pdu.type
        buffer.writeInteger(type.rawValue)
        buffer.writeInteger(UInt8(0))
        let lengthIndex = buffer.writerIndex
        buffer.writeInteger(UInt32(0))

        var writer = ItemWriter(pduType: type)
        switch pdu {
        case .associateRQ(let rq):
            try writer.fixedFields(rq.protocolVersion, rq.calledAETitle, rq.callingAETitle, into: &buffer)
            try writer.textItem(0x10, rq.applicationContextName, into: &buffer)
            for context in rq.presentationContexts {
                let item = writer.beginItem(0x20, into: &buffer)
                buffer.writeInteger(context.id)
                buffer.writeRepeatingByte(0, count: 3)
                try writer.textItem(0x30, context.abstractSyntax, into: &buffer)
                for transferSyntax in context.transferSyntaxes {
                    try writer.textItem(0x40, transferSyntax, into: &buffer)
                }
                try writer.endItem(item, into: &buffer)
            }
            try writer.userInformation(rq.userInformation, into: &buffer)
            try writer.rawItems(rq.unknownItems, into: &buffer)
        case .associateAC(let ac):
            try writer.fixedFields(ac.protocolVersion, ac.calledAETitle, ac.callingAETitle, into: &buffer)
            try writer.textItem(0x10, ac.applicationContextName, into: &buffer)
            for context in ac.presentationContexts {
                let item = writer.beginItem(0x21, into: &buffer)
                buffer.writeInteger(context.id)
                buffer.writeInteger(UInt8(0))
                buffer.writeInteger(context.result.rawValue)
                buffer.writeInteger(UInt8(0))
                if let transferSyntax = context.transferSyntax {
                    try writer.textItem(0x40, transferSyntax, into: &buffer)
                }
                try writer.endItem(item, into: &buffer)
            }
            try writer.userInformation(ac.userInformation, into: &buffer)
            try writer.rawItems(ac.unknownItems, into: &buffer)
        case .associateRJ(let rj):
            buffer.writeInteger(UInt8(0))
            buffer.writeInteger(rj.result.rawValue)
            buffer.writeInteger(rj.source.rawValue)
            buffer.writeInteger(rj.reason.code)
        case .pData(let values):
            for value in values {
                let length = value.data.readableBytes + 2
                guard length <= UInt32.max else {
                    throw PDUEncodingError(pduType: type, reason: "presentation data value of \(length - 2) bytes")
                }
                buffer.writeInteger(UInt32(length))
                buffer.writeInteger(value.presentationContextID)
                buffer.writeInteger(value.messageControlHeader)
                buffer.writeImmutableBuffer(value.data)
            }
        case .releaseRQ, .releaseRP:
            buffer.writeInteger(UInt32(0))
        case .abort(let abort):
            buffer.writeInteger(UInt16(0))
            buffer.writeInteger(abort.source.rawValue)
            buffer.writeInteger(abort.reason.rawValue)
        }

        let length = buffer.writerIndex - lengthIndex - 4
        guard length <= UInt32.max else {
            throw PDUEncodingError(pduType: type, reason: "PDU length \(length) exceeds 2^32 - 1")
        }
        buffer.setInteger(UInt32(length), at: lengthIndex)
    }
}

/// Writes items with a UInt16 length that is filled in when the item ends.
private struct ItemWriter {
    let pduType: PDUType
    /// The types of the open items, innermost last, for error messages.
    var open: [UInt8] = []

    init(pduType: PDUType) {
        self.pduType = pduType
    }

    func error(_ reason: String, itemType: UInt8? = nil) -> PDUEncodingError {
        PDUEncodingError(pduType: pduType, itemType: itemType ?? open.last, reason: reason)
    }

    mutating func beginItem(_ type: UInt8, into buffer: inout ByteBuffer) -> Int {
        buffer.writeInteger(type)
        buffer.writeInteger(UInt8(0))
        open.append(type)
        let lengthIndex = buffer.writerIndex
        buffer.writeInteger(UInt16(0))
        return lengthIndex
    }

    mutating func endItem(_ lengthIndex: Int, into buffer: inout ByteBuffer) throws(PDUEncodingError) {
        let length = buffer.writerIndex - lengthIndex - 2
        guard length <= UInt16.max else { throw error("item length \(length) exceeds 65535") }
        buffer.setInteger(UInt16(length), at: lengthIndex)
        open.removeLast()
    }

    mutating func fixedFields(
        _ version: UInt16, _ called: AETitle, _ calling: AETitle, into buffer: inout ByteBuffer
    ) throws(PDUEncodingError) {
        buffer.writeInteger(version)
        buffer.writeInteger(UInt16(0))
        try aeTitle(called, into: &buffer)
        try aeTitle(calling, into: &buffer)
        buffer.writeRepeatingByte(0, count: 32)
    }

    func aeTitle(_ title: AETitle, into buffer: inout ByteBuffer) throws(PDUEncodingError) {
        guard let bytes = latin1(title.raw), bytes.count <= 16 else {
            throw error("AE title \"\(title.raw)\" is not 16 characters of ISO 8859-1 at most")
        }
        buffer.writeBytes(bytes)
        buffer.writeRepeatingByte(0x20, count: 16 - bytes.count)
    }

    func latin1(_ text: String) -> [UInt8]? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            guard scalar.value <= 0xFF else { return nil }
            bytes.append(UInt8(scalar.value))
        }
        return bytes
    }

    func text(_ text: String, itemType: UInt8? = nil, into buffer: inout ByteBuffer) throws(PDUEncodingError) {
        guard let bytes = latin1(text) else {
            throw error("\"\(text)\" has characters outside ISO 8859-1", itemType: itemType)
        }
        buffer.writeBytes(bytes)
    }

    mutating func textItem(_ type: UInt8, _ value: String, into buffer: inout ByteBuffer) throws(PDUEncodingError) {
        let item = beginItem(type, into: &buffer)
        try text(value, into: &buffer)
        try endItem(item, into: &buffer)
    }

    /// A field preceded by its UInt16 length.
    func field(_ bytes: [UInt8], into buffer: inout ByteBuffer) throws(PDUEncodingError) {
        guard bytes.count <= UInt16.max else { throw error("field of \(bytes.count) bytes exceeds 65535") }
        buffer.writeInteger(UInt16(bytes.count))
        buffer.writeBytes(bytes)
    }

    func uidField(_ uid: String, into buffer: inout ByteBuffer) throws(PDUEncodingError) {
        guard let bytes = latin1(uid) else { throw error("\"\(uid)\" has characters outside ISO 8859-1") }
        try field(bytes, into: &buffer)
    }

    mutating func rawItems(_ items: [RawPDUItem], into buffer: inout ByteBuffer) throws(PDUEncodingError) {
        for raw in items {
            let item = beginItem(raw.itemType, into: &buffer)
            buffer.writeBytes(raw.value)
            try endItem(item, into: &buffer)
        }
    }

    mutating func userInformation(_ info: UserInformation, into buffer: inout ByteBuffer) throws(PDUEncodingError) {
        let userItem = beginItem(0x50, into: &buffer)
        for sub in info.subItems {
            if case .unknown(let raw) = sub {
                try rawItems([raw], into: &buffer)
                continue
            }
            let item = beginItem(sub.itemType, into: &buffer)
            switch sub {
            case .maximumLength(let length):
                buffer.writeInteger(length)
            case .implementationClassUID(let uid):
                try text(uid, into: &buffer)
            case .asynchronousOperationsWindow(let window):
                buffer.writeInteger(window.maximumOperationsInvoked)
                buffer.writeInteger(window.maximumOperationsPerformed)
            case .roleSelection(let role):
                try uidField(role.sopClassUID, into: &buffer)
                buffer.writeInteger(UInt8(role.scuRole ? 1 : 0))
                buffer.writeInteger(UInt8(role.scpRole ? 1 : 0))
            case .implementationVersionName(let name):
                try text(name, into: &buffer)
            case .sopClassExtendedNegotiation(let negotiation):
                try uidField(negotiation.sopClassUID, into: &buffer)
                buffer.writeBytes(negotiation.serviceClassApplicationInformation)
            case .sopClassCommonExtendedNegotiation(let negotiation):
                try uidField(negotiation.sopClassUID, into: &buffer)
                try uidField(negotiation.serviceClassUID, into: &buffer)
                let relatedIndex = buffer.writerIndex
                buffer.writeInteger(UInt16(0))
                for uid in negotiation.relatedGeneralSOPClassUIDs {
                    try uidField(uid, into: &buffer)
                }
                let relatedLength = buffer.writerIndex - relatedIndex - 2
                guard relatedLength <= UInt16.max else {
                    throw error("related general SOP class identification of \(relatedLength) bytes exceeds 65535")
                }
                buffer.setInteger(UInt16(relatedLength), at: relatedIndex)
            case .userIdentityRQ(let identity):
                buffer.writeInteger(identity.identityType.rawValue)
                buffer.writeInteger(UInt8(identity.positiveResponseRequested ? 1 : 0))
                try field(identity.primaryField, into: &buffer)
                try field(identity.secondaryField, into: &buffer)
            case .userIdentityAC(let identity):
                try field(identity.serverResponse, into: &buffer)
            case .unknown:
                break
            }
            try endItem(item, into: &buffer)
        }
        try endItem(userItem, into: &buffer)
    }
}
