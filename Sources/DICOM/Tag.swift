/// A data element tag (group, element), PS3.5 §7.1.1. Stored as one 32-bit value `gggg eeee`,
/// so tags sort and compare in the order the standard requires for a data set.
public struct Tag: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let rawValue: UInt32

    @inlinable public init(_ rawValue: UInt32) { self.rawValue = rawValue }
    @inlinable public init(group: UInt16, element: UInt16) {
        rawValue = UInt32(group) << 16 | UInt32(element)
    }

    @inlinable public var group: UInt16 { UInt16(truncatingIfNeeded: rawValue >> 16) }
    @inlinable public var element: UInt16 { UInt16(truncatingIfNeeded: rawValue) }

    /// Odd groups are private (PS3.5 §7.8), except 0001, 0003, 0005 and 0007 which may not be used.
    @inlinable public var isPrivate: Bool { group & 1 == 1 }
    /// `(gggg,0010-00FF)` in an odd group reserves a block of private elements.
    @inlinable public var isPrivateCreator: Bool { isPrivate && element >= 0x0010 && element <= 0x00FF }
    /// The private creator element that owns this private element, `(gggg,00xx)` for `(gggg,xxyy)`.
    @inlinable public var privateCreatorTag: Tag? {
        guard isPrivate, element >= 0x1000 else { return nil }
        return Tag(group: group, element: element >> 8)
    }
    /// Group length elements `(gggg,0000)`; retired except in groups 0000 and 0002.
    @inlinable public var isGroupLength: Bool { element == 0 }

    @inlinable public static func < (a: Tag, b: Tag) -> Bool { a.rawValue < b.rawValue }

    /// `(0008,0020)` in upper-case hex, as dcmdump prints it.
    public var description: String { "(\(hex4(group)),\(hex4(element)))" }
    /// `00080020`, as DICOM JSON keys are written (PS3.18 F.2.1.1).
    public var hexString: String { hex4(group) + hex4(element) }

    /// Parses `00080020`, `(0008,0020)` or `0008,0020`.
    public init?(hexString text: some StringProtocol) {
        let digits = text.filter { $0.isHexDigit }
        guard digits.count == 8, text.count <= 11, let value = UInt32(String(digits), radix: 16) else { return nil }
        self.init(value)
    }
}

@usableFromInline func hex4(_ value: UInt16) -> String {
    let s = String(value, radix: 16, uppercase: true)
    return String(repeating: "0", count: 4 - s.count) + s
}

extension Tag {
    // Tags the parser and the rest of the code base need by name. The full dictionary is in
    // `Dictionary/`; these are the structural ones.
    public static let item = Tag(0xFFFE_E000)
    public static let itemDelimitationItem = Tag(0xFFFE_E00D)
    public static let sequenceDelimitationItem = Tag(0xFFFE_E0DD)

    public static let fileMetaInformationGroupLength = Tag(0x0002_0000)
    public static let fileMetaInformationVersion = Tag(0x0002_0001)
    public static let mediaStorageSOPClassUID = Tag(0x0002_0002)
    public static let mediaStorageSOPInstanceUID = Tag(0x0002_0003)
    public static let transferSyntaxUID = Tag(0x0002_0010)
    public static let implementationClassUID = Tag(0x0002_0012)
    public static let implementationVersionName = Tag(0x0002_0013)
    public static let sourceApplicationEntityTitle = Tag(0x0002_0016)

    public static let specificCharacterSet = Tag(0x0008_0005)
    public static let sopClassUID = Tag(0x0008_0016)
    public static let sopInstanceUID = Tag(0x0008_0018)
    public static let studyDate = Tag(0x0008_0020)
    public static let modality = Tag(0x0008_0060)
    public static let patientName = Tag(0x0010_0010)
    public static let patientID = Tag(0x0010_0020)
    public static let studyInstanceUID = Tag(0x0020_000D)
    public static let seriesInstanceUID = Tag(0x0020_000E)
    public static let rows = Tag(0x0028_0010)
    public static let columns = Tag(0x0028_0011)
    public static let bitsAllocated = Tag(0x0028_0100)
    public static let extendedOffsetTable = Tag(0x7FE0_0001)
    public static let extendedOffsetTableLengths = Tag(0x7FE0_0002)
    public static let floatPixelData = Tag(0x7FE0_0008)
    public static let doubleFloatPixelData = Tag(0x7FE0_0009)
    public static let pixelData = Tag(0x7FE0_0010)
}

extension Tag {
    public static let pixelRepresentation = Tag(0x0028_0103)
    public static let numberOfFrames = Tag(0x0028_0008)
}
