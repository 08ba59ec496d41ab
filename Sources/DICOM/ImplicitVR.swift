/// The VR of an element read in Implicit VR Little Endian, where the stream carries none: the
/// data dictionary's, with the ambiguous entries ("US or SS", "OB or OW", ...) resolved from the
/// surrounding data set by the rules of PS3.5 and PS3.3 (the same rules pydicom and dcmtk apply).
enum ImplicitVR {
    static func vr(for tag: Tag, length: UInt32, context: DataSet, pixelRepresentation: UInt?) -> VR {
        // Hot path: one hash probe, no DictionaryEntry built, for the common unambiguous case.
        if let row = DataDictionary.elements.exactIndex.find(tag.rawValue),
           DataDictionary.elements.rows[row].ambiguousVRs.isEmpty, let vr = DataDictionary.elements.rows[row].vr {
            return vr
        }
        guard let entry = DataDictionary.entry(for: tag), let first = entry.vr else {
            if tag.isPrivateCreator { return .LO }
            if tag.isGroupLength { return .UL }
            // Unknown or private: UN (PS3.5 §6.2.2); an undefined length then holds a sequence.
            return length == 0xFFFF_FFFF ? .SQ : .UN
        }
        guard !entry.ambiguousVRs.isEmpty else { return first }
        return resolveAmbiguous(tag: tag, choices: entry.ambiguousVRs, length: length, context: context,
                                pixelRepresentation: pixelRepresentation, explicitTransfer: false)
    }

    /// Tags whose VR is US when Pixel Representation is 0 and SS otherwise.
    static let usOrSSTags: Set<UInt32> = [
        0x0018_9810, 0x0022_1452, 0x0028_0104, 0x0028_0105, 0x0028_0106, 0x0028_0107, 0x0028_0108,
        0x0028_0109, 0x0028_0110, 0x0028_0111, 0x0028_0120, 0x0028_0121, 0x0028_1101, 0x0028_1102,
        0x0028_1103, 0x0028_3002, 0x0040_9211, 0x0040_9216, 0x0060_3004, 0x0060_3006,
    ]

    /// `pixelRepresentation` is the nearest (0028,0103), inherited by sequence items.
    static func resolveAmbiguous(tag: Tag, choices: [VR], length: UInt32, context: DataSet,
                                 pixelRepresentation: UInt?, explicitTransfer: Bool) -> VR {
        if tag == .pixelData {
            if length == 0xFFFF_FFFF { return .OB }  // encapsulated (PS3.5 A.4)
            if !explicitTransfer { return .OW }      // PS3.5 A.1
            return (context.uint(Tag.bitsAllocated) ?? 16) > 8 ? .OW : .OB
        }
        if usOrSSTags.contains(tag.rawValue) || (choices.contains(.US) && choices.contains(.SS) && !choices.contains(.OW)) {
            return (pixelRepresentation ?? 0) == 0 ? .US : .SS
        }
        if tag == Tag(0x0028_3006) {  // LUT Data: US when the descriptor says one entry (PS3.3 C.11.1.1.1)
            let descriptor = context[Tag(0x0028_3002)]?.bytes
            if let d = descriptor, d.count >= 2, UInt16(d[d.startIndex]) | UInt16(d[d.startIndex + 1]) << 8 == 1 {
                return .US
            }
            return .OW
        }
        if choices.contains(.OW) { return .OW }  // overlay data, waveform data, other OB-or-OW
        return choices[0]
    }
}

extension DataSet {
    /// Gives the implicit-VR "US or SS" elements read before `before` (all of them when nil) the
    /// VR `pixelRepresentation` calls for, down into the items that have no Pixel Representation
    /// of their own.
    mutating func resolveUSOrSS(pixelRepresentation: UInt, before: Tag?) {
        let vr: VR = pixelRepresentation == 0 ? .US : .SS
        for i in elements.indices {
            if let before, elements[i].tag >= before { break }
            switch elements[i].value {
            case .bytes:
                if elements[i].vr == .US || elements[i].vr == .SS, ImplicitVR.dependsOnPixelRepresentation(elements[i].tag) {
                    elements[i].vr = vr
                }
            case .sequence(var sequence):
                for j in sequence.items.indices where !sequence.items[j].contains(.pixelRepresentation) {
                    sequence.items[j].resolveUSOrSS(pixelRepresentation: pixelRepresentation, before: nil)
                }
                elements[i].value = .sequence(sequence)
            case .fragments:
                break
            }
        }
    }
}

extension ImplicitVR {
    /// True for the "US or SS" elements whose VR Pixel Representation decides.
    static func dependsOnPixelRepresentation(_ tag: Tag) -> Bool {
        if usOrSSTags.contains(tag.rawValue) { return true }
        guard let choices = DataDictionary.entry(for: tag)?.ambiguousVRs else { return false }
        return choices.contains(.US) && choices.contains(.SS) && !choices.contains(.OW)
    }
}
