import Testing
@testable import DICOM

// The DICOM JSON encoder as it was before its byte-level fast paths (commit aa2c7cb), frozen
// here as the reference: every value goes through Strings (`DataElement.strings`, `split`,
// `String(v)`). `DICOMJSONFastPathTests` checks the current encoder writes exactly the same bytes.

/// Encodes data sets as the DICOM JSON Model (PS3.18 Annex F).
///
/// Written by hand rather than through a generic JSON layer: metadata answers for whole studies
/// are on a hot path, and the model's rules (numbers for IS/DS, PN groups, InlineBinary vs
/// BulkDataURI) are easiest to follow in one place.
struct ReferenceDICOMJSONEncoder: Sendable {
    /// Binary values (OB, OD, OF, OL, OV, OW, UN) longer than this many bytes are replaced by a
    /// BulkDataURI when `bulkDataURI` gives one; shorter ones are InlineBinary.
    var bulkDataThreshold: Int
    /// Makes the BulkDataURI for an element; `path` is the chain of tags (and item indexes) from
    /// the top-level data set. Nil (or returning nil) keeps the value inline.
    var bulkDataURI: (@Sendable (_ path: [DICOMJSONEncoder.JSONPathComponent], _ element: DataElement) -> String?)?

    init(bulkDataThreshold: Int = 768,
                bulkDataURI: (@Sendable ([DICOMJSONEncoder.JSONPathComponent], DataElement) -> String?)? = nil) {
        self.bulkDataThreshold = bulkDataThreshold
        self.bulkDataURI = bulkDataURI
    }

    func encode(_ dataSet: DataSet) -> String {
        var out = ReferenceJSONOutput()
        var path: [DICOMJSONEncoder.JSONPathComponent] = []
        writeDataSet(dataSet, into: &out, path: &path)
        return out.text
    }

    /// A JSON array of data sets, as QIDO-RS and WADO-RS metadata answer.
    func encode(_ dataSets: [DataSet]) -> String {
        var out = ReferenceJSONOutput()
        out.raw("[")
        for (i, ds) in dataSets.enumerated() {
            if i > 0 { out.raw(",") }
            var path: [DICOMJSONEncoder.JSONPathComponent] = []
            writeDataSet(ds, into: &out, path: &path)
        }
        out.raw("]")
        return out.text
    }

    func writeDataSet(_ dataSet: DataSet, into out: inout ReferenceJSONOutput, path: inout [DICOMJSONEncoder.JSONPathComponent]) {
        out.raw("{")
        var first = true
        for element in dataSet.elements {
            if !first { out.raw(",") }
            first = false
            out.raw("\"")
            out.raw(element.tag.hexString)
            out.raw("\":")
            path.append(.tag(element.tag))
            writeElement(element, characterSet: dataSet.characterSet, into: &out, path: &path)
            path.removeLast()
        }
        out.raw("}")
    }

    func writeElement(_ original: DataElement, characterSet: SpecificCharacterSet,
                      into out: inout ReferenceJSONOutput, path: inout [DICOMJSONEncoder.JSONPathComponent]) {
        let element = original.reinterpretingUN()
        out.raw("{\"vr\":\"")
        out.raw(element.vr.description)
        out.raw("\"")
        defer { out.raw("}") }

        switch element.value {
        case .sequence(let sequence):
            out.raw(",\"Value\":[")
            for (i, item) in sequence.items.enumerated() {
                if i > 0 { out.raw(",") }
                path.append(.item(i))
                writeDataSet(item, into: &out, path: &path)
                path.removeLast()
            }
            out.raw("]")

        case .fragments(let pixels):
            let size = pixels.fragments.reduce(8 + pixels.basicOffsetTable.count) { $0 + 8 + $1.count }
            if size > bulkDataThreshold, let uri = bulkDataURI?(path, element) {
                out.raw(",\"BulkDataURI\":")
                out.string(uri)
            } else {
                out.raw(",\"InlineBinary\":\"")
                out.base64(DataSetWriter.encodeFragmentsValue(element))
                out.raw("\"")
            }

        case .bytes(let bytes):
            if bytes.isEmpty { return }
            // A value of nothing but padding is empty too (PS3.5 §6.2): no "Value".
            if element.vr.isString, bytes.allSatisfy({ $0 == 0x20 || $0 == 0 }) { return }
            if element.vr.isBulkBinary {
                if bytes.count > bulkDataThreshold, let uri = bulkDataURI?(path, element) {
                    out.raw(",\"BulkDataURI\":")
                    out.string(uri)
                } else {
                    out.raw(",\"InlineBinary\":\"")
                    out.base64(bytes)
                    out.raw("\"")
                }
                return
            }
            out.raw(",\"Value\":[")
            writeValues(element, bytes: bytes, characterSet: characterSet, into: &out)
            out.raw("]")
        }
    }

