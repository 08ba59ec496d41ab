import Foundation
import Testing
@testable import DICOM

/// `swiftpacs dump`, run as a process: the executable built next to this test bundle.
@Suite struct DumpCommandTests {
    /// The `swiftpacs` executable of this build: beside the test bundle (the build directory,
    /// `.build/<triple>/debug`), or under the package's `.build/debug` and `.build/release`.
    static let executable: String? = {
        var directories: [URL] = []
        if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            directories.append(URL(fileURLWithPath: exe).deletingLastPathComponent())
        }
        directories.append(Bundle.main.bundleURL)
        directories.append(Bundle.main.bundleURL.deletingLastPathComponent())
        let package = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        directories.append(package.appendingPathComponent(".build/debug"))
        directories.append(package.appendingPathComponent(".build/release"))
        return directories.map { $0.appendingPathComponent("swiftpacs").path }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    func swiftpacs(_ arguments: String...) throws -> ProcessResult {
        let executable = try #require(Self.executable, "swiftpacs is not built (swift build)")
        return try runProcess(executable, arguments)
    }

    @Test(.enabled(if: PydicomData.isAvailable)) func dumpText() throws {
        let result = try swiftpacs("dump", try PydicomData.path("CT_small.dcm"))
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.isEmpty)
        let lines = result.stdout.split(separator: "\n")
        let patientName = try #require(lines.first { $0.contains("PatientName") })
        #expect(patientName.hasPrefix("(0010,0010) PN [CompressedSamples^CT1]"))
        #expect(result.stdout.contains("# Dicom-Meta-Information-Header"))
        #expect(result.stdout.contains("(0002,0010) UI [1.2.840.10008.1.2.1]"))
        #expect(result.stdout.contains("(0028,0010) US 128"))
        #expect(result.stdout.contains("PixelData"))
    }

    @Test(.enabled(if: PydicomData.isAvailable)) func dumpSequencesIndented() throws {
        let result = try swiftpacs("dump", try PydicomData.path("rtplan.dcm"))
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("PatientName"))
        #expect(result.stdout.contains("[Last^First^mid^pre]"))
        // An item line is indented under its sequence, its elements further.
        #expect(result.stdout.contains("\n  (fffe,e000) na (Item with"))
        #expect(result.stdout.contains("\n    (300a,"))
    }

    /// --json prints DICOM JSON, whose keys are tags ("00100010" is PatientName), not keywords.
    @Test(.enabled(if: PydicomData.isAvailable)) func dumpJSON() throws {
        let path = try PydicomData.path("CT_small.dcm")
        let result = try swiftpacs("dump", path, "--json")
        #expect(result.status == 0, "\(result.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
        #expect(jsonValue(object, ["00100010", "vr"]) as? String == "PN")
        #expect(jsonValue(object, ["00100010", "Value", "0", "Alphabetic"]) as? String == "CompressedSamples^CT1")
        // The same JSON as the library's.
        let ours = try canonicalJSON(DICOMFile(contentsOf: path).dataSet)
        #expect(firstJSONDifference(object, ours) == nil)

        let bulk = try swiftpacs("dump", path, "--json", "--bulk-data-threshold", "64")
        #expect(bulk.status == 0)
        let withBulk = try JSONSerialization.jsonObject(with: Data(bulk.stdout.utf8))
        #expect(jsonValue(withBulk, ["7FE00010", "BulkDataURI"]) as? String == "bulk:7FE00010")
    }

    @Test(.enabled(if: PydicomData.isAvailable)) func truncatedFileNamesTagAndOffset() throws {
        let bytes = try PydicomData.bytes("CT_small.dcm")
        // (0010,0010) PN in explicit VR little endian: cut three bytes into its value.
        let header: [UInt8] = [0x10, 0x00, 0x10, 0x00, 0x50, 0x4E]
        let at = try #require((0..<bytes.count - 6).first { Array(bytes[$0..<$0 + 6]) == header })
        let file = try TemporaryFile(Array(bytes[..<(at + 8 + 3)]))
        defer { file.remove() }
        let result = try swiftpacs("dump", file.path)
        #expect(result.status != 0)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains("(0010,0010)"), "\(result.stderr)")
        #expect(result.stderr.contains("offset \(at)"), "\(result.stderr)")
        #expect(result.stderr.contains(file.path))
    }

    @Test func nonDICOMFileNamesTagAndOffset() throws {
        // Read as a bare implicit VR data set: "Th" "is" is tag (6854,7369), " is " its length.
        let file = try TemporaryFile(Array("This is not a DICOM file, just text.\n".utf8), suffix: ".txt")
        defer { file.remove() }
        let result = try swiftpacs("dump", file.path)
        #expect(result.status != 0)
        #expect(result.stderr.contains("(6854,7369)"), "\(result.stderr)")
        #expect(result.stderr.contains("offset 0"), "\(result.stderr)")

        // Not even that: a group no data set starts with.
        let binary = try TemporaryFile([0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 0x4A, 0x46, 0x49, 0x46], suffix: ".jpg")
        defer { binary.remove() }
        let jpeg = try swiftpacs("dump", binary.path)
        #expect(jpeg.status != 0)
        #expect(jpeg.stderr.contains("not DICOM"), "\(jpeg.stderr)")
    }

    @Test func missingFile() throws {
        let result = try swiftpacs("dump", "/nonexistent/swiftpacs-test.dcm", "--json")
        #expect(result.status != 0)
        #expect(result.stderr.contains("No such file"), "\(result.stderr)")
    }
}
