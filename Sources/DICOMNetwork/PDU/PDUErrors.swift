/// A PDU that cannot be decoded: what is wrong, where (PDU type, item type, byte offset from the
/// first byte of the PDU), and the A-ABORT reason the upper layer answers it with (PS3.8 §9.3.8;
/// Evt19 in the state machine).
public struct PDUDecodingError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Problem: Sendable, Hashable {
        /// The PDU-type byte is not one of 0x01 through 0x07.
        case unrecognizedPDUType
        /// The PDU-length field exceeds what the decoder accepts for this PDU type: for a
        /// P-DATA-TF, the maximum length this side announced; for the others, a fixed cap.
        case pduTooLong(length: UInt32, limit: UInt32)
        /// The PDU-length field does not fit the PDU type (e.g. not 4 for A-RELEASE-RQ, or too
        /// short for the fixed fields of an A-ASSOCIATE-RQ).
        case invalidPDULength(UInt32)
        /// Fewer than 4 (item) or 6 (PDV item) bytes are left where an item header should be.
        case truncatedItemHeader(remaining: Int)
        /// An item's (or field's) length runs past the end of what contains it.
        case itemOverrun(length: Int, remaining: Int)
        /// An item's length does not fit its type (e.g. a maximum length sub-item that is not 4
        /// bytes long, or bytes left over after its fields).
        case invalidItemLength(Int)
        /// A mandatory item or sub-item of this type is missing (`nil` for a PDV item).
        case missingItem(UInt8?)
        /// A known item type where it does not belong, or repeated where only one is allowed.
        case unexpectedItem(UInt8)
        /// An item type that is not defined where it appears.
        case unrecognizedItem(UInt8)
        /// A field holds a value the standard does not define.
        case invalidFieldValue(field: String, value: UInt32)
        /// The connection closed in the middle of a PDU.
        case truncatedPDU(received: Int, expected: Int)
    }

    public var problem: Problem
    /// The PDU-type byte of the PDU being decoded.
    public var pduType: UInt8
    /// The item or sub-item the problem is in, if any (nil for the PDU's own fields and for PDV
    /// items, which have no type byte).
    public var itemType: UInt8?
    /// Offset from the first byte of the PDU (the PDU-type byte) to where the problem is.
    public var offset: Int

    public init(_ problem: Problem, pduType: UInt8, itemType: UInt8? = nil, offset: Int) {
        self.problem = problem
        self.pduType = pduType
        self.itemType = itemType
        self.offset = offset
    }

    /// The A-ABORT Reason/Diag. to send back (with service-provider source).
    public var abortReason: Abort.Reason {
        switch problem {
        case .unrecognizedPDUType: .unrecognizedPDU
        case .unrecognizedItem: .unrecognizedPDUParameter
        case .unexpectedItem: .unexpectedPDUParameter
        case .pduTooLong, .invalidPDULength, .truncatedItemHeader, .itemOverrun, .invalidItemLength,
             .missingItem, .invalidFieldValue, .truncatedPDU:
            .invalidPDUParameterValue
        }
    }

    public var description: String {
        var text = PDUType(rawValue: pduType).map { "\($0) PDU" } ?? "PDU of type \(pduHex(pduType))"
        if let itemType {
            text += ", \(Self.itemName(itemType, in: pduType))"
        } else if pduType == PDUType.pData.rawValue, offset >= 6 {
            text += ", presentation data value item"
        }
        text += ", offset \(offset): "
        switch problem {
        case .unrecognizedPDUType:
            text += "unrecognized PDU type \(pduHex(pduType))"
        case .pduTooLong(let length, let limit):
            text += "PDU length \(length) exceeds the limit of \(limit) bytes"
        case .invalidPDULength(let length):
            text += "invalid PDU length \(length)"
        case .truncatedItemHeader(let remaining):
            text += "only \(remaining) bytes left for an item header"
        case .itemOverrun(let length, let remaining):
            text += "length \(length) runs past the end (\(remaining) bytes left)"
        case .invalidItemLength(let length):
            text += "invalid item length \(length)"
        case .missingItem(let type):
            text += "missing " + (type.map { Self.itemName($0, in: pduType) } ?? "presentation data value item")
        case .unexpectedItem(let type):
            text += "unexpected " + Self.itemName(type, in: pduType)
        case .unrecognizedItem(let type):
            text += "unrecognized item type \(pduHex(type))"
        case .invalidFieldValue(let field, let value):
            text += "invalid \(field) \(value)"
        case .truncatedPDU(let received, let expected):
            text += "connection closed after \(received) of \(expected) bytes"
        }
        return text
    }

    static func itemName(_ type: UInt8, in pduType: UInt8) -> String {
        let name: String? = switch type {
        case 0x10: "application context item"
        case 0x20: "presentation context item (RQ)"
        case 0x21: "presentation context item (AC)"
        case 0x30: "abstract syntax sub-item"
        case 0x40: "transfer syntax sub-item"
        case 0x50: "user information item"
        case 0x51: "maximum length sub-item"
        case 0x52: "implementation class UID sub-item"
        case 0x53: "asynchronous operations window sub-item"
        case 0x54: "SCP/SCU role selection sub-item"
        case 0x55: "implementation version name sub-item"
        case 0x56: "SOP class extended negotiation sub-item"
        case 0x57: "SOP class common extended negotiation sub-item"
        case 0x58: "user identity sub-item (RQ)"
        case 0x59: "user identity sub-item (AC)"
        default: nil
        }
        return name.map { "\($0) (\(pduHex(type)))" } ?? "item of type \(pduHex(type))"
    }
}

/// A PDU that cannot be encoded because a value does not fit its field. On this error the
/// encoder leaves the output buffer as it was.
public struct PDUEncodingError: Error, Sendable, Hashable, CustomStringConvertible {
    public var pduType: PDUType
    /// The item or sub-item, if any.
    public var itemType: UInt8?
    public var reason: String

    public init(pduType: PDUType, itemType: UInt8? = nil, reason: String) {
        self.pduType = pduType
        self.itemType = itemType
        self.reason = reason
    }

    public var description: String {
        var text = "cannot encode \(pduType) PDU"
        if let itemType { text += ", \(PDUDecodingError.itemName(itemType, in: pduType.rawValue))" }
        return text + ": " + reason
    }
}

fileprivate func pduHex(_ byte: UInt8) -> String {
    let digits = String(byte, radix: 16, uppercase: true)
    return "0x" + (digits.count == 1 ? "0" + digits : digits)
}
