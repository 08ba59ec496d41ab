/// Why a byte stream is not valid DICOM, with the place it went wrong: every parse failure is one
/// of these, never a crash and never an allocation sized by an untrusted length field.
public enum DICOMError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The data ends inside an element header or value.
    case truncated(tag: Tag?, offset: Int, needed: Int, available: Int)
    /// An explicit-VR element whose two VR bytes are not a VR of PS3.5.
    case invalidVR(tag: Tag, offset: Int, bytes: UInt16)
    /// A length field that points past the end of its container.
    case lengthPastEnd(tag: Tag, offset: Int, length: UInt32, available: Int)
    /// Undefined length (FFFFFFFFH) on an element that cannot have it.
    case undefinedLengthNotAllowed(tag: Tag, offset: Int)
    /// An odd or otherwise malformed length where the structure requires something else.
    case invalidLength(tag: Tag, offset: Int, length: UInt32)
    /// Inside a sequence or encapsulated pixel data, something other than an item or delimiter.
    case unexpectedTag(tag: Tag, offset: Int, expected: String)
    /// Nesting deeper than any sane object (guards the recursion).
    case nestingTooDeep(offset: Int)
    /// Not a Part 10 file and not recognisable as a bare data set.
    case notDICOM(reason: String)
    /// The File Meta Information is unusable (e.g. no Transfer Syntax UID).
    case invalidFileMeta(reason: String)
    /// The deflated stream is corrupt.
    case deflate(reason: String, offset: Int)
    /// A value that cannot be encoded in the requested transfer syntax or character set.
    case cannotEncode(tag: Tag, reason: String)
    /// A DICOM JSON document that does not follow PS3.18 Annex F.
    case invalidJSON(path: String, reason: String)

    public var description: String {
        switch self {
        case let .truncated(tag, offset, needed, available):
            let at = tag.map { " in \($0)" } ?? ""
            return "truncated data\(at) at offset \(offset): needs \(needed) bytes, \(available) left"
        case let .invalidVR(tag, offset, bytes):
            let b0 = UInt8(bytes >> 8), b1 = UInt8(bytes & 0xFF)
            return "invalid VR 0x\(String(b0, radix: 16))\(String(b1, radix: 16)) for \(tag) at offset \(offset)"
        case let .lengthPastEnd(tag, offset, length, available):
            return "value length \(length) of \(tag) at offset \(offset) runs past the end (\(available) bytes left)"
        case let .undefinedLengthNotAllowed(tag, offset):
            return "undefined length on \(tag) at offset \(offset), which is not a sequence or pixel data"
        case let .invalidLength(tag, offset, length):
            return "invalid length \(length) for \(tag) at offset \(offset)"
        case let .unexpectedTag(tag, offset, expected):
            return "unexpected \(tag) at offset \(offset), expected \(expected)"
        case let .nestingTooDeep(offset):
            return "sequences nested too deeply at offset \(offset)"
        case let .notDICOM(reason): return "not DICOM: \(reason)"
        case let .invalidFileMeta(reason): return "invalid File Meta Information: \(reason)"
        case let .deflate(reason, offset): return "corrupt deflated data at offset \(offset): \(reason)"
        case let .cannotEncode(tag, reason): return "cannot encode \(tag): \(reason)"
        case let .invalidJSON(path, reason): return "invalid DICOM JSON at \(path): \(reason)"
        }
    }
}
