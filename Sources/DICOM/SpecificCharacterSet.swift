// Specific Character Set (0008,0005): decoding and encoding of DICOM text, PS3.3 C.12.1.1.2 and
// PS3.5 §6.1.
//
// Decoding reproduces pydicom 3.0.2 (`pydicom.charset`), including how it treats malformed data:
//
// * The terms are mapped as `convert_encodings` does: the DICOM defined terms of
//   `python_encoding`, then the spelling fixes of `_python_encoding_for_corrected_encoding`
//   ("ISO IR 100" → "ISO_IR 100", "ISO-2022-IR-87" → "ISO 2022 IR 87"), then Python codec names
//   and aliases ("latin1", "utf-8", "iso_ir_100", ...). Anything else is an unknown term and is
//   decoded with the default encoding, which for pydicom (and therefore here) is Latin-1, not
//   ASCII. Stand-alone sets (ISO_IR 192, GB18030, GBK) drop code extensions after them and are
//   ignored as code extensions (`_handle_illegal_standalone_encodings`).
// * A value without ESC is decoded with the first encoding. A value with ESC is cut before every
//   ESC; each piece that starts with a known escape sequence of a listed encoding (ESC ( B is
//   always allowed) is decoded with that encoding, and after the first CR, LF, TAB or FF in it,
//   with the first encoding again. ISO 2022 IR 87 and 159 pieces are decoded by a port of
//   CPython's iso2022_jp / iso2022_jp_2 decoders, which see the escape sequence themselves.
// * Errors: a piece that fails to decode, or starts with an unknown escape sequence, is decoded
//   as a whole (escape sequence included) with the first encoding and errors="replace", one
//   U+FFFD per error as CPython's codecs produce them.
// * PN values are decoded like the other text VRs (pydicom's `convert_PN` decodes the whole value
//   with the text delimiters, so '^', '=' and '\' do not reset the state); well-formed values, which
//   return to the initial state before every delimiter as PS3.5 §6.1.2.5.3 requires, decode the
//   same either way.
// * VRs that do not use the character set (`VR.usesSpecificCharacterSet == false`) are decoded as
//   Latin-1, pydicom's default encoding.
//
// Differences from pydicom:
// * pydicom passes ESC $ ) A (ISO 2022 IR 58) pieces, escape sequence included, to Python's
//   EUC-CN ("gb2312") codec, so the ESC, '$', ')' and 'A' end up in the decoded text. Here the
//   escape sequence is removed and the rest decoded as GB 2312 in G1, like ESC $ ) C for Korean.
// * Of the Python codec names pydicom accepts as terms, only those of the codecs implemented here
//   are known (Latin-1 to -5, Cyrillic, Arabic, Greek, Hebrew, TIS-620, ASCII, UTF-8, Shift_JIS,
//   EUC-KR, EUC-CN, GBK, GB18030, ISO-2022-JP(-2), with their Python aliases); others, such as
//   "cp1252" or "koi8_r", are unknown terms here, decoded as Latin-1.
//
// Character tables: single-byte sets are the Python codecs' tables, inlined below. The double-byte
// tables (JIS X 0208, JIS X 0212, KS X 1001, GB 2312, GBK, GB18030) are read from glibc's iconv
// once, on first use, and corrected where glibc and CPython disagree (checked exhaustively against
// CPython 3.11 with glibc 2.36). The GB18030 four-byte BMP table is derived from the two-byte table
// the way GB18030 defines it, so it matches CPython's GB18030-2000 mapping whatever glibc's is.

import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

public struct SpecificCharacterSet: Sendable, Hashable {
    /// ISO_IR 6, the default repertoire: no (0008,0005), or an empty value.
    public static let `default` = SpecificCharacterSet(terms: [])

    /// The values of (0008,0005), split on backslash and trimmed. The first may be empty, which
    /// means the default repertoire (as in `\ISO 2022 IR 87`).
    public let terms: [String]
    /// Terms that are neither DICOM defined terms (after pydicom's spelling fixes) nor names of the
    /// Python codecs implemented here; like pydicom, decoding uses the default encoding (Latin-1)
    /// in their place.
    public let unknownTerms: [String]
    /// The encodings in use, as pydicom's `convert_encodings` returns them: never empty.
    let encodings: [Encoding]

    public init(terms: [String]) {
        self.terms = terms
        var unknown: [String] = []
        var resolved: [Encoding] = []
        let list = terms.isEmpty ? [""] : terms
        for (i, term) in list.enumerated() {
            if i == 0 && term.isEmpty {
                resolved.append(Encoding(name: "iso8859", codec: .latin1))
            } else if let e = Encoding.resolve(term) {
                resolved.append(e)
            } else {
                unknown.append(term)
                resolved.append(Encoding(name: "iso8859", codec: .latin1))
            }
        }
        // _handle_illegal_standalone_encodings: looks at the terms as written.
        if list.count > 1 {
            let standAlone: Set<String> = ["ISO_IR 192", "GBK", "GB18030"]
            if standAlone.contains(list[0]) {
                resolved = [resolved[0]]
            } else {
                var kept = [resolved[0]]
                for i in 1..<list.count where !standAlone.contains(list[i]) { kept.append(resolved[i]) }
                resolved = kept
            }
        }
        self.unknownTerms = unknown
        self.encodings = resolved
    }

    public static func == (a: SpecificCharacterSet, b: SpecificCharacterSet) -> Bool { a.terms == b.terms }
    public func hash(into hasher: inout Hasher) { hasher.combine(terms) }

    /// ISO_IR 192: the first (and then only) character set is UTF-8.
    public var isUTF8: Bool { encodings[0].codec == .utf8 }

    // MARK: Decoding

    /// Decodes a value of a string VR as pydicom 3.0.2 does (`decode_bytes` with the text
    /// delimiters for LO, LT, PN, SH, ST, UC and UT; Latin-1 for the other VRs). The result is the
    /// whole value: not split on backslash, padding not removed (see `decodeValues`).
    public func decode(_ bytes: UnsafeRawBufferPointer, vr: VR) -> String {
        guard vr.usesSpecificCharacterSet else { return Self.latin1String(bytes) }
        let first = encodings[0]
        guard let firstESC = Self.index(of: 0x1B, in: bytes, from: 0) else {
            switch first.codec {
            case .latin1: return Self.latin1String(bytes)
            case .utf8: return String(decoding: bytes, as: UTF8.self)
            default:
                var sink = UTF8Sink(capacity: bytes.count * 3)
                if !Decoders.run(first.codec, bytes, 0, bytes.count, replace: false, into: &sink) {
                    sink.truncate(to: 0)
                    _ = Decoders.run(first.codec, bytes, 0, bytes.count, replace: true, into: &sink)
                }
                return sink.makeString()
            }
        }
        var sink = UTF8Sink(capacity: bytes.count * 3)
        if firstESC > 0 { decodeFragment(bytes, 0, firstESC, into: &sink) }
        var start = firstESC
        while start < bytes.count {
            let end = Self.index(of: 0x1B, in: bytes, from: start + 1) ?? bytes.count
            decodeFragment(bytes, start, end, into: &sink)
            start = end
        }
        return sink.makeString()
    }

    public func decode<C: Collection>(_ bytes: C, vr: VR) -> String where C.Element == UInt8 {
        if let s = bytes.withContiguousStorageIfAvailable({ decode(UnsafeRawBufferPointer($0), vr: vr) }) {
            return s
        }
        return Array(bytes).withUnsafeBytes { decode($0, vr: vr) }
    }

    /// The values of an element as pydicom 3.0.2 gives them as strings: PN has trailing NUL and
    /// space bytes removed, is split on backslash, and each name loses empty trailing component
    /// groups (`Wang^XiaoDong=王^小東=` → `Wang^XiaoDong=王^小東`); LO, SH and UC are split and each
    /// value loses trailing NULs and spaces; LT, ST and UT are one value without trailing NULs and
    /// spaces; AE values lose leading and trailing whitespace; UR loses trailing whitespace; UI loses
    /// trailing NULs and spaces, is split, and each value loses leading and trailing whitespace; the
    /// other VRs lose trailing NULs and spaces, then are split. Values of VRs other than the text
    /// VRs are Latin-1. A zero-length value has no values.
    public func decodeValues(_ bytes: UnsafeRawBufferPointer, vr: VR) -> [String] {
        guard !bytes.isEmpty else { return [] }
        switch vr {
        case .PN:
            var n = bytes.count
            while n > 0, bytes[n - 1] == 0x20 || bytes[n - 1] == 0 { n -= 1 }
            let text = decode(UnsafeRawBufferPointer(rebasing: bytes[0..<n]), vr: vr)
            return Self.split(text, on: "\\").map { name in
                var groups = Self.split(name, on: "=")
                while let last = groups.last, last.isEmpty { groups.removeLast() }
                return groups.joined(separator: "=")
            }
        case .LO, .SH, .UC:
            return Self.split(decode(bytes, vr: vr), on: "\\").map { Self.trimmingTrailing($0) { $0 == " " || $0 == "\0" } }
        case .LT, .ST, .UT:
            return [Self.trimmingTrailing(decode(bytes, vr: vr)) { $0 == " " || $0 == "\0" }]
        case .AE:
            return Self.split(Self.latin1String(bytes), on: "\\").map {
                Self.trimmingLeading(Self.trimmingTrailing($0, Self.isPythonSpace), Self.isPythonSpace)
            }
        case .UI:  // pydicom's UID also strips each value
            return Self.split(Self.trimmingTrailing(Self.latin1String(bytes)) { $0 == " " || $0 == "\0" }, on: "\\").map {
                Self.trimmingLeading(Self.trimmingTrailing($0, Self.isPythonSpace), Self.isPythonSpace)
            }
        case .UR:
            return [Self.trimmingTrailing(Self.latin1String(bytes), Self.isPythonSpace)]
        default:
            return Self.split(Self.trimmingTrailing(Self.latin1String(bytes)) { $0 == " " || $0 == "\0" }, on: "\\")
        }
    }