    func writeValues(_ element: DataElement, bytes: ValueBytes, characterSet: SpecificCharacterSet,
                     into out: inout ReferenceJSONOutput) {
        func list<T>(_ values: [T], _ write: (T, inout ReferenceJSONOutput) -> Void) {
            for (i, v) in values.enumerated() {
                if i > 0 { out.raw(",") }
                write(v, &out)
            }
        }
        switch element.vr {
        case .US, .SS, .UL, .SL, .SV:
            list(element.ints) { v, o in o.raw(String(v)) }
        case .UV:
            list(readLittleEndianArray(bytes, as: UInt64.self)) { v, o in o.raw(String(v)) }
        case .FL, .FD:
            list(element.doubles) { v, o in o.number(v) }
        case .AT:
            list(element.tags) { v, o in o.raw("\""); o.raw(v.hexString); o.raw("\"") }
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
                    o.raw("\"\(key)\":")
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

/// A growing UTF-8 buffer with the JSON escaping rules.
struct ReferenceJSONOutput {
    var bytes: [UInt8] = []

    init() { bytes.reserveCapacity(4096) }

    var text: String { String(decoding: bytes, as: UTF8.self) }

    mutating func raw(_ s: String) { bytes.append(contentsOf: s.utf8) }

    mutating func string(_ s: String) {
        bytes.append(0x22)
        for b in s.utf8 {
            switch b {
            case 0x22: bytes.append(0x5C); bytes.append(0x22)
            case 0x5C: bytes.append(0x5C); bytes.append(0x5C)
            case 0x0A: bytes.append(0x5C); bytes.append(0x6E)
            case 0x0D: bytes.append(0x5C); bytes.append(0x72)
            case 0x09: bytes.append(0x5C); bytes.append(0x74)
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: [0x5C, 0x75, 0x30, 0x30, hex[Int(b >> 4)], hex[Int(b & 0xF)]])
            default: bytes.append(b)
            }
        }
        bytes.append(0x22)
    }

    mutating func number(_ v: Double) {
        if v.isNaN || v.isInfinite { raw("null"); return }
        if v == v.rounded(), abs(v) < 1e15 { raw(String(Int64(v))) } else { raw(String(v)) }
    }

    /// An IS or DS value as a JSON number: the text itself when it is already valid JSON (no
    /// rounding through binary floating point), otherwise re-formatted; a string if not numeric.
    mutating func decimal(_ text: String, integer: Bool) {
        if Self.isJSONNumber(text) { raw(text); return }
        // Double(_:) also reads "0x1p4", "inf" and "nan", which are not decimal strings (PS3.5
        // Table 6.2-1): those stay text.
        let isDecimal = text.utf8.allSatisfy { (0x30...0x39).contains($0) || [0x2B, 0x2D, 0x2E, 0x45, 0x65].contains($0) }
        if isDecimal, let v = Double(text) {
            if integer, let i = Int(exactly: v) { raw(String(i)) } else { number(v) }
        } else {
            string(text)
        }
    }

    static func isJSONNumber(_ text: String) -> Bool {
        var it = Array(text.utf8)[...]
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

    mutating func base64<C: Collection>(_ data: C) where C.Element == UInt8 {
        let table = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        bytes.reserveCapacity(bytes.count + (data.count + 2) / 3 * 4)
        var it = data.makeIterator()
        while let b0 = it.next() {
            let b1 = it.next(), b2 = it.next()
            let n = UInt32(b0) << 16 | UInt32(b1 ?? 0) << 8 | UInt32(b2 ?? 0)
            bytes.append(table[Int(n >> 18 & 63)])
            bytes.append(table[Int(n >> 12 & 63)])
            bytes.append(b1 == nil ? 0x3D : table[Int(n >> 6 & 63)])
            bytes.append(b2 == nil ? 0x3D : table[Int(n & 63)])
        }
    }
}
