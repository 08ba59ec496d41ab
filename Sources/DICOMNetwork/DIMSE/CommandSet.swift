import DICOM
import NIOCore

/// A DIMSE command set (PS3.7 §6.3.1, §9.3 and Annex E): the group 0000 elements of a message,
/// always encoded Implicit VR Little Endian with Command Group Length (0000,0000) first.
///
/// The fields PS3.7 defines for the C-services (and the N-service fields they share) are typed;
/// any other group 0000 element (EventTypeID, AttributeIdentifierList, retired elements, ...) is
/// kept as encoded in `otherElements`, so a decoded command set encodes back to the same bytes
/// (apart from padding and the group length, which are normalised).
public struct CommandSet: Sendable, Equatable {
    /// (0000,0100)
    public var commandField: CommandField
    /// (0000,0002)
    public var affectedSOPClassUID: String?
    /// (0000,0003)
    public var requestedSOPClassUID: String?
    /// (0000,0110)
    public var messageID: UInt16?
    /// (0000,0120)
    public var messageIDBeingRespondedTo: UInt16?
    /// (0000,0600)
    public var moveDestination: String?
    /// (0000,0700)
    public var priority: DIMSEPriority?
    /// (0000,0800): 0101H means no data set follows, anything else that one does (PS3.7 E.1-1).
    /// Absent on decode is treated as no data set; always written on encode.
    public var commandDataSetType: UInt16?
    /// (0000,0900)
    public var status: DIMSEStatus?
    /// (0000,0901), AT, VM 1-n
    public var offendingElements: [Tag]?
    /// (0000,0902)
    public var errorComment: String?
    /// (0000,0903)
    public var errorID: UInt16?
    /// (0000,1000)
    public var affectedSOPInstanceUID: String?
    /// (0000,1001)
    public var requestedSOPInstanceUID: String?
    /// (0000,1020)
    public var numberOfRemainingSuboperations: UInt16?
    /// (0000,1021)
    public var numberOfCompletedSuboperations: UInt16?
    /// (0000,1022)
    public var numberOfFailedSuboperations: UInt16?
    /// (0000,1023)
    public var numberOfWarningSuboperations: UInt16?
    /// (0000,1030)
    public var moveOriginatorApplicationEntityTitle: String?
    /// (0000,1031)
    public var moveOriginatorMessageID: UInt16?
    /// Group 0000 elements without a typed field, in tag order, values as encoded.
    public var otherElements: [CommandElement]

    /// Command Data Set Type for "no data set" (PS3.7 Table E.1-1).
    public static let noDataSet: UInt16 = 0x0101
    /// The value written when a data set follows (any value but 0101H means one does; 0001H as pynetdicom and dcmtk write).
    public static let dataSetPresent: UInt16 = 0x0001

    public init(commandField: CommandField, hasDataSet: Bool = false) {
        self.commandField = commandField
        self.commandDataSetType = hasDataSet ? Self.dataSetPresent : Self.noDataSet
        self.otherElements = []
    }

    /// Whether a data set follows the command (Command Data Set Type ≠ 0101H).
    public var hasDataSet: Bool {
        get { (commandDataSetType ?? Self.noDataSet) != Self.noDataSet }
        set { commandDataSetType = newValue ? Self.dataSetPresent : Self.noDataSet }
    }

    /// The value of an untyped element, if present.
    public func otherElement(_ tag: Tag) -> CommandElement? {
        otherElements.first { $0.tag == tag }
    }
}

/// A group 0000 element that `CommandSet` has no typed field for, with its value as encoded
/// (Implicit VR Little Endian, padding included).
public struct CommandElement: Sendable, Equatable {
    public var tag: Tag
    public var value: [UInt8]
    public init(tag: Tag, value: [UInt8]) {
        self.tag = tag
        self.value = value
    }
}

// MARK: - Tags

extension Tag {
    public static let commandGroupLength = Tag(0x0000_0000)
    public static let affectedSOPClassUID = Tag(0x0000_0002)
    public static let requestedSOPClassUID = Tag(0x0000_0003)
    public static let commandField = Tag(0x0000_0100)
    public static let messageID = Tag(0x0000_0110)
    public static let messageIDBeingRespondedTo = Tag(0x0000_0120)
    public static let moveDestination = Tag(0x0000_0600)
    public static let priority = Tag(0x0000_0700)
    public static let commandDataSetType = Tag(0x0000_0800)
    public static let status = Tag(0x0000_0900)
    public static let offendingElement = Tag(0x0000_0901)
    public static let errorComment = Tag(0x0000_0902)
    public static let errorID = Tag(0x0000_0903)
    public static let affectedSOPInstanceUID = Tag(0x0000_1000)
    public static let requestedSOPInstanceUID = Tag(0x0000_1001)
    public static let numberOfRemainingSuboperations = Tag(0x0000_1020)
    public static let numberOfCompletedSuboperations = Tag(0x0000_1021)
    public static let numberOfFailedSuboperations = Tag(0x0000_1022)
    public static let numberOfWarningSuboperations = Tag(0x0000_1023)
    public static let moveOriginatorApplicationEntityTitle = Tag(0x0000_1030)
    public static let moveOriginatorMessageID = Tag(0x0000_1031)
}