    public func decodeValues<C: Collection>(_ bytes: C, vr: VR) -> [String] where C.Element == UInt8 {
        if let s = bytes.withContiguousStorageIfAvailable({ decodeValues(UnsafeRawBufferPointer($0), vr: vr) }) {
            return s
        }
        return Array(bytes).withUnsafeBytes { decodeValues($0, vr: vr) }
    }

    /// `_decode_fragment`: `bytes[start..<end]` has no ESC after its first byte.
    private func decodeFragment(_ p: UnsafeRawBufferPointer, _ start: Int, _ end: Int, into sink: inout UTF8Sink) {
        let first = encodings[0].codec
        let mark = sink.count
        func fallBack(_ sink: inout UTF8Sink) {
            sink.truncate(to: mark)
            _ = Decoders.run(first, p, start, end, replace: true, into: &sink)
        }
        guard p[start] == 0x1B else {
            if !Decoders.run(first, p, start, end, replace: false, into: &sink) { fallBack(&sink) }
            return
        }
        guard let sequence = Self.escapeSequence(p, start, end),
              sequence.name == "iso8859" || encodings.contains(where: { $0.name == sequence.name }) else {
            // Unknown escape sequence, or one of an encoding that is not listed.
            fallBack(&sink)
            return
        }
        let (name, length, codec) = sequence
        var ok: Bool
        if name == "iso2022_jp" || name == "iso2022_jp_2" {
            // Python's ISO 2022 decoders process the escape sequence themselves.
            ok = Decoders.run(codec, p, start, end, replace: false, into: &sink)
        } else {
            let body = start + length
            var delimiter: Int? = nil
            for i in body..<end where p[i] == 0x0D || p[i] == 0x0A || p[i] == 0x09 || p[i] == 0x0C {
                delimiter = i
                break
            }
            if let d = delimiter {
                ok = Decoders.run(codec, p, body, d, replace: false, into: &sink)
                    && Decoders.run(first, p, d, end, replace: false, into: &sink)
            } else {
                ok = Decoders.run(codec, p, body, end, replace: false, into: &sink)
            }
        }
        if !ok { fallBack(&sink) }
    }

    /// `CODES_TO_ENCODINGS`: the Python encoding name (and its codec) of the escape sequence at
    /// `p[start]`, and its length. Sequences starting with ESC $ ( or ESC $ ) are four bytes, the
    /// others three.
    private static func escapeSequence(_ p: UnsafeRawBufferPointer, _ start: Int, _ end: Int)
        -> (name: String, length: Int, codec: Codec)? {
        guard end - start >= 3 else { return nil }
        let b1 = p[start + 1], b2 = p[start + 2]
        if b1 == 0x24 && (b2 == 0x28 || b2 == 0x29) {  // ESC $ ( F, ESC $ ) F
            guard end - start >= 4 else { return nil }
            switch (b2, p[start + 3]) {
            case (0x29, 0x43): return ("euc_kr", 4, .eucKR)              // ESC $ ) C  ISO 2022 IR 149
            case (0x28, 0x44): return ("iso2022_jp_2", 4, .iso2022JP2)   // ESC $ ( D  ISO 2022 IR 159
            case (0x29, 0x41): return ("iso_ir_58", 4, .gb2312)          // ESC $ ) A  ISO 2022 IR 58
            default: return nil
            }
        }
        switch (b1, b2) {
        case (0x28, 0x42): return ("iso8859", 3, .latin1)        // ESC ( B  ASCII in G0 (pydicom: Latin-1)
        case (0x2D, 0x41): return ("latin_1", 3, .latin1)        // ESC - A  ISO 8859-1 in G1
        case (0x29, 0x49): return ("shift_jis", 3, .shiftJIS)    // ESC ) I  JIS X 0201 Katakana in G1
        case (0x28, 0x4A): return ("shift_jis", 3, .shiftJIS)    // ESC ( J  JIS X 0201 Romaji in G0
        case (0x24, 0x42): return ("iso2022_jp", 3, .iso2022JP)  // ESC $ B  JIS X 0208 in G0
        case (0x2D, 0x42): return ("iso8859_2", 3, .iso8859_2)
        case (0x2D, 0x43): return ("iso8859_3", 3, .iso8859_3)
        case (0x2D, 0x44): return ("iso8859_4", 3, .iso8859_4)
        case (0x2D, 0x46): return ("iso_ir_126", 3, .iso8859_7)
        case (0x2D, 0x47): return ("iso_ir_127", 3, .iso8859_6)
        case (0x2D, 0x48): return ("iso_ir_138", 3, .iso8859_8)
        case (0x2D, 0x4C): return ("iso_ir_144", 3, .iso8859_5)
        case (0x2D, 0x4D): return ("iso_ir_148", 3, .iso8859_9)
        case (0x2D, 0x54): return ("iso_ir_166", 3, .tis620)
        default: return nil
        }
    }

    // MARK: Encoding

    /// Encodes text for writing; nil if a character cannot be represented. VRs that do not use the
    /// character set, and the default repertoire, accept ASCII only (pydicom would write Latin-1).
    /// Single-byte sets, UTF-8, GB18030 and GBK encode directly. With code extensions (ISO 2022,
    /// PS3.5 §6.1.2.5), a character the sets in use cannot represent switches to the first listed
    /// set that can, with its escape sequence; G0 returns to ASCII (JIS X 0201 Romaji when value 1
    /// is ISO 2022 IR 13) before ASCII characters and at the end, and after a delimiter (CR, LF,
    /// TAB, FF, backslash in multi-valued VRs, '^' and '=' in PN) a G1 set is designated again
    /// before it is used, as PS3.5 §6.1.2.5.3 requires. This reproduces the PS3.5 Annex H, I, J
    /// and K examples, and pydicom decodes the result to the same text.
    public func encode(_ text: String, vr: VR) -> [UInt8]? {
        guard vr.usesSpecificCharacterSet else { return Self.encodeASCII(text) }
        let first = encodings[0]
        switch first.codec {
        case .utf8: return Array(text.utf8)
        case .gb18030: return Encoders.gb18030(text)
        case .gbk: return Encoders.gbk(text)
        default: break
        }
        if encodings.count == 1 && first.name == "iso8859" { return Self.encodeASCII(text) }
        if encodings.count == 1 && first.codec == .latin1 {
            var out: [UInt8] = []
            out.reserveCapacity(text.utf8.count)
            for s in text.unicodeScalars {
                guard s.value < 0x100 else { return nil }
                out.append(UInt8(s.value))
            }
            return out
        }
        return ISO2022Encoder(encodings: encodings, vr: vr).encode(text)
    }

    // MARK: Helpers

    static func encodeASCII(_ text: String) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        for b in text.utf8 {
            guard b < 0x80 else { return nil }
            out.append(b)
        }
        return out
    }

    @inline(__always)
    static func index(of byte: UInt8, in p: UnsafeRawBufferPointer, from: Int) -> Int? {
        guard from < p.count, let base = p.baseAddress else { return nil }
        guard let hit = memchr(base + from, Int32(byte), p.count - from) else { return nil }
        return base.distance(to: UnsafeRawPointer(hit))
    }

    /// Latin-1 (and so ASCII) to String: ASCII is copied as is, other bytes take two UTF-8 bytes.
    static func latin1String(_ p: UnsafeRawBufferPointer) -> String {
        var high = 0
        var i = 0
        let n = p.count
        while i + 8 <= n {
            let word = p.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080
            if word != 0 { high += word.nonzeroBitCount }
            i += 8
        }
        while i < n {
            if p[i] >= 0x80 { high += 1 }
            i += 1
        }
        if high == 0 { return String(decoding: p, as: UTF8.self) }
        return String(unsafeUninitializedCapacity: n + high) { out in
            var o = 0
            for b in p {
                if b < 0x80 {
                    out[o] = b
                    o += 1
                } else {
                    out[o] = 0xC0 | b >> 6
                    out[o + 1] = 0x80 | b & 0x3F
                    o += 2
                }
            }
            return o
        }
    }

    /// Python's `str.split(sep)`, by Unicode scalar (a backslash followed by a combining mark is
    /// still a separator).
    static func split(_ text: String, on separator: Unicode.Scalar) -> [String] {
        text.unicodeScalars.split(separator: separator, omittingEmptySubsequences: false).map { String($0) }
    }

    static func trimmingTrailing(_ text: String, _ drop: (Unicode.Scalar) -> Bool) -> String {
        var scalars = Substring(text).unicodeScalars
        while let last = scalars.last, drop(last) { scalars.removeLast() }
        return String(scalars)
    }

    static func trimmingLeading(_ text: String, _ drop: (Unicode.Scalar) -> Bool) -> String {
        var scalars = Substring(text).unicodeScalars
        while let first = scalars.first, drop(first) { scalars.removeFirst() }
        return String(scalars)
    }

    /// `str.isspace()` for the Latin-1 range (what `str.strip()` removes from Latin-1 text).
    static func isPythonSpace(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0: true
        default: s.properties.isWhitespace
        }
    }
}

// The implementation, nested so that its names stay out of the module's namespace.
extension SpecificCharacterSet {
    // MARK: - Encodings and Python codec names

    /// A Python codec this file implements, with CPython's decoding behaviour.
    enum Codec: UInt8, Sendable {
        case latin1, ascii
        case iso8859_2, iso8859_3, iso8859_4, iso8859_5, iso8859_6, iso8859_7, iso8859_8, iso8859_9, tis620
        case utf8, shiftJIS, eucKR, gb2312, gbk, gb18030, iso2022JP, iso2022JP2

        /// Characters 0xA0...0xFF of the single-byte sets (0x00...0x9F map to themselves); U+FFFD
        /// marks bytes the Python codec does not define.
        var highHalf: [UInt16]? {
            switch self {
            case .iso8859_2: SingleByteTables.iso8859_2
            case .iso8859_3: SingleByteTables.iso8859_3
            case .iso8859_4: SingleByteTables.iso8859_4
            case .iso8859_5: SingleByteTables.iso8859_5
            case .iso8859_6: SingleByteTables.iso8859_6
            case .iso8859_7: SingleByteTables.iso8859_7
            case .iso8859_8: SingleByteTables.iso8859_8
            case .iso8859_9: SingleByteTables.iso8859_9
            case .tis620: SingleByteTables.tis620
            default: nil
            }
        }
    }

