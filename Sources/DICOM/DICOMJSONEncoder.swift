/// Encodes data sets as the DICOM JSON Model (PS3.18 Annex F).
///
/// Written by hand rather than through a generic JSON layer: metadata answers for whole studies
/// and ingest (every stored instance's header) are on hot paths, and the model's rules (numbers
/// for IS/DS, PN groups, InlineBinary vs BulkDataURI) are easiest to follow in one place.
///
/// Values are written straight from their bytes into a byte buffer (`writeValueFast`): binary
/// numbers are formatted without Strings, and text that is plain ASCII, in a character set whose
/// first encoding leaves ASCII as it is, is split on backslash, trimmed and copied byte by byte.
/// Everything else (non-ASCII text, ESC, other character sets) takes the general path
/// (`writeValues`), which decodes through `DataElement.strings` and `SpecificCharacterSet`; both
/// give the same bytes (checked by `DICOMJSONFastPathTests` against the String-only encoder).
public struct DICOMJSONEncoder: Sendable {
    /// Binary values (OB, OD, OF, OL, OV, OW, UN) longer than this many bytes are replaced by a
    /// BulkDataURI when `bulkDataURI` gives one; shorter ones are InlineBinary.
    public var bulkDataThreshold: Int
    /// Makes the BulkDataURI for an element; `path` is the chain of tags (and item indexes) from
    /// the top-level data set. Nil (or returning nil) keeps the value inline.
    public var bulkDataURI: (@Sendable (_ path: [JSONPathComponent], _ element: DataElement) -> String?)?

    public enum JSONPathComponent: Sendable, Hashable {
        case tag(Tag)
        case item(Int)
    }

    public init(bulkDataThreshold: Int = 768,
                bulkDataURI: (@Sendable ([JSONPathComponent], DataElement) -> String?)? = nil) {
        self.bulkDataThreshold = bulkDataThreshold
        self.bulkDataURI = bulkDataURI
    }

    public func encode(_ dataSet: DataSet) -> String {
        output(dataSet).takeText()
    }

    /// The JSON as UTF-8 bytes (what `encode` returns as a String), e.g. to compress or send
    /// without a conversion.
    public func encodeBytes(_ dataSet: DataSet) -> [UInt8] {
        output(dataSet).takeBytes()
    }

    /// A JSON array of data sets, as QIDO-RS and WADO-RS metadata answer.
    public func encode(_ dataSets: [DataSet]) -> String {
        output(dataSets).takeText()
    }

    /// A JSON array of data sets as UTF-8 bytes.
    public func encodeBytes(_ dataSets: [DataSet]) -> [UInt8] {
        output(dataSets).takeBytes()
    }

    func output(_ dataSet: DataSet) -> JSONOutput {
        var out = JSONOutput()
        var path: [JSONPathComponent] = []
        writeDataSet(dataSet, into: &out, path: &path)
        return out
    }

    func output(_ dataSets: [DataSet]) -> JSONOutput {
        var out = JSONOutput()
        out.byte(0x5B)  // [
        for (i, ds) in dataSets.enumerated() {
            if i > 0 { out.byte(0x2C) }
            var path: [JSONPathComponent] = []
            writeDataSet(ds, into: &out, path: &path)
        }
        out.byte(0x5D)  // ]
        return out
    }

