import Foundation
import Testing
import DICOM

/// Runs a DCMTK tool by absolute path (pynetdicom installs same-named scripts on PATH).
func dcmtk(_ tool: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/" + tool)
    p.arguments = arguments
    p.environment = ["TCP_NODELAY": "1", "PATH": "/usr/bin:/bin"]
    let pipe = Pipe()
    p.standardOutput = pipe
    p.standardError = pipe
    try p.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: data, as: UTF8.self))
}

func dimseClient(_ scenario: String, _ server: ServerProcess, called: String = "SWIFTPACS", files: [String] = []) throws -> [String: Any] {
    let (status, out, err) = try runClient("dimse_client.py", [scenario, "127.0.0.1", String(server.dicomPort), called] + files)
    guard status == 0, let line = out.split(separator: "\n").last,
          let json = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
        throw TestFailure("dimse_client.py \(scenario) failed (\(status)): \(out)\n\(err.suffix(2000))")
    }
    return json
}

func statistics(_ server: ServerProcess) throws -> [String: Any] {
    let (_, body) = try curl([server.baseURL + "/statistics"])
    return try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any] ?? [:]
}

func storedFiles(_ server: ServerProcess) -> [String] {
    let root = server.directory + "/data"
    let e = FileManager.default.enumerator(atPath: root)
    var out: [String] = []
    while let p = e?.nextObject() as? String {
        let name = (p as NSString).lastPathComponent
        if name.count == 64, !p.hasPrefix(".tmp") { out.append(root + "/" + p) }
    }
    return out
}

func temporaryFiles(_ server: ServerProcess) -> [String] {
    (try? FileManager.default.contentsOfDirectory(atPath: server.directory + "/data/.tmp")) ?? []
}

@Suite(.serialized) struct DICOMInteropTests {
    let testFiles: String

    init() throws { testFiles = try pydicomTestFilesDirectory() }

    func file(_ name: String) -> String { testFiles + "/" + name }