    /// One entry of pydicom's list of Python encodings: the Python name (pydicom compares names when
    /// it checks that an escape sequence's encoding is listed) and the codec.
    struct Encoding: Sendable, Hashable {
        let name: String
        let codec: Codec

        /// pydicom's `python_encoding`.
        static let dicomTerms: [String: String] = [
            "": "iso8859", "ISO_IR 6": "iso8859", "ISO_IR 13": "shift_jis", "ISO_IR 100": "latin_1",
            "ISO_IR 101": "iso8859_2", "ISO_IR 109": "iso8859_3", "ISO_IR 110": "iso8859_4",
            "ISO_IR 126": "iso_ir_126", "ISO_IR 127": "iso_ir_127", "ISO_IR 138": "iso_ir_138",
            "ISO_IR 144": "iso_ir_144", "ISO_IR 148": "iso_ir_148", "ISO_IR 166": "iso_ir_166",
            "ISO 2022 IR 6": "iso8859", "ISO 2022 IR 13": "shift_jis", "ISO 2022 IR 87": "iso2022_jp",
            "ISO 2022 IR 100": "latin_1", "ISO 2022 IR 101": "iso8859_2", "ISO 2022 IR 109": "iso8859_3",
            "ISO 2022 IR 110": "iso8859_4", "ISO 2022 IR 126": "iso_ir_126", "ISO 2022 IR 127": "iso_ir_127",
            "ISO 2022 IR 138": "iso_ir_138", "ISO 2022 IR 144": "iso_ir_144", "ISO 2022 IR 148": "iso_ir_148",
            "ISO 2022 IR 149": "euc_kr", "ISO 2022 IR 159": "iso2022_jp_2", "ISO 2022 IR 166": "iso_ir_166",
            "ISO 2022 IR 58": "iso_ir_58", "ISO_IR 192": "UTF8", "GB18030": "GB18030",
            "ISO 2022 GBK": "GBK", "ISO 2022 58": "GB2312", "GBK": "GBK",
        ]

        /// Python's codec modules (the first name of each group) and their aliases
        /// (`encodings.aliases`), for the codecs above.
        static let pythonCodecs: (modules: [String: Codec], aliases: [String: Codec]) = {
            var modules: [String: Codec] = [:]
            var aliases: [String: Codec] = [:]
            let groups: [(Codec, [String])] = [
                (.latin1, ["latin_1", "iso8859_1", "8859", "cp819", "csisolatin1", "ibm819", "iso8859", "iso_8859_1",
                           "iso_8859_1_1987", "iso_ir_100", "l1", "latin", "latin1"]),
                (.ascii, ["ascii", "646", "ansi_x3.4_1968", "ansi_x3.4_1986", "ansi_x3_4_1968", "cp367", "csascii",
                          "ibm367", "iso646_us", "iso_646.irv_1991", "iso_ir_6", "us", "us_ascii"]),
                (.iso8859_2, ["iso8859_2", "csisolatin2", "iso_8859_2", "iso_8859_2_1987", "iso_ir_101", "l2", "latin2"]),
                (.iso8859_3, ["iso8859_3", "csisolatin3", "iso_8859_3", "iso_8859_3_1988", "iso_ir_109", "l3", "latin3"]),
                (.iso8859_4, ["iso8859_4", "csisolatin4", "iso_8859_4", "iso_8859_4_1988", "iso_ir_110", "l4", "latin4"]),
                (.iso8859_5, ["iso8859_5", "csisolatincyrillic", "cyrillic", "iso_8859_5", "iso_8859_5_1988", "iso_ir_144"]),
                (.iso8859_6, ["iso8859_6", "arabic", "asmo_708", "csisolatinarabic", "ecma_114", "iso_8859_6",
                              "iso_8859_6_1987", "iso_ir_127"]),
                (.iso8859_7, ["iso8859_7", "csisolatingreek", "ecma_118", "elot_928", "greek", "greek8", "iso_8859_7",
                              "iso_8859_7_1987", "iso_ir_126"]),
                (.iso8859_8, ["iso8859_8", "csisolatinhebrew", "hebrew", "iso_8859_8", "iso_8859_8_1988", "iso_ir_138"]),
                (.iso8859_9, ["iso8859_9", "csisolatin5", "iso_8859_9", "iso_8859_9_1989", "iso_ir_148", "l5", "latin5"]),
                (.tis620, ["tis_620", "iso_ir_166", "tis620", "tis_620_0", "tis_620_2529_0", "tis_620_2529_1"]),
                (.utf8, ["utf_8", "cp65001", "u8", "utf", "utf8", "utf8_ucs2", "utf8_ucs4"]),
                (.shiftJIS, ["shift_jis", "csshiftjis", "s_jis", "shiftjis", "sjis", "x_mac_japanese"]),
                (.eucKR, ["euc_kr", "euckr", "korean", "ks_c_5601", "ks_c_5601_1987", "ks_x_1001", "ksc5601", "ksx1001",
                          "x_mac_korean"]),
                (.gb2312, ["gb2312", "chinese", "csiso58gb231280", "euc_cn", "euccn", "eucgb2312_cn", "gb2312_1980",
                           "gb2312_80", "iso_ir_58", "x_mac_simp_chinese"]),
                (.gbk, ["gbk", "936", "cp936", "ms936"]),
                (.gb18030, ["gb18030", "gb18030_2000"]),
                (.iso2022JP, ["iso2022_jp", "csiso2022jp", "iso2022jp", "iso_2022_jp"]),
                (.iso2022JP2, ["iso2022_jp_2", "iso2022jp_2", "iso_2022_jp_2"]),
            ]
            for (codec, names) in groups {
                modules[names[0]] = codec
                for n in names.dropFirst() { aliases[n] = codec }
            }
            modules["iso8859_1"] = .latin1  // a module of its own as well as an alias
            return (modules, aliases)
        }()

        /// `codecs.lookup(name)` restricted to the codecs above (`encodings.search_function`): runs of
        /// characters other than ASCII letters, digits and '.' become one '_' (none at either end),
        /// letters are lower-cased; then an alias (also tried with '.' as '_'), else a module name
        /// without '.'.
        static func resolve(pythonName name: String) -> Codec? {
            var norm = ""
            var punct = false
            for s in name.unicodeScalars {
                if s.isASCII && (s.properties.isAlphabetic || ("0"..."9").contains(s) || s == ".") {
                    if punct && !norm.isEmpty { norm.append("_") }
                    norm.unicodeScalars.append(s.lowercasedASCII)
                    punct = false
                } else {
                    punct = true
                }
            }
            let (modules, aliases) = pythonCodecs
            if let c = aliases[norm] ?? aliases[String(norm.map { $0 == "." ? "_" : $0 })] { return c }
            return norm.contains(".") ? nil : modules[norm]
        }

        /// pydicom's `convert_encodings` for one term; nil for an unknown term. Remembered per
        /// term: an archive sees a handful of distinct values, once per stored instance each.
        static func resolve(_ term: String) -> Encoding? {
            if let known = resolvedTerms.withLock({ $0[term] }) { return known }
            let encoding = resolveUncached(term)
            resolvedTerms.withLock { if $0.count < 256 { $0[term] = encoding } }
            return encoding
        }

        private static let resolvedTerms = Mutex<[String: Encoding?]>([:])

        private static func resolveUncached(_ term: String) -> Encoding? {
            if let name = dicomTerms[term], let codec = resolve(pythonName: name) {
                return Encoding(name: name, codec: codec)
            }
            // _python_encoding_for_corrected_encoding: common spelling errors.
            let s = Array(term.unicodeScalars)
            func matches(_ i: Int, _ c: Unicode.Scalar) -> Bool { i < s.count && s[i] == c }
            var patched: String? = nil
            if matches(0, "I") && matches(1, "S") && matches(2, "O") && s.count > 3 && s[3] != "_"
                && matches(4, "I") && matches(5, "R") {
                patched = "ISO_IR" + String(String.UnicodeScalarView(s.dropFirst(6)))
            } else if s.count >= 12 && matches(0, "I") && matches(1, "S") && matches(2, "O") && s[3] != "\n"
                        && matches(4, "2") && matches(5, "0") && matches(6, "2") && matches(7, "2") && s[8] != "\n"
                        && matches(9, "I") && matches(10, "R") && s[11] != "\n"
                        && !s.starts(with: "ISO 2022 IR ".unicodeScalars) {
                patched = "ISO 2022 IR " + String(String.UnicodeScalarView(s.dropFirst(12)))
            }
            if let patched {
                guard let name = dicomTerms[patched], let codec = resolve(pythonName: name) else { return nil }
                return Encoding(name: name, codec: codec)
            }
            // A Python codec name: pydicom keeps the term itself as the encoding name.
            guard let codec = resolve(pythonName: term) else { return nil }
            return Encoding(name: term, codec: codec)
        }
    }

    // MARK: - Output

    /// UTF-8 output of the decoders.
    struct UTF8Sink {
        var bytes: [UInt8] = []

        init(capacity: Int) { bytes.reserveCapacity(capacity) }

        var count: Int { bytes.count }

        @inline(__always)
        mutating func append(_ v: UInt32) {
            if v < 0x80 {
                bytes.append(UInt8(v))
            } else if v < 0x800 {
                bytes.append(UInt8(0xC0 | v >> 6))
                bytes.append(UInt8(0x80 | v & 0x3F))
            } else if v < 0x10000 {
                bytes.append(UInt8(0xE0 | v >> 12))
                bytes.append(UInt8(0x80 | (v >> 6) & 0x3F))
                bytes.append(UInt8(0x80 | v & 0x3F))
            } else {
                bytes.append(UInt8(0xF0 | v >> 18))
                bytes.append(UInt8(0x80 | (v >> 12) & 0x3F))
                bytes.append(UInt8(0x80 | (v >> 6) & 0x3F))
                bytes.append(UInt8(0x80 | v & 0x3F))
            }
        }

