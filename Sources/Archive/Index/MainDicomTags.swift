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
        var reader = DICOMJSONReader(bytes: Array(dicomJSON.utf8))
        var out: [String: String] = [:]
        do {
            reader.skipWhitespace()
            try reader.members(depth: 0) { key, reader throws(DICOMJSONReader.Failure) in
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
            writeString(key, into: &out)
            out.append(0x3A)
            writeString(values[key]!, into: &out)
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

    /// JSON string escaping as the REST layer writes it (quote, backslash, `\n`, `\r`, `\t`,
    /// other control characters as `\u00xx`), so the stored text is what it would write.
    static func writeString(_ s: String, into out: inout [UInt8]) {
        let hex: StaticString = "0123456789abcdef"
        out.append(0x22)
        for b in s.utf8 {
            switch b {
            case 0x22: out.append(0x5C); out.append(0x22)
            case 0x5C: out.append(0x5C); out.append(0x5C)
            case 0x0A: out.append(0x5C); out.append(0x6E)
            case 0x0D: out.append(0x5C); out.append(0x72)
            case 0x09: out.append(0x5C); out.append(0x74)
            case 0..<0x20:
                out.append(contentsOf: [0x5C, 0x75, 0x30, 0x30, hex.utf8Start[Int(b >> 4)], hex.utf8Start[Int(b & 0xF)]])
            default: out.append(b)
            }
        }
        out.append(0x22)
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

/// A strict JSON reader (RFC 8259) that walks DICOM JSON without building a tree: the callers
/// visit members and elements and read the scalars they need.
struct DICOMJSONReader {
    struct Failure: Error {}

    let bytes: [UInt8]
    var position = 0

    mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }

    /// The byte at the current position, nil at the end.
    var next: UInt8? { position < bytes.count ? bytes[position] : nil }

    /// An attribute object's `MainDicomTags` value; nil when the attribute is left out (not an
    /// object, a sequence, binary, no string `vr`).
    mutating func attributeValue(depth: Int) throws(Failure) -> String? {
        guard next == 0x7B else {
            try skipValue(depth: depth)
            return nil
        }
        var vr: String? = nil
        var binary = false
        var text = ""
        try members(depth: depth) { name, reader throws(Failure) in
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
    private mutating func values(depth: Int) throws(Failure) -> String {
        guard next == 0x5B else {
            try skipValue(depth: depth)
            return ""
        }
        var text = ""
        var first = true
        try elements(depth: depth) { reader throws(Failure) in
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
    private mutating func personName(depth: Int) throws(Failure) -> String {
        var groups = ["", "", ""]
        try members(depth: depth) { name, reader throws(Failure) in
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

    // MARK: JSON

    /// Walks the object at the current position: `member` gets each name with the reader at
    /// its value, which it must read or skip.
    mutating func members(depth: Int, _ member: (String, inout DICOMJSONReader) throws(Failure) -> Void) throws(Failure) {
        guard depth < 512, next == 0x7B else { throw Failure() }
        position += 1
        skipWhitespace()
        if next == 0x7D { position += 1; return }
        while true {
            skipWhitespace()
            guard next == 0x22 else { throw Failure() }
            let key = try string()
            skipWhitespace()
            guard next == 0x3A else { throw Failure() }
            position += 1
            skipWhitespace()
            guard next != nil else { throw Failure() }
            try member(key, &self)
            skipWhitespace()
            switch next {
            case 0x2C: position += 1
            case 0x7D: position += 1; return
            default: throw Failure()
            }
        }
    }

    /// Walks the array at the current position: `element` gets the reader at each element,
    /// which it must read or skip.
    mutating func elements(depth: Int, _ element: (inout DICOMJSONReader) throws(Failure) -> Void) throws(Failure) {
        guard depth < 512, next == 0x5B else { throw Failure() }
        position += 1
        skipWhitespace()
        if next == 0x5D { position += 1; return }
        while true {
            skipWhitespace()
            guard next != nil else { throw Failure() }
            try element(&self)
            skipWhitespace()
            switch next {
            case 0x2C: position += 1
            case 0x5D: position += 1; return
            default: throw Failure()
            }
        }
    }

    /// Reads and checks any value.
    mutating func skipValue(depth: Int) throws(Failure) {
        guard depth < 512, let b = next else { throw Failure() }
        switch b {
        case 0x7B: try members(depth: depth) { _, reader throws(Failure) in try reader.skipValue(depth: depth + 1) }
        case 0x5B: try elements(depth: depth) { reader throws(Failure) in try reader.skipValue(depth: depth + 1) }
        case 0x22: _ = try string()
        case 0x2D, 0x30...0x39: _ = try number()
        case 0x74: try literal("true")
        case 0x66: try literal("false")
        case 0x6E: try literal("null")
        default: throw Failure()
        }
    }

    private mutating func literal(_ word: StaticString) throws(Failure) {
        let count = word.utf8CodeUnitCount
        guard position + count <= bytes.count else { throw Failure() }
        for i in 0..<count where bytes[position + i] != word.utf8Start[i] { throw Failure() }
        position += count
    }

    /// A number's literal text.
    mutating func number() throws(Failure) -> String {
        let start = position
        func digits(_ r: inout DICOMJSONReader) -> Int {
            let s = r.position
            while let b = r.next, (0x30...0x39).contains(b) { r.position += 1 }
            return r.position - s
        }
        if next == 0x2D { position += 1 }
        let first = position
        guard digits(&self) > 0 else { throw Failure() }
        if bytes[first] == 0x30, position - first > 1 { throw Failure() }
        if next == 0x2E {
            position += 1
            guard digits(&self) > 0 else { throw Failure() }
        }
        if next == 0x65 || next == 0x45 {
            position += 1
            if next == 0x2B || next == 0x2D { position += 1 }
            guard digits(&self) > 0 else { throw Failure() }
        }
        return String(decoding: bytes[start..<position], as: UTF8.self)
    }

    /// A string at the current position, unescaped.
    mutating func string() throws(Failure) -> String {
        position += 1
        // Most strings have no escapes: taken whole up to the closing quote.
        let start = position
        while let b = next {
            if b == 0x22 {
                position += 1
                return String(decoding: bytes[start..<position - 1], as: UTF8.self)
            }
            if b == 0x5C || b < 0x20 { break }
            position += 1
        }
        var out = Array(bytes[start..<position])
        while true {
            guard let b = next else { throw Failure() }
            position += 1
            switch b {
            case 0x22:
                return String(decoding: out, as: UTF8.self)
            case 0x5C:
                guard let e = next else { throw Failure() }
                position += 1
                switch e {
                case 0x22, 0x5C, 0x2F: out.append(e)
                case 0x62: out.append(0x08)
                case 0x66: out.append(0x0C)
                case 0x6E: out.append(0x0A)
                case 0x72: out.append(0x0D)
                case 0x74: out.append(0x09)
                case 0x75:
                    var scalar = try hex4()
                    if (0xD800..<0xDC00).contains(scalar) {
                        // A high surrogate must be followed by an escaped low surrogate.
                        guard position + 1 < bytes.count, bytes[position] == 0x5C, bytes[position + 1] == 0x75 else {
                            throw Failure()
                        }
                        position += 2
                        let low = try hex4()
                        guard (0xDC00..<0xE000).contains(low) else { throw Failure() }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00..<0xE000).contains(scalar) {
                        throw Failure()
                    }
                    guard let u = Unicode.Scalar(scalar) else { throw Failure() }
                    out.append(contentsOf: Array(String(Character(u)).utf8))
                default: throw Failure()
                }
            case 0..<0x20:
                throw Failure()
            default:
                out.append(b)
            }
        }
    }

    private mutating func hex4() throws(Failure) -> UInt32 {
        guard position + 4 <= bytes.count else { throw Failure() }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[position]
            position += 1
            let d: UInt32
            switch c {
            case 0x30...0x39: d = UInt32(c - 0x30)
            case 0x41...0x46: d = UInt32(c - 0x41 + 10)
            case 0x61...0x66: d = UInt32(c - 0x61 + 10)
            default: throw Failure()
            }
            v = v << 4 | d
        }
        return v
    }
}
