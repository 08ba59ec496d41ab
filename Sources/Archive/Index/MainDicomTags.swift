import DICOM

/// Orthanc's `MainDicomTags` of a resource: keyword → string, from the DICOM JSON of the level's
/// attributes (`ResourceLevel.attributes`, the index's `tags`).
///
/// The index stores them beside `tags`, as compact JSON (`main_dicom_tags`), written once at
/// ingest: expanded REST listings of thousands of resources then copy ready JSON instead of
/// converting every resource on every request.
///
/// Values: several values joined with `\`; numbers as the JSON writes them (a DS `1.50` stays
/// `1.50`); person names as `Alphabetic=Ideographic=Phonetic` without trailing empty groups;
/// null (and any other non-string value) as "". Attributes present but empty give "", as in
/// Orthanc; sequences, binary values (InlineBinary, BulkDataURI) and attributes without a
/// string `vr` are left out. Keys are dictionary keywords, `gggg,eeee` for tags without one.
public enum MainDicomTags {
    /// keyword → value; no tags for JSON that cannot be read.
    public static func values(fromDICOMJSON dicomJSON: String) -> [String: String] {
        var reader = JSONScanner(bytes: Array(dicomJSON.utf8))
        var out: [String: String] = [:]
        do {
            reader.skipWhitespace()
            try reader.members(depth: 0) { key, reader throws(JSONScanError) in
                guard let value = try reader.attributeValue(depth: 1), let tag = Tag(dicomJSONKey: key) else { return }
                out[keyword(tag)] = value
            }
            reader.skipWhitespace()
            guard reader.position == reader.bytes.count else { return [:] }
        } catch {
            return [:]
        }
        return out
    }

    /// The form the index stores: a compact JSON object, keys sorted, no whitespace
    /// (`{"PatientID":"123","PatientName":"DOE^JOHN"}`).
    public static func json(fromDICOMJSON dicomJSON: String) -> String {
        json(values(fromDICOMJSON: dicomJSON))
    }

    public static func json(_ values: [String: String]) -> String {
        var out: [UInt8] = [0x7B]
        for (i, key) in values.keys.sorted().enumerated() {
            if i > 0 { out.append(0x2C) }
            JSONText.writeString(key, into: &out)
            out.append(0x3A)
            JSONText.writeString(values[key]!, into: &out)
        }
        out.append(0x7D)
        return String(decoding: out, as: UTF8.self)
    }

    /// The dictionary keyword (DCMTK's tag name, which Orthanc shows), `gggg,eeee` for private
    /// and unknown tags.
    static func keyword(_ tag: Tag) -> String {
        if !(tag.isPrivate && !tag.isPrivateCreator), let keyword = DataDictionary.keyword(for: tag) { return keyword }
        return tag.orthancFormat
    }
}

extension Tag {
    /// Orthanc's `DicomTag::Format`: `0010,0010`, lower-case hex.
    public var orthancFormat: String {
        func hex4(_ v: UInt16) -> String {
            let s = String(v, radix: 16)
            return String(repeating: "0", count: 4 - s.count) + s
        }
        return hex4(group) + "," + hex4(element)
    }

    /// A DICOM JSON key: eight hex digits, read straight from the text; other spellings go
    /// through `init(hexString:)`.
    init?(dicomJSONKey key: String) {
        var value: UInt32 = 0
        var digits = 0
        for b in key.utf8 {
            switch b {
            case 0x30...0x39: value = value << 4 | UInt32(b - 0x30)
            case 0x41...0x46: value = value << 4 | UInt32(b - 0x41 + 10)
            case 0x61...0x66: value = value << 4 | UInt32(b - 0x61 + 10)
            default: self.init(hexString: key); return
            }
            digits += 1
        }
        guard digits == 8 else { self.init(hexString: key); return }
        self.init(value)
    }
}

/// DICOM JSON read for MainDicomTags, on the shared JSON scanner.
extension JSONScanner {
    /// An attribute object's `MainDicomTags` value; nil when the attribute is left out (not an
    /// object, a sequence, binary, no string `vr`).
    mutating func attributeValue(depth: Int) throws(JSONScanError) -> String? {
        guard next == 0x7B else {
            try skipValue(depth: depth)
            return nil
        }
        var vr: String? = nil
        var binary = false
        var text = ""
        try members(depth: depth) { name, reader throws(JSONScanError) in
            switch name {
            case "vr":
                if reader.next == 0x22 { vr = try reader.string() } else { vr = nil; try reader.skipValue(depth: depth + 1) }
            case "InlineBinary", "BulkDataURI":
                binary = true
                try reader.skipValue(depth: depth + 1)
            case "Value":
                text = try reader.values(depth: depth + 1)
            default:
                try reader.skipValue(depth: depth + 1)
            }
        }
        guard let vr, vr != "SQ", !binary else { return nil }
        return text
    }

    /// An attribute's "Value" array as one string ("" when it is not an array).
    private mutating func values(depth: Int) throws(JSONScanError) -> String {
        guard next == 0x5B else {
            try skipValue(depth: depth)
            return ""
        }
        var text = ""
        var first = true
        try elements(depth: depth) { reader throws(JSONScanError) in
            if !first { text += "\\" }
            first = false
            switch reader.bytes[reader.position] {
            case 0x22: text += try reader.string()
            case 0x2D, 0x30...0x39: text += try reader.number()
            case 0x7B: text += try reader.personName(depth: depth + 1)
            default: try reader.skipValue(depth: depth + 1)
            }
        }
        return text
    }

    /// A person name object as `Alphabetic=Ideographic=Phonetic`, trailing empty groups
    /// dropped; a group that is not a string is empty.
    private mutating func personName(depth: Int) throws(JSONScanError) -> String {
        var groups = ["", "", ""]
        try members(depth: depth) { name, reader throws(JSONScanError) in
            var group = ""
            if reader.next == 0x22 { group = try reader.string() } else { try reader.skipValue(depth: depth + 1) }
            switch name {
            case "Alphabetic": groups[0] = group
            case "Ideographic": groups[1] = group
            case "Phonetic": groups[2] = group
            default: break
            }
        }
        while groups.count > 1, groups.last == "" { groups.removeLast() }
        return groups.joined(separator: "=")
    }
}