        mutating func truncate(to n: Int) { bytes.removeSubrange(n...) }

        func makeString() -> String { String(decoding: bytes, as: UTF8.self) }
    }

    // MARK: - Decoders

    /// Ports of CPython's decoders, with its error behaviour: strict decoding stops at the first
    /// error; errors="replace" writes one U+FFFD per error and skips the bytes CPython's decoder
    /// reports (for the multi-byte codecs: one byte, the character's width, or, for an incomplete
    /// sequence at the end, everything left).
    enum Decoders {
        static let replacement: UInt32 = 0xFFFD

        /// Decodes `p[from..<to]` into `out`. Returns false at the first error when `replace` is false
        /// (`out` then holds partial output the caller discards).
        static func run(_ codec: Codec, _ p: UnsafeRawBufferPointer, _ from: Int, _ to: Int,
                        replace: Bool, into out: inout UTF8Sink) -> Bool {
            switch codec {
            case .latin1:
                for i in from..<to { out.append(UInt32(p[i])) }
                return true
            case .ascii:
                for i in from..<to {
                    if p[i] < 0x80 { out.append(UInt32(p[i])) } else if replace { out.append(replacement) } else { return false }
                }
                return true
            case .utf8:
                return utf8(p, from, to, replace, &out)
            case .shiftJIS:
                return shiftJIS(p, from, to, replace, &out)
            case .eucKR:
                return eucKR(p, from, to, replace, &out)
            case .gb2312:
                return gb2312(p, from, to, replace, &out)
            case .gbk, .gb18030:
                return gb(codec == .gb18030, p, from, to, replace, &out)
            case .iso2022JP, .iso2022JP2:
                return ISO2022Decoder(jp2: codec == .iso2022JP2).run(p, from, to, replace, &out)
            default:
                let table = codec.highHalf!
                for i in from..<to {
                    let b = p[i]
                    let u = b < 0xA0 ? UInt32(b) : UInt32(table[Int(b) - 0xA0])
                    if u != replacement { out.append(u) } else if replace { out.append(replacement) } else { return false }
                }
                return true
            }
        }

        /// Records an error of `size` bytes (-1: incomplete sequence at the end, all that is left).
        @inline(__always)
        static func fail(_ size: Int, _ i: inout Int, _ to: Int, _ replace: Bool, _ out: inout UTF8Sink) -> Bool {
            guard replace else { return false }
            out.append(replacement)
            i = size < 0 ? to : i + size
            return true
        }

        /// Swift's UTF-8 decoder reports errors as maximal subparts (Unicode §3.9, "U+FFFD substitution
        /// of maximal subparts"), which is what CPython's UTF-8 decoder does too.
        static func utf8(_ p: UnsafeRawBufferPointer, _ from: Int, _ to: Int, _ replace: Bool, _ out: inout UTF8Sink) -> Bool {
            var iterator = UnsafeRawBufferPointer(rebasing: p[from..<to]).makeIterator()
            var decoder = UTF8()
            while true {
                switch decoder.decode(&iterator) {
                case .scalarValue(let s): out.append(s.value)
                case .emptyInput: return true
                case .error:
                    guard replace else { return false }
                    out.append(replacement)
                }
            }
        }

        /// CPython's shift_jis: JIS X 0201 (ASCII in the lower half, as CPython decodes it) and
        /// JIS X 0208 in two bytes.
        static func shiftJIS(_ p: UnsafeRawBufferPointer, _ from: Int, _ to: Int, _ replace: Bool, _ out: inout UTF8Sink) -> Bool {
            var i = from
            while i < to {
                let c = p[i]
                if c < 0x80 {
                    out.append(UInt32(c))
                    i += 1
                } else if c >= 0xA1 && c <= 0xDF {
                    out.append(0xFEC0 + UInt32(c))
                    i += 1
                } else if (c >= 0x81 && c <= 0x9F) || (c >= 0xE0 && c <= 0xEA) {
                    guard i + 1 < to else {
                        if !fail(-1, &i, to, replace, &out) { return false }
                        continue
                    }
                    var c2 = p[i + 1]
                    if c2 < 0x40 || (c2 > 0x7E && c2 < 0x80) || c2 > 0xFC {
                        if !fail(1, &i, to, replace, &out) { return false }
                        continue
                    }
                    var c1 = c < 0xE0 ? c - 0x81 : c - 0xC1
                    c2 = c2 < 0x80 ? c2 - 0x40 : c2 - 0x41
                    c1 = 2 * c1 + (c2 < 0x5E ? 0 : 1) + 0x21
                    c2 = (c2 < 0x5E ? c2 : c2 - 0x5E) + 0x21
                    if let u = CJKTables.jisx0208(c1, c2) {
                        out.append(u)
                        i += 2
                    } else if !fail(1, &i, to, replace, &out) {
                        return false
                    }
                } else if !fail(1, &i, to, replace, &out) {
                    return false
                }
            }
            return true
        }

        /// CPython's euc_kr: KS X 1001 in G1, with the KS X 1001:1998 Annex 3 make-up sequences
        /// (A4 D4 + three jamo) for syllables outside the table.
        static func eucKR(_ p: UnsafeRawBufferPointer, _ from: Int, _ to: Int, _ replace: Bool, _ out: inout UTF8Sink) -> Bool {
            // cgk2u_choseong / cgk2u_jongseong of _codecs_kr.c, for 0xA1...0xBE; 127 = none.
            let choseong: [UInt8] = [0, 1, 127, 2, 127, 127, 3, 4, 5, 127, 127, 127, 127, 127, 127, 127,
                                     6, 7, 8, 127, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18]
            let jongseong: [UInt8] = [1, 2, 3, 4, 5, 6, 7, 127, 8, 9, 10, 11, 12, 13, 14, 15,
                                      16, 17, 127, 18, 19, 20, 21, 22, 127, 23, 24, 25, 26, 27]
            var i = from
            while i < to {
                let c = p[i]
                if c < 0x80 {
                    out.append(UInt32(c))
                    i += 1
                    continue
                }
                guard i + 1 < to else {
                    if !fail(-1, &i, to, replace, &out) { return false }
                    continue
                }
                if c == 0xA4 && p[i + 1] == 0xD4 {
                    guard i + 7 < to else {
                        if !fail(-1, &i, to, replace, &out) { return false }
                        continue
                    }
                    guard p[i + 2] == 0xA4, p[i + 4] == 0xA4, p[i + 6] == 0xA4 else {
                        if !fail(1, &i, to, replace, &out) { return false }
                        continue
                    }
                    let c3 = p[i + 3], c5 = p[i + 5], c7 = p[i + 7]
                    let cho: UInt32 = (0xA1...0xBE).contains(c3) ? UInt32(choseong[Int(c3) - 0xA1]) : 127
                    let jung: UInt32 = (0xBF...0xD3).contains(c5) ? UInt32(c5 - 0xBF) : 127
                    let jong: UInt32 = c7 == 0xD4 ? 0 : (0xA1...0xBE).contains(c7) ? UInt32(jongseong[Int(c7) - 0xA1]) : 127
                    if cho == 127 || jung == 127 || jong == 127 {
                        if !fail(1, &i, to, replace, &out) { return false }
                        continue
                    }
                    out.append(0xAC00 + cho * 588 + jung * 28 + jong)
                    i += 8
                } else if let u = CJKTables.ksx1001(c ^ 0x80, p[i + 1] ^ 0x80) {
                    out.append(u)
                    i += 2
                } else if !fail(1, &i, to, replace, &out) {
                    return false
                }
            }
            return true
        }

        /// CPython's gb2312 (EUC-CN): GB 2312 in G1.
        static func gb2312(_ p: UnsafeRawBufferPointer, _ from: Int, _ to: Int, _ replace: Bool, _ out: inout UTF8Sink) -> Bool {
            var i = from
            while i < to {
                let c = p[i]
                if c < 0x80 {
                    out.append(UInt32(c))
                    i += 1
                } else if i + 1 >= to {
                    if !fail(-1, &i, to, replace, &out) { return false }
                } else if let u = CJKTables.gb2312(c ^ 0x80, p[i + 1] ^ 0x80) {
                    out.append(u)
                    i += 2
                } else if !fail(1, &i, to, replace, &out) {
                    return false
                }
            }
            return true
        }

        /// CPython's gbk and gb18030.
        static func gb(_ is18030: Bool, _ p: UnsafeRawBufferPointer, _ from: Int, _ to: Int, _ replace: Bool,
                       _ out: inout UTF8Sink) -> Bool {
            var i = from
            while i < to {
                let c = p[i]
                if c < 0x80 {
                    out.append(UInt32(c))
                    i += 1
                    continue
                }
                guard i + 1 < to else {
                    if !fail(-1, &i, to, replace, &out) { return false }
                    continue
                }
                let c2 = p[i + 1]
                if is18030 && c2 >= 0x30 && c2 <= 0x39 {  // four bytes
                    guard i + 3 < to else {
                        if !fail(-1, &i, to, replace, &out) { return false }
                        continue
                    }
                    let c3 = p[i + 2], c4 = p[i + 3]
                    if c >= 0x81 && c <= 0xFE && c3 >= 0x81 && c3 <= 0xFE && c4 >= 0x30 && c4 <= 0x39 {
                        let b1 = UInt32(c - 0x81), b2 = UInt32(c2 - 0x30), b3 = UInt32(c3 - 0x81), b4 = UInt32(c4 - 0x30)
                        if b1 < 4 {
                            let linear = Int((b1 * 10 + b2) * 1260 + b3 * 10 + b4)
                            let bmp = CJKTables.gb18030FourByte
                            if linear < bmp.count {
                                out.append(UInt32(bmp[linear]))
                                i += 4
                                continue
                            }
                        } else if b1 >= 15 {
                            let scalar = 0x10000 + ((b1 - 15) * 10 + b2) * 1260 + b3 * 10 + b4
                            if scalar <= 0x10FFFF {
                                out.append(scalar)
                                i += 4
                                continue
                            }
                        }
                    }
                    if !fail(1, &i, to, replace, &out) { return false }
                    continue
                }
                if let u = is18030 ? CJKTables.gb18030(c, c2) : CJKTables.gbk(c, c2) {
                    out.append(u)
                    i += 2
                } else if !fail(1, &i, to, replace, &out) {
                    return false
                }
            }
            return true
        }
    }

