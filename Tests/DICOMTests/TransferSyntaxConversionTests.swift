import Foundation
import Testing
@testable import DICOM

/// `DICOMFile.converted(to:)` among the four native syntaxes, on every uncompressed file pydicom
/// ships, checked by re-reading our output (and by pydicom and dcmtk reading it).
@Suite struct TransferSyntaxConversionTests {
    static let targets: [TransferSyntax] = [
        .implicitVRLittleEndian, .explicitVRLittleEndian, .explicitVRBigEndian, .deflatedExplicitVRLittleEndian,
    ]

    /// Every pydicom test file in a native syntax that parses (the broken ones excepted).
    static func nativeFiles() throws -> [(name: String, file: DICOMFile)] {
        try PydicomData.allTestFiles().compactMap { name in
            guard !PydicomData.broken.contains(name) else { return nil }
            let file = try DICOMFile(contentsOf: PydicomData.path(name))
            return file.transferSyntax.isNative ? (name, file) : nil
        }
    }

    @Test(.enabled(if: PydicomData.isAvailable)) func everyNativeFileSurvivesEveryConversion() throws {
        let files = try Self.nativeFiles()
        #expect(files.count >= 30)
        var problems: [String] = []
        for (name, file) in files {
            for target in Self.targets {
                // Conversion drops group lengths (retired, and wrong once lengths change): so does
                // the reference. A file already in the target syntax, meta included, is left as is.
                let unchanged = target == file.transferSyntax && target == file.elementEncoding
                    && file.meta?.string(.transferSyntaxUID) == target.uid
                let original = unchanged ? file.dataSet : file.dataSet.removingGroupLengths()
                let originalJSON = try canonicalJSON(original)
                let converted = try file.converted(to: target)
                let back = try DICOMFile(bytes: converted.encoded())
                if back.transferSyntax != target || back.elementEncoding.isExplicitVR != target.isExplicitVR
                    || back.meta?.string(.transferSyntaxUID) != target.uid {
                    problems.append("\(name) → \(target.uid): read back as \(back.transferSyntax.uid)")
                }
                if target.isExplicitVR {
                    // Explicit VR keeps every VR: the DICOM JSON is the same, to the last value.
                    if let d = firstJSONDifference(originalJSON, try canonicalJSON(back.dataSet)) {
                        problems.append("\(name) → \(target.uid): \(d)")
                    }
                } else {
                    // Implicit VR takes VRs from the dictionary: private elements come back UN
                    // (or SQ when of undefined length), elements whose explicit VR was not the
                    // dictionary's come back with the dictionary's. The values are what must
                    // survive, so compare value bytes and structure, not VRs.
                    if let d = Self.firstValueDifference(original, back.dataSet, path: name) {
                        problems.append("\(name) → implicit: \(d)")
                    }
                }
            }
        }
        #expect(problems.isEmpty, "\(problems.count) problems:\n\(problems.prefix(40).joined(separator: "\n"))")
    }

    /// Where two data sets differ in tags, structure or value bytes (VRs ignored). A sequence that
    /// came back as the UN bytes of a defined-length private sequence is parsed and compared.
    static func firstValueDifference(_ a: DataSet, _ b: DataSet, path: String) -> String? {
        guard a.elements.map(\.tag) == b.elements.map(\.tag) else {
            return "\(path): tags \(a.elements.map(\.tag)) vs \(b.elements.map(\.tag))"
        }
        for (x, y) in zip(a.elements, b.elements) {
            let here = "\(path)/\(x.tag)"
            switch (x.value, y.value) {
            case let (.bytes(p), .bytes(q)):
                if !p.elementsEqual(q) { return "\(here): \(p.count) vs \(q.count) bytes, or different bytes" }
            case let (.sequence(s), .sequence(t)):
                guard s.items.count == t.items.count else { return "\(here): \(s.items.count) vs \(t.items.count) items" }
                for (i, (p, q)) in zip(s.items, t.items).enumerated() {
                    if let d = firstValueDifference(p, q, path: "\(here)[\(i)]") { return d }
                }
            case (.sequence, .bytes(let q)) where y.vr == .UN:
                guard let items = try? DataSetReader.sequenceItems(tag: y.tag, implicitValue: q) else {
                    return "\(here): UN bytes are not an implicit VR sequence"
                }
                let asSequence = DataElement(tag: y.tag, vr: .SQ, value: .sequence(.init(items: items)))
                let rebuilt = DataSet(elements: [asSequence])
                if let d = firstValueDifference(DataSet(elements: [x]), rebuilt, path: path) { return d }
            default:
                return "\(here): \(x.vr) value vs \(y.vr) value of another kind"
            }
        }
        return nil
    }

