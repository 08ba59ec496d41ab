import Foundation
import Testing
import TestSupport
@testable import DICOM

/// The encoder writes most values straight from their bytes; these tests check it writes exactly
/// the bytes of the String-based encoder it replaced (`ReferenceDICOMJSONEncoder`), over pydicom's
/// files and over generated data sets with every VR, awkward values and several character sets.
@Suite struct DICOMJSONFastPathTests {
    /// The encoder settings compared: the default, everything inline (the archive's per-level
    /// JSON), and bulk data URIs made from the path (so the path is checked too).
    static let configurations: [(DICOMJSONEncoder, ReferenceDICOMJSONEncoder)] = {
        let uri: @Sendable ([DICOMJSONEncoder.JSONPathComponent], DataElement) -> String? = { path, element in
            if element.tag.element % 7 == 3 { return nil }  // sometimes declined: stays inline
            return "bulk/" + path.map { switch $0 { case .tag(let t): t.hexString; case .item(let i): String(i) } }
                .joined(separator: "/")
        }
        return [
            (DICOMJSONEncoder(), ReferenceDICOMJSONEncoder()),
            (DICOMJSONEncoder(bulkDataThreshold: 0, bulkDataURI: nil), ReferenceDICOMJSONEncoder(bulkDataThreshold: 0, bulkDataURI: nil)),
            (DICOMJSONEncoder(bulkDataThreshold: 16, bulkDataURI: uri), ReferenceDICOMJSONEncoder(bulkDataThreshold: 16, bulkDataURI: uri)),
        ]
    }()

    /// Nil when both give the same bytes, else where they part.
    static func difference(_ dataSet: DataSet) -> String? {
        for (i, (encoder, reference)) in configurations.enumerated() {
            let expected = reference.encode(dataSet)
            let bytes = encoder.encodeBytes(dataSet)
            let text = encoder.encode(dataSet)
            if bytes != Array(expected.utf8) || text != expected {
                let ours = String(decoding: bytes, as: UTF8.self)
                let at = zip(ours.utf8, expected.utf8).enumerated().first { $0.element.0 != $0.element.1 }?.offset
                    ?? min(bytes.count, expected.utf8.count)
                let context = { (s: String) in String(decoding: Array(s.utf8).dropFirst(max(0, at - 60)).prefix(140), as: UTF8.self) }
                return "configuration \(i), byte \(at):\n  ours:      \(context(ours))\n  reference: \(context(expected))"
            }
        }
        return nil
    }

    @Test func pydicomFilesEncodeAsBefore() throws {
        guard let root = PydicomData.root else { throw FixtureError("pydicom is not installed (run Scripts/setup.sh)") }
        var failures: [String] = []
        var compared = 0
        for folder in ["test_files", "charset_files"] {
            let names = try FileManager.default.contentsOfDirectory(atPath: root + "/" + folder).sorted()
            for name in names {
                guard let file = try? DICOMFile(contentsOf: root + "/" + folder + "/" + name) else { continue }
                compared += 1
                if let d = Self.difference(file.dataSet) { failures.append("\(folder)/\(name): \(d)") }
                if let meta = file.meta, let d = Self.difference(meta) { failures.append("\(folder)/\(name) meta: \(d)") }
            }
        }
        #expect(compared > 90)
        #expect(failures.count == 0, "\(failures.count) files differ:\n\(failures.prefix(20).joined(separator: "\n"))")
    }

    @Test func generatedDataSetsEncodeAsBefore() {
        var generator = DataSetGenerator(seed: 0x5EED_2024)
        var failures: [String] = []
        for round in 0..<3000 {
            let ds = generator.dataSet(depth: 0)
            if let d = Self.difference(ds) { failures.append("data set \(round): \(d)") }
            if failures.count >= 10 { break }
        }
        #expect(failures.count == 0, "\(failures.joined(separator: "\n"))")
    }

    @Test func arraysEncodeAsBefore() {
        var generator = DataSetGenerator(seed: 42)
        let sets = (0..<20).map { _ in generator.dataSet(depth: 0) }
        for (encoder, reference) in Self.configurations {
            #expect(encoder.encode(sets) == reference.encode(sets))
            #expect(encoder.encodeBytes(sets) == Array(reference.encode(sets).utf8))
            #expect(encoder.encode([]) == "[]")
        }
    }