    /// CPython's ISO 2022 decoder (`_codecs_iso2022.c`) with the iso2022_jp and iso2022_jp_2
    /// configurations. pydicom hands it one piece of a value at a time, starting with the piece's
    /// escape sequence (ESC $ B or ESC $ ( D) and containing no other ESC.
    struct ISO2022Decoder {
        let jp2: Bool

        // Character set marks: the final byte of the designation, with 0x80 for double-byte sets.
        static let ascii: UInt8 = 0x42          // 'B'
        static let jisx0201Roman: UInt8 = 0x4A  // 'J'
        static let iso8859_1: UInt8 = 0x41      // 'A' (G2, iso2022_jp_2)
        static let iso8859_7: UInt8 = 0x46      // 'F' (G2, iso2022_jp_2)
        static let gb2312: UInt8 = 0xC1, jisx0208: UInt8 = 0xC2, ksx1001: UInt8 = 0xC3, jisx0212: UInt8 = 0xC4
        static let jisx0208_1978: UInt8 = 0xC0  // '@' | 0x80

        static let jpDesignations: [UInt8] = [jisx0208, jisx0201Roman, jisx0208_1978]
        static let jp2Designations: [UInt8] = [jisx0208, jisx0212, ksx1001, gb2312, jisx0201Roman, jisx0208_1978,
                                               iso8859_1, iso8859_7]

        static func isEscapeEnd(_ c: UInt8) -> Bool { (c >= 0x41 && c <= 0x5A) || c == 0x40 }

        func run(_ p: UnsafeRawBufferPointer, _ from: Int, _ to: Int, _ replace: Bool, _ out: inout UTF8Sink) -> Bool {
            var g: (UInt8, UInt8, UInt8) = (Self.ascii, Self.ascii, Self.ascii)  // G0, G1, G2
            var escThroughout = false
            var i = from
            // Both configurations have NO_SHIFT, so SI and SO are plain C0 bytes and G1 is never
            // invoked: G0 is the only set that decodes bytes.
            while i < to {
                let c = p[i]
                if escThroughout {  // after an ESC that is not ISO 2022: bytes as Latin-1 up to the final byte
                    out.append(UInt32(c))
                    i += 1
                    if Self.isEscapeEnd(c) { escThroughout = false }
                    continue
                }
                if c == 0x1B {
                    guard i + 1 < to else {
                        if !Decoders.fail(-1, &i, to, replace, &out) { return false }
                        continue
                    }
                    let c2 = p[i + 1]
                    if c2 == 0x28 || c2 == 0x29 || c2 == 0x24 || c2 == 0x2E || c2 == 0x26 {
                        let err = processEscape(p, &i, to, &g)
                        if err != 0, !Decoders.fail(err, &i, to, replace, &out) { return false }
                    } else if jp2 && c2 == 0x4E {  // ESC N: single shift 2
                        guard i + 2 < to else {
                            if !Decoders.fail(-1, &i, to, replace, &out) { return false }
                            continue
                        }
                        let c3 = p[i + 2]
                        if g.2 == Self.iso8859_1 && c3 < 0x80 {
                            out.append(UInt32(c3) + 0x80)
                            i += 3
                        } else if g.2 == Self.ascii && c3 < 0x80 {
                            out.append(UInt32(c3))
                            i += 3
                        } else if !Decoders.fail(3, &i, to, replace, &out) {
                            // (G2 can only be changed by an earlier ESC in the same piece, which pydicom
                            // never passes; ISO 8859-7 in G2 is not decoded.)
                            return false
                        }
                    } else {
                        out.append(0x1B)
                        escThroughout = true
                        i += 1
                    }
                    continue
                }
                if c < 0x20 {
                    out.append(UInt32(c))
                    i += 1
                    continue
                }
                if c >= 0x80 {
                    if !Decoders.fail(1, &i, to, replace, &out) { return false }
                    continue
                }
                let charset = g.0
                if charset == Self.ascii {
                    out.append(UInt32(c))
                    i += 1
                    continue
                }
                let width = charset & 0x80 != 0 ? 2 : 1
                guard i + width <= to else {
                    if !Decoders.fail(-1, &i, to, replace, &out) { return false }
                    continue
                }
                let decoded: UInt32?
                switch charset {
                case Self.jisx0208, Self.jisx0208_1978: decoded = CJKTables.jisx0208(c, p[i + 1])
                case Self.jisx0212: decoded = CJKTables.jisx0212(c, p[i + 1])
                case Self.ksx1001: decoded = CJKTables.ksx1001(c, p[i + 1])
                case Self.gb2312: decoded = CJKTables.gb2312(c, p[i + 1])
                case Self.jisx0201Roman:
                    decoded = c == 0x5C ? 0xA5 : c == 0x7E ? 0x203E : UInt32(c)
                default: decoded = nil  // ISO 8859-1/-7 designated to G0: CPython's dummy decoder
                }
                if let decoded {
                    out.append(decoded)
                    i += width
                } else if !Decoders.fail(width, &i, to, replace, &out) {
                    return false
                }
            }
            return true
        }

        /// `iso2022processesc`: 0 when the designation was applied, else the error size (-1: incomplete).
        private func processEscape(_ p: UnsafeRawBufferPointer, _ i: inout Int, _ to: Int,
                                   _ g: inout (UInt8, UInt8, UInt8)) -> Int {
            let left = to - i
            var length = 0
            var k = 1
            while k < 16 {
                if k >= left { return -1 }
                if Self.isEscapeEnd(p[i + k]) {
                    length = k + 1
                    break
                } else if k + 1 < left && p[i + k] == 0x26 && p[i + k + 1] == 0x40 {  // USE_JISX0208_EXT: "&@"
                    k += 2
                }
                k += 1
            }
            var charset: UInt8
            var designation: Int
            switch length {
            case 0:
                return 1
            case 3:
                if p[i + 1] == 0x24 {
                    charset = p[i + 2] | 0x80
                    designation = 0
                } else {
                    charset = p[i + 2]
                    switch p[i + 1] {
                    case 0x28: designation = 0
                    case 0x29: designation = 1
                    case 0x2E where jp2: designation = 2
                    default: return 3
                    }
                }
            case 4:
                guard p[i + 1] == 0x24 else { return 4 }
                charset = p[i + 3] | 0x80
                switch p[i + 2] {
                case 0x28: designation = 0
                case 0x29: designation = 1
                default: return 4
                }
            case 6:
                guard p[i + 3] == 0x1B && p[i + 4] == 0x24 && p[i + 5] == 0x42 else { return 6 }
                charset = Self.jisx0208
                designation = 0
            default:
                return length
            }
            if charset != Self.ascii && !(jp2 ? Self.jp2Designations : Self.jpDesignations).contains(charset) {
                return length
            }
            switch designation {
            case 0: g.0 = charset
            case 1: g.1 = charset
            default: g.2 = charset
            }
            i += length
            return 0
        }
    }

    // MARK: - Double-byte tables

    /// Double-byte character tables, read from iconv on first use. 0 marks an unmapped code.
    enum CJKTables {
        static func jisx0208(_ c1: UInt8, _ c2: UInt8) -> UInt32? { lookup94(jisx0208Table, c1, c2) }
        static func jisx0212(_ c1: UInt8, _ c2: UInt8) -> UInt32? { lookup94(jisx0212Table, c1, c2) }
        static func ksx1001(_ c1: UInt8, _ c2: UInt8) -> UInt32? { lookup94(ksx1001Table, c1, c2) }
        static func gb2312(_ c1: UInt8, _ c2: UInt8) -> UInt32? { lookup94(gb2312Table, c1, c2) }
        static func gbk(_ c1: UInt8, _ c2: UInt8) -> UInt32? { lookupGB(gbkTable, c1, c2) }
        static func gb18030(_ c1: UInt8, _ c2: UInt8) -> UInt32? { lookupGB(gb18030Table, c1, c2) }

        /// 94 × 94 sets, indexed by the 7-bit bytes 0x21...0x7E.
        @inline(__always)
        static func lookup94(_ table: [UInt16], _ c1: UInt8, _ c2: UInt8) -> UInt32? {
            guard c1 >= 0x21, c1 <= 0x7E, c2 >= 0x21, c2 <= 0x7E else { return nil }
            let u = table[Int(c1 - 0x21) * 94 + Int(c2 - 0x21)]
            return u == 0 ? nil : UInt32(u)
        }

        /// GBK / GB18030 two-byte codes: lead 0x81...0xFE, trail 0x40...0xFE.
        @inline(__always)
        static func lookupGB(_ table: [UInt16], _ c1: UInt8, _ c2: UInt8) -> UInt32? {
            guard c1 >= 0x81, c1 <= 0xFE, c2 >= 0x40, c2 <= 0xFE else { return nil }
            let u = table[Int(c1 - 0x81) * 191 + Int(c2 - 0x40)]
            return u == 0 ? nil : UInt32(u)
        }