    /// Converting away and back gives the bytes we would write without the detour.
    @Test(.enabled(if: PydicomData.isAvailable)) func conversionThereAndBackIsByteExact() throws {
        var problems: [String] = []
        for (name, file) in try Self.nativeFiles() where file.elementEncoding.isExplicitVR {
            let source = file.elementEncoding.isBigEndian ? TransferSyntax.explicitVRBigEndian : .explicitVRLittleEndian
            let reference = DataSetWriter.encode(file.dataSet.removingGroupLengths(), syntax: source)
            for target in [TransferSyntax.explicitVRLittleEndian, .explicitVRBigEndian, .deflatedExplicitVRLittleEndian]
            where target != source {
                let there = try DICOMFile(bytes: file.converted(to: target).encoded())
                let back = try DICOMFile(bytes: there.converted(to: source).encoded())
                let body = DataSetWriter.encode(back.dataSet, syntax: source)
                if body != reference { problems.append("\(name) via \(target.uid)") }
            }
        }
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
    }

    @Test func encapsulatedFilesCannotBeConverted() throws {
        let jpeg = DICOMFile(dataSet: DataSetReaderTests.smallImage(), transferSyntax: TransferSyntax(uid: "1.2.840.10008.1.2.4.50"))
        #expect(throws: DICOMError.self) { try jpeg.converted(to: .explicitVRLittleEndian) }
        let native = DICOMFile(dataSet: DataSetReaderTests.smallImage(), transferSyntax: .explicitVRLittleEndian)
        #expect(throws: DICOMError.self) { try native.converted(to: TransferSyntax(uid: "1.2.840.10008.1.2.4.90")) }
    }

    @Test func bareDataSetGetsMetaWhenConverted() throws {
        let bare = try DICOMFile(bytes: DataSetWriter.encode(DataSetReaderTests.smallImage(), syntax: .implicitVRLittleEndian))
        #expect(bare.meta == nil)
        let converted = try bare.converted(to: .explicitVRBigEndian)
        let back = try DICOMFile(bytes: converted.encoded())
        #expect(back.meta?.string(.transferSyntaxUID) == TransferSyntax.explicitVRBigEndian.uid)
        #expect(back.meta?.string(.mediaStorageSOPInstanceUID) == "1.2.826.0.1.3680043.2.1125.1")
        #expect(back.dataSet.int(.rows) == 2)
    }

    // MARK: - Deflate, byte for byte

    @Test(.enabled(if: PydicomData.isAvailable)) func deflatedFileRoundTripsItsInflatedBytes() throws {
        let bytes = try PydicomData.bytes("image_dfl.dcm")
        let file = try DICOMFile(bytes: bytes)
        #expect(file.transferSyntax.isDeflated)
        let written = file.encoded()
        let (start, writtenStart) = (try dataSetStart(of: bytes), try dataSetStart(of: written))
        #expect(Array(written[..<writtenStart]) == Array(bytes[..<start]), "preamble and meta differ")
        let theirs = try Deflate.inflate(bytes[start...])
        let ours = try Deflate.inflate(written[writtenStart...])
        #expect(ours.count == theirs.count)
        #expect(ours == theirs)
        // Written again, still the same.
        #expect(try DICOMFile(bytes: written).encoded() == written)
    }

