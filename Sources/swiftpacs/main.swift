import Archive
import ArgumentParser
import DICOM
import Foundation
import HummingbirdBcrypt
import Logging
import Server

@main
struct SwiftPACS: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "swiftpacs",
        abstract: "A lightweight PACS: DICOM and DICOMweb server over a hashed file store.",
        version: SwiftPACSVersion.string,
        subcommands: [Serve.self, Import.self, Check.self, Reindex.self, Passwd.self, Dump.self],
        defaultSubcommand: Serve.self
    )
}

/// The configuration file option every archive command shares.
struct ConfigOptions: ParsableArguments {
    @Option(name: .shortAndLong, help: "JSON configuration file (Orthanc's key names). Without it: the embedded default (./swiftpacs-data, DICOM 4242, HTTP 8042, AET SWIFTPACS).")
    var config: String?

    func load() throws -> Configuration {
        guard let path = config else { return Configuration() }
        do {
            return try Configuration.load(path: path)
        } catch {
            printError("swiftpacs: \(error)\n")
            throw ExitCode(2)
        }
    }
}

/// Writes to standard error (messages for people; stdout stays for data such as dump output).
func printError(_ text: String) {
    FileHandle.standardError.write(Data(text.utf8))
}

func makeLogger(_ label: String) -> Logger {
    LoggingSystem.bootstrap { label in
        var handler = StreamLogHandler.standardError(label: label)
        handler.logLevel = ProcessInfo.processInfo.environment["SWIFTPACS_LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0) } ?? .info
        return handler
    }
    return Logger(label: label)
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the server (the default command).")
    @OptionGroup var options: ConfigOptions

    func run() async throws {
        let configuration = try options.load()
        let logger = makeLogger("swiftpacs")
        do {
            try await SwiftPACSServer(configuration: configuration, logger: logger).run()
        } catch {
            logger.critical("cannot run: \(error)")
            throw ExitCode(1)
        }
    }
}

struct Import: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Import DICOM files, folders (recursively) and ZIP archives into the archive.")
    @OptionGroup var options: ConfigOptions
    @Argument(help: "Files, folders or ZIP archives.") var paths: [String]

    func run() async throws {
        let configuration = try options.load()
        let logger = makeLogger("swiftpacs.import")
        let archive = try Archive(configuration: configuration.archive, logger: logger)
        defer { archive.close() }
        let printer = ProgressPrinter()
        let summary = await BulkImporter(archive: archive, origin: "import").run(paths: paths) { done, total, path in
            printer.update(done: done, total: total, current: path)
        }
        printer.finish()
        print(summary.text)
        if !summary.failed.isEmpty { throw ExitCode(1) }
    }
}

struct Check: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Verify every stored file against its hash and every index row against the storage area.")
    @OptionGroup var options: ConfigOptions

    func run() async throws {
        let configuration = try options.load()
        let archive = try Archive(configuration: configuration.archive, logger: makeLogger("swiftpacs.check"))
        let report = try archive.check()
        print("checked \(report.instances) instances and \(report.files) files")
        for line in report.missingFiles { print("MISSING  \(line)") }
        for line in report.corruptFiles { print("CORRUPT  \(line)") }
        for hash in report.orphanFiles { print("ORPHAN   file \(hash) is not in the index") }
        print(report.isClean ? "clean" : "problems found")
        if !report.isClean { throw ExitCode(1) }
    }
}

struct Reindex: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Rebuild the whole index from the stored files alone.")
    @OptionGroup var options: ConfigOptions

    func run() async throws {
        let configuration = try options.load()
        let logger = makeLogger("swiftpacs.reindex")
        let report = try await Archive.reindex(configuration: configuration.archive, logger: logger)
        print("indexed \(report.indexedOrphans.count) files")
        for line in report.unreadable { print("UNREADABLE \(line)") }
        if !report.unreadable.isEmpty { throw ExitCode(1) }
    }
}

struct Passwd: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print a bcrypt hash of a password for RegisteredUsers (reads the password from stdin).")
    @Argument(help: "The user name (printed with the hash as a RegisteredUsers entry).") var user: String
    @Option(help: "bcrypt cost (log2 rounds).") var cost: UInt8 = 10

    func run() throws {
        if isatty(0) != 0 { printError("password for \(user): ") }
        guard let password = readLine(strippingNewline: true), !password.isEmpty else {
            printError("swiftpacs passwd: no password given on stdin\n")
            throw ExitCode(2)
        }
        let hash = Bcrypt.hash(password, cost: cost)
        print("\"\(user)\" : \"\(hash)\"")
    }
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
            printError("swiftpacs dump: \(file): \(error)\n")
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