    func writeDataSet(_ dataSet: DataSet, into out: inout JSONOutput, path: inout [JSONPathComponent]) {
        out.byte(0x7B)  // {
        let characterSet = dataSet.characterSet
        let text = TextFastPath(characterSet)
        // Through a buffer pointer, so elements are borrowed rather than copied out one by one.
        dataSet.elements.withUnsafeBufferPointer { elements in
            for i in elements.indices {
                if i > 0 { out.byte(0x2C) }
                let tag = elements[i].tag
                out.tagKey(tag)
                let vr = elements[i].vr
                if vr != .UN, !vr.isBulkBinary, case .bytes(let bytes) = elements[i].value {
                    // Most elements: numbers and text (written as writeElement would).
                    out.vrHeader(vr)
                    if !bytes.isEmpty, !bytes.withUnsafeBufferPointer({ Self.writeValueFast(vr: vr, $0, text: text, into: &out) }) {
                        writeGeneralValue(elements[i], bytes: bytes, characterSet: characterSet, into: &out)
                    }
                    out.byte(0x7D)
                } else if vr == .UN {
                    writeElement(elements[i].reinterpretingUN(), characterSet: characterSet, text: text, into: &out, path: &path)
                } else {
                    writeElement(elements[i], characterSet: characterSet, text: text, into: &out, path: &path)
                }
            }
        }
        out.byte(0x7D)  // }
    }

    /// `element` has had UN reinterpreted; `path` leads to the data set holding it.
    func writeElement(_ element: borrowing DataElement, characterSet: SpecificCharacterSet, text: TextFastPath,
                      into out: inout JSONOutput, path: inout [JSONPathComponent]) {
        out.vrHeader(element.vr)
        defer { out.byte(0x7D) }

        switch element.value {
        case .sequence(let sequence):
            out.raw(",\"Value\":[")
            for (i, item) in sequence.items.enumerated() {
                if i > 0 { out.byte(0x2C) }
                path.append(.tag(element.tag))
                path.append(.item(i))
                writeDataSet(item, into: &out, path: &path)
                path.removeLast(2)
            }
            out.byte(0x5D)

        case .fragments(let pixels):
            let size = pixels.fragments.reduce(8 + pixels.basicOffsetTable.count) { $0 + 8 + $1.count }
            if size > bulkDataThreshold, let uri = bulkDataURI?(path + [.tag(element.tag)], copy element) {
                out.raw(",\"BulkDataURI\":")
                out.string(uri)
            } else {
                out.raw(",\"InlineBinary\":\"")
                out.base64(DataSetWriter.encodeFragmentsValue(element))
                out.byte(0x22)
            }

        case .bytes(let bytes):
            if bytes.isEmpty { return }
            let vr = element.vr
            if vr.isBulkBinary {
                if bytes.count > bulkDataThreshold, let uri = bulkDataURI?(path + [.tag(element.tag)], copy element) {
                    out.raw(",\"BulkDataURI\":")
                    out.string(uri)
                } else {
                    out.raw(",\"InlineBinary\":\"")
                    out.base64(bytes)
                    out.byte(0x22)
                }
                return
            }
            let done = bytes.withUnsafeBufferPointer { p in
                Self.writeValueFast(vr: vr, p, text: text, into: &out)
            }
            if !done { writeGeneralValue(element, bytes: bytes, characterSet: characterSet, into: &out) }
        }
    }

    /// The "Value" of a non-empty, non-binary value through Strings, for what `writeValueFast`
    /// leaves: text that is not plain ASCII in an ASCII-compatible character set, or a value no
    /// fast path knows.
    func writeGeneralValue(_ element: borrowing DataElement, bytes: ValueBytes, characterSet: SpecificCharacterSet,
                           into out: inout JSONOutput) {
        // A value of nothing but padding is empty too (PS3.5 §6.2): no "Value".
        if element.vr.isString, bytes.allSatisfy({ $0 == 0x20 || $0 == 0 }) { return }
        out.raw(",\"Value\":[")
        writeValues(copy element, bytes: bytes, characterSet: characterSet, into: &out)
        out.byte(0x5D)
    }

    /// Whether the text VRs' values can be copied byte for byte: with no ESC, their ASCII bytes
    /// decode to the same characters in the character set's first encoding.
    struct TextFastPath {
        /// The first encoding is Latin-1 (the default repertoire, ISO_IR 100, unknown terms) or
        /// UTF-8 (ISO_IR 192).
        let characterSetKeepsASCII: Bool
        init(_ characterSet: SpecificCharacterSet) {
            switch characterSet.encodings[0].codec {
            case .latin1, .utf8: characterSetKeepsASCII = true
            default: characterSetKeepsASCII = false
            }
        }
    }