    @Test func echoscuAndStorescuWithDefaultContexts() throws {
        let server = try ServerProcess()
        defer { server.stop() }
        let echo = try dcmtk("echoscu", ["-aec", "SWIFTPACS", "127.0.0.1", String(server.dicomPort)])
        #expect(echo.status == 0, "\(echo.output)")

        // Explicit LE, explicit BE, implicit LE sources; distinct SOP instances.
        let names = ["CT_small.dcm", "MR_small_bigendian.dcm", "rtplan.dcm", "rtdose.dcm", "waveform_ecg.dcm", "test-SR.dcm"]
        let store = try dcmtk("storescu", ["-aec", "SWIFTPACS", "127.0.0.1", String(server.dicomPort)] + names.map(file))
        #expect(store.status == 0, "\(store.output)")
        #expect(try statistics(server)["CountInstances"] as? Int == names.count)

        // What was stored is the data set that was sent: same values as the original file.
        for path in storedFiles(server) {
            let stored = try DICOMFile(contentsOf: path)
            let uid = stored.dataSet.string(.sopInstanceUID) ?? ""
            let original = try names.map { try DICOMFile(contentsOf: file($0)) }.first { $0.dataSet.string(.sopInstanceUID) == uid }
            #expect(original != nil)
            if let original {
                #expect(DICOMJSONEncoder().encode(stored.dataSet.removingGroupLengthsForComparison())
                        == DICOMJSONEncoder().encode(original.dataSet.removingGroupLengthsForComparison()),
                        "data set of \(uid) differs")
            }
        }
        #expect(temporaryFiles(server).isEmpty)
    }

    @Test func storescuWithCompressedProposals() throws {
        let server = try ServerProcess()
        defer { server.stop() }
        // Each file with the storescu option proposing its own compressed syntax first: the
        // object is accepted in that syntax and stored as sent, never transcoded.
        let cases = [("JPEG2000.dcm", "-xw"), ("SC_rgb_jpeg_dcmtk.dcm", "-xy"), ("MR_small_RLE.dcm", "-xr"), ("JPGExtended.dcm", "-xx")]
        var uids = Set<String>()
        for (name, option) in cases {
            let store = try dcmtk("storescu", [option, "-aec", "SWIFTPACS", "127.0.0.1", String(server.dicomPort), file(name)])
            #expect(store.status == 0, "\(name): \(store.output)")
            uids.insert(try DICOMFile(contentsOf: file(name), stopAt: .pixelData).dataSet.string(.sopInstanceUID) ?? "")
        }
        #expect(try statistics(server)["CountInstances"] as? Int == uids.count)
        for path in storedFiles(server) {
            let stored = try DICOMFile(contentsOf: path)
            #expect(stored.transferSyntax.isEncapsulated, "\(stored.transferSyntax)")
            let uid = stored.dataSet.string(.sopInstanceUID) ?? ""
            let original = try cases.map { try DICOMFile(contentsOf: file($0.0)) }.first { $0.dataSet.string(.sopInstanceUID) == uid }
            #expect(original?.dataSet[.pixelData]?.fragments?.fragments == stored.dataSet[.pixelData]?.fragments?.fragments,
                    "pixel data of \(uid) stored as sent")
        }
    }

    /// storescu +sd on a folder, one association for all files.
    @Test func storescuScanningADirectory() throws {
        let server = try ServerProcess()
        defer { server.stop() }
        let dir = server.directory + "/in"
        try FileManager.default.createDirectory(atPath: dir + "/sub", withIntermediateDirectories: true)
        for name in ["CT_small.dcm", "rtplan.dcm", "waveform_ecg.dcm"] {
            try FileManager.default.copyItem(atPath: file(name), toPath: dir + "/sub/" + name)
        }
        let store = try dcmtk("storescu", ["+sd", "+r", "-aec", "SWIFTPACS", "127.0.0.1", String(server.dicomPort), dir])
        #expect(store.status == 0, "\(store.output)")
        #expect(try statistics(server)["CountInstances"] as? Int == 3)
    }

    @Test func manyProposedContextsAndUnsupportedAbstractSyntax() throws {
        let server = try ServerProcess()
        defer { server.stop() }
        // storescu without -R proposes ~120 storage SOP classes × syntaxes, more than one per file.
        let store = try dcmtk("storescu", ["-v", "-aec", "SWIFTPACS", "127.0.0.1", String(server.dicomPort), file("CT_small.dcm")])
        #expect(store.status == 0, "\(store.output)")
        #expect(store.output.contains("Accepted"))
    }

    @Test func wrongCalledAETitleIsRejectedWithTheReason() throws {
        let server = try ServerProcess(config: ["DicomCheckCalledAet": true])
        defer { server.stop() }
        let echo = try dcmtk("echoscu", ["-aec", "SOMEONEELSE", "127.0.0.1", String(server.dicomPort)])
        #expect(echo.status != 0)
        #expect(echo.output.contains("Called AE Title Not Recognized"), "\(echo.output)")
        let ok = try dcmtk("echoscu", ["-aec", "swiftpacs", "127.0.0.1", String(server.dicomPort)])
        #expect(ok.status == 0, "AE titles compare case-insensitively by default: \(ok.output)")
        // The trace says exactly why the client was refused.
        let (_, body) = try curl([server.baseURL + "/associations"])
        let traces = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [[String: Any]] ?? []
        let rejected = traces.first { $0["outcome"] as? String == "rejected" }
        #expect(rejected?["calledAETitle"] as? String == "SOMEONEELSE")
        #expect((rejected?["reason"] as? String ?? "").contains("called AE title \"SOMEONEELSE\" is not ours"), "\(rejected ?? [:])")
        #expect(traces.contains { $0["outcome"] as? String == "released" && ($0["operations"] as? [[String: Any]])?.first?["service"] as? String == "C-ECHO" })
    }

    @Test func modalityWhitelist() throws {
        let server = try ServerProcess(config: [
            "DicomAlwaysAllowEcho": false, "DicomAlwaysAllowStore": false,
            "DicomModalities": [
                "ct": ["CTSCANNER", "localhost", 104],  // a host name: resolved to 127.0.0.1
                "viewer": ["AET": "VIEWER", "Host": "127.0.0.1", "Port": 11112, "AllowStore": false],
                "faraway": ["AET": "FARAWAY", "Host": "192.0.2.1", "Port": 104],
            ],
            "DicomCheckModalityHost": true,
        ])
        defer { server.stop() }
        let port = String(server.dicomPort)
        let unknown = try dcmtk("echoscu", ["-aet", "STRANGER", "-aec", "SWIFTPACS", "127.0.0.1", port])
        #expect(unknown.output.contains("Calling AE Title Not Recognized"), "\(unknown.output)")
        let wrongHost = try dcmtk("echoscu", ["-aet", "FARAWAY", "-aec", "SWIFTPACS", "127.0.0.1", port])
        #expect(wrongHost.output.contains("Calling AE Title Not Recognized"), "\(wrongHost.output)")
        #expect(try dcmtk("echoscu", ["-aet", "CTSCANNER", "-aec", "SWIFTPACS", "127.0.0.1", port]).status == 0)
        #expect(try dcmtk("storescu", ["-aet", "CTSCANNER", "-aec", "SWIFTPACS", "127.0.0.1", port, file("CT_small.dcm")]).status == 0)
        // VIEWER may associate and echo, but not store: the C-STORE is refused with a status.
        #expect(try dcmtk("echoscu", ["-aet", "VIEWER", "-aec", "SWIFTPACS", "127.0.0.1", port]).status == 0)
        let refused = try dcmtk("storescu", ["-v", "-aet", "VIEWER", "-aec", "SWIFTPACS", "127.0.0.1", port, file("MR_small.dcm")])
        #expect(refused.output.contains("0x124"), "refused with 0x0124 (Refused: Not authorized): \(refused.output)")
        #expect(try statistics(server)["CountInstances"] as? Int == 1)
    }

    @Test func pynetdicomNegotiationAndStore() throws {
        let server = try ServerProcess()
        defer { server.stop() }
        let result = try dimseClient("negotiation", server, files: [file("CT_small.dcm")])
        #expect(result["established"] as? Bool == true)
        let accepted = result["accepted"] as? [String: String] ?? [:]
        #expect(accepted["1.2.840.10008.5.1.4.1.1.2"] == "1.2.840.10008.1.2.1", "the first proposed syntax wins")
        #expect(accepted["1.2.840.10008.5.1.4.1.1.4"] == "1.2.840.10008.1.2")
        #expect(accepted["1.2.840.10008.1.1"] != nil)
        #expect((result["statuses"] as? [Int]) == [0])
        let ctRole = result["ctRole"] as? [[Bool]] ?? []
        #expect(ctRole.first == [true, false], "SCU role accepted, SCP role (C-GET storage) not offered yet: \(ctRole)")
        #expect(result["maxPDU"] as? Int == 131072, "our MaximumPduLength default")
        // Storage SOP class extended negotiation answered for CT (level 2 SCP, signature level 2, no
        // coercion: PS3.4 B.3.1), not for Verification, which is no storage class.
        let extended = result["extended"] as? [String: [Int]] ?? [:]
        #expect(extended == ["1.2.840.10008.5.1.4.1.1.2": [2, 0, 2, 0, 0, 0]], "\(extended)")
        // The trace shows both proposals and what each got.
        let (_, body) = try curl([server.baseURL + "/associations"])
        let traces = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [[String: Any]] ?? []
        let lines = traces.compactMap { $0["extendedNegotiations"] as? [String] }.first { !$0.isEmpty } ?? []
        #expect(lines == ["1.2.840.10008.5.1.4.1.1.2 proposed [3, 0, 0, 0, 2, 0], answered [2, 0, 2, 0, 0, 0]",
                          "1.2.840.10008.1.1 proposed [3, 0, 0, 0, 2, 0], answered nothing (not a storage SOP class accepted here)"],
                "\(lines)")
    }

    @Test func pynetdicomRejectedAETitle() throws {
        let server = try ServerProcess(config: ["DicomCheckCalledAet": true])
        defer { server.stop() }
        let result = try dimseClient("echo", server, called: "NOTUS")
        #expect(result["established"] as? Bool == false)
        #expect(result["rejected"] as? Bool == true)
    }

    @Test func abortMidTransferStoresNothing() throws {
        let server = try ServerProcess()
        defer { server.stop() }
        let result = try dimseClient("abort_mid_transfer", server, files: [file("CT_small.dcm")])
        #expect(result["aborted"] as? Bool == true)
        #expect(result["storeFinished"] as? Bool == false, "the abort came before the last fragment")
        usleep(300_000)
        #expect(try statistics(server)["CountInstances"] as? Int == 0)
        #expect(storedFiles(server).isEmpty)
        #expect(temporaryFiles(server).isEmpty, "the partial data set's temporary file is removed")
    }

    @Test func invalidDataSetsGetAFailureStatusAndNothingIsStored() throws {
        let server = try ServerProcess()
        defer { server.stop() }
        let truncated = try dimseClient("truncated_dataset", server, files: [file("CT_small.dcm")])
        #expect(truncated["status"] as? Int == 0xC000, "\(truncated)")
        #expect((truncated["comment"] as? String ?? "").contains("(7FE0,0010)"), "the error comment says where: \(truncated)")
        let mismatched = try dimseClient("mismatched_dataset", server, files: [file("CT_small.dcm")])
        #expect(mismatched["status"] as? Int == 0xA900, "\(mismatched)")
        #expect(try statistics(server)["CountInstances"] as? Int == 0)
        #expect(storedFiles(server).isEmpty && temporaryFiles(server).isEmpty)
        // The association stayed usable after the failures: a good store on a new association works.
        #expect(try dcmtk("storescu", ["-aec", "SWIFTPACS", "127.0.0.1", String(server.dicomPort), file("CT_small.dcm")]).status == 0)
    }

    @Test func silentPeerIsAbortedAfterTheTimeout() throws {
        let server = try ServerProcess(config: ["DicomScpTimeout": 1])
        defer { server.stop() }
        let result = try dimseClient("idle", server)
        #expect((result["reply"] as? String ?? "").hasPrefix("07"), "A-ABORT expected: \(result)")
        #expect((result["waited"] as? Double ?? 0) >= 0.9)
        #expect(result["closed"] as? Bool == true)
    }

    @Test func garbageAndOversizePDUsAreAnsweredWithAbort() throws {
        let server = try ServerProcess()
        defer { server.stop() }
        let result = try dimseClient("garbage", server)
        let answers = result["answers"] as? [String] ?? []
        #expect(answers.count == 2)
        for answer in answers {
            #expect(answer.hasPrefix("07"), "expected an A-ABORT PDU, got \(answer)")
        }
        // The server is still up and serving.
        #expect(try dcmtk("echoscu", ["-aec", "SWIFTPACS", "127.0.0.1", String(server.dicomPort)]).status == 0)
    }
}

extension DataSet {
    /// storescu re-encodes what it sends: it drops group lengths and Data Set Trailing Padding
    /// (FFFC,FFFC); compare without them.
    func removingGroupLengthsForComparison() -> DataSet {
        var copy = self
        for e in elements where e.tag.isGroupLength || e.tag == Tag(0xFFFC_FFFC) { copy.remove(e.tag) }
        return copy
    }
}
