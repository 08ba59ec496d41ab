import Foundation
import Testing
@testable import DICOM

/// Every file pydicom ships for its own tests, read by us and compared with pydicom's reading.
@Suite struct PydicomConformanceTests {
    /// Broken on purpose: these must fail with the DICOMError named here, never crash.
    /// pydicom reads what it can of them; its reading of garbage is no oracle.
    static let brokenOnPurpose: [String: @Sendable (DICOMError) -> Bool] = [
        // Pixel data cut short: 8192 bytes declared, 8130 present.
        "test_files/MR_truncated.dcm": { if case .lengthPastEnd(Tag.pixelData, _, 8192, 8130) = $0 { true } else { false } },
        // Ends inside the Beam Sequence.
        "test_files/rtplan_truncated.dcm": { if case .lengthPastEnd(Tag(0x300A_00B0), _, _, _) = $0 { true } else { false } },
        // A stray byte before the first element: what follows is not a data element.
        "test_files/no_meta.dcm": { if case .lengthPastEnd(Tag(0x0820_0500), 0, _, _) = $0 { true } else { false } },
    ]

    static func allFiles() throws -> [String] {
        try PydicomOracle.get().files.keys.sorted()
    }

    @Test func everyFileParsesOrFailsWithATypedError() throws {
        let oracle = try PydicomOracle.get()
        #expect(oracle.files.count > 80, "pydicom's test data should hold about a hundred files")
        var failures: [String] = []
        for name in oracle.files.keys.sorted() {
            do {
                _ = try DICOMFile(contentsOf: oracle.path(name))
                if Self.brokenOnPurpose[name] != nil { failures.append("\(name): parsed, but it is broken on purpose") }
            } catch let error as DICOMError {
                if let check = Self.brokenOnPurpose[name] {
                    if !check(error) { failures.append("\(name): wrong error \(error)") }
                } else {
                    failures.append("\(name): \(error)")
                }
            }
        }
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
    }

    @Test func dicomJSONEqualsPydicom() throws {
        let oracle = try PydicomOracle.get()
        var encoder = DICOMJSONEncoder(bulkDataThreshold: PydicomOracle.bulkDataThreshold)
        encoder.bulkDataURI = { _, element in "bulk:" + element.tag.hexString }
        var report: [String] = []
        var compared = 0
        for name in oracle.files.keys.sorted() {
            guard case .json(let theirs, _)? = oracle.files[name], Self.brokenOnPurpose[name] == nil else { continue }
            let file = try DICOMFile(contentsOf: oracle.path(name))
            let ours = try JSONSerialization.jsonObject(with: Data(encoder.encode(file.dataSet).utf8))
            var comparison = JSONComparison()
            comparison.theirBinaryIsBigEndian = file.transferSyntax.isBigEndian
            comparison.compare(ours, theirs, path: name)
            report += comparison.differences
            compared += 1
        }
        #expect(compared > 70)
        #expect(report.isEmpty, "\(report.count) differences:\n\(report.prefix(400).joined(separator: "\n"))")
    }

    @Test func byteExactRoundTrip() throws {
        let oracle = try PydicomOracle.get()
        var failures: [String] = []
        var checked = 0
        for name in oracle.files.keys.sorted() where Self.brokenOnPurpose[name] == nil {
            let bytes = try FileBytes(path: oracle.path(name)).readAll()
            guard let file = try? DICOMFile(bytes: bytes), !file.transferSyntax.isDeflated else { continue }
            let written = file.encoded()
            if written != bytes {
                let at = zip(written, bytes).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(written.count, bytes.count)
                failures.append("\(name): differs at byte \(at) (\(written.count) vs \(bytes.count) bytes)")
            }
            checked += 1
        }
        #expect(checked > 70)
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
    }

    @Test func charsetFilesDecodeLikePydicom() throws {
        let oracle = try PydicomOracle.get()
        var failures: [String] = []
        for name in oracle.files.keys.sorted() where name.hasPrefix("charset_files/") {
            guard case .json(_, let expected)? = oracle.files[name] else { continue }
            let file = try DICOMFile(contentsOf: oracle.path(name))
            let ours = file.dataSet.personName(.patientName)?.description ?? ""
            if ours != expected { failures.append("\(name): \(ours) vs pydicom's \(expected)") }
        }
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
    }
}