    /// Writes the "Value" (or nothing, for an empty value) of a binary number or text element
    /// straight from its bytes, the way `writeValues` does through Strings. Returns false,
    /// having written nothing, when the value needs the general path: text with a byte over
    /// 0x7F, ESC in a text VR that uses the character set, or a character set whose first
    /// encoding does not map ASCII bytes to themselves.
    static func writeValueFast(vr: VR, _ p: UnsafeBufferPointer<UInt8>, text: TextFastPath,
                               into out: inout JSONOutput) -> Bool {
        switch vr {
        case .US: out.valueList(p, width: 2) { out, r, i in out.unsigned(UInt64(r.loadUnaligned(fromByteOffset: i, as: UInt16.self).littleEndian)) }
        case .SS: out.valueList(p, width: 2) { out, r, i in out.signed(Int64(r.loadUnaligned(fromByteOffset: i, as: Int16.self).littleEndian)) }
        case .UL: out.valueList(p, width: 4) { out, r, i in out.unsigned(UInt64(r.loadUnaligned(fromByteOffset: i, as: UInt32.self).littleEndian)) }
        case .SL: out.valueList(p, width: 4) { out, r, i in out.signed(Int64(r.loadUnaligned(fromByteOffset: i, as: Int32.self).littleEndian)) }
        case .SV: out.valueList(p, width: 8) { out, r, i in out.signed(r.loadUnaligned(fromByteOffset: i, as: Int64.self).littleEndian) }
        case .UV: out.valueList(p, width: 8) { out, r, i in out.unsigned(r.loadUnaligned(fromByteOffset: i, as: UInt64.self).littleEndian) }
        case .FL:
            out.valueList(p, width: 4) { out, r, i in
                out.number(Double(Float(bitPattern: r.loadUnaligned(fromByteOffset: i, as: UInt32.self).littleEndian)))
            }
        case .FD:
            out.valueList(p, width: 8) { out, r, i in
                out.number(Double(bitPattern: r.loadUnaligned(fromByteOffset: i, as: UInt64.self).littleEndian))
            }
        case .AT:
            out.valueList(p, width: 4) { out, r, i in
                let group = r.loadUnaligned(fromByteOffset: i, as: UInt16.self).littleEndian
                let element = r.loadUnaligned(fromByteOffset: i + 2, as: UInt16.self).littleEndian
                out.byte(0x22)
                out.hex8(UInt32(group) << 16 | UInt32(element))
                out.byte(0x22)
            }
        case .IS, .DS:
            // Never decoded with the character set (Latin-1).
            let scan = TextScan(p)
            guard !scan.hasHigh else { return false }
            if scan.isPadding { return true }
            out.raw(",\"Value\":[")
            var first = true
            forEachValue(p, split: true, trimLeading: true) { value in
                if !first { out.byte(0x2C) }
                first = false
                if value.isEmpty {
                    out.raw("null")
                } else if JSONOutput.isJSONNumber(value) {
                    out.append(value)
                } else {
                    out.decimal(String(decoding: value, as: UTF8.self), integer: vr == .IS)
                }
            }
            out.byte(0x5D)
        case .PN:
            let scan = TextScan(p)
            guard text.characterSetKeepsASCII, !scan.hasHigh, !scan.hasESC else { return false }
            if scan.isPadding { return true }
            out.raw(",\"Value\":[")
            var first = true
            // Trailing padding goes from the whole value, not from each name (trimmed(_:vr: .PN)).
            var n = p.count
            while n > 0, p[n - 1] == 0x20 || p[n - 1] == 0 { n -= 1 }
            forEachValue(UnsafeBufferPointer(rebasing: p[0..<n]), split: true, trimTrailing: false, trimLeading: false) { name in
                if !first { out.byte(0x2C) }
                first = false
                if name.isEmpty { out.raw("null"); return }
                // Component groups; trailing empty ones carry nothing (PS3.5 §6.2.1).
                var end = name.count
                while end > 0, name[end - 1] == 0x3D { end -= 1 }  // "=" at the end: empty groups
                out.byte(0x7B)
                var start = 0, group = 0
                while group < 3 {
                    var stop = start
                    while stop < end, name[stop] != 0x3D { stop += 1 }
                    switch group {
                    case 0: out.raw("\"Alphabetic\":")
                    case 1: out.raw(",\"Ideographic\":")
                    default: out.raw(",\"Phonetic\":")
                    }
                    let component = UnsafeBufferPointer(rebasing: name[start..<stop])
                    if scan.needsEscape { out.string(component) } else { out.plainString(component) }
                    if stop >= end { break }
                    start = stop + 1
                    group += 1
                }
                out.byte(0x7D)
            }
            out.byte(0x5D)
        case .AE, .AS, .CS, .DA, .DT, .LO, .LT, .SH, .ST, .TM, .UC, .UI, .UR, .UT:
            let scan = TextScan(p)
            guard !scan.hasHigh else { return false }
            if vr.usesSpecificCharacterSet, !text.characterSetKeepsASCII || scan.hasESC { return false }
            if scan.isPadding { return true }
            out.raw(",\"Value\":[")
            let single = vr.isSingleValuedText
            let trimLeading = switch vr {
            case .LT, .ST, .UT, .UC, .UR: false
            default: true
            }
            let many = !single && scan.hasBackslash
            // Values that need no escape: backslashes only stay in when not split on.
            let plain = !scan.needsEscape && !(single && scan.hasBackslash)
            var first = true
            forEachValue(p, split: !single, trimLeading: trimLeading) { value in
                if !first { out.byte(0x2C) }
                first = false
                if value.isEmpty && many {
                    out.raw("null")
                } else if plain {
                    out.plainString(value)
                } else {
                    out.string(value)
                }
            }
            out.byte(0x5D)
        default:
            return false
        }
        return true
    }