        static let jisx0208Table = build94(iconv: "EUC-JP", prefix: nil, fixes: [:])
        /// glibc maps 0x2237 to U+FF5E FULLWIDTH TILDE, CPython to U+007E.
        static let jisx0212Table = build94(iconv: "EUC-JP", prefix: 0x8F, fixes: [0x2237: 0x007E])
        /// CPython has no 0x2268 (glibc: U+327E, added in KS X 1001:2002).
        static let ksx1001Table = build94(iconv: "EUC-KR", prefix: nil, fixes: [0x2268: 0])
        static let gb2312Table = build94(iconv: "EUC-CN", prefix: nil, fixes: [:])
        static let gbkTable = buildGB(iconv: "GBK", fixes: [:])
        /// CPython's gb18030 is GB18030-2000: these codes map to the Private Use Area rather than to
        /// the characters later versions (and newer glibc) use.
        static let gb18030Table = buildGB(iconv: "GB18030", fixes: [
            0xA6D9: 0xE78D, 0xA6DA: 0xE78E, 0xA6DB: 0xE78F, 0xA6DC: 0xE790, 0xA6DD: 0xE791, 0xA6DE: 0xE792,
            0xA6DF: 0xE793, 0xA6EC: 0xE794, 0xA6ED: 0xE795, 0xA6F3: 0xE796, 0xA8BC: 0xE7C7, 0xFE51: 0xE816,
            0xFE52: 0xE817, 0xFE53: 0xE818, 0xFE59: 0xE81E, 0xFE61: 0xE826, 0xFE66: 0xE82B, 0xFE67: 0xE82C,
            0xFE6C: 0xE831, 0xFE6D: 0xE832, 0xFE76: 0xE83B, 0xFE7E: 0xE843, 0xFE90: 0xE854, 0xFE91: 0xE855,
            0xFEA0: 0xE864,
        ])

        /// GB18030 four-byte codes 81 30 81 30 ... 84 31 A4 39 (linear index 0..<39420): the BMP
        /// characters from U+0080 that have no one- or two-byte code, in order (surrogates excluded).
        static let gb18030FourByte: [UInt16] = {
            var taken = [Bool](repeating: false, count: 0x10000)
            for u in gb18030Table where u != 0 { taken[Int(u)] = true }
            var list: [UInt16] = []
            list.reserveCapacity(39420)
            for u in 0x80...0xFFFF where !taken[u] && !(0xD800...0xDFFF).contains(u) { list.append(UInt16(u)) }
            return Array(list.prefix(39420))
        }()

        static func build94(iconv name: String, prefix: UInt8?, fixes: [Int: UInt16]) -> [UInt16] {
            var table = [UInt16](repeating: 0, count: 94 * 94)
            withIconv(name) { convert in
                for c1 in 0..<94 {
                    for c2 in 0..<94 {
                        var input: [UInt8] = [UInt8(c1 + 0xA1), UInt8(c2 + 0xA1)]
                        if let prefix { input.insert(prefix, at: 0) }
                        table[c1 * 94 + c2] = convert(input)
                    }
                }
            }
            for (code, u) in fixes { table[((code >> 8) - 0x21) * 94 + (code & 0xFF) - 0x21] = u }
            return table
        }

        static func buildGB(iconv name: String, fixes: [Int: UInt16]) -> [UInt16] {
            var table = [UInt16](repeating: 0, count: 126 * 191)
            withIconv(name) { convert in
                for c1 in 0..<126 {
                    for c2 in 0..<191 where c2 != 0x3F {  // trail byte 0x7F is never valid
                        table[c1 * 191 + c2] = convert([UInt8(c1 + 0x81), UInt8(c2 + 0x40)])
                    }
                }
            }
            for (code, u) in fixes { table[((code >> 8) - 0x81) * 191 + (code & 0xFF) - 0x40] = u }
            return table
        }

        /// Runs `body` with a converter from `name` to one BMP scalar (0 when the input is not
        /// exactly one character of the BMP). iconv descriptors are not thread-safe; this one lives
        /// only for the duration of the (once-only) table build.
        static func withIconv(_ name: String, _ body: ((([UInt8]) -> UInt16)) -> Void) {
            guard let cd = iconv_open("UTF-32LE", name), cd != iconv_t(bitPattern: -1) else { return }
            defer { iconv_close(cd) }
            body { input in
                var input = input
                var output: (UInt32, UInt32) = (0, 0)
                let produced: Int = input.withUnsafeMutableBytes { inBuffer in
                    withUnsafeMutableBytes(of: &output) { outBuffer in
                        var inPointer = inBuffer.baseAddress?.assumingMemoryBound(to: CChar.self)
                        var outPointer = outBuffer.baseAddress?.assumingMemoryBound(to: CChar.self)
                        var inLeft = inBuffer.count
                        var outLeft = outBuffer.count
                        _ = iconv(cd, nil, nil, nil, nil)
                        let r = iconv(cd, &inPointer, &inLeft, &outPointer, &outLeft)
                        guard r != -1, inLeft == 0 else { return 0 }
                        return outBuffer.count - outLeft
                    }
                }
                guard produced == 4, output.0 > 0, output.0 <= 0xFFFF else { return 0 }
                return UInt16(output.0)
            }
        }
    }

    // MARK: - Encoders

    enum Encoders {
        /// Scalar → code for a decoding table, built on first use (first code wins).
        final class Reverse: Sendable {
            let codes: [UInt16]
            init(_ table: [UInt16], code: (Int) -> UInt16) {
                var codes = [UInt16](repeating: 0, count: 0x10000)
                for (i, u) in table.enumerated() where u != 0 && codes[Int(u)] == 0 { codes[Int(u)] = code(i) }
                self.codes = codes
            }
            func callAsFunction(_ s: Unicode.Scalar) -> UInt16? {
                guard s.value < 0x10000 else { return nil }
                let c = codes[Int(s.value)]
                return c == 0 ? nil : c
            }
        }

        static func code94(_ i: Int) -> UInt16 { UInt16((i / 94 + 0x21) << 8 | (i % 94 + 0x21)) }
        static func codeGB(_ i: Int) -> UInt16 { UInt16((i / 191 + 0x81) << 8 | (i % 191 + 0x40)) }

        static let jisx0208 = Reverse(CJKTables.jisx0208Table, code: code94)
        static let jisx0212 = Reverse(CJKTables.jisx0212Table, code: code94)
        static let ksx1001 = Reverse(CJKTables.ksx1001Table, code: code94)
        static let gb2312 = Reverse(CJKTables.gb2312Table, code: code94)
        static let gbkCodes = Reverse(CJKTables.gbkTable, code: codeGB)
        static let gb18030Codes = Reverse(CJKTables.gb18030Table, code: codeGB)

        static func gbk(_ text: String) -> [UInt8]? {
            var out: [UInt8] = []
            out.reserveCapacity(text.utf8.count)
            for s in text.unicodeScalars {
                if s.value < 0x80 {
                    out.append(UInt8(s.value))
                } else if let code = gbkCodes(s) {
                    out.append(UInt8(code >> 8))
                    out.append(UInt8(code & 0xFF))
                } else {
                    return nil
                }
            }
            return out
        }

        static func gb18030(_ text: String) -> [UInt8]? {
            var out: [UInt8] = []
            out.reserveCapacity(text.utf8.count)
            let fourByte = CJKTables.gb18030FourByte
            for s in text.unicodeScalars {
                var linear: Int
                if s.value < 0x80 {
                    out.append(UInt8(s.value))
                    continue
                } else if let code = gb18030Codes(s) {
                    out.append(UInt8(code >> 8))
                    out.append(UInt8(code & 0xFF))
                    continue
                } else if s.value >= 0x10000 {
                    linear = Int(s.value - 0x10000) + 15 * 12600
                } else {
                    // Binary search in the (ascending) four-byte BMP list.
                    var lo = 0, hi = fourByte.count
                    while lo < hi {
                        let mid = (lo + hi) / 2
                        if UInt32(fourByte[mid]) < s.value { lo = mid + 1 } else { hi = mid }
                    }
                    guard lo < fourByte.count, UInt32(fourByte[lo]) == s.value else { return nil }
                    linear = lo
                }
                let b4 = linear % 10; linear /= 10
                let b3 = linear % 126; linear /= 126
                let b2 = linear % 10
                let b1 = linear / 10
                out.append(contentsOf: [UInt8(b1 + 0x81), UInt8(b2 + 0x30), UInt8(b3 + 0x81), UInt8(b4 + 0x30)])
            }
            return out
        }
    }

    /// Encodes with ISO 2022 code extensions (PS3.5 §6.1.2.5): one code element in G0 (ASCII,
    /// JIS X 0201 Romaji, JIS X 0208 or JIS X 0212) and one in G1 (a single-byte set's upper half,
    /// JIS X 0201 Katakana, KS X 1001 or GB 2312).
    struct ISO2022Encoder {
        enum Element: Equatable {
            case ascii, romaji
            case upperHalf(Codec)  // Latin-1 and the other single-byte sets
            case katakana, jisx0208, jisx0212, ksx1001, gb2312

            var isG0: Bool { self == .ascii || self == .romaji || self == .jisx0208 || self == .jisx0212 }

            var escape: [UInt8] {
                switch self {
                case .ascii: [0x1B, 0x28, 0x42]
                case .romaji: [0x1B, 0x28, 0x4A]
                case .katakana: [0x1B, 0x29, 0x49]
                case .jisx0208: [0x1B, 0x24, 0x42]
                case .jisx0212: [0x1B, 0x24, 0x28, 0x44]
                case .ksx1001: [0x1B, 0x24, 0x29, 0x43]
                case .gb2312: [0x1B, 0x24, 0x29, 0x41]
                case .upperHalf(let codec):
                    switch codec {
                    case .iso8859_2: [0x1B, 0x2D, 0x42]
                    case .iso8859_3: [0x1B, 0x2D, 0x43]
                    case .iso8859_4: [0x1B, 0x2D, 0x44]
                    case .iso8859_5: [0x1B, 0x2D, 0x4C]
                    case .iso8859_6: [0x1B, 0x2D, 0x47]
                    case .iso8859_7: [0x1B, 0x2D, 0x46]
                    case .iso8859_8: [0x1B, 0x2D, 0x48]
                    case .iso8859_9: [0x1B, 0x2D, 0x4D]
                    case .tis620: [0x1B, 0x2D, 0x54]
                    default: [0x1B, 0x2D, 0x41]
                    }
                }
            }

