import Foundation
import Testing
import TestSupport
import DICOM

@Suite(.serialized) struct ServerLifecycleTests {
    /// A large object built with our own writer: ~6 MB of pixel data.
    func largeInstance() throws -> String {
        var ds = DataSet()
        ds.set(DataElement(tag: .sopClassUID, vr: .UI, string: "1.2.840.10008.5.1.4.1.1.7"))
        ds.set(DataElement(tag: .sopInstanceUID, vr: .UI, string: "2.25.\(UInt64.random(in: 1...UInt64.max))"))
        ds.set(DataElement(tag: .studyInstanceUID, vr: .UI, string: "2.25.\(UInt64.random(in: 1...UInt64.max))"))
        ds.set(DataElement(tag: .seriesInstanceUID, vr: .UI, string: "2.25.\(UInt64.random(in: 1...UInt64.max))"))
        ds.set(DataElement(tag: .patientID, vr: .LO, string: "SHUTDOWN"))
        ds.set(DataElement(tag: .pixelData, vr: .OW, bytes: [UInt8](repeating: 7, count: 6 << 20)))
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("large-\(UUID()).dcm").path
        try Data(DICOMFile(dataSet: ds, transferSyntax: .explicitVRLittleEndian).encoded()).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// SIGTERM while an upload is in flight: the upload completes and is acknowledged, new
    /// connections are refused, and the process exits 0.
    @Test func gracefulShutdownFinishesInFlightStores() throws {
        let file = try largeInstance()
        defer { try? FileManager.default.removeItem(atPath: file) }
        let server = try ServerProcess()
        defer { server.stop() }
        let upload = Process()
        upload.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        upload.arguments = ["-s", "--limit-rate", "3M", "--data-binary", "@" + file, "-w", "\n%{http_code}", server.baseURL + "/instances"]
        let out = Pipe()
        upload.standardOutput = out
        try upload.run()
        usleep(700_000)
        server.process.terminate()  // SIGTERM mid-upload
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        upload.waitUntilExit()
        server.process.waitUntilExit()
        #expect(text.hasSuffix("200"), "\(text)")
        #expect(text.contains("\"Success\""))
        #expect(server.process.terminationStatus == 0)
        #expect(!acceptsConnections(port: server.httpPort))
    }

    /// `swiftpacs import` on a folder: progress, summary, exit status; then the server serves it.
    @Test func importCommandThenServe() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("import-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory + "/in/sub", withIntermediateDirectories: true)
        let source = try pydicomTestFilesDirectory()
        for name in ["CT_small.dcm", "MR_small.dcm", "rtplan.dcm"] {
            try FileManager.default.copyItem(atPath: source + "/" + name, toPath: directory + "/in/sub/" + name)
        }
        try Data("not dicom".utf8).write(to: URL(fileURLWithPath: directory + "/in/notes.txt"))
        let config = directory + "/config.json"
        try JSONSerialization.data(withJSONObject: ["StorageDirectory": directory + "/data", "HttpPort": try freePort(), "SyncStorageArea": false])
            .write(to: URL(fileURLWithPath: config))

        let p = Process()
        p.executableURL = URL(fileURLWithPath: try swiftpacsBinary())
        p.arguments = ["import", "--config", config, directory + "/in"]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = Pipe()
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0, "\(text)")
        #expect(text.contains("3 stored") || text.contains("stored: 3") || text.contains("stored 3"), "\(text)")

        let check = Process()
        check.executableURL = URL(fileURLWithPath: try swiftpacsBinary())
        check.arguments = ["check", "--config", config]
        let checkOut = Pipe()
        check.standardOutput = checkOut
        try check.run()
        let checkText = String(decoding: checkOut.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        check.waitUntilExit()
        #expect(check.terminationStatus == 0)
        #expect(checkText.contains("checked 3 instances"), "\(checkText)")
    }
}

func pydicomTestFilesDirectory() throws -> String {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["python3", "-c", "import pydicom,os;print(os.path.join(os.path.dirname(pydicom.__file__),'data','test_files'))"]
    let pipe = Pipe()
    p.standardOutput = pipe
    try p.run()
    p.waitUntilExit()
    return String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
}