    /// Calls `body` with each value of `p`: split on backslash when `split`, each without
    /// trailing spaces and NULs, then (when `trimLeading`) without leading spaces, as
    /// `DataElement.strings` trims them.
    static func forEachValue(_ p: UnsafeBufferPointer<UInt8>, split: Bool, trimTrailing: Bool = true,
                             trimLeading: Bool, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        var start = 0
        let count = p.count
        while true {
            var stop = start
            if split { while stop < count, p[stop] != 0x5C { stop += 1 } } else { stop = count }
            var a = start, b = stop
            if trimTrailing { while b > a, p[b - 1] == 0x20 || p[b - 1] == 0 { b -= 1 } }
            if trimLeading { while a < b, p[a] == 0x20 { a += 1 } }
            body(UnsafeBufferPointer(rebasing: p[a..<b]))
            if stop >= count { return }
            start = stop + 1
        }
    }

    /// What the text fast paths need to know of a value, in one pass (eight bytes at a time).
    struct TextScan {
        /// A byte over 0x7F.
        var hasHigh = false
        var hasESC = false
        var hasBackslash = false
        /// Nothing but spaces and NULs (or nothing).
        var isPadding = true
        /// A byte JSON must escape, other than backslash, before the last byte (which, when a
        /// NUL, is padding and trimmed from every value).
        var needsEscape = false

