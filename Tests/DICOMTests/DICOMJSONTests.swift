import Foundation
import Testing
@testable import DICOM

/// The DICOM JSON Model (PS3.18 Annex F): encoding rules, decoding, and round trips.
@Suite struct DICOMJSONTests {
    func json(_ ds: DataSet, _ encoder: DICOMJSONEncoder = DICOMJSONEncoder()) throws -> [String: Any] {
        let text = encoder.encode(ds)
        return try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "\(text)")
    }

    func values(_ ds: DataSet, _ tag: String) throws -> [Any]? {
        (try json(ds)[tag] as? [String: Any])?["Value"] as? [Any]
    }

    func element(_ tag: UInt32, _ vr: VR, _ text: String) -> DataElement {
        DataElement(tag: DICOM.Tag(tag), vr: vr, string: text)
    }

    // MARK: - Round trips

    /// Our JSON of a file, decoded and encoded again, is the same JSON; and a second trip gives
    /// the same text, byte for byte. The differences the first trip may make, by design:
    /// - (0008,0005) becomes "ISO_IR 192" when any text is not ASCII (the decoder stores UTF-8);
    /// - IS/DS numbers may be spelled differently ("1.0" comes back as 1): compared by value, and
    ///   DS texts longer than the 16 characters DS allows come back rounded to fit;
    /// - odd-length InlineBinary comes back padded to even length with a zero byte.
    static func roundTripDifference(_ dataSet: DataSet) throws -> String? {
        let encoder = DICOMJSONEncoder()
        let first = encoder.encode(dataSet)
        let decoded = try DICOMJSONDecoder().decode(first)
        let second = encoder.encode(decoded)
        var a = try JSONSerialization.jsonObject(with: Data(first.utf8))
        var b = try JSONSerialization.jsonObject(with: Data(second.utf8))
        (a, b) = withoutReplacedCharacterSets(a, b)
        a = evenInlineBinary(a)
        if let d = firstJSONDifference(a, b, tolerance: 1e-11) { return d }
        let third = encoder.encode(try DICOMJSONDecoder().decode(second))
        guard third != second else { return nil }
        let at = zip(second.utf8, third.utf8).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? 0
        return "second trip changed the text at \(at): …\(second.utf8.dropFirst(max(0, at - 60)).prefix(120).map { Character(Unicode.Scalar($0)) })… vs …\(String(decoding: third.utf8.dropFirst(max(0, at - 60)).prefix(120), as: UTF8.self))…"
    }

    /// Both without the (0008,0005) elements the decoder set to ISO_IR 192 in `b` (at any depth).
    static func withoutReplacedCharacterSets(_ a: Any, _ b: Any) -> (Any, Any) {
        switch (a, b) {
        case (var x as [String: Any], var y as [String: Any]):
            if jsonValue(y, ["00080005", "Value", "0"]) as? String == "ISO_IR 192" {
                x["00080005"] = nil
                y["00080005"] = nil
            }
            for key in x.keys where y[key] != nil {
                (x[key], y[key]) = withoutReplacedCharacterSets(x[key]!, y[key]!)
            }
            return (x, y)
        case (var x as [Any], var y as [Any]) where x.count == y.count:
            for i in x.indices { (x[i], y[i]) = withoutReplacedCharacterSets(x[i], y[i]) }
            return (x, y)
        default:
            return (a, b)
        }
    }

    /// InlineBinary values padded to even length, as the decoder stores them.
    static func evenInlineBinary(_ json: Any) -> Any {
        switch json {
        case var dict as [String: Any]:
            if let text = dict["InlineBinary"] as? String, let data = Data(base64Encoded: text), data.count % 2 == 1 {
                dict["InlineBinary"] = (data + [0]).base64EncodedString()
            }
            for (k, v) in dict where k != "InlineBinary" { dict[k] = evenInlineBinary(v) }
            return dict
        case let array as [Any]:
            return array.map(evenInlineBinary)
        default:
            return json
        }
    }

    @Test(.enabled(if: PydicomData.isAvailable)) func everyPydicomFileRoundTrips() throws {
        let root = try #require(PydicomData.root)
        var problems: [String] = []
        var count = 0
        for folder in ["test_files", "charset_files"] {
            for name in try FileManager.default.contentsOfDirectory(atPath: root + "/" + folder).sorted()
            where name.hasSuffix(".dcm") && !PydicomData.broken.contains(name) {
                guard let file = try? DICOMFile(contentsOf: root + "/" + folder + "/" + name) else { continue }
                count += 1
                do {
                    if let d = try Self.roundTripDifference(file.dataSet) { problems.append("\(folder)/\(name): \(d)") }
                } catch {
                    problems.append("\(folder)/\(name): \(error)")
                }
            }
        }
        #expect(count > 80)
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
    }

    /// pydicom's JSON of its files (the oracle's, bulk data above 768 bytes as "bulk:<tag>"),
    /// decoded and encoded by us, is pydicom's JSON again, by the comparison rules of the
    /// conformance test. Bulk data comes back through the decoder's loader.
    @Test(.enabled(if: PydicomData.isAvailable)) func pydicomJSONRoundTrips() throws {
        let oracle = try PydicomOracle.get()
        let threshold = PydicomOracle.bulkDataThreshold
        let decoder = DICOMJSONDecoder { _, _, _ in [UInt8](repeating: 0, count: threshold + 2) }
        var encoder = DICOMJSONEncoder(bulkDataThreshold: threshold)
        encoder.bulkDataURI = { _, element in "bulk:" + element.tag.hexString }
        var report: [String] = []
        var compared = 0
        for (name, entry) in oracle.files.sorted(by: { $0.key < $1.key }) {
            guard case .json(let theirs, _) = entry else { continue }
            let data = try JSONSerialization.data(withJSONObject: theirs)
            let ds = try decoder.decode(data: data)
            let ours = try JSONSerialization.jsonObject(with: Data(encoder.encode(ds).utf8))
            var comparison = JSONComparison()
            // Our decoder writes (0008,0005) ISO_IR 192 when the text needs it: not compared.
            let (theirsCompared, oursCompared) = Self.withoutReplacedCharacterSets(theirs, ours)
            comparison.compare(oursCompared, theirsCompared, path: name)
            report += comparison.differences.filter { !Self.isPaddingDifference($0) }
            compared += 1
        }
        #expect(compared > 70)
        #expect(report.isEmpty, "\(report.count) differences:\n\(report.prefix(60).joined(separator: "\n"))")
    }

    /// pydicom writes odd-length binary values as they are (CP 1920); decoded, we store them
    /// padded to even length, so they come back one zero byte longer.
    static func isPaddingDifference(_ line: String) -> Bool {
        guard line.contains("/InlineBinary: ") else { return false }
        let parts = line.components(separatedBy: "/InlineBinary: ").last?.components(separatedBy: " vs pydicom's ") ?? []
        guard parts.count == 2, let ours = Data(base64Encoded: parts[0]), let theirs = Data(base64Encoded: parts[1]) else { return false }
        return theirs.count % 2 == 1 && ours == theirs + [0]
    }

    // MARK: - pydicom's JSON fixtures

    func fixture(_ name: String) throws -> Data {
        try Data(contentsOf: URL(fileURLWithPath: PydicomData.path(name)))
    }

    /// test1.json decodes, and our encoding of it equals it except where the DICOM JSON Model
    /// leaves a choice or the fixture is not quite valid:
    /// - `"Value": [""]` and `[{"Alphabetic": ""}]` (an empty value) come back with no "Value",
    ///   which is how PS3.18 F.2.5 says an empty value is written;
    /// - (7FE0,0010) has an empty BulkDataURI, which no loader can fetch: it comes back empty;
    /// - (0018,1310) Acquisition Matrix `[128, 0, 0, 32, null]`: a binary VR cannot hold an
    ///   empty value, so the null is dropped (VM 4, as the attribute is defined).
    @Test(.enabled(if: PydicomData.isAvailable)) func pydicomTest1JSON() throws {
        let data = try fixture("test1.json")
        let ds = try DICOMJSONDecoder().decode(data: data)
        #expect(ds.string(Tag(0x0008_1010)) == "L1BAY3_GE3T")
        #expect(ds.ints(Tag(0x0018_1310)) == [128, 0, 0, 32])
        #expect(ds.ints(Tag(0x0028_0107)) == [11776])
        #expect(ds[Tag(0x0028_0107)]?.vr == .SS)
        #expect(ds.doubles(Tag(0x0020_0037)) == [1, -0.0, 0, -0.0, 0.982071, 0.188509])
        #expect(ds[Tag(0x0012_0064)]?.items?.count == 9)
        #expect(ds[Tag(0x0012_0064)]?.items?[1].isEmpty == true)
        #expect(ds[.pixelData]?.isEmpty == true)

        var theirs = try JSONSerialization.jsonObject(with: data)
        let ours = try json(ds)
        for path in Self.emptyValuePaths(theirs) { theirs = jsonRemoving(path, from: theirs) }
        theirs = jsonRemoving(["7FE00010", "BulkDataURI"], from: theirs)
        #expect(jsonValue(theirs, ["00181310", "Value", "4"]) is NSNull)
        theirs = jsonRemoving(["00181310", "Value", "4"], from: theirs)
        #expect(firstJSONDifference(ours, theirs) == nil)
    }

    /// The paths of every "Value" that holds a single empty string or empty person name.
    static func emptyValuePaths(_ json: Any, path: [String] = []) -> [[String]] {
        guard let dict = json as? [String: Any] else { return [] }
        var found: [[String]] = []
        for (key, attribute) in dict {
            guard let attribute = attribute as? [String: Any], let value = attribute["Value"] as? [Any] else { continue }
            if attribute["vr"] as? String == "SQ" {
                for (i, item) in value.enumerated() { found += emptyValuePaths(item, path: path + [key, "Value", String(i)]) }
            } else if value.count == 1, (value[0] as? String) == "" || (value[0] as? [String: Any])?["Alphabetic"] as? String == "" {
                found.append(path + [key, "Value"])
            }
        }
        return found
    }

    /// test_PN.json: empty person names (at the top level and two sequences down) decode, and
    /// come back as empty values (no "Value"); the others are unchanged.
    @Test(.enabled(if: PydicomData.isAvailable)) func pydicomPNJSON() throws {
        let data = try fixture("test_PN.json")
        let ds = try DICOMJSONDecoder().decode(data: data)
        #expect(ds.string(.patientName) == "Prostate^Volunteer")
        let inner = try #require(ds[Tag(0x0400_0561)]?.items?.first?[Tag(0x0400_0550)]?.items?.first)
        #expect(inner.string(Tag(0x0010_1010)) == "051Y")
        #expect(inner[.patientName]?.isEmpty == true)

        var theirs = try JSONSerialization.jsonObject(with: data)
        for path in Self.emptyValuePaths(theirs) { theirs = jsonRemoving(path, from: theirs) }
        #expect(firstJSONDifference(try json(ds), theirs) == nil)
    }

    // MARK: - PN

    @Test func personNameComponentGroups() throws {
        var ds = DataSet(characterSet: SpecificCharacterSet(terms: ["ISO_IR 192"]))
        ds.set(DataElement(tag: .specificCharacterSet, vr: .CS, string: "ISO_IR 192"))
        ds.set(DataElement(tag: .patientName, vr: .PN, string: "Yamada^Tarou=山田^太郎=やまだ^たろう",
                           characterSet: ds.characterSet))
        ds.set(DataElement(tag: Tag(0x0008_0090), vr: .PN, string: "Smith^Anne"))          // alphabetic only
        ds.set(DataElement(tag: Tag(0x0008_1050), vr: .PN, string: "=山田^太郎",            // ideographic only
                           characterSet: ds.characterSet))
        ds.set(DataElement(tag: Tag(0x0008_1060), vr: .PN, string: "Doe^J\\\\Roe^R"))     // three values, one empty
        ds.set(DataElement(tag: Tag(0x0008_1070), vr: .PN, string: "Wang^XiaoDong=王^小東=",  // trailing '=' is no group
                           characterSet: ds.characterSet))
        ds.set(DataElement(tag: Tag(0x0008_1048), vr: .PN, string: "Lee^K==Li^K"))         // empty ideographic group kept

        let patient = try #require(try values(ds, "00100010")?.first as? [String: String])
        #expect(patient == ["Alphabetic": "Yamada^Tarou", "Ideographic": "山田^太郎", "Phonetic": "やまだ^たろう"])
        #expect(try values(ds, "00080090")?.first as? [String: String] == ["Alphabetic": "Smith^Anne"])
        #expect(try values(ds, "00081050")?.first as? [String: String] == ["Alphabetic": "", "Ideographic": "山田^太郎"])
        let three = try #require(try values(ds, "00081060"))
        #expect(three.count == 3)
        #expect(three[1] is NSNull)
        #expect(three[2] as? [String: String] == ["Alphabetic": "Roe^R"])
        #expect(try values(ds, "00081070")?.first as? [String: String] == ["Alphabetic": "Wang^XiaoDong", "Ideographic": "王^小東"])
        #expect(try values(ds, "00081048")?.first as? [String: String] == ["Alphabetic": "Lee^K", "Ideographic": "", "Phonetic": "Li^K"])

        let back = try DICOMJSONDecoder().decode(DICOMJSONEncoder().encode(ds))
        #expect(back.string(.patientName) == "Yamada^Tarou=山田^太郎=やまだ^たろう")
        #expect(back.personName(.patientName)?.ideographic == "山田^太郎")
        #expect(back.string(Tag(0x0008_1050)) == "=山田^太郎")
        #expect(back.strings(Tag(0x0008_1060)) == ["Doe^J", "", "Roe^R"])
        #expect(back.string(Tag(0x0008_1048)) == "Lee^K==Li^K")
        #expect(back.string(.specificCharacterSet) == "ISO_IR 192")
    }

    @Test func decodePersonNameObjects() throws {
        let text = """
            {"00100010": {"vr": "PN", "Value": [{"Alphabetic": "A^B", "Phonetic": "a^b"}, null, {"Ideographic": "甲"}]}}
            """
        let ds = try DICOMJSONDecoder().decode(text)
        #expect(ds.strings(.patientName) == ["A^B==a^b", "", "=甲"])
        #expect(ds.characterSet.isUTF8)
    }

    /// Text decoded from JSON is stored as UTF-8 under ISO_IR 192, in sequence items as well.
    @Test func nonASCIIInsideSequenceItems() throws {
        let text = """
            {"00081110": {"vr": "SQ", "Value": [{"00081030": {"vr": "LO", "Value": ["Étude café"]},
              "0040A170": {"vr": "SQ", "Value": [{"00080104": {"vr": "LO", "Value": ["Bildgebung für Ärzte"]}}]}}]}}
            """
        let ds = try DICOMJSONDecoder().decode(text)
        let item = try #require(ds[Tag(0x0008_1110)]?.items?.first)
        #expect(item.string(Tag(0x0008_1030)) == "Étude café")
        let nested = try #require(item[Tag(0x0040_A170)]?.items?.first)
        #expect(nested.string(Tag(0x0008_0104)) == "Bildgebung für Ärzte")
        let again = try JSONSerialization.jsonObject(with: Data(DICOMJSONEncoder().encode(ds).utf8))
        #expect(jsonValue(again, ["00081110", "Value", "0", "00081030", "Value", "0"]) as? String == "Étude café")
        // And in a file: written and read back, the text is the same.
        let file = try DICOMFile(bytes: DICOMFile(dataSet: ds, transferSyntax: .explicitVRLittleEndian).encoded())
        #expect(file.dataSet[Tag(0x0008_1110)]?.items?.first?.string(Tag(0x0008_1030)) == "Étude café")
    }

    // MARK: - IS and DS

    @Test func decimalStringsAreNumbers() throws {
        var ds = DataSet()
        ds.set(element(0x0018_0050, .DS, "+1.5"))          // sign: not JSON
        ds.set(element(0x0018_0088, .DS, ".5"))            // no leading digit
        ds.set(element(0x0018_0080, .DS, "1."))            // no digit after the point
        ds.set(element(0x0018_0081, .DS, " 2 "))           // padded both sides
        ds.set(element(0x0018_0082, .DS, "1e3"))           // JSON as it is
        ds.set(element(0x0018_0083, .DS, "-0.25E-02"))
        ds.set(element(0x0018_0084, .DS, "007.5"))         // leading zeros: not JSON
        ds.set(element(0x0018_0086, .IS, "+12"))
        ds.set(element(0x0018_0087, .DS, "1\\\\-2"))       // empty value in the middle
        ds.set(element(0x0018_0091, .IS, " 42"))
        ds.set(element(0x0018_0093, .DS, "0.1234567890123"))  // kept digit for digit
        let text = DICOMJSONEncoder().encode(ds)
        #expect(text.contains(#""00180050":{"vr":"DS","Value":[1.5]}"#))
        #expect(text.contains(#""00180088":{"vr":"DS","Value":[0.5]}"#))
        #expect(text.contains(#""00180080":{"vr":"DS","Value":[1]}"#))
        #expect(text.contains(#""00180081":{"vr":"DS","Value":[2]}"#))
        #expect(text.contains(#""00180082":{"vr":"DS","Value":[1e3]}"#))
        #expect(text.contains(#""00180083":{"vr":"DS","Value":[-0.25E-02]}"#))
        #expect(text.contains(#""00180084":{"vr":"DS","Value":[7.5]}"#))
        #expect(text.contains(#""00180086":{"vr":"IS","Value":[12]}"#))
        #expect(text.contains(#""00180087":{"vr":"DS","Value":[1,null,-2]}"#))
        #expect(text.contains(#""00180091":{"vr":"IS","Value":[42]}"#))
        #expect(text.contains(#""00180093":{"vr":"DS","Value":[0.1234567890123]}"#))
        // Valid JSON throughout.
        _ = try json(ds)

        let back = try DICOMJSONDecoder().decode(text)
        #expect(back.doubles(Tag(0x0018_0050)) == [1.5])
        #expect(back.strings(Tag(0x0018_0087)) == ["1", "", "-2"])
        #expect(back.ints(Tag(0x0018_0086)) == [12])
        #expect(back.doubles(Tag(0x0018_0093)) == [0.1234567890123])
    }

    /// Text that is not a decimal number in DS syntax stays text: Swift's `Double` would read
    /// "0x10" as 16 and "NaN" as a NaN (written as null), changing or losing the value.
    @Test func nonNumericDecimalStringsStayText() throws {
        var ds = DataSet()
        ds.set(element(0x0018_0050, .DS, "0x10"))
        ds.set(element(0x0018_0088, .DS, "NaN"))
        ds.set(element(0x0018_0080, .IS, "inf"))
        ds.set(element(0x0018_0081, .DS, "abc"))
        #expect(try values(ds, "00180050") as? [String] == ["0x10"])
        #expect(try values(ds, "00180088") as? [String] == ["NaN"])
        #expect(try values(ds, "00180080") as? [String] == ["inf"])
        #expect(try values(ds, "00180081") as? [String] == ["abc"])
        let back = try DICOMJSONDecoder().decode(DICOMJSONEncoder().encode(ds))
        #expect(back.string(Tag(0x0018_0050)) == "0x10")
    }

    @Test func decimalNumbersFromJSON() throws {
        let text = #"{"00180050": {"vr": "DS", "Value": [0.1, 1.0, -3, 1e-7, 123456789012345678]}, "00200013": {"vr": "IS", "Value": [7]}}"#
        let ds = try DICOMJSONDecoder().decode(text)
        let strings = ds.strings(Tag(0x0018_0050))
        #expect(strings.allSatisfy { $0.count <= 16 }, "\(strings)")  // DS holds at most 16 characters
        #expect(ds.doubles(Tag(0x0018_0050)).prefix(3) == [0.1, 1, -3])
        #expect(abs(ds.doubles(Tag(0x0018_0050))[3] - 1e-7) < 1e-20)
        #expect(ds.ints(Tag(0x0020_0013)) == [7])
        #expect((ds[Tag(0x0018_0050)]?.bytes?.count ?? 1) % 2 == 0)
    }

    // MARK: - Binary numbers, AT, empty values

    @Test func binaryNumbersAndAttributeTags() throws {
        var ds = DataSet()
        ds.set(DataElement(tag: .rows, vr: .US, bytes: [0x00, 0x02, 0xFF, 0xFF]))                       // 512, 65535
        ds.set(DataElement(tag: Tag(0x0028_0106), vr: .SS, bytes: [0xFE, 0xFF]))                         // -2
        ds.set(DataElement(tag: Tag(0x0018_1164), vr: .FD, bytes: [0, 0, 0, 0, 0, 0, 0xF8, 0x3F]))       // 1.5
        ds.set(DataElement(tag: Tag(0x0018_9219), vr: .FL, bytes: [0, 0, 0x20, 0x41]))                   // 10
        ds.set(DataElement(tag: Tag(0x0028_0009), vr: .AT, bytes: [0x18, 0x00, 0x63, 0x10, 0x18, 0x00, 0x65, 0x10]))
        ds.set(DataElement(tag: Tag(0x0020_9057), vr: .UL, bytes: [0xFF, 0xFF, 0xFF, 0xFF]))
        ds.set(DataElement(tag: Tag(0x0072_0078), vr: .SL, bytes: [0xFF, 0xFF, 0xFF, 0xFF]))
        ds.set(DataElement(tag: Tag(0x0008_041F), vr: .UV, bytes: [UInt8](repeating: 0xFF, count: 8)))
        let text = DICOMJSONEncoder().encode(ds)
        #expect(text.contains(#""00280010":{"vr":"US","Value":[512,65535]}"#))
        #expect(text.contains(#""00280106":{"vr":"SS","Value":[-2]}"#))
        #expect(text.contains(#""00181164":{"vr":"FD","Value":[1.5]}"#))
        #expect(text.contains(#""00189219":{"vr":"FL","Value":[10]}"#))
        #expect(text.contains(#""00280009":{"vr":"AT","Value":["00181063","00181065"]}"#))
        #expect(text.contains(#""00209057":{"vr":"UL","Value":[4294967295]}"#))
        #expect(text.contains(#""00720078":{"vr":"SL","Value":[-1]}"#))
        #expect(text.contains(#""0008041F":{"vr":"UV","Value":[18446744073709551615]}"#))
        let back = try DICOMJSONDecoder().decode(text)
        for element in ds.elements {
            #expect(back[element.tag]?.bytes.map(Array.init) == element.bytes.map(Array.init), "\(element.tag)")
            #expect(back[element.tag]?.vr == element.vr)
        }
    }

    /// Linux Foundation parses long JSON numbers as NSDecimalNumber, whose `doubleValue` is off
    /// in the last bits: decoded values must be the nearest doubles all the same.
    @Test func longFloatingPointNumbersDecodeExactly() throws {
        let texts = ["0.009642736608649534", "123456.78901234567", "-2.2250738585072014e-308", "0.30000000000000004"]
        let json = #"{"0018602C": {"vr": "FD", "Value": [\#(texts.joined(separator: ","))]}, "# +
            #""00189219": {"vr": "FL", "Value": [0.10000000149011612]}}"#
        let ds = try DICOMJSONDecoder().decode(json)
        #expect(ds.doubles(Tag(0x0018_602C)) == texts.map { Double($0)! })
        #expect(ds[Tag(0x0018_9219)]?.bytes.map(Array.init) == withUnsafeBytes(of: Float(0.1).bitPattern.littleEndian) { Array($0) })
        // And what we write, we read back to the bit.
        let again = try DICOMJSONDecoder().decode(DICOMJSONEncoder().encode(ds))
        #expect(again[Tag(0x0018_602C)]?.bytes.map(Array.init) == ds[Tag(0x0018_602C)]?.bytes.map(Array.init))
    }

    @Test func emptyValues() throws {
        var ds = DataSet()
        ds.set(DataElement(tag: .patientName, vr: .PN, bytes: []))             // zero length
        ds.set(DataElement(tag: .patientID, vr: .LO, bytes: Array("  ".utf8)))  // padding only
        ds.set(DataElement(tag: .rows, vr: .US, bytes: []))
        ds.set(DataElement(tag: Tag(0x0028_0009), vr: .AT, bytes: []))
        ds.set(DataElement(tag: Tag(0x0042_0011), vr: .OB, bytes: []))
        ds.set(DataElement(tag: Tag(0x0008_1140), vr: .SQ, value: .sequence(.init(items: []))))
        ds.set(element(0x0008_0008, .CS, "ORIGINAL\\\\AXIAL"))                  // empty second value
        ds.set(element(0x0020_0037, .DS, "1\\\\0"))
        let out = try json(ds)
        for tag in ["00100010", "00100020", "00280010", "00280009", "00420011"] {
            let attribute = try #require(out[tag] as? [String: Any])
            #expect(attribute.keys.sorted() == ["vr"], "\(tag): \(attribute)")
        }
        #expect((out["00081140"] as? [String: Any])?["Value"] as? [Any] != nil)
        #expect(((out["00081140"] as? [String: Any])?["Value"] as? [Any])?.isEmpty == true)
        let image = try #require(try values(ds, "00080008"))
        #expect(image.count == 3 && image[1] is NSNull && image[0] as? String == "ORIGINAL")
        let orientation = try #require(try values(ds, "00200037"))
        #expect(orientation.count == 3 && orientation[1] is NSNull)

        let back = try DICOMJSONDecoder().decode(DICOMJSONEncoder().encode(ds))
        for tag in [DICOM.Tag.patientName, .patientID, .rows, Tag(0x0028_0009), Tag(0x0042_0011)] {
            #expect(back[tag]?.isEmpty == true, "\(tag)")
        }
        #expect(back.strings(Tag(0x0008_0008)) == ["ORIGINAL", "", "AXIAL"])
        #expect(back[Tag(0x0008_1140)]?.items?.isEmpty == true)
    }

    // MARK: - InlineBinary and BulkDataURI

    @Test func inlineBinaryOrBulkDataAroundTheThreshold() throws {
        var encoder = DICOMJSONEncoder(bulkDataThreshold: 16)
        let seen = PathLog()
        encoder.bulkDataURI = { path, element in
            seen.append(path)
            return "https://pacs.example/bulk/\(element.tag.hexString)"
        }
        var ds = DataSet()
        ds.set(DataElement(tag: Tag(0x0042_0011), vr: .OB, bytes: [UInt8](repeating: 7, count: 16)))  // at the threshold
        ds.set(DataElement(tag: Tag(0x5400_1010), vr: .OW, bytes: [UInt8](repeating: 7, count: 18)))  // above
        ds.set(DataElement(tag: Tag(0x0008_1140), vr: .SQ, value: .sequence(.init(items: [
            DataSet(elements: [DataElement(tag: Tag(0x0066_0023), vr: .OF, bytes: [UInt8](repeating: 1, count: 20))]),
        ]))))
        let out = try json(ds, encoder)
        let inline = try #require(out["00420011"] as? [String: Any])
        #expect(inline["InlineBinary"] as? String == Data(repeating: 7, count: 16).base64EncodedString())
        #expect(inline["BulkDataURI"] == nil)
        let bulk = try #require(out["54001010"] as? [String: Any])
        #expect(bulk["BulkDataURI"] as? String == "https://pacs.example/bulk/54001010")
        #expect(bulk["InlineBinary"] == nil)
        #expect(jsonValue(out, ["00081140", "Value", "0", "00660023", "BulkDataURI"]) as? String == "https://pacs.example/bulk/00660023")
        #expect(seen.paths.contains([.tag(Tag(0x0008_1140)), .item(0), .tag(Tag(0x0066_0023))]))
        #expect(seen.paths.contains([.tag(Tag(0x5400_1010))]))

        // Without a URI maker, or when it declines, everything stays inline.
        #expect(try json(ds, DICOMJSONEncoder(bulkDataThreshold: 16))["54001010"].flatMap { ($0 as? [String: Any])?["InlineBinary"] } != nil)
        let declining = DICOMJSONEncoder(bulkDataThreshold: 16) { _, _ in nil }
        #expect(try json(ds, declining)["54001010"].flatMap { ($0 as? [String: Any])?["InlineBinary"] } != nil)

        // Decoding fetches bulk data through the loader; odd lengths are padded.
        let decoder = DICOMJSONDecoder { uri, tag, vr in
            #expect(uri.hasSuffix(tag.hexString))
            return vr == .OW ? [1, 2, 3] : [UInt8](repeating: 9, count: 20)
        }
        let back = try decoder.decode(encoder.encode(ds))
        #expect(back[Tag(0x5400_1010)]?.bytes.map(Array.init) == [1, 2, 3, 0])
        #expect(back[Tag(0x0042_0011)]?.bytes?.count == 16)
        #expect(back[Tag(0x0008_1140)]?.items?.first?[Tag(0x0066_0023)]?.bytes?.count == 20)
    }

    @Test func encapsulatedPixelDataInlineOrBulk() throws {
        var ds = DataSet()
        ds.set(DataElement(tag: .pixelData, vr: .OB, value: .fragments(EncapsulatedPixelData(fragments: [[1, 2, 3, 4]]))))
        // Items as pydicom writes them: empty offset table item, one fragment item (8 + 12 bytes).
        let items: [UInt8] = [0xFE, 0xFF, 0x00, 0xE0, 0, 0, 0, 0, 0xFE, 0xFF, 0x00, 0xE0, 4, 0, 0, 0, 1, 2, 3, 4]
        let inline = try json(ds, DICOMJSONEncoder(bulkDataThreshold: 20) { _, _ in "bulk" })
        #expect((inline["7FE00010"] as? [String: Any])?["InlineBinary"] as? String == Data(items).base64EncodedString())
        let bulk = try json(ds, DICOMJSONEncoder(bulkDataThreshold: 19) { _, _ in "bulk" })
        #expect((bulk["7FE00010"] as? [String: Any])?["BulkDataURI"] as? String == "bulk")
    }

    // MARK: - Invalid JSON

    @Test func invalidJSONNamesThePath() {
        let cases: [(String, String)] = [
            (#"[]"#, "$"),
            (#"{"0010001": {"vr": "PN"}}"#, "$.0010001"),
            (#"{"00100010": {"vr": "XX"}}"#, "$.00100010"),
            (#"{"00100010": {"Value": ["A"]}}"#, "$.00100010"),
            (#"{"00100010": {"vr": "PN", "Value": "A"}}"#, "$.00100010"),
            (#"{"00280010": {"vr": "US", "Value": ["512"]}}"#, "$.00280010[0]"),
            (#"{"00280009": {"vr": "AT", "Value": ["0018"]}}"#, "$.00280009[0]"),
            (#"{"00081140": {"vr": "SQ", "Value": [1]}}"#, "$.00081140[0]"),
            (#"{"00100010": {"vr": "LO", "Value": [{"a": 1}]}}"#, "$.00100010[0]"),
        ]
        for (text, path) in cases {
            #expect {
                try DICOMJSONDecoder().decode(text)
            } throws: { error in
                if case .invalidJSON(let at, _) = error as? DICOMError { at == path } else { false }
            }
        }
        #expect(throws: (any Error).self) { try DICOMJSONDecoder().decode("{") }
    }

    @Test func arraysOfDataSets() throws {
        let a = DataSetReaderTests.smallImage(), b = DataSet(elements: [element(0x0010_0020, .LO, "X")])
        let text = DICOMJSONEncoder().encode([a, b])
        let back = try DICOMJSONDecoder().decodeArray(data: Data(text.utf8))
        #expect(back.count == 2)
        #expect(back[1].string(.patientID) == "X")
        #expect(back[0].int(.rows) == 2)
    }
}

/// Collects the paths the BulkDataURI maker was called with (it must be Sendable).
final class PathLog: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [[DICOMJSONEncoder.JSONPathComponent]] = []
    func append(_ path: [DICOMJSONEncoder.JSONPathComponent]) { lock.lock(); storage.append(path); lock.unlock() }
    var paths: [[DICOMJSONEncoder.JSONPathComponent]] { lock.lock(); defer { lock.unlock() }; return storage }
}
