import ArgumentParser
import DICOM
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

@main
struct SwiftPACS: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "swiftpacs",
        abstract: "A lightweight PACS: DICOM and DICOMweb server over a hashed file store.",
        subcommands: [Dump.self]
    )
}

struct Dump: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a DICOM file's meta header and data set as text, or as DICOM JSON (PS3.18 F).")

    @Argument(help: "The DICOM file (Part 10, or a bare data set).")
    var file: String

    @Flag(help: "Print the data set as DICOM JSON instead of text.")
    var json = false

    @Option(help: "With --json: binary values longer than this many bytes are replaced by a BulkDataURI.")
    var bulkDataThreshold: Int?

    func run() throws {
        let parsed: DICOMFile
        do {
            parsed = try DICOMFile(contentsOf: file)
        } catch {
            fputs("swiftpacs dump: \(file): \(error)\n", stderr)
            throw ExitCode(1)
        }
        if json {
            var encoder = DICOMJSONEncoder()
            if let threshold = bulkDataThreshold {
                encoder.bulkDataThreshold = threshold
                encoder.bulkDataURI = { path, _ in
                    "bulk:" + path.map { switch $0 { case .tag(let t): t.hexString; case .item(let i): String(i) } }.joined(separator: "/")
                }
            }
            print(encoder.encode(parsed.dataSet))
        } else {
            print(DataSetDumper().dump(parsed), terminator: "")
        }
    }
}