        init(_ p: UnsafeBufferPointer<UInt8>) {
            let n = p.count
            guard n > 0 else { return }
            let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
            @inline(__always) func hasZeroByte(_ v: UInt64) -> Bool { (v &- ones) & ~v & highs != 0 }
            var or: UInt64 = 0, notPadding: UInt64 = 0
            var esc = false, backslash = false, escape = false
            var i = 0
            // Whole words before the last byte; the rest one by one.
            let raw = UnsafeRawPointer(p.baseAddress!)
            while i + 8 < n {
                let w = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                or |= w
                notPadding |= w & 0xDFDF_DFDF_DFDF_DFDF  // 0x00 and 0x20 give 0
                esc = esc || hasZeroByte(w ^ (ones &* 0x1B))
                backslash = backslash || hasZeroByte(w ^ (ones &* 0x5C))
                // A byte under 0x20 (exact only for ASCII bytes; with a high byte, the general
                // path is taken anyway), or a quote.
                escape = escape || (w &- ones &* 0x20) & ~w & highs != 0 || hasZeroByte(w ^ (ones &* 0x22))
                i += 8
            }
            while i < n {
                let b = p[i]
                or |= UInt64(b)
                notPadding |= UInt64(b & 0xDF)
                if b == 0x1B { esc = true }
                if b == 0x5C { backslash = true }
                if (b < 0x20 || b == 0x22) && (i < n - 1 || b != 0) { escape = true }
                i += 1
            }
            hasHigh = or & highs != 0
            hasESC = esc
            hasBackslash = backslash
            isPadding = notPadding == 0
            needsEscape = escape
        }
    }

    func writeValues(_ element: DataElement, bytes: ValueBytes, characterSet: SpecificCharacterSet,
                     into out: inout JSONOutput) {
        func list<T>(_ values: [T], _ write: (T, inout JSONOutput) -> Void) {
            for (i, v) in values.enumerated() {
                if i > 0 { out.raw(",") }
                write(v, &out)
            }
        }
        switch element.vr {
        case .US, .SS, .UL, .SL, .SV:
            list(element.ints) { v, o in o.rawString(String(v)) }
        case .UV:
            list(readLittleEndianArray(bytes, as: UInt64.self)) { v, o in o.rawString(String(v)) }
        case .FL, .FD:
            list(element.doubles) { v, o in o.number(v) }
        case .AT:
            list(element.tags) { v, o in o.raw("\""); o.rawString(v.hexString); o.raw("\"") }
        case .IS, .DS:
            let texts = element.strings(characterSet: .default)
            list(texts) { text, o in
                if text.isEmpty { o.raw("null") } else { o.decimal(text, integer: element.vr == .IS) }
            }
        case .PN:
            let text = characterSet.decode(bytes, vr: .PN)
            let values = DataElement.trimmed(text, vr: .PN).split(separator: "\\", omittingEmptySubsequences: false)
            list(values) { value, o in
                var groups = value.split(separator: "=", omittingEmptySubsequences: false)
                // Trailing empty component groups carry nothing (PS3.5 §6.2.1).
                while groups.count > 1, groups.last?.isEmpty == true { groups.removeLast() }
                if value.isEmpty { o.raw("null"); return }
                o.raw("{")
                for (g, key) in ["Alphabetic", "Ideographic", "Phonetic"].enumerated() where g < groups.count {
                    if g > 0 { o.raw(",") }
                    o.rawString("\"\(key)\":")
                    o.string(String(groups[g]))
                }
                o.raw("}")
            }
        default:
            let values = element.strings(characterSet: characterSet)
            list(values) { v, o in
                if v.isEmpty && values.count > 1 { o.raw("null") } else { o.string(v) }
            }
        }
    }
}