// MARK: - Encoding

extension CommandSet {
    /// The encoded command set: Implicit VR Little Endian, (0000,0000) first, then the other
    /// elements in tag order, values padded to even length (UI with NUL, text with space).
    public func encoded(allocator: ByteBufferAllocator = ByteBufferAllocator()) -> ByteBuffer {
        let elements = encodedElements()
        var bodyLength = 0
        for (_, value) in elements { bodyLength += 8 + value.count }
        var buffer = allocator.buffer(capacity: 12 + bodyLength)
        buffer.writeInteger(UInt16(0x0000), endianness: .little)
        buffer.writeInteger(UInt16(0x0000), endianness: .little)
        buffer.writeInteger(UInt32(4), endianness: .little)
        buffer.writeInteger(UInt32(bodyLength), endianness: .little)
        for (tag, value) in elements {
            buffer.writeInteger(tag.group, endianness: .little)
            buffer.writeInteger(tag.element, endianness: .little)
            buffer.writeInteger(UInt32(value.count), endianness: .little)
            buffer.writeBytes(value)
        }
        return buffer
    }

    /// `encoded()` as an array.
    public var encodedBytes: [UInt8] {
        let buffer = encoded()
        return Array(buffer.readableBytesView)
    }

    private func encodedElements() -> [(Tag, [UInt8])] {
        var out: [(Tag, [UInt8])] = []
        out.reserveCapacity(12 + otherElements.count)
        func uid(_ tag: Tag, _ value: String?) {
            if let value { out.append((tag, Self.padded(value, with: 0x00))) }
        }
        func text(_ tag: Tag, _ value: String?) {
            if let value { out.append((tag, Self.padded(value, with: 0x20))) }
        }
        func us(_ tag: Tag, _ value: UInt16?) {
            if let value { out.append((tag, [UInt8(value & 0xFF), UInt8(value >> 8)])) }
        }
        uid(.affectedSOPClassUID, affectedSOPClassUID)
        uid(.requestedSOPClassUID, requestedSOPClassUID)
        us(.commandField, commandField.rawValue)
        us(.messageID, messageID)
        us(.messageIDBeingRespondedTo, messageIDBeingRespondedTo)
        text(.moveDestination, moveDestination)
        us(.priority, priority?.rawValue)
        us(.commandDataSetType, commandDataSetType ?? Self.noDataSet)
        us(.status, status?.rawValue)
        if let offendingElements {
            var value: [UInt8] = []
            value.reserveCapacity(offendingElements.count * 4)
            for tag in offendingElements {
                let g = tag.group, e = tag.element
                value.append(UInt8(truncatingIfNeeded: g))
                value.append(UInt8(truncatingIfNeeded: g >> 8))
                value.append(UInt8(truncatingIfNeeded: e))
                value.append(UInt8(truncatingIfNeeded: e >> 8))
            }
            out.append((.offendingElement, value))
        }
        text(.errorComment, errorComment)
        us(.errorID, errorID)
        uid(.affectedSOPInstanceUID, affectedSOPInstanceUID)
        uid(.requestedSOPInstanceUID, requestedSOPInstanceUID)
        us(.numberOfRemainingSuboperations, numberOfRemainingSuboperations)
        us(.numberOfCompletedSuboperations, numberOfCompletedSuboperations)
        us(.numberOfFailedSuboperations, numberOfFailedSuboperations)
        us(.numberOfWarningSuboperations, numberOfWarningSuboperations)
        text(.moveOriginatorApplicationEntityTitle, moveOriginatorApplicationEntityTitle)
        us(.moveOriginatorMessageID, moveOriginatorMessageID)
        // The typed fields are already in tag order; merge the others in (and let a typed
        // field win over an untyped duplicate, which decoding never produces).
        if !otherElements.isEmpty {
            let typed = Set(out.map(\.0))
            for element in otherElements where !typed.contains(element.tag) && element.tag != .commandGroupLength {
                var value = element.value
                if value.count % 2 == 1 { value.append(0) }
                out.append((element.tag, value))
            }
            out.sort { $0.0 < $1.0 }
        }
        return out
    }