    /// Each VR with values chosen to reach every branch: padding, empty values between
    /// backslashes, JSON escapes, non-ASCII, ESC, numbers that are not JSON numbers.
    @Test func edgeValuesEncodeAsBefore() {
        let short: [[UInt8]] = [
            [], [0x20], [0x00], [0x20, 0x00], Array("\\".utf8), Array(" \\ ".utf8), Array("A\\\\B ".utf8),
            Array(" lead\\trail \\ both ".utf8), Array("q\"uo\\te".utf8), Array("tab\there\r\nnl".utf8), [0x01, 0x1F, 0x7F, 0x41],
            Array("12".utf8), Array(" 12 ".utf8), Array("-0".utf8), Array("01".utf8), Array("1.".utf8), Array(".5".utf8),
            Array("1e5".utf8), Array("1E+05".utf8), Array("+1".utf8), Array("0x1p4".utf8), Array("nan".utf8), Array("inf".utf8),
            Array("1.5e".utf8), Array("1.0\\2.50\\-3e-2".utf8), Array("99999999999999999999".utf8), Array("1e400".utf8),
            Array("-1e-400".utf8), Array("4.0".utf8), Array("12\0".utf8), Array("1 2".utf8),
            Array("DOE^JOHN=ドウ^ジョン=どう^じょん".utf8), Array("A^B==".utf8), Array("==".utf8), Array("=B".utf8),
            Array("A=B=C=D".utf8), Array("A\\=\\B=".utf8), Array("Name \\".utf8),
            [0x44, 0xE9, 0x20], [0xC3, 0xA9, 0x5C, 0x41], [0x5C, 0xCC, 0x81, 0x41], [0xFF, 0xFE],
            [0x1B, 0x24, 0x42, 0x3B, 0x33, 0x1B, 0x28, 0x42], [0x41, 0x1B, 0x28, 0x4A, 0x5C, 0x42], [0x1B],
        ]
        // Longer than a word, for the scan eight bytes at a time: special bytes at every position.
        let long: [[UInt8]] = [
            Array("1.2.840.10008.5.1.4.1.1.2\0".utf8), Array("ABCDEFGH\0IJKLMNOP\0".utf8), Array("ABCDEFGHIJKLMN\0X".utf8),
            Array("                \0".utf8), Array("  0.5\\-1.25e+02\\  17  ".utf8), Array("SMITH^JOHN=JOHN^SMITH==\\DOE".utf8),
        ]
        let base: [UInt8] = Array("ABCDEFGHIJKLMNOPQRST".utf8)
        var placed: [[UInt8]] = []
        for i in 0..<base.count {
            for special: UInt8 in [0x22, 0x5C, 0x1B, 0x09, 0x00, 0x1F, 0x3D, 0x80, 0xE9, 0x20] {
                var b = base
                b[i] = special
                placed.append(b)
            }
        }
        let texts = short + long + placed
        let charsets: [[String]] = [[], ["ISO_IR 100"], ["ISO_IR 192"], ["ISO_IR 13"], ["", "ISO 2022 IR 87"],
                                    ["GB18030"], ["ISO_IR 144"], ["NOT A CHARSET"], ["ISO_IR 6"]]
        var failures: [String] = []
        for terms in charsets {
            var elements: [DataElement] = []
            var element: UInt16 = 0x1000
            for vr in VR.allCases where vr != .SQ {
                for text in texts {
                    elements.append(DataElement(tag: Tag(group: 0x0019, element: element), vr: vr, bytes: text))
                    element += 1
                }
            }
            let ds = DataSet(elements: elements, characterSet: SpecificCharacterSet(terms: terms))
            if let d = Self.difference(ds) { failures.append("\(terms): \(d)") }
        }
        #expect(failures.count == 0, "\(failures.joined(separator: "\n"))")
    }
}

/// Deterministic random data sets (SplitMix64).
struct DataSetGenerator {
    var random: SplitMix64
    init(seed: UInt64) { random = SplitMix64(seed: seed) }

    mutating func next() -> UInt64 { random.next() }

