// PLACEHOLDER written by the lead so the package builds; the charset helper replaces this whole file.
public struct SpecificCharacterSet: Sendable, Hashable {
    public static let `default` = SpecificCharacterSet(terms: [])
    public let terms: [String]
    public init(terms: [String]) { self.terms = terms }
    public var unknownTerms: [String] { [] }
    public var isUTF8: Bool { terms.first == "ISO_IR 192" }
    public func decode(_ bytes: UnsafeRawBufferPointer, vr: VR) -> String {
        if isUTF8 { return String(decoding: bytes, as: UTF8.self) }
        return String(String.UnicodeScalarView(bytes.map { Unicode.Scalar($0) }))
    }
    public func decode<C: Collection>(_ bytes: C, vr: VR) -> String where C.Element == UInt8 {
        Array(bytes).withUnsafeBytes { decode($0, vr: vr) }
    }
    public func encode(_ text: String, vr: VR) -> [UInt8]? { Array(text.utf8) }
}