    private static func padded(_ value: String, with pad: UInt8) -> [UInt8] {
        var bytes = Array(value.utf8)
        if bytes.count % 2 == 1 { bytes.append(pad) }
        return bytes
    }
}

// MARK: - Decoding

extension CommandSet {
    /// Decodes and validates a command set: group 0000 only, no undefined or mis-sized lengths,
    /// no duplicates, Command Field present. A Command Group Length that disagrees with the
    /// bytes is tolerated (the last-fragment bit delimits the command, as in dcmtk and pynetdicom).
    public init(decoding buffer: ByteBuffer) throws(DIMSEError) {
        var reader = buffer
        let start = reader.readerIndex
        var commandField: CommandField?
        var set = CommandSet(commandField: CommandField(rawValue: 0))
        set.commandDataSetType = nil
        var seen = Set<Tag>()

        while reader.readableBytes > 0 {
            let offset = reader.readerIndex - start
            guard reader.readableBytes >= 8,
                  let group = reader.readInteger(endianness: .little, as: UInt16.self),
                  let element = reader.readInteger(endianness: .little, as: UInt16.self),
                  let length = reader.readInteger(endianness: .little, as: UInt32.self)
            else {
                let tag = reader.readableBytes >= 4
                    ? reader.getInteger(at: reader.readerIndex, endianness: .little, as: UInt16.self).flatMap { g in
                        reader.getInteger(at: reader.readerIndex + 2, endianness: .little, as: UInt16.self).map { Tag(group: g, element: $0) }
                    }
                    : nil
                throw .commandTruncated(tag: tag, offset: offset)
            }
            let tag = Tag(group: group, element: element)
            guard group == 0x0000 else { throw .elementNotInCommandGroup(tag: tag) }
            guard length != 0xFFFF_FFFF else { throw .invalidCommandElementLength(tag: tag, length: length) }
            guard Int(length) <= reader.readableBytes, let value = reader.readBytes(length: Int(length)) else {
                throw .commandTruncated(tag: tag, offset: offset)
            }
            guard seen.insert(tag).inserted else { throw .duplicateCommandElement(tag: tag) }

            switch tag {
            case .commandGroupLength:
                _ = try Self.ul(value, tag)
            case .affectedSOPClassUID: set.affectedSOPClassUID = Self.uid(value)
            case .requestedSOPClassUID: set.requestedSOPClassUID = Self.uid(value)
            case .commandField: commandField = CommandField(rawValue: try Self.us(value, tag))
            case .messageID: set.messageID = try Self.us(value, tag)
            case .messageIDBeingRespondedTo: set.messageIDBeingRespondedTo = try Self.us(value, tag)
            case .moveDestination: set.moveDestination = Self.text(value)
            case .priority: set.priority = DIMSEPriority(rawValue: try Self.us(value, tag))
            case .commandDataSetType: set.commandDataSetType = try Self.us(value, tag)
            case .status: set.status = DIMSEStatus(rawValue: try Self.us(value, tag))
            case .offendingElement:
                guard value.count % 4 == 0 else { throw .invalidCommandElementLength(tag: tag, length: length) }
                var tags: [Tag] = []
                for i in stride(from: 0, to: value.count, by: 4) {
                    let group = UInt16(value[i]) | UInt16(value[i + 1]) << 8
                    let element = UInt16(value[i + 2]) | UInt16(value[i + 3]) << 8
                    tags.append(Tag(group: group, element: element))
                }
                set.offendingElements = tags
            case .errorComment: set.errorComment = Self.text(value)
            case .errorID: set.errorID = try Self.us(value, tag)
            case .affectedSOPInstanceUID: set.affectedSOPInstanceUID = Self.uid(value)
            case .requestedSOPInstanceUID: set.requestedSOPInstanceUID = Self.uid(value)
            case .numberOfRemainingSuboperations: set.numberOfRemainingSuboperations = try Self.us(value, tag)
            case .numberOfCompletedSuboperations: set.numberOfCompletedSuboperations = try Self.us(value, tag)
            case .numberOfFailedSuboperations: set.numberOfFailedSuboperations = try Self.us(value, tag)
            case .numberOfWarningSuboperations: set.numberOfWarningSuboperations = try Self.us(value, tag)
            case .moveOriginatorApplicationEntityTitle: set.moveOriginatorApplicationEntityTitle = Self.text(value)
            case .moveOriginatorMessageID: set.moveOriginatorMessageID = try Self.us(value, tag)
            default:
                // Untyped element: still check fixed-size VRs the dictionary knows.
                if let vr = DataDictionary.vr(for: tag), let width = Self.fixedWidth(vr), value.count % width != 0 {
                    throw .invalidCommandElementLength(tag: tag, length: length)
                }
                set.otherElements.append(CommandElement(tag: tag, value: value))
            }
        }
        guard let commandField else { throw .missingCommandElement(tag: .commandField, command: nil) }
        set.commandField = commandField
        set.otherElements.sort { $0.tag < $1.tag }
        self = set
    }

