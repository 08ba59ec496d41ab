/// How a data set is encoded on the wire or on disk (PS3.5 §10 and Annex A).
///
/// Only four encodings change how elements themselves are laid out; every other transfer syntax
/// (the JPEG family, JPEG-LS, JPEG 2000, HTJ2K, RLE, MPEG, HEVC, ...) is Explicit VR Little Endian
/// with encapsulated pixel data, which this layer passes through untouched (PS3.5 A.4).
public struct TransferSyntax: Hashable, Sendable, CustomStringConvertible {
    public let uid: String
    public let isExplicitVR: Bool
    public let isBigEndian: Bool
    /// Deflated Explicit VR Little Endian: everything after the File Meta Information is raw deflate.
    public let isDeflated: Bool
    /// Pixel data is a sequence of fragments (anything but the native syntaxes).
    public let isEncapsulated: Bool

    public init(uid: String) {
        self.uid = uid
        switch uid {
        case Self.implicitVRLittleEndianUID:
            (isExplicitVR, isBigEndian, isDeflated, isEncapsulated) = (false, false, false, false)
        case Self.explicitVRLittleEndianUID:
            (isExplicitVR, isBigEndian, isDeflated, isEncapsulated) = (true, false, false, false)
        case Self.explicitVRBigEndianUID:
            (isExplicitVR, isBigEndian, isDeflated, isEncapsulated) = (true, true, false, false)
        case Self.deflatedExplicitVRLittleEndianUID, "1.2.840.10008.1.2.8.1":  // JPIP Referenced Deflate
            (isExplicitVR, isBigEndian, isDeflated, isEncapsulated) = (true, false, true, false)
        case "1.2.840.10008.1.2.4.94":  // JPIP Referenced: native pixel data is absent, not encapsulated
            (isExplicitVR, isBigEndian, isDeflated, isEncapsulated) = (true, false, false, false)
        default:
            (isExplicitVR, isBigEndian, isDeflated, isEncapsulated) = (true, false, false, true)
        }
    }

    static let implicitVRLittleEndianUID = "1.2.840.10008.1.2"
    static let explicitVRLittleEndianUID = "1.2.840.10008.1.2.1"
    static let explicitVRBigEndianUID = "1.2.840.10008.1.2.2"
    static let deflatedExplicitVRLittleEndianUID = "1.2.840.10008.1.2.1.99"

    public static let implicitVRLittleEndian = TransferSyntax(uid: implicitVRLittleEndianUID)
    public static let explicitVRLittleEndian = TransferSyntax(uid: explicitVRLittleEndianUID)
    public static let explicitVRBigEndian = TransferSyntax(uid: explicitVRBigEndianUID)
    public static let deflatedExplicitVRLittleEndian = TransferSyntax(uid: deflatedExplicitVRLittleEndianUID)

    /// The three syntaxes this layer can convert between (and Deflated, which is Explicit LE underneath).
    public var isNative: Bool { !isEncapsulated }

    public var description: String {
        if let entry = UIDDictionary.entry(for: uid) { return "\(entry.name) (\(uid))" }
        return uid
    }
}