            /// The bytes of a non-ASCII scalar in this element (G1 bytes with the high bit set).
            func encode(_ s: Unicode.Scalar) -> [UInt8]? {
                switch self {
                case .ascii, .romaji:
                    return nil
                case .katakana:
                    return (0xFF61...0xFF9F).contains(s.value) ? [UInt8(s.value - 0xFEC0)] : nil
                case .upperHalf(let codec):
                    if codec == .latin1 { return (0xA0...0xFF).contains(s.value) ? [UInt8(s.value)] : nil }
                    guard s.value < 0x10000, s.value != 0xFFFD, let table = codec.highHalf,
                          let i = table.firstIndex(of: UInt16(s.value)) else {
                        return nil
                    }
                    return [UInt8(0xA0 + i)]
                case .jisx0208, .jisx0212, .ksx1001, .gb2312:
                    let reverse = switch self {
                    case .jisx0208: Encoders.jisx0208
                    case .jisx0212: Encoders.jisx0212
                    case .ksx1001: Encoders.ksx1001
                    default: Encoders.gb2312
                    }
                    guard let code = reverse(s) else { return nil }
                    let high: UInt8 = isG0 ? 0 : 0x80
                    return [UInt8(code >> 8) | high, UInt8(code & 0xFF) | high]
                }
            }
        }

        /// Each term's G0 and G1 elements, in the order of the terms.
        let elements: [(g0: Element, g1: Element?)]
        let delimiters: Set<UInt32>

        init(encodings: [Encoding], vr: VR) {
            elements = encodings.map { e in
                if e.name == "iso8859" { return (.ascii, nil) }
                switch e.codec {
                case .ascii, .utf8, .gbk, .gb18030: return (.ascii, nil)
                case .shiftJIS: return (.romaji, .katakana)
                case .eucKR: return (.ascii, .ksx1001)
                case .gb2312: return (.ascii, .gb2312)
                case .iso2022JP: return (.jisx0208, nil)
                case .iso2022JP2: return (.jisx0212, nil)
                default: return (.ascii, .upperHalf(e.codec))
                }
            }
            var delimiters: Set<UInt32> = [0x0D, 0x0A, 0x0C, 0x09]
            if !vr.isSingleValuedText { delimiters.insert(0x5C) }
            if vr == .PN { delimiters.formUnion([0x5E, 0x3D]) }
            self.delimiters = delimiters
        }

        func encode(_ text: String) -> [UInt8]? {
            // The initial state: value 1's single-byte G0 (ASCII unless it is ISO 2022 IR 13) and G1.
            let initialG0: Element = elements[0].g0 == .romaji ? .romaji : .ascii
            let initialG1 = elements[0].g1
            // The G0 set in effect, which decides whether ASCII can be written as is.
            var g0 = initialG0
            // The set of the last escape sequence written (nil: none yet). pydicom decodes the bytes
            // after an escape sequence with that sequence's character set alone (after ESC ( B as
            // Latin-1; after ESC $ B as JIS X 0208), so a character of another set than this one gets
            // its escape sequence even when the set is still designated.
            var piece: Element? = nil
            var out: [UInt8] = []
            out.reserveCapacity(text.utf8.count * 2)
            func write(_ e: Element) {
                out.append(contentsOf: e.escape)
                piece = e
                if e.isG0 { g0 = e }
            }
            for s in text.unicodeScalars {
                if s.value < 0x80 {
                    if g0 != initialG0 { write(initialG0) }
                    if piece != nil && delimiters.contains(s.value) {
                        // A decoder returns to the initial sets here (PS3.5 §6.1.2.5.3); pydicom does only
                        // at CR, LF, TAB and FF. Characters of other sets than ASCII then get their escape
                        // sequence again, which suits both.
                        piece = initialG0
                    }
                    out.append(UInt8(s.value))
                    continue
                }
                if let current = piece ?? initialG1, let bytes = current.encode(s) {
                    out.append(contentsOf: bytes)
                    continue
                }
                var found = false
                for (e0, e1) in elements {
                    for e in [e1, e0] {
                        guard let e, let bytes = e.encode(s) else { continue }
                        write(e)
                        out.append(contentsOf: bytes)
                        found = true
                        break
                    }
                    if found { break }
                }
                if !found { return nil }
            }
            if g0 != initialG0 { write(initialG0) }
            return out
        }
    }

    // MARK: - Single-byte tables