    /// Decodes an encoded command set held in an array.
    public init(decoding bytes: [UInt8]) throws(DIMSEError) {
        var buffer = ByteBufferAllocator().buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        try self.init(decoding: buffer)
    }

    private static func us(_ value: [UInt8], _ tag: Tag) throws(DIMSEError) -> UInt16 {
        guard value.count == 2 else { throw .invalidCommandElementLength(tag: tag, length: UInt32(value.count)) }
        return UInt16(value[0]) | UInt16(value[1]) << 8
    }

    private static func ul(_ value: [UInt8], _ tag: Tag) throws(DIMSEError) -> UInt32 {
        guard value.count == 4 else { throw .invalidCommandElementLength(tag: tag, length: UInt32(value.count)) }
        return UInt32(value[0]) | UInt32(value[1]) << 8 | UInt32(value[2]) << 16 | UInt32(value[3]) << 24
    }

    /// UI: trailing NUL (and, from lax writers, space) padding removed.
    private static func uid(_ value: [UInt8]) -> String {
        var end = value.count
        while end > 0, value[end - 1] == 0 || value[end - 1] == 0x20 { end -= 1 }
        return String(decoding: value[..<end], as: UTF8.self)
    }

    /// AE, LO: leading and trailing spaces are insignificant (PS3.5 §6.2); NUL padding tolerated.
    private static func text(_ value: [UInt8]) -> String {
        var start = 0, end = value.count
        while end > start, value[end - 1] == 0x20 || value[end - 1] == 0 { end -= 1 }
        while start < end, value[start] == 0x20 { start += 1 }
        return String(decoding: value[start..<end], as: UTF8.self)
    }

    private static func fixedWidth(_ vr: VR) -> Int? {
        switch vr {
        case .US, .SS: 2
        case .UL, .SL, .AT, .FL: 4
        case .FD: 8
        default: nil
        }
    }
}

extension CommandSet: CustomStringConvertible {
    /// One line for logs and the association trace, e.g.
    /// `C-STORE-RQ id=3 class=1.2.840.10008.5.1.4.1.1.2 instance=1.2.3 priority=MEDIUM data set`.
    public var description: String {
        var parts = [commandField.description]
        if let messageID { parts.append("id=\(messageID)") }
        if let messageIDBeingRespondedTo { parts.append("responding-to=\(messageIDBeingRespondedTo)") }
        if let status { parts.append("status=\(status.description(for: commandField))") }
        if let affectedSOPClassUID { parts.append("class=\(affectedSOPClassUID)") }
        if let requestedSOPClassUID { parts.append("requested-class=\(requestedSOPClassUID)") }
        if let affectedSOPInstanceUID { parts.append("instance=\(affectedSOPInstanceUID)") }
        if let requestedSOPInstanceUID { parts.append("requested-instance=\(requestedSOPInstanceUID)") }
        if let priority { parts.append("priority=\(priority)") }
        if let moveDestination { parts.append("destination=\(moveDestination)") }
        if let moveOriginatorApplicationEntityTitle {
            parts.append("move-originator=\(moveOriginatorApplicationEntityTitle)/\(moveOriginatorMessageID.map(String.init) ?? "-")")
        }
        let counts = [numberOfRemainingSuboperations, numberOfCompletedSuboperations,
                      numberOfFailedSuboperations, numberOfWarningSuboperations]
        if counts.contains(where: { $0 != nil }) {
            parts.append("sub-operations=" + counts.map { $0.map(String.init) ?? "-" }.joined(separator: "/")
                         + " (remaining/completed/failed/warning)")
        }
        if let offendingElements { parts.append("offending=" + offendingElements.map(\.description).joined(separator: ",")) }
        if let errorID { parts.append("error-id=\(errorID)") }
        if let errorComment { parts.append("comment=\"\(errorComment)\"") }
        for element in otherElements { parts.append("\(element.tag)=\(element.value.count) bytes") }
        parts.append(hasDataSet ? "data set" : "no data set")
        return parts.joined(separator: " ")
    }
}