    mutating func int(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    mutating func chance(_ percent: Int) -> Bool { int(100) < percent }
    mutating func pick<T>(_ xs: [T]) -> T { xs[int(xs.count)] }

    static let charsets: [[String]] = [[], [], ["ISO_IR 100"], ["ISO_IR 100"], ["ISO_IR 192"], ["ISO_IR 13"],
                                       ["", "ISO 2022 IR 87"], ["GB18030"], ["ISO_IR 126"], ["X"]]
    static let pieces: [[UInt8]] = [
        Array("ABC".utf8), Array("doe".utf8), Array("12".utf8), Array("-3.5".utf8), Array("1e-3".utf8), Array("007".utf8),
        Array("^".utf8), Array("=".utf8), Array("\\".utf8), Array(" ".utf8), [0], Array(".".utf8), Array("+".utf8),
        Array("\"".utf8), Array("\n".utf8), Array("\r\n".utf8), [0x09], [0x01], [0x7F], Array("1.2.840.10008".utf8),
        [0xE9], [0xC3, 0xA9], [0xCC, 0x81], [0xFF], [0x1B, 0x24, 0x42], [0x1B, 0x28, 0x42], [0x1B, 0x2D, 0x41], [0x1B],
        Array("ORIGINAL".utf8), Array("20240315".utf8), Array("101530.123".utf8), Array("E".utf8),
    ]

    mutating func text(_ vr: VR) -> [UInt8] {
        var out: [UInt8] = []
        let n = int(8)
        // Mostly plain values of the VR's kind, sometimes anything.
        let plain = chance(70)
        for _ in 0..<n {
            if plain {
                switch vr {
                case .IS: out += pick([Array("12".utf8), Array("-7".utf8), Array("\\".utf8), Array(" ".utf8), Array("0".utf8)])
                case .DS: out += pick([Array("1.5".utf8), Array("-7".utf8), Array("\\".utf8), Array("2e3".utf8), Array(" ".utf8), Array("0.".utf8)])
                case .PN: out += pick([Array("DOE".utf8), Array("^".utf8), Array("=".utf8), Array("\\".utf8), Array(" ".utf8)])
                default: out += pick([Array("ABC".utf8), Array("1.2".utf8), Array("\\".utf8), Array(" ".utf8), [0]])
                }
            } else {
                out += pick(Self.pieces)
            }
        }
        if chance(50), out.count % 2 == 1 { out.append(vr.paddingByte) }
        return out
    }

    mutating func binary(_ vr: VR) -> [UInt8] {
        let width = vr.valueWidth ?? 1
        var count = int(6) * width
        if chance(10) { count += 1 }  // a stray byte
        if chance(10) { count = int(40) * 4 }
        var out: [UInt8] = (0..<count).map { _ in UInt8(truncatingIfNeeded: next()) }
        if vr == .FD || vr == .FL, chance(50) {
            // Integral and special values too.
            let doubles: [Double] = [0, -0.0, 1, -2, 1e15, 1e16, 123456789012345, .nan, .infinity, -.infinity, 0.1, 1e-300]
            out = []
            for _ in 0..<int(4) {
                let d = pick(doubles)
                if vr == .FD { withUnsafeBytes(of: d.bitPattern.littleEndian) { out += $0 } }
                else { withUnsafeBytes(of: Float(d).bitPattern.littleEndian) { out += $0 } }
            }
        }
        return out
    }

    /// Standard attributes for UN elements, which the encoder reads with the dictionary's VR.
    static let standardTags: [UInt32] = [0x0010_0010, 0x0028_0010, 0x0020_0032, 0x0008_0018, 0x0008_0060, 0x0018_0050,
                                         0x0020_0013, 0x0028_1050, 0x0028_0106, 0x0008_1030, 0x0040_A730, 0x0028_3006]

    mutating func dataSet(depth: Int) -> DataSet {
        var elements: [DataElement] = []
        let count = int(depth == 0 ? 24 : 6) + 1
        for _ in 0..<count {
            let tag: DICOM.Tag
            if chance(30) {
                tag = Tag(pick(Self.standardTags))
            } else {
                tag = Tag(group: pick([0x0008, 0x0009, 0x0010, 0x0011, 0x0020, 0x0029]), element: UInt16(int(0x2000)))
            }
            var vr = pick(VR.allCases)
            if vr == .SQ && depth >= 2 { vr = .LO }
            if chance(8) { vr = .UN }
            let value: DataElement.Value
            if vr == .SQ {
                let items = (0..<int(3)).map { _ in dataSet(depth: depth + 1) }
                value = .sequence(.init(items: items, hasUndefinedLength: chance(50)))
            } else if vr == .UN && chance(20) {
                // An undefined-length UN sequence.
                value = .sequence(.init(items: [dataSet(depth: depth + 1)], hasUndefinedLength: true))
            } else if (vr == .OB || vr == .OW) && tag == .pixelData && chance(50) {
                value = .fragments(EncapsulatedPixelData(fragments: [ValueBytes(binary(.OB)), ValueBytes(binary(.OB))]))
            } else if vr == .UN {
                // Text of the dictionary VR when there is one, or bytes.
                value = .bytes(ValueBytes(chance(60) ? text(.LO) : binary(.OB)))
            } else if vr.isString {
                value = .bytes(ValueBytes(text(vr)))
            } else {
                value = .bytes(ValueBytes(binary(vr)))
            }
            elements.append(DataElement(tag: tag, vr: vr, value: value))
        }
        if chance(10) {
            elements.append(DataElement(tag: .pixelData, vr: .OB, value: .fragments(EncapsulatedPixelData(
                basicOffsetTable: ValueBytes(binary(.UL)), fragments: [ValueBytes(binary(.OB))]))))
        }
        // Unique tags: the last of each wins.
        var byTag: [DICOM.Tag: DataElement] = [:]
        for e in elements { byTag[e.tag] = e }
        return DataSet(elements: Array(byTag.values), characterSet: SpecificCharacterSet(terms: pick(Self.charsets)))
    }
}