extension DataElement {
    /// UN elements of standard attributes decoded with the dictionary's VR (their value is
    /// implicit VR little endian, PS3.5 §6.2.2), so JSON shows the real value; pydicom does the
    /// same (`replace_un_with_known_vr`). Private and unknown elements stay UN.
    func reinterpretingUN() -> DataElement {
        guard vr == .UN else { return self }
        var copy = self
        // An undefined-length UN is a sequence whatever the tag (PS3.5 §6.2.2).
        if case .sequence = value { copy.vr = .SQ; return copy }
        if tag.isPrivateCreator { copy.vr = .LO; return copy }
        guard !tag.isPrivate, !tag.isGroupLength,
              let entry = DataDictionary.entry(for: tag), let dictionaryVR = entry.vr else { return self }
        switch value {
        case .sequence: break
        case .bytes(let b):
            if dictionaryVR == .SQ {
                // A defined-length UN holding a sequence: parse it as implicit VR LE.
                if let items = try? DataSetReader.sequenceItems(tag: tag, implicitValue: b) {
                    copy.vr = .SQ
                    copy.value = .sequence(.init(items: items, hasUndefinedLength: false))
                }
            } else if entry.ambiguousVRs.isEmpty {
                copy.vr = dictionaryVR
            } else {
                copy.vr = ImplicitVR.resolveAmbiguous(tag: tag, choices: entry.ambiguousVRs, length: UInt32(b.count),
                                                       context: DataSet(), pixelRepresentation: nil, explicitTransfer: false)
            }
        case .fragments: break
        }
        return copy
    }
}

extension DataSetReader {
    /// The items of a sequence value encoded in implicit VR little endian (a defined-length UN).
    static func sequenceItems(tag: Tag, implicitValue value: ValueBytes) throws(DICOMError) -> [DataSet] {
        // Re-frame as one defined-length element so the ordinary parser does the work.
        var bytes: [UInt8] = []
        bytes.reserveCapacity(value.count + 8)
        withUnsafeBytes(of: tag.group.littleEndian) { bytes.append(contentsOf: $0) }
        withUnsafeBytes(of: tag.element.littleEndian) { bytes.append(contentsOf: $0) }
        withUnsafeBytes(of: UInt32(value.count).littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: value)
        let dataSet = try DataSetReader(buffer: bytes, syntax: .implicitVRLittleEndian).read().dataSet
        return dataSet[tag]?.items ?? []
    }
}

extension DataSetWriter {
    /// The items of encapsulated pixel data (offset table, fragments) without the element
    /// header and the closing sequence delimiter, for InlineBinary, as pydicom writes it.
    static func encodeFragmentsValue(_ element: DataElement) -> [UInt8] {
        var writer = DataSetWriter(syntax: .explicitVRLittleEndian)
        writer.write(element)
        return Array(writer.output.dropFirst(12).dropLast(8))
    }
}

/// A growing UTF-8 buffer with the JSON escaping rules. Noncopyable, so it can own its memory:
/// writes go straight through a pointer, with one capacity check per write (not per byte).
struct JSONOutput: ~Copyable {
    private var base: UnsafeMutablePointer<UInt8>
    private(set) var count = 0
    private var capacity: Int

    init(capacity: Int = 4096) {
        self.capacity = capacity
        base = .allocate(capacity: capacity)
    }

    deinit { base.deallocate() }

    /// The bytes written, as an array.
    consuming func takeBytes() -> [UInt8] {
        Array(UnsafeBufferPointer(start: base, count: count))
    }

    /// The bytes written, as a String (they are UTF-8).
    consuming func takeText() -> String {
        String(decoding: UnsafeBufferPointer(start: base, count: count), as: UTF8.self)
    }

    /// Makes room for `n` more bytes.
    @inline(__always) mutating func reserve(_ n: Int) {
        if count + n > capacity { grow(count + n) }
    }

    @inline(never) private mutating func grow(_ needed: Int) {
        let newCapacity = max(needed, capacity * 2)
        let newBase = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        newBase.initialize(from: base, count: count)
        base.deallocate()
        base = newBase
        capacity = newCapacity
    }

    /// Writes without a capacity check: only after `reserve`.
    @inline(__always) private mutating func put(_ b: UInt8) {
        base[count] = b
        count += 1
    }

    @inline(__always) mutating func byte(_ b: UInt8) {
        reserve(1)
        put(b)
    }