    /// What pydicom reads from our files: a few values of each, in each syntax.
    @Test(.enabled(if: PydicomData.isAvailable)) func pydicomReadsWhatWeWrite() throws {
        var temporary: [TemporaryFile] = []
        defer { temporary.forEach { $0.remove() } }
        var expected: [String: [String: String]] = [:]
        for name in ["CT_small.dcm", "MR_small.dcm", "rtplan.dcm", "image_dfl.dcm", "MR_small_bigendian.dcm"] {
            let file = try DICOMFile(contentsOf: PydicomData.path(name))
            for target in Self.targets {
                let out = try TemporaryFile(file.converted(to: target).encoded())
                temporary.append(out)
                let ds = file.dataSet
                var values = [
                    "ts": target.uid,
                    "PatientName": ds.string(.patientName) ?? "",
                    "SOPInstanceUID": ds.string(.sopInstanceUID) ?? "",
                    "Rows": ds.int(.rows).map(String.init) ?? "",
                ]
                if let pixels = ds[.pixelData]?.bytes {
                    // pydicom keeps pixel data in the file's byte order; ours is little endian.
                    var raw = Array(pixels)
                    if target.isBigEndian, ds[.pixelData]?.vr == .OW {
                        for i in stride(from: 0, to: raw.count - 1, by: 2) { raw.swapAt(i, i + 1) }
                    }
                    values["PixelData"] = "\(raw.count):" + raw.prefix(16).map { String(format: "%02x", $0) }.joined()
                        + ":" + raw.suffix(16).map { String(format: "%02x", $0) }.joined()
                }
                expected[out.path] = values
            }
        }
        let script = """
            import json, sys, pydicom
            out = {}
            for path in sys.argv[1:]:
                ds = pydicom.dcmread(path)
                v = {"ts": str(ds.file_meta.TransferSyntaxUID), "PatientName": str(ds.get("PatientName", "")),
                     "SOPInstanceUID": str(ds.get("SOPInstanceUID", "")),
                     "Rows": str(ds.Rows) if "Rows" in ds else ""}
                if "PixelData" in ds:
                    p = ds.PixelData
                    v["PixelData"] = f"{len(p)}:{p[:16].hex()}:{p[-16:].hex()}"
                out[path] = v
            print(json.dumps(out))
            """
        let result = try runProcess("/usr/bin/env", ["python3", "-c", script] + expected.keys.sorted())
        #expect(result.status == 0, "\(result.stderr)")
        let theirs = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: [String: String]])
        for (path, values) in expected.sorted(by: { $0.key < $1.key }) {
            #expect(theirs[path] == values, "\(values["ts"] ?? "")")
        }
    }

    // MARK: - dcmtk

    static let dcmdump = "/usr/bin/dcmdump"

    @Test(.enabled(if: PydicomData.isAvailable && FileManager.default.isExecutableFile(atPath: dcmdump)))
    func dcmdumpAcceptsWhatWeWrite() throws {
        for name in ["CT_small.dcm", "MR_small_implicit.dcm", "rtplan.dcm", "image_dfl.dcm", "reportsi.dcm", "nested_priv_SQ.dcm"] {
            let file = try DICOMFile(contentsOf: PydicomData.path(name))
            for target in Self.targets {
                let out = try TemporaryFile(file.converted(to: target).encoded())
                defer { out.remove() }
                let result = try runProcess(Self.dcmdump, [out.path])
                let text = result.stdout + result.stderr
                #expect(result.status == 0, "\(name) as \(target.uid): dcmdump exit \(result.status)\n\(result.stderr)")
                #expect(!text.lowercased().contains("error"), "\(name) as \(target.uid): \(result.stderr)")
                #expect(text.contains("(0002,0010) UI ="))
                #expect(text.contains("(0010,0010) PN") == file.dataSet.contains(.patientName))
            }
        }
    }
}
