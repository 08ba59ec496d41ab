#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Archive
import DICOM
import DICOMNetwork
import Foundation
import Hummingbird
import Logging
import Server
import ServiceLifecycle
import Testing
import TestSupport

/// `/modalities` and `/associations`, served by a real `Application` on 127.0.0.1 and driven by
/// curl, with dcmtk's storescp as the remote modality.
@Suite struct ModalityRoutesTests {
    @Test func configurationRoundTripAndPersistence() async throws {
        try await ModalityTestServer.with { server in
            let (emptyStatus, empty) = try await server.curl([server.url("/modalities")])
            #expect(emptyStatus == 200)
            #expect(empty.trimmingCharacters(in: .whitespacesAndNewlines) == "[]")

            let (putStatus, putBody) = try await server.curlJSON([
                "-X", "PUT", "--data-binary", #"{"AET":"STORESCP","Host":"127.0.0.1","Port":11112,"AllowEcho":false}"#,
                server.url("/modalities/sample"),
            ])
            #expect(putStatus == 200, "\(putBody)")
            let (arrayStatus, _) = try await server.curl(["-X", "PUT", "--data-binary", #"["OTHER", "10.0.0.1", 104]"#,
                                                         server.url("/modalities/other")])
            #expect(arrayStatus == 200)

            let (_, names) = try await server.curlAny([server.url("/modalities")])
            #expect(names as? [String] == ["other", "sample"])
            let (_, expanded) = try await server.curlJSON([server.url("/modalities?expand")])
            #expect((expanded["other"] as? [String: Any])?["AET"] as? String == "OTHER")
            #expect((expanded["other"] as? [String: Any])?["Port"] as? Int == 104)
            #expect((expanded["sample"] as? [String: Any])?["AllowEcho"] as? Bool == false)
            let (_, operations) = try await server.curlAny([server.url("/modalities/sample")])
            #expect(operations as? [String] == ["echo", "store"])
            let (configurationStatus, configuration) = try await server.curlJSON([server.url("/modalities/sample/configuration")])
            #expect(configurationStatus == 200)
            #expect(configuration["AET"] as? String == "STORESCP")
            #expect(configuration["Host"] as? String == "127.0.0.1")
            #expect(configuration["Port"] as? Int == 11112)
            #expect(configuration["AllowEcho"] as? Bool == false)
            #expect(configuration["AllowStore"] as? Bool == true)

            // Validation errors name the field.
            let invalid: [(String, String)] = [
                (#"{"AET":"X","Host":"h","Port":70000}"#, "port"),
                (#"{"Host":"h","Port":104}"#, "AET"),
                (#"{"AET":"X","Host":"h","Port":104,"AllowStore":"yes"}"#, "AllowStore"),
                (#"{"AET":"THIS_AE_TITLE_IS_TOO_LONG","Host":"h","Port":104}"#, "AE title"),
                (#"["X", "h"]"#, "[AET, host, port]"),
                (#""just a string""#, "object"),
            ]
            for (body, field) in invalid {
                let (status, answer) = try await server.curlJSON(["-X", "PUT", "--data-binary", body, server.url("/modalities/bad")])
                #expect(status == 400, "\(body): \(answer)")
                #expect((answer["Message"] as? String ?? "").contains(field), "\(body): \(answer)")
            }
            let (jsonStatus, jsonAnswer) = try await server.curlJSON(["-X", "PUT", "--data-binary", "{\"AET\":", server.url("/modalities/bad")])
            #expect(jsonStatus == 400)
            #expect(jsonAnswer["OrthancError"] as? String == "Cannot parse a JSON document")

            // The edits are on disk: a new registry on the same file sees them.
            let reloaded = ModalityRegistry(modalities: [:], rules: .init(), persistencePath: server.modalitiesPath)
            #expect(Set(reloaded.all.keys) == ["other", "sample"])
            #expect(reloaded["sample"]?.allowEcho == false)
            #expect(reloaded["other"]?.port == 104)

            let (deleteStatus, _) = try await server.curl(["-X", "DELETE", server.url("/modalities/other")])
            #expect(deleteStatus == 200)
            let (againStatus, again) = try await server.curlJSON(["-X", "DELETE", server.url("/modalities/other")])
            #expect(againStatus == 404)
            #expect((again["Message"] as? String ?? "").contains("other"), "\(again)")
            let (getStatus, _) = try await server.curl([server.url("/modalities/other/configuration")])
            #expect(getStatus == 404)
            #expect(Set(ModalityRegistry(modalities: [:], rules: .init(), persistencePath: server.modalitiesPath).all.keys) == ["sample"])
        }
    }

    @Test func echoSucceedsOrSaysWhy() async throws {
        try await ModalityTestServer.with { server in
            try await withStorescp(["-aet", "STORESCP"]) { port, _ in
                try await withStorescp(["-aet", "STORESCP", "--refuse"]) { refusingPort, _ in
                    let closedPort = try freePort()
                    try await server.putModality("scp", aet: "STORESCP", port: port)
                    try await server.putModality("refusing", aet: "STORESCP", port: refusingPort)
                    try await server.putModality("closed", aet: "NOBODY", port: closedPort)

                    for body in ["{}", "", #"{"Timeout": 5}"#] {
                        let (status, answer) = try await server.curlJSON(["-X", "POST", "--data-binary", body,
                                                                          server.url("/modalities/scp/echo")])
                        #expect(status == 200, "\(body): \(answer)")
                        #expect(answer.isEmpty)
                    }

                    let (closedStatus, closed) = try await server.curlJSON(["-X", "POST", "--data-binary", "{}",
                                                                            server.url("/modalities/closed/echo")])
                    #expect(closedStatus == 500)
                    #expect(closed["OrthancError"] as? String == "Error in the network protocol", "\(closed)")
                    #expect(closed["OrthancStatus"] as? Int == 9)
                    let closedMessage = closed["Message"] as? String ?? ""
                    #expect(closedMessage.lowercased().contains("refused"), "\(closedMessage)")
                    #expect(closedMessage.contains("closed") && closedMessage.contains("\(closedPort)"), "\(closedMessage)")

                    let (refusedStatus, refused) = try await server.curlJSON(["-X", "POST", server.url("/modalities/refusing/echo")])
                    #expect(refusedStatus == 500)
                    let refusedMessage = refused["Message"] as? String ?? ""
                    #expect(refusedMessage.contains("rejected"), "\(refusedMessage)")
                    #expect(refusedMessage.contains("no-reason-given"), "\(refusedMessage)")

                    // A listener that never answers: the timeout of the body applies.
                    let (silentSocket, silentPort) = try ModalityTestPeer.silentListener()
                    defer { close(silentSocket) }
                    try await server.putModality("silent", aet: "SILENT", port: silentPort)
                    let started = ContinuousClock.now
                    let (silentStatus, silent) = try await server.curlJSON(["-X", "POST", "--data-binary", #"{"Timeout": 1}"#,
                                                                            server.url("/modalities/silent/echo")])
                    #expect(silentStatus == 500)
                    let silentMessage = silent["Message"] as? String ?? ""
                    #expect(silentMessage.contains("no answer") && silentMessage.contains("1 s"), "\(silentMessage)")
                    #expect(started.duration(to: .now) < .seconds(30))

                    let (badStatus, _) = try await server.curlJSON(["-X", "POST", "--data-binary", #"{"Timeout": "soon"}"#,
                                                                    server.url("/modalities/scp/echo")])
                    #expect(badStatus == 400)
                    // Options SwiftPACS refuses on purpose, with Orthanc's "not implemented" code and a reason.
                    let (checkFindStatus, checkFind) = try await server.curlJSON(["-X", "POST", "--data-binary", #"{"CheckFind": true}"#,
                                                                                  server.url("/modalities/scp/echo")])
                    #expect(checkFindStatus == 400)
                    #expect((checkFind["Message"] as? String ?? "").contains("C-FIND SCU"), "\(checkFind)")
                    let (unknownStatus, _) = try await server.curlJSON(["-X", "POST", server.url("/modalities/nobody/echo")])
                    #expect(unknownStatus == 404)

                    // The outgoing associations are in the log, newest first.
                    let (_, log) = try await server.curlAny([server.url("/associations")])
                    let traces = log as? [[String: Any]] ?? []
                    #expect(traces.count == 6, "\(traces)")
                    #expect(traces.first?["calledAETitle"] as? String == "SILENT")
                    #expect(traces.first?["outcome"] as? String == "aborted by SwiftPACS")
                    #expect(traces.dropFirst().first?["outcome"] as? String == "rejected")
                    #expect(traces.dropFirst(2).first?["outcome"] as? String == "connection closed")
                    let echoes = traces.filter { $0["outcome"] as? String == "released" }
                    #expect(echoes.count == 3)
                    #expect(echoes.allSatisfy { ($0["operations"] as? [[String: Any]])?.first?["service"] as? String == "C-ECHO" })
                    #expect(echoes.allSatisfy { $0["callingAETitle"] as? String == "SWIFTPACS" })
                }
            }
        }
    }

    /// A study of five instances (three CT, an implicit VR MR, a JPEG 2000 secondary capture)
    /// sent on one association; storescp writes what it receives bit for bit, and each data set
    /// is the stored one.
    @Test func storeStudyToDcmtk() async throws {
        try await ModalityTestServer.with { server in
            let study = try await server.uploadGeneratedStudy()
            try await withStorescp(["-aet", "STORESCP", "+B", "+xa"]) { port, received in
                try await server.putModality("scp", aet: "STORESCP", port: port)
                let (status, answer) = try await server.curlJSON([
                    "-X", "POST", "--data-binary", #"{"Resources": ["\#(study.studyID)"], "Timeout": 10}"#,
                    server.url("/modalities/scp/store"),
                ])
                #expect(status == 200, "\(answer)")
                #expect(answer["Description"] as? String == "REST API")
                #expect(answer["InstancesCount"] as? Int == 5)
                #expect(answer["FailedInstancesCount"] as? Int == 0, "\(answer)")
                #expect(answer["LocalAet"] as? String == "SWIFTPACS")
                #expect(answer["RemoteAet"] as? String == "STORESCP")
                #expect(answer["ParentResources"] as? [String] == [study.studyID])
                #expect((answer["Failures"] as? [Any])?.isEmpty == true)

                let byUID = try receivedFilesByInstanceUID(in: received)
                #expect(byUID.count == 5, "\(byUID.keys)")
                for original in study.files {
                    let uid = try DICOMFile(contentsOf: original, stopAt: .pixelData).dataSet.string(.sopInstanceUID) ?? ""
                    guard let copy = byUID[uid] else {
                        Issue.record("\(original) did not arrive")
                        continue
                    }
                    #expect(try ModalityTestPeer.dataSetBytes(original) == ModalityTestPeer.dataSetBytes(copy), "\(original)")
                }

                // An instance ID alone, and a series with one of its instances (sent once).
                let (oneStatus, one) = try await server.curlJSON(["-X", "POST", "--data-binary", "\"\(study.instanceIDs[0])\"",
                                                                  server.url("/modalities/scp/store")])
                #expect(oneStatus == 200 && one["InstancesCount"] as? Int == 1, "\(one)")
                let (listStatus, list) = try await server.curlJSON([
                    "-X", "POST", "--data-binary", #"["\#(study.ctSeriesID)", "\#(study.instanceIDs[0])"]"#,
                    server.url("/modalities/scp/store"),
                ])
                #expect(listStatus == 200 && list["InstancesCount"] as? Int == 3 && list["FailedInstancesCount"] as? Int == 0, "\(list)")

                let (unknownStatus, unknown) = try await server.curlJSON(["-X", "POST", "--data-binary", #"["nope"]"#,
                                                                          server.url("/modalities/scp/store")])
                #expect(unknownStatus == 404)
                #expect((unknown["Message"] as? String ?? "").contains("nope"))
                let (asyncStatus, _) = try await server.curlJSON([
                    "-X", "POST", "--data-binary", #"{"Resources": ["\#(study.studyID)"], "Asynchronous": true}"#,
                    server.url("/modalities/scp/store"),
                ])
                #expect(asyncStatus == 400)
                let (commitmentStatus, commitment) = try await server.curlJSON([
                    "-X", "POST", "--data-binary", #"{"Resources": ["\#(study.studyID)"], "StorageCommitment": true}"#,
                    server.url("/modalities/scp/store"),
                ])
                #expect(commitmentStatus == 400)
                #expect((commitment["Message"] as? String ?? "").contains("StorageCommitment"), "\(commitment)")
            }

            // A peer that takes uncompressed syntaxes only: the JPEG 2000 instance fails, with
            // the reason, the others arrive.
            try await withStorescp(["-aet", "STORESCP"]) { port, received in
                try await server.putModality("plain", aet: "STORESCP", port: port)
                let (status, answer) = try await server.curlJSON(["-X", "POST", "--data-binary", "\"\(study.studyID)\"",
                                                                  server.url("/modalities/plain/store")])
                #expect(status == 200, "\(answer)")
                #expect(answer["InstancesCount"] as? Int == 5)
                #expect(answer["FailedInstancesCount"] as? Int == 1)
                let failures = answer["Failures"] as? [[String: Any]] ?? []
                #expect(failures.first?["ID"] as? String == study.j2kInstanceID, "\(failures)")
                let message = failures.first?["Message"] as? String ?? ""
                #expect(message.contains("JPEG 2000"), "\(failures)")
                #expect(failures.first?["Status"] is NSNull)
                #expect(try receivedFilesByInstanceUID(in: received).count == 4)
            }

            // Nobody listening: no association, a 500 that says so.
            let closedPort = try freePort()
            try await server.putModality("closed", aet: "NOBODY", port: closedPort)
            let (closedStatus, closed) = try await server.curlJSON(["-X", "POST", "--data-binary", "\"\(study.studyID)\"",
                                                                    server.url("/modalities/closed/store")])
            #expect(closedStatus == 500)
            #expect((closed["Message"] as? String ?? "").lowercased().contains("refused"), "\(closed)")
        }
    }

    @Test func associationsShape() async throws {
        try await ModalityTestServer.with { server in
            let base = Date(timeIntervalSince1970: 1_800_000_000)
            for index in 1...3 {
                var trace = AssociationTrace(id: server.associations.makeID(), peerAddress: "10.0.0.\(index)", peerPort: 1000 + index,
                                             startedAt: base.addingTimeInterval(Double(index)))
                trace.callingAETitle = "MODALITY\(index)"
                trace.calledAETitle = "SWIFTPACS"
                trace.endedAt = base.addingTimeInterval(Double(index) + 0.5)
                trace.outcome = index == 2 ? .rejected : .released
                trace.reason = index == 2 ? "calling AE title \"MODALITY2\" is not in DicomModalities" : nil
                server.associations.associationEnded(trace)
            }
            let (status, any) = try await server.curlAny([server.url("/associations")])
            #expect(status == 200)
            let traces = any as? [[String: Any]] ?? []
            #expect(traces.map { $0["callingAETitle"] as? String } == ["MODALITY3", "MODALITY2", "MODALITY1"])
            #expect(traces.map { $0["id"] as? Int } == [3, 2, 1])
            let second = traces.dropFirst().first ?? [:]
            #expect(second["outcome"] as? String == "rejected")
            #expect((second["reason"] as? String ?? "").contains("DicomModalities"))
            #expect(second["peerAddress"] as? String == "10.0.0.2")
            #expect(second["peerPort"] as? Int == 1002)
            #expect(second["operations"] as? [Any] != nil)
            let formatter = ISO8601DateFormatter()
            #expect((second["startedAt"] as? String).flatMap(formatter.date(from:)) == base.addingTimeInterval(2), "\(second)")
            #expect((second["endedAt"] as? String).flatMap(formatter.date(from:)) != nil)

            let (_, limited) = try await server.curlAny([server.url("/associations?limit=2")])
            #expect((limited as? [Any])?.count == 2)
            let (badStatus, _) = try await server.curlJSON([server.url("/associations?limit=many")])
            #expect(badStatus == 400)
        }
    }
}

/// A SwiftPACS REST server (core and modality routes) on an ephemeral port over a fresh archive.
struct ModalityTestServer: Sendable {
    let directory: String
    let archive: Archive
    let modalities: ModalityRegistry
    let associations: AssociationLog
    let port: Int

    var modalitiesPath: String { directory + "/modalities.json" }

    func url(_ path: String) -> String { "http://127.0.0.1:\(port)\(path)" }

    static func with(_ body: (ModalityTestServer) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("swiftpacs-modalities-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var configuration = ArchiveConfiguration(storageDirectory: directory + "/storage", indexDirectory: directory + "/index")
        configuration.syncStorageArea = false
        var logger = Logger(label: "swiftpacs.modality-test")
        logger.logLevel = .warning
        let archive = try Archive(configuration: configuration, logger: logger)
        defer { archive.close() }
        let modalities = ModalityRegistry(modalities: [:], rules: .init(), persistencePath: directory + "/modalities.json")
        let associations = AssociationLog(logger: logger)

        let router = Router(context: SwiftPACSRequestContext.self)
        addRESTRoutes(to: router, archive: archive,
                      system: SystemInfo(name: "ModalityTest", version: "test", dicomAET: "SWIFTPACS", dicomPort: 4242,
                                         httpPort: 0, storageDirectory: configuration.storageDirectory))
        addModalityRoutes(to: router, archive: archive, modalities: modalities, associations: associations, localAETitle: "SWIFTPACS")
        let (ports, portSink) = AsyncStream.makeStream(of: Int.self)
        let app = Application(router: router,
                              server: .http1(configuration: .init(additionalChannelHandlers: [RESTExpectContinueHandler()])),
                              configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { channel in
                                  portSink.yield(channel.localAddress?.port ?? 0)
                                  portSink.finish()
                              }, logger: logger)
        let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
        let running = Task {
            defer { portSink.finish() }
            try await group.run()
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next(), port > 0 else {
            await group.triggerGracefulShutdown()
            try await running.value
            throw ModalityTestFailure("the server did not start")
        }
        do {
            try await body(ModalityTestServer(directory: directory, archive: archive, modalities: modalities,
                                              associations: associations, port: port))
        } catch {
            await group.triggerGracefulShutdown()
            _ = await running.result
            throw error
        }
        await group.triggerGracefulShutdown()
        try await running.value
    }

    func putModality(_ name: String, aet: String, port: Int) async throws {
        let (status, body) = try await curl(["-X", "PUT", "--data-binary", #"{"AET":"\#(aet)","Host":"127.0.0.1","Port":\#(port)}"#,
                                             url("/modalities/\(name)")])
        guard status == 200 else { throw ModalityTestFailure("PUT /modalities/\(name): \(status) \(body)") }
    }

    struct GeneratedStudy {
        var files: [String]
        var studyID: String
        var ctSeriesID: String
        var instanceIDs: [String]
        var j2kInstanceID: String
    }

    /// Five instances of one study made with pydicom from its test files (three explicit VR CT
    /// in one series, an implicit VR MR, a JPEG 2000 secondary capture), uploaded.
    func uploadGeneratedStudy() async throws -> GeneratedStudy {
        let folder = directory + "/study"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let make = try await runProcess("/usr/bin/env", ["python3", "-c", """
            import sys, pydicom
            from pydicom.data import get_testdata_file
            from pydicom.uid import generate_uid
            out = sys.argv[1]
            study, ct, mr, sc = generate_uid(), generate_uid(), generate_uid(), generate_uid()
            def save(name, source, series, number):
                ds = pydicom.dcmread(get_testdata_file(source))
                ds.PatientID = "SCU-TEST"
                ds.PatientName = "SCU^Test"
                ds.StudyInstanceUID = study
                ds.SeriesInstanceUID = series
                ds.SOPInstanceUID = generate_uid()
                ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
                ds.InstanceNumber = number
                ds.save_as(out + "/" + name)
            for i in range(3):
                save("ct%d.dcm" % i, "CT_small.dcm", ct, i + 1)
            save("mr.dcm", "MR_small_implicit.dcm", mr, 1)
            save("sc.dcm", "JPEG2000.dcm", sc, 1)
            """, folder])
        guard make.status == 0 else { throw ModalityTestFailure("generating the study failed: \(make.err)") }
        let files = ["ct0.dcm", "ct1.dcm", "ct2.dcm", "mr.dcm", "sc.dcm"].map { folder + "/" + $0 }
        var instanceIDs: [String] = []
        var studyID = "", ctSeriesID = ""
        for file in files {
            let (status, answer) = try await curlJSON(["--data-binary", "@" + file, url("/instances")])
            guard status == 200, let id = answer["ID"] as? String else { throw ModalityTestFailure("upload of \(file): \(answer)") }
            instanceIDs.append(id)
            studyID = answer["ParentStudy"] as? String ?? ""
            if file.hasSuffix("ct0.dcm") { ctSeriesID = answer["ParentSeries"] as? String ?? "" }
        }
        return GeneratedStudy(files: files, studyID: studyID, ctSeriesID: ctSeriesID, instanceIDs: instanceIDs,
                              j2kInstanceID: instanceIDs[4])
    }

    /// curl with the body saved to a file: (HTTP status, body).
    func curl(_ arguments: [String]) async throws -> (Int, String) {
        let output = directory + "/curl-\(UUID().uuidString).out"
        defer { try? FileManager.default.removeItem(atPath: output) }
        let result = try await runProcess("/usr/bin/curl", ["-s", "-S", "-w", "%{http_code}", "-o", output] + arguments)
        guard result.status == 0, let code = Int(result.out.suffix(3)) else {
            throw ModalityTestFailure("curl \(arguments) failed (\(result.status)): \(result.err)")
        }
        return (code, (try? String(contentsOfFile: output, encoding: .utf8)) ?? "")
    }

    func curlAny(_ arguments: [String]) async throws -> (Int, Any) {
        let (status, body) = try await curl(arguments)
        guard let value = try? JSONSerialization.jsonObject(with: Data(body.utf8), options: [.fragmentsAllowed]) else {
            throw ModalityTestFailure("not JSON (HTTP \(status)) from curl \(arguments): \(body)")
        }
        return (status, value)
    }

    func curlJSON(_ arguments: [String]) async throws -> (Int, [String: Any]) {
        let (status, value) = try await curlAny(arguments)
        guard let object = value as? [String: Any] else {
            throw ModalityTestFailure("not a JSON object (HTTP \(status)) from curl \(arguments): \(value)")
        }
        return (status, object)
    }
}

/// Helpers of these tests (storescp and processes: `TestSupport`).
enum ModalityTestPeer {
    /// The bytes after the File Meta Information (found by our parser).
    static func dataSetBytes(_ path: String) throws -> Data {
        let offset = try DICOMFile(contentsOf: path, stopAt: Tag(0)).dataSetEndOffset
        return try Data(contentsOf: URL(fileURLWithPath: path)).dropFirst(offset)
    }

    /// A listening socket nobody accepts on: connections complete, nothing is ever answered.
    static func silentListener() throws -> (socket: Int32, port: Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ModalityTestFailure("socket: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ready = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && listen(fd, 8) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard ready else {
            close(fd)
            throw ModalityTestFailure("listen: errno \(errno)")
        }
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }

}

struct ModalityTestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