    @inline(__always) mutating func append(_ p: UnsafeBufferPointer<UInt8>) {
        guard let source = p.baseAddress, !p.isEmpty else { return }
        reserve(p.count)
        (base + count).initialize(from: source, count: p.count)
        count += p.count
    }

    /// `{"vr":"XX"`, an element's opening.
    @inline(__always) mutating func vrHeader(_ vr: VR) {
        raw("{\"vr\":\"")
        reserve(3)
        put(UInt8(truncatingIfNeeded: vr.rawValue >> 8))
        put(UInt8(truncatingIfNeeded: vr.rawValue))
        put(0x22)
    }

    /// Text known at compile time ("null", keys and punctuation).
    @inline(__always) mutating func raw(_ s: StaticString) {
        s.withUTF8Buffer { append($0) }
    }

    mutating func rawString(_ s: String) {
        var s = s
        s.withUTF8 { append($0) }
    }

    mutating func string(_ s: String) {
        var s = s
        s.withUTF8 { string($0) }
    }

    /// A JSON string of UTF-8 bytes: runs that need no escape are copied at once.
    mutating func string(_ p: UnsafeBufferPointer<UInt8>) {
        reserve(p.count * 6 + 2)  // \u00XX at worst
        put(0x22)
        var run = 0
        for i in 0..<p.count {
            let b = p[i]
            guard b < 0x20 || b == 0x22 || b == 0x5C else { continue }
            if run < i {
                (base + count).initialize(from: p.baseAddress! + run, count: i - run)
                count += i - run
            }
            run = i + 1
            put(0x5C)
            switch b {
            case 0x22: put(0x22)
            case 0x5C: put(0x5C)
            case 0x0A: put(0x6E)
            case 0x0D: put(0x72)
            case 0x09: put(0x74)
            default:
                put(0x75); put(0x30); put(0x30)
                put(Self.hexDigit(b >> 4, upper: false)); put(Self.hexDigit(b & 0xF, upper: false))
            }
        }
        if run < p.count {
            (base + count).initialize(from: p.baseAddress! + run, count: p.count - run)
            count += p.count - run
        }
        put(0x22)
    }

    /// A JSON string of bytes known to need no escape.
    @inline(__always) mutating func plainString(_ p: UnsafeBufferPointer<UInt8>) {
        reserve(p.count + 2)
        put(0x22)
        if let source = p.baseAddress {
            (base + count).initialize(from: source, count: p.count)
            count += p.count
        }
        put(0x22)
    }

    @inline(__always) static func hexDigit(_ v: UInt8, upper: Bool) -> UInt8 {
        v < 10 ? 0x30 &+ v : (upper ? 0x37 : 0x57) &+ v
    }

    /// `"ggggeeee":` in upper-case hex, a DICOM JSON key (PS3.18 F.2.1.1).
    @inline(__always) mutating func tagKey(_ tag: Tag) {
        reserve(11)
        put(0x22)
        putHex8(tag.rawValue)
        put(0x22)
        put(0x3A)
    }

    /// Eight upper-case hex digits, as `Tag.hexString`.
    mutating func hex8(_ v: UInt32) {
        reserve(8)
        putHex8(v)
    }

    @inline(__always) private mutating func putHex8(_ v: UInt32) {
        for i in 0..<8 {
            base[count + i] = Self.hexDigit(UInt8(truncatingIfNeeded: v >> (28 - 4 * UInt32(i))) & 0xF, upper: true)
        }
        count += 8
    }

    /// Decimal digits, as `String(v)`.
    mutating func unsigned(_ v: UInt64) {
        reserve(20)
        if v < 10 { put(0x30 &+ UInt8(truncatingIfNeeded: v)); return }
        var digits = 1
        var x = v
        while x >= 10 { x /= 10; digits += 1 }
        var rest = v
        var i = count + digits
        repeat {
            let (q, r) = rest.quotientAndRemainder(dividingBy: 10)
            i -= 1
            base[i] = 0x30 &+ UInt8(truncatingIfNeeded: r)
            rest = q
        } while rest != 0
        count += digits
    }

