import DICOM

/// A DIMSE message that breaks PS3.7 (a malformed command set) or a P-DATA stream that breaks the
/// PS3.8 Annex E fragmentation rules. The association layer answers the stream errors with an
/// A-ABORT; a well-formed command that lacks a field its message requires can instead be answered
/// with a failure status (`tag` names the offending element).
public enum DIMSEError: Error, Equatable, Sendable, CustomStringConvertible {
    // MARK: Command set encoding (PS3.7 §6.3.1, Annex E)

    /// The command set ends inside an element header or value.
    case commandTruncated(tag: Tag?, offset: Int)
    /// An element whose length does not suit its VR (e.g. a US that is not 2 bytes), or undefined.
    case invalidCommandElementLength(tag: Tag, length: UInt32)
    /// A command set holds group 0000 elements only.
    case elementNotInCommandGroup(tag: Tag)
    case duplicateCommandElement(tag: Tag)
    /// A required element is absent: (0000,0100) for any command set, others for a given message.
    case missingCommandElement(tag: Tag, command: CommandField?)
    /// A value the message cannot take (e.g. a C-FIND-RQ that announces no identifier).
    case invalidCommandValue(tag: Tag, reason: String)
    /// The command fragments exceed the assembler's limit (command sets are a few hundred bytes).
    case commandTooLong(limit: Int)

    // MARK: Message reassembly (PS3.8 Annex E, PS3.7 §6.3.1)

    /// A data set fragment with no command before it.
    case dataSetWithoutCommand(presentationContextID: UInt8)
    /// A data set fragment after a command whose Command Data Set Type (0000,0800) says 0101H.
    case unexpectedDataSet(command: CommandField, presentationContextID: UInt8)
    /// A data set fragment between the fragments of a command set.
    case dataSetBeforeCommandEnded(presentationContextID: UInt8)
    /// A command fragment before the data set of the previous command ended (or began).
    case commandBeforeDataSetEnded(command: CommandField, presentationContextID: UInt8)
    /// A fragment for another presentation context in the middle of a message.
    case presentationContextMismatch(expected: UInt8, received: UInt8)
    /// The assembler's consumer did not install a sink (or discard) before the data set arrived.
    case noDataSetSink(command: CommandField)
    /// `receiveDataSet(into:)` / `discardDataSet()` when no data set is announced.
    case noDataSetExpected

    // MARK: Fragmentation (PS3.8 §9.3.5, Annex D.1)

    /// A peer's Maximum Length Received too small for a PDV item with one byte of data (7).
    case maximumPDULengthTooSmall(UInt32)
    /// A data set source of known length ended early.
    case dataSetSourceTruncated(expected: Int, received: Int)

    /// The element to report as Offending Element (0000,0901), when there is one.
    public var tag: Tag? {
        switch self {
        case let .commandTruncated(tag, _): tag
        case let .invalidCommandElementLength(tag, _), let .elementNotInCommandGroup(tag),
             let .duplicateCommandElement(tag), let .missingCommandElement(tag, _),
             let .invalidCommandValue(tag, _):
            tag
        default: nil
        }
    }

    public var description: String {
        switch self {
        case let .commandTruncated(tag, offset):
            "command set truncated\(tag.map { " in \($0)" } ?? "") at offset \(offset)"
        case let .invalidCommandElementLength(tag, length):
            length == 0xFFFF_FFFF
                ? "undefined length on command element \(tag)"
                : "invalid length \(length) for command element \(tag)"
        case let .elementNotInCommandGroup(tag):
            "element \(tag) in a command set (only group 0000 is allowed)"
        case let .duplicateCommandElement(tag):
            "command element \(tag) appears twice"
        case let .missingCommandElement(tag, command):
            "missing command element \(tag)\(command.map { " in \($0)" } ?? "")"
        case let .invalidCommandValue(tag, reason):
            "invalid value of command element \(tag): \(reason)"
        case let .commandTooLong(limit):
            "command set longer than \(limit) bytes"
        case let .dataSetWithoutCommand(context):
            "data set fragment with no command before it (presentation context \(context))"
        case let .unexpectedDataSet(command, context):
            "data set fragment after \(command), which announces none (presentation context \(context))"
        case let .dataSetBeforeCommandEnded(context):
            "data set fragment before the last command fragment (presentation context \(context))"
        case let .commandBeforeDataSetEnded(command, context):
            "command fragment before the data set of \(command) ended (presentation context \(context))"
        case let .presentationContextMismatch(expected, received):
            "fragment for presentation context \(received) in the middle of a message on context \(expected)"
        case let .noDataSetSink(command):
            "no sink installed for the data set of \(command)"
        case .noDataSetExpected:
            "no data set is announced"
        case let .maximumPDULengthTooSmall(length):
            "maximum PDU length \(length) leaves no room for a PDV fragment"
        case let .dataSetSourceTruncated(expected, received):
            "data set source ended after \(received) of \(expected) bytes"
        }
    }
}
