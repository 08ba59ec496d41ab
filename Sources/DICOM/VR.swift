/// Value representations of PS3.5 §6.2, including those added since 2019 (OV, SV, UV).
/// The raw value is the two ASCII characters as they appear on the wire (big-endian packed),
/// so reading a VR from bytes is a single 16-bit load and a switch.
public enum VR: UInt16, CaseIterable, Sendable, CustomStringConvertible {
    case AE = 0x4145, AS = 0x4153, AT = 0x4154, CS = 0x4353, DA = 0x4441, DS = 0x4453, DT = 0x4454
    case FD = 0x4644, FL = 0x464C, IS = 0x4953, LO = 0x4C4F, LT = 0x4C54, OB = 0x4F42, OD = 0x4F44
    case OF = 0x4F46, OL = 0x4F4C, OV = 0x4F56, OW = 0x4F57, PN = 0x504E, SH = 0x5348, SL = 0x534C
    case SQ = 0x5351, SS = 0x5353, ST = 0x5354, SV = 0x5356, TM = 0x544D, UC = 0x5543, UI = 0x5549
    case UL = 0x554C, UN = 0x554E, UR = 0x5552, US = 0x5553, UT = 0x5554, UV = 0x5556

    /// From two ASCII bytes as read from an explicit-VR stream.
    @inlinable public init?(byte0: UInt8, byte1: UInt8) {
        self.init(rawValue: UInt16(byte0) << 8 | UInt16(byte1))
    }

    public init?(_ text: some StringProtocol) {
        let bytes = Array(text.utf8)
        guard bytes.count == 2 else { return nil }
        self.init(byte0: bytes[0], byte1: bytes[1])
    }

    public var description: String {
        String(decoding: [UInt8(rawValue >> 8), UInt8(rawValue & 0xFF)], as: UTF8.self)
    }

    /// Explicit VR encodings use a 2-byte reserved field and a 32-bit length for these
    /// (PS3.5 §7.1.2, Table 7.1-1); all others have a 16-bit length.
    @inlinable public var hasLongExplicitLength: Bool {
        switch self {
        case .OB, .OD, .OF, .OL, .OV, .OW, .SQ, .SV, .UC, .UN, .UR, .UT, .UV: true
        default: false
        }
    }

    /// Character-string VRs (values are text, padded with a space or, for UI, a NUL).
    @inlinable public var isString: Bool {
        switch self {
        case .AE, .AS, .CS, .DA, .DS, .DT, .IS, .LO, .LT, .PN, .SH, .ST, .TM, .UC, .UI, .UR, .UT: true
        default: false
        }
    }

    /// String VRs whose value may be affected by Specific Character Set (PS3.5 §6.1.2.3).
    @inlinable public var usesSpecificCharacterSet: Bool {
        switch self {
        case .LO, .LT, .PN, .SH, .ST, .UC, .UT: true
        default: false
        }
    }

    /// Text VRs where backslash is an ordinary character, so the value is never split (VM 1).
    @inlinable public var isSingleValuedText: Bool {
        switch self {
        case .LT, .ST, .UT, .UR: true
        default: false
        }
    }

    /// Binary VRs whose values have a fixed width per value; their bytes must be swapped
    /// when converting between little and big endian.
    @inlinable public var valueWidth: Int? {
        switch self {
        case .AT: 2  // a pair of 16-bit group/element values, each swapped on its own
        case .US, .SS, .OW: 2
        case .UL, .SL, .FL, .OF, .OL: 4
        case .FD, .OD, .SV, .UV, .OV: 8
        default: nil
        }
    }

    /// Binary VRs encoded as raw bytes, represented in DICOM JSON as InlineBinary / BulkDataURI.
    @inlinable public var isBulkBinary: Bool {
        switch self {
        case .OB, .OD, .OF, .OL, .OV, .OW, .UN: true
        default: false
        }
    }

    /// The byte used to pad a value to even length (PS3.5 §6.2).
    @inlinable public var paddingByte: UInt8 {
        switch self {
        case .UI: 0x00
        case _ where isString: 0x20
        default: 0x00
        }
    }
}
