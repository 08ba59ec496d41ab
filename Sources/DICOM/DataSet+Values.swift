// Typed access to values. Text is decoded with the data set's character set; numbers are read
// from the little-endian value bytes (binary VRs) or parsed from text (IS, DS).

extension DataSet {
    /// The whole text value, decoded, without trailing padding (and, except for the text VRs
    /// that keep it, leading spaces: PS3.5 §6.2).
    public func string(_ tag: Tag) -> String? {
        guard let element = self[tag], case .bytes(let b) = element.value else { return nil }
        return DataElement.trimmed(characterSet.decode(b, vr: element.vr), vr: element.vr)
    }

    /// The values of a multi-valued text element (split on backslash, each trimmed).
    public func strings(_ tag: Tag) -> [String] {
        guard let element = self[tag] else { return [] }
        return element.strings(characterSet: characterSet)
    }

    /// First value of an integer element (US, UL, SS, SL, SV, UV, IS, or AT as a raw tag value).
    public func int(_ tag: Tag) -> Int? { self[tag]?.ints.first }
    public func ints(_ tag: Tag) -> [Int] { self[tag]?.ints ?? [] }

    /// First value of an unsigned integer element, nil for negative values.
    public func uint(_ tag: Tag) -> UInt? {
        guard let v = int(tag), v >= 0 else { return nil }
        return UInt(v)
    }

    public func double(_ tag: Tag) -> Double? { self[tag]?.doubles.first }
    public func doubles(_ tag: Tag) -> [Double] { self[tag]?.doubles ?? [] }

    public func personName(_ tag: Tag) -> PersonName? { string(tag).map(PersonName.init) }
}

extension DataElement {
    /// Text values split on backslash, trimmed per VR. Empty values stay as "" so positions keep.
    public func strings(characterSet: SpecificCharacterSet) -> [String] {
        guard case .bytes(let b) = value, !b.isEmpty else { return [] }
        let text = characterSet.decode(b, vr: vr)
        if vr.isSingleValuedText { return [Self.trimmed(text, vr: vr)] }
        return text.split(separator: "\\", omittingEmptySubsequences: false).map { Self.trimmed(String($0), vr: vr) }
    }

    /// PS3.5 §6.2: trailing spaces (NULs for UI) are padding everywhere; leading spaces are
    /// insignificant except in LT, ST, UT and UR... and the text VRs keep them.
    static func trimmed(_ text: String, vr: VR) -> String {
        var scalars = Substring(text).unicodeScalars
        while let last = scalars.last, last == " " || last == "\0" { scalars.removeLast() }
        switch vr {
        case .LT, .ST, .UT, .UC, .PN, .UR: break
        default: while let first = scalars.first, first == " " { scalars.removeFirst() }
        }
        return String(scalars)
    }

    /// Integer values of a binary integer VR, or parsed from IS text.
    public var ints: [Int] {
        guard case .bytes(let b) = value else { return [] }
        switch vr {
        case .US, .OW: return readLittleEndianArray(b, as: UInt16.self).map(Int.init)
        case .SS: return readLittleEndianArray(b, as: Int16.self).map(Int.init)
        case .UL, .OL: return readLittleEndianArray(b, as: UInt32.self).map(Int.init)
        case .SL: return readLittleEndianArray(b, as: Int32.self).map(Int.init)
        case .SV: return readLittleEndianArray(b, as: Int64.self).map(Int.init)
        case .UV, .OV: return readLittleEndianArray(b, as: UInt64.self).map { Int(truncatingIfNeeded: $0) }
        case .AT: return tags.map { Int($0.rawValue) }
        case .IS, .DS: return strings(characterSet: .default).compactMap { Int($0) ?? Double($0).flatMap { Int(exactly: $0) } }
        default: return []
        }
    }

    /// Floating-point values of FL/FD/OF/OD, or parsed from DS/IS text (integers widened).
    public var doubles: [Double] {
        guard case .bytes(let b) = value else { return [] }
        switch vr {
        case .FL, .OF: return readLittleEndianArray(b, as: UInt32.self).map { Double(Float(bitPattern: $0)) }
        case .FD, .OD: return readLittleEndianArray(b, as: UInt64.self).map { Double(bitPattern: $0) }
        case .DS, .IS: return strings(characterSet: .default).compactMap { Double($0) }
        default: return ints.map(Double.init)
        }
    }

    /// AT values: pairs of 16-bit group and element numbers.
    public var tags: [Tag] {
        guard case .bytes(let b) = value, vr == .AT else { return [] }
        let words = readLittleEndianArray(b, as: UInt16.self)
        return stride(from: 0, to: words.count - 1, by: 2).map { Tag(group: words[$0], element: words[$0 + 1]) }
    }
}

/// A person name (PS3.5 §6.2.1): up to three component groups (alphabetic, ideographic,
/// phonetic) of up to five components each (family, given, middle, prefix, suffix).
public struct PersonName: Hashable, Sendable, CustomStringConvertible {
    public var alphabetic: String
    public var ideographic: String
    public var phonetic: String

    public init(_ value: String) {
        let groups = value.split(separator: "=", omittingEmptySubsequences: false).map(String.init)
        alphabetic = groups.first ?? ""
        ideographic = groups.count > 1 ? groups[1] : ""
        phonetic = groups.count > 2 ? groups[2] : ""
    }

    /// family, given, middle, prefix, suffix of the alphabetic group.
    public var components: [String] {
        alphabetic.split(separator: "^", omittingEmptySubsequences: false).map(String.init)
    }
    public var familyName: String { components.first ?? "" }
    public var givenName: String { components.count > 1 ? components[1] : "" }

    public var description: String {
        var s = alphabetic
        if !ideographic.isEmpty || !phonetic.isEmpty { s += "=" + ideographic }
        if !phonetic.isEmpty { s += "=" + phonetic }
        return s
    }
}

extension SpecificCharacterSet {
    /// From the encoded value of (0008,0005): backslash-separated defined terms, space padded.
    public init(encodedValue bytes: ValueBytes) {
        let text = String(decoding: bytes, as: UTF8.self)
        let terms = text.split(separator: "\\", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: " \0") }
        self.init(terms: terms)
    }
}

extension Substring {
    func trimmingCharacters(in set: String) -> String {
        var s = self
        while let f = s.first, set.contains(f) { s.removeFirst() }
        while let l = s.last, set.contains(l) { s.removeLast() }
        return String(s)
    }
}
