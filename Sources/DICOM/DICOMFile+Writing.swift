extension DICOMFile {
    /// The file's bytes: preamble and "DICM" when the source had them (or for a new file with
    /// meta information), the meta group with its group length recomputed, then the data set in
    /// `transferSyntax` (deflated for the Deflated syntax).
    public func encoded() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(dataSet.estimatedEncodedLength + 1024)
        if let meta {
            out.append(contentsOf: preamble ?? ValueBytes(repeating: 0, count: 128))
            out.append(contentsOf: [0x44, 0x49, 0x43, 0x4D])
            out.append(contentsOf: Self.encodeMeta(meta))
        } else if let preamble {
            out.append(contentsOf: preamble)
            out.append(contentsOf: [0x44, 0x49, 0x43, 0x4D])
        }
        if transferSyntax.isDeflated {
            out.append(contentsOf: Deflate.deflate(DataSetWriter.encode(dataSet, syntax: elementEncoding)))
            return out
        }
        var writer = DataSetWriter(syntax: elementEncoding, output: out, reservingCapacity: dataSet.estimatedEncodedLength)
        writer.write(dataSet)
        return writer.output
    }

    /// Group 0002 in explicit VR little endian; (0002,0000) is recomputed when present.
    static func encodeMeta(_ meta: DataSet) -> [UInt8] {
        var rest = meta
        let hadGroupLength = rest.remove(.fileMetaInformationGroupLength) != nil
        let body = DataSetWriter.encode(rest, syntax: .explicitVRLittleEndian)
        guard hadGroupLength else { return body }
        var length = UInt32(body.count).littleEndian
        var head = DataSetWriter.encode(DataSet(elements: [
            DataElement(tag: .fileMetaInformationGroupLength, vr: .UL,
                        bytes: withUnsafeBytes(of: &length) { Array($0) }),
        ]), syntax: .explicitVRLittleEndian)
        head.append(contentsOf: body)
        return head
    }

    /// A new Part 10 file for `dataSet`, with meta information built from its SOP class and
    /// instance UIDs (PS3.10 §7.1).
    public init(dataSet: DataSet, transferSyntax: TransferSyntax,
                implementationClassUID: String = DICOMImplementation.classUID,
                implementationVersionName: String = DICOMImplementation.versionName,
                sourceAET: String? = nil) {
        var meta = DataSet()
        meta.set(DataElement(tag: .fileMetaInformationGroupLength, vr: .UL, bytes: [0, 0, 0, 0]))
        meta.set(DataElement(tag: .fileMetaInformationVersion, vr: .OB, bytes: [0x00, 0x01]))
        if let sopClass = dataSet.string(.sopClassUID) {
            meta.set(DataElement(tag: .mediaStorageSOPClassUID, vr: .UI, string: sopClass))
        }
        if let sopInstance = dataSet.string(.sopInstanceUID) {
            meta.set(DataElement(tag: .mediaStorageSOPInstanceUID, vr: .UI, string: sopInstance))
        }
        meta.set(DataElement(tag: .transferSyntaxUID, vr: .UI, string: transferSyntax.uid))
        meta.set(DataElement(tag: .implementationClassUID, vr: .UI, string: implementationClassUID))
        meta.set(DataElement(tag: .implementationVersionName, vr: .SH, string: implementationVersionName))
        if let sourceAET { meta.set(DataElement(tag: .sourceApplicationEntityTitle, vr: .AE, string: sourceAET)) }
        self.init(meta: meta, dataSet: dataSet, transferSyntax: transferSyntax)
    }

    /// Preamble, "DICM" and File Meta Information for a data set that follows as a byte stream
    /// (a C-STORE received over the network is written to disk as header + data set fragments).
    public static func part10Header(sopClassUID: String, sopInstanceUID: String, transferSyntaxUID: String,
                                    sourceAET: String? = nil) -> [UInt8] {
        var identity = DataSet()
        identity.set(DataElement(tag: .sopClassUID, vr: .UI, string: sopClassUID))
        identity.set(DataElement(tag: .sopInstanceUID, vr: .UI, string: sopInstanceUID))
        let file = DICOMFile(dataSet: identity, transferSyntax: TransferSyntax(uid: transferSyntaxUID), sourceAET: sourceAET)
        return [UInt8](repeating: 0, count: 128) + [0x44, 0x49, 0x43, 0x4D] + encodeMeta(file.meta!)
    }

    /// The same object in another native transfer syntax (Implicit/Explicit VR Little Endian,
    /// Explicit VR Big Endian, Deflated). Encapsulated pixel data cannot change syntax here:
    /// that needs a codec.
    public func converted(to target: TransferSyntax) throws(DICOMError) -> DICOMFile {
        // Already there only when the meta information says so too (not for a bare data set, or
        // meta information without a Transfer Syntax UID).
        if target == transferSyntax && elementEncoding == transferSyntax
            && meta?.string(.transferSyntaxUID) == target.uid { return self }
        if transferSyntax.isEncapsulated || target.isEncapsulated {
            throw .cannotEncode(tag: .pixelData, reason: "converting \(transferSyntax.uid) to \(target.uid) needs an image codec")
        }
        var copy = self
        copy.transferSyntax = target
        copy.elementEncoding = target
        // Group lengths (retired outside group 0002) would be wrong after the change: drop them.
        copy.dataSet = dataSet.removingGroupLengths()
        var meta = copy.meta ?? DICOMFile(dataSet: dataSet, transferSyntax: target).meta!
        meta.set(DataElement(tag: .transferSyntaxUID, vr: .UI, string: target.uid))
        copy.meta = meta
        return copy
    }
}