    /// Characters 0xA0...0xFF of CPython's single-byte codecs (U+FFFD: undefined). 0x00...0x9F map
    /// to U+0000...U+009F in all of them.
    enum SingleByteTables {
        static let iso8859_2: [UInt16] = [
            0x00A0, 0x0104, 0x02D8, 0x0141, 0x00A4, 0x013D, 0x015A, 0x00A7, 0x00A8, 0x0160, 0x015E, 0x0164,
            0x0179, 0x00AD, 0x017D, 0x017B, 0x00B0, 0x0105, 0x02DB, 0x0142, 0x00B4, 0x013E, 0x015B, 0x02C7,
            0x00B8, 0x0161, 0x015F, 0x0165, 0x017A, 0x02DD, 0x017E, 0x017C, 0x0154, 0x00C1, 0x00C2, 0x0102,
            0x00C4, 0x0139, 0x0106, 0x00C7, 0x010C, 0x00C9, 0x0118, 0x00CB, 0x011A, 0x00CD, 0x00CE, 0x010E,
            0x0110, 0x0143, 0x0147, 0x00D3, 0x00D4, 0x0150, 0x00D6, 0x00D7, 0x0158, 0x016E, 0x00DA, 0x0170,
            0x00DC, 0x00DD, 0x0162, 0x00DF, 0x0155, 0x00E1, 0x00E2, 0x0103, 0x00E4, 0x013A, 0x0107, 0x00E7,
            0x010D, 0x00E9, 0x0119, 0x00EB, 0x011B, 0x00ED, 0x00EE, 0x010F, 0x0111, 0x0144, 0x0148, 0x00F3,
            0x00F4, 0x0151, 0x00F6, 0x00F7, 0x0159, 0x016F, 0x00FA, 0x0171, 0x00FC, 0x00FD, 0x0163, 0x02D9,
        ]
        static let iso8859_3: [UInt16] = [
            0x00A0, 0x0126, 0x02D8, 0x00A3, 0x00A4, 0xFFFD, 0x0124, 0x00A7, 0x00A8, 0x0130, 0x015E, 0x011E,
            0x0134, 0x00AD, 0xFFFD, 0x017B, 0x00B0, 0x0127, 0x00B2, 0x00B3, 0x00B4, 0x00B5, 0x0125, 0x00B7,
            0x00B8, 0x0131, 0x015F, 0x011F, 0x0135, 0x00BD, 0xFFFD, 0x017C, 0x00C0, 0x00C1, 0x00C2, 0xFFFD,
            0x00C4, 0x010A, 0x0108, 0x00C7, 0x00C8, 0x00C9, 0x00CA, 0x00CB, 0x00CC, 0x00CD, 0x00CE, 0x00CF,
            0xFFFD, 0x00D1, 0x00D2, 0x00D3, 0x00D4, 0x0120, 0x00D6, 0x00D7, 0x011C, 0x00D9, 0x00DA, 0x00DB,
            0x00DC, 0x016C, 0x015C, 0x00DF, 0x00E0, 0x00E1, 0x00E2, 0xFFFD, 0x00E4, 0x010B, 0x0109, 0x00E7,
            0x00E8, 0x00E9, 0x00EA, 0x00EB, 0x00EC, 0x00ED, 0x00EE, 0x00EF, 0xFFFD, 0x00F1, 0x00F2, 0x00F3,
            0x00F4, 0x0121, 0x00F6, 0x00F7, 0x011D, 0x00F9, 0x00FA, 0x00FB, 0x00FC, 0x016D, 0x015D, 0x02D9,
        ]
        static let iso8859_4: [UInt16] = [
            0x00A0, 0x0104, 0x0138, 0x0156, 0x00A4, 0x0128, 0x013B, 0x00A7, 0x00A8, 0x0160, 0x0112, 0x0122,
            0x0166, 0x00AD, 0x017D, 0x00AF, 0x00B0, 0x0105, 0x02DB, 0x0157, 0x00B4, 0x0129, 0x013C, 0x02C7,
            0x00B8, 0x0161, 0x0113, 0x0123, 0x0167, 0x014A, 0x017E, 0x014B, 0x0100, 0x00C1, 0x00C2, 0x00C3,
            0x00C4, 0x00C5, 0x00C6, 0x012E, 0x010C, 0x00C9, 0x0118, 0x00CB, 0x0116, 0x00CD, 0x00CE, 0x012A,
            0x0110, 0x0145, 0x014C, 0x0136, 0x00D4, 0x00D5, 0x00D6, 0x00D7, 0x00D8, 0x0172, 0x00DA, 0x00DB,
            0x00DC, 0x0168, 0x016A, 0x00DF, 0x0101, 0x00E1, 0x00E2, 0x00E3, 0x00E4, 0x00E5, 0x00E6, 0x012F,
            0x010D, 0x00E9, 0x0119, 0x00EB, 0x0117, 0x00ED, 0x00EE, 0x012B, 0x0111, 0x0146, 0x014D, 0x0137,
            0x00F4, 0x00F5, 0x00F6, 0x00F7, 0x00F8, 0x0173, 0x00FA, 0x00FB, 0x00FC, 0x0169, 0x016B, 0x02D9,
        ]
        static let iso8859_5: [UInt16] = [
            0x00A0, 0x0401, 0x0402, 0x0403, 0x0404, 0x0405, 0x0406, 0x0407, 0x0408, 0x0409, 0x040A, 0x040B,
            0x040C, 0x00AD, 0x040E, 0x040F, 0x0410, 0x0411, 0x0412, 0x0413, 0x0414, 0x0415, 0x0416, 0x0417,
            0x0418, 0x0419, 0x041A, 0x041B, 0x041C, 0x041D, 0x041E, 0x041F, 0x0420, 0x0421, 0x0422, 0x0423,
            0x0424, 0x0425, 0x0426, 0x0427, 0x0428, 0x0429, 0x042A, 0x042B, 0x042C, 0x042D, 0x042E, 0x042F,
            0x0430, 0x0431, 0x0432, 0x0433, 0x0434, 0x0435, 0x0436, 0x0437, 0x0438, 0x0439, 0x043A, 0x043B,
            0x043C, 0x043D, 0x043E, 0x043F, 0x0440, 0x0441, 0x0442, 0x0443, 0x0444, 0x0445, 0x0446, 0x0447,
            0x0448, 0x0449, 0x044A, 0x044B, 0x044C, 0x044D, 0x044E, 0x044F, 0x2116, 0x0451, 0x0452, 0x0453,
            0x0454, 0x0455, 0x0456, 0x0457, 0x0458, 0x0459, 0x045A, 0x045B, 0x045C, 0x00A7, 0x045E, 0x045F,
        ]
        static let iso8859_6: [UInt16] = [
            0x00A0, 0xFFFD, 0xFFFD, 0xFFFD, 0x00A4, 0xFFFD, 0xFFFD, 0xFFFD, 0xFFFD, 0xFFFD, 0xFFFD, 0xFFFD,
            0x060C, 0x00AD, 0xFFFD, 0xFFFD, 0xFFFD, 0xFFFD, 0xFFFD, 0xFFFD, 0xFFFD, 0xFFFD, 0xFFFD, 0xFFFD,
            0xFFFD, 0xFFFD, 0xFFFD, 0x061B, 0xFFFD, 0xFFFD, 0xFFFD, 0x061F, 0xFFFD, 0x0621, 0x0622, 0x0623,
            0x0624, 0x0625, 0x0626, 0x0627, 0x0628, 0x0629, 0x062A, 0x062B, 0x062C, 0x062D, 0x062E, 0x062F,
            0x0630, 0x0631, 0x0632, 0x0633, 0x0634, 0x0635, 0x0636, 0x0637, 0x0638, 0x0639, 0x063A, 0xFFFD,
            0xFFFD, 0xFFFD, 0xFFFD, 0xFFFD, 0x0640, 0x0641, 0x0642, 0x0643, 0x0644, 0x0645, 0x0646, 0x0647,
            0x0648, 0x0649, 0x064A, 0x064B, 0x064C, 0x064D, 0x064E, 0x064F, 0x0650, 0x0651, 0x0652, 0xFFFD,
            0xFFFD, 0xFFFD, 0xFFFD, 0xFFFD, 0xFFFD, 0xFFFD, 0xFFFD, 0xFFFD, 0xFFFD, 0xFFFD, 0xFFFD, 0xFFFD,
        ]
        static let iso8859_7: [UInt16] = [
            0x00A0, 0x2018, 0x2019, 0x00A3, 0x20AC, 0x20AF, 0x00A6, 0x00A7, 0x00A8, 0x00A9, 0x037A, 0x00AB,
            0x00AC, 0x00AD, 0xFFFD, 0x2015, 0x00B0, 0x00B1, 0x00B2, 0x00B3, 0x0384, 0x0385, 0x0386, 0x00B7,
            0x0388, 0x0389, 0x038A, 0x00BB, 0x038C, 0x00BD, 0x038E, 0x038F, 0x0390, 0x0391, 0x0392, 0x0393,
            0x0394, 0x0395, 0x0396, 0x0397, 0x0398, 0x0399, 0x039A, 0x039B, 0x039C, 0x039D, 0x039E, 0x039F,
            0x03A0, 0x03A1, 0xFFFD, 0x03A3, 0x03A4, 0x03A5, 0x03A6, 0x03A7, 0x03A8, 0x03A9, 0x03AA, 0x03AB,
            0x03AC, 0x03AD, 0x03AE, 0x03AF, 0x03B0, 0x03B1, 0x03B2, 0x03B3, 0x03B4, 0x03B5, 0x03B6, 0x03B7,
            0x03B8, 0x03B9, 0x03BA, 0x03BB, 0x03BC, 0x03BD, 0x03BE, 0x03BF, 0x03C0, 0x03C1, 0x03C2, 0x03C3,
            0x03C4, 0x03C5, 0x03C6, 0x03C7, 0x03C8, 0x03C9, 0x03CA, 0x03CB, 0x03CC, 0x03CD, 0x03CE, 0xFFFD,
        ]
        static let iso8859_8: [UInt16] = [
            0x00A0, 0xFFFD, 0x00A2, 0x00A3, 0x00A4, 0x00A5, 0x00A6, 0x00A7, 0x00A8, 0x00A9, 0x00D7, 0x00AB,
            0x00AC, 0x00AD, 0x00AE, 0x00AF, 0x00B0, 0x00B1, 0x00B2, 0x00B3, 0x00B4, 0x00B5, 0x00B6, 0x00B7,
            0x00B8, 0x00B9, 0x00F7, 0x00BB, 0x00BC, 0x00BD, 0x00BE, 0xFFFD, 0xFFFD, 0xFFFD, 0xFFFD, 0xFFFD,
            0xFFFD, 0xFFFD, 0xFFFD, 0xFFFD, 0xFFFD, 0xFFFD, 0xFFFD, 0xFFFD, 0xFFFD, 0xFFFD, 0xFFFD, 0xFFFD,
            0xFFFD, 0xFFFD, 0xFFFD, 0xFFFD, 0xFFFD, 0xFFFD, 0xFFFD, 0xFFFD, 0xFFFD, 0xFFFD, 0xFFFD, 0xFFFD,
            0xFFFD, 0xFFFD, 0xFFFD, 0x2017, 0x05D0, 0x05D1, 0x05D2, 0x05D3, 0x05D4, 0x05D5, 0x05D6, 0x05D7,
            0x05D8, 0x05D9, 0x05DA, 0x05DB, 0x05DC, 0x05DD, 0x05DE, 0x05DF, 0x05E0, 0x05E1, 0x05E2, 0x05E3,
            0x05E4, 0x05E5, 0x05E6, 0x05E7, 0x05E8, 0x05E9, 0x05EA, 0xFFFD, 0xFFFD, 0x200E, 0x200F, 0xFFFD,
        ]
        static let iso8859_9: [UInt16] = [
            0x00A0, 0x00A1, 0x00A2, 0x00A3, 0x00A4, 0x00A5, 0x00A6, 0x00A7, 0x00A8, 0x00A9, 0x00AA, 0x00AB,
            0x00AC, 0x00AD, 0x00AE, 0x00AF, 0x00B0, 0x00B1, 0x00B2, 0x00B3, 0x00B4, 0x00B5, 0x00B6, 0x00B7,
            0x00B8, 0x00B9, 0x00BA, 0x00BB, 0x00BC, 0x00BD, 0x00BE, 0x00BF, 0x00C0, 0x00C1, 0x00C2, 0x00C3,
            0x00C4, 0x00C5, 0x00C6, 0x00C7, 0x00C8, 0x00C9, 0x00CA, 0x00CB, 0x00CC, 0x00CD, 0x00CE, 0x00CF,
            0x011E, 0x00D1, 0x00D2, 0x00D3, 0x00D4, 0x00D5, 0x00D6, 0x00D7, 0x00D8, 0x00D9, 0x00DA, 0x00DB,
            0x00DC, 0x0130, 0x015E, 0x00DF, 0x00E0, 0x00E1, 0x00E2, 0x00E3, 0x00E4, 0x00E5, 0x00E6, 0x00E7,
            0x00E8, 0x00E9, 0x00EA, 0x00EB, 0x00EC, 0x00ED, 0x00EE, 0x00EF, 0x011F, 0x00F1, 0x00F2, 0x00F3,
            0x00F4, 0x00F5, 0x00F6, 0x00F7, 0x00F8, 0x00F9, 0x00FA, 0x00FB, 0x00FC, 0x0131, 0x015F, 0x00FF,
        ]
        static let tis620: [UInt16] = [
            0xFFFD, 0x0E01, 0x0E02, 0x0E03, 0x0E04, 0x0E05, 0x0E06, 0x0E07, 0x0E08, 0x0E09, 0x0E0A, 0x0E0B,
            0x0E0C, 0x0E0D, 0x0E0E, 0x0E0F, 0x0E10, 0x0E11, 0x0E12, 0x0E13, 0x0E14, 0x0E15, 0x0E16, 0x0E17,
            0x0E18, 0x0E19, 0x0E1A, 0x0E1B, 0x0E1C, 0x0E1D, 0x0E1E, 0x0E1F, 0x0E20, 0x0E21, 0x0E22, 0x0E23,
            0x0E24, 0x0E25, 0x0E26, 0x0E27, 0x0E28, 0x0E29, 0x0E2A, 0x0E2B, 0x0E2C, 0x0E2D, 0x0E2E, 0x0E2F,
            0x0E30, 0x0E31, 0x0E32, 0x0E33, 0x0E34, 0x0E35, 0x0E36, 0x0E37, 0x0E38, 0x0E39, 0x0E3A, 0xFFFD,
            0xFFFD, 0xFFFD, 0xFFFD, 0x0E3F, 0x0E40, 0x0E41, 0x0E42, 0x0E43, 0x0E44, 0x0E45, 0x0E46, 0x0E47,
            0x0E48, 0x0E49, 0x0E4A, 0x0E4B, 0x0E4C, 0x0E4D, 0x0E4E, 0x0E4F, 0x0E50, 0x0E51, 0x0E52, 0x0E53,
            0x0E54, 0x0E55, 0x0E56, 0x0E57, 0x0E58, 0x0E59, 0x0E5A, 0x0E5B, 0xFFFD, 0xFFFD, 0xFFFD, 0xFFFD,
        ]
    }
}

extension Unicode.Scalar {
    fileprivate var lowercasedASCII: Unicode.Scalar {
        ("A"..."Z").contains(self) ? Unicode.Scalar(UInt8(value) + 0x20) : self
    }
}