    mutating func signed(_ v: Int64) {
        if v < 0 { byte(0x2D) }
        unsigned(v.magnitude)
    }

    /// `,"Value":[...]` of a binary VR with `width`-byte values (a trailing partial value is
    /// ignored, as `readLittleEndianArray` does); `write` gets the raw bytes and each offset.
    @inline(__always) mutating func valueList(_ p: UnsafeBufferPointer<UInt8>, width: Int,
                                              _ write: (inout JSONOutput, UnsafeRawBufferPointer, Int) -> Void) {
        raw(",\"Value\":[")
        let raw = UnsafeRawBufferPointer(p)
        let count = p.count / width
        for i in 0..<count {
            if i > 0 { byte(0x2C) }
            write(&self, raw, i * width)
        }
        byte(0x5D)
    }

    mutating func number(_ v: Double) {
        if v.isNaN || v.isInfinite { raw("null"); return }
        if v == v.rounded(), abs(v) < 1e15 { signed(Int64(v)) } else { rawString(String(v)) }
    }

    /// An IS or DS value as a JSON number: the text itself when it is already valid JSON (no
    /// rounding through binary floating point), otherwise re-formatted; a string if not numeric.
    mutating func decimal(_ text: String, integer: Bool) {
        if Self.isJSONNumber(text) { rawString(text); return }
        // Double(_:) also reads "0x1p4", "inf" and "nan", which are not decimal strings (PS3.5
        // Table 6.2-1): those stay text.
        let isDecimal = text.utf8.allSatisfy { (0x30...0x39).contains($0) || [0x2B, 0x2D, 0x2E, 0x45, 0x65].contains($0) }
        if isDecimal, let v = Double(text) {
            if integer, let i = Int(exactly: v) { rawString(String(i)) } else { number(v) }
        } else {
            string(text)
        }
    }

    static func isJSONNumber(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { isJSONNumber($0) }
    }

    static func isJSONNumber(_ p: UnsafeBufferPointer<UInt8>) -> Bool {
        var it = p[...]
        if it.first == 0x2D { it = it.dropFirst() }
        guard let f = it.first, f >= 0x30, f <= 0x39 else { return false }
        if f == 0x30, it.count > 1, let n = it.dropFirst().first, n >= 0x30, n <= 0x39 { return false }
        var seenDot = false, seenExp = false, lastWasDigit = false
        var prev: UInt8 = 0
        for b in it {
            switch b {
            case 0x30...0x39: lastWasDigit = true
            case 0x2E:
                if seenDot || seenExp || !lastWasDigit { return false }
                seenDot = true; lastWasDigit = false
            case 0x65, 0x45:
                if seenExp || !lastWasDigit { return false }
                seenExp = true; lastWasDigit = false
            case 0x2B, 0x2D:
                if prev != 0x65 && prev != 0x45 { return false }
                lastWasDigit = false
            default: return false
            }
            prev = b
        }
        return lastWasDigit
    }

    static let base64Table: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    mutating func base64<C: Collection>(_ data: C) where C.Element == UInt8 {
        Self.base64Table.withUnsafeBufferPointer { table in
            reserve((data.count + 2) / 3 * 4)
            var it = data.makeIterator()
            while let b0 = it.next() {
                let b1 = it.next(), b2 = it.next()
                let n = UInt32(b0) << 16 | UInt32(b1 ?? 0) << 8 | UInt32(b2 ?? 0)
                put(table[Int(n >> 18 & 63)])
                put(table[Int(n >> 12 & 63)])
                put(b1 == nil ? 0x3D : table[Int(n >> 6 & 63)])
                put(b2 == nil ? 0x3D : table[Int(n & 63)])
            }
        }
    }
}