/// How this implementation names itself in meta information and association negotiation.
public enum DICOMImplementation {
    /// Under the UUID-derived root 2.25 (PS3.5 §B.2), fixed for SwiftPACS.
    public static let classUID = "2.25.174320394915386385371622385116521651267"
    public static let versionName = "SWIFTPACS_01"
}

extension DataSet {
    func removingGroupLengths() -> DataSet {
        var copy = self
        copy.removeAll { $0.tag.isGroupLength }
        return copy
    }

    mutating func removeAll(where predicate: (DataElement) -> Bool) {
        var kept = elements.filter { !predicate($0) }
        for i in kept.indices {
            if case .sequence(var s) = kept[i].value {
                s.items = s.items.map { $0.removingGroupLengths() }
                kept[i].value = .sequence(s)
            }
        }
        self = DataSet(elements: kept, characterSet: characterSet, hasUndefinedLength: hasUndefinedLength)
    }
}

extension DataElement {
    /// A text element with its value padded to even length as the VR requires (PS3.5 §6.2).
    ///
    /// A character that `characterSet` (or, for VRs that do not use it, the default repertoire)
    /// cannot represent is written as "?", as pydicom does: the bytes then always mean what the
    /// data set's Specific Character Set says, instead of being UTF-8 that a reader would decode
    /// as something else.
    public init(tag: Tag, vr: VR, string: String, characterSet: SpecificCharacterSet = .default) {
        var bytes = characterSet.encode(string, vr: vr)
            ?? characterSet.encode(Self.replacingUnencodable(string, vr: vr, characterSet), vr: vr)
            ?? Array(String(string.unicodeScalars.map { $0.isASCII ? Character($0) : "?" }).utf8)
        if bytes.count % 2 == 1 { bytes.append(vr.paddingByte) }
        self.init(tag: tag, vr: vr, value: .bytes(bytes[...]))
    }

    /// `text` with "?" for every character the character set cannot encode on its own.
    static func replacingUnencodable(_ text: String, vr: VR, _ characterSet: SpecificCharacterSet) -> String {
        String(text.map { characterSet.encode(String($0), vr: vr) == nil ? "?" : $0 })
    }
}
