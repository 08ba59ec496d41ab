import Archive
import DICOM
import Foundation
import Hummingbird
import Logging
import Server
import ServiceLifecycle
import Testing
import TestSupport

/// The Orthanc-compatible REST API, served by a real `Application` on 127.0.0.1 and driven by
/// the real curl and by Python `requests` (Clients/rest_client.py), as Orthanc users drive Orthanc.
@Suite struct RESTRoutesTests {
    /// Every storable pydicom test file: `Success` on the first upload of its SOP instance,
    /// `AlreadyStored` after, Orthanc's IDs, and the file comes back byte-identical.
    @Test func curlUploadsPydicomTestFiles() async throws {
        let files = try await RESTTestServer.pydicomExpectations()
        try await RESTTestServer.with { server in
            var firstBySOP: [String: [String: Any]] = [:]
            for file in files {
                let path = file["file"] as! String, name = file["name"] as! String
                if file["skipped"] as? Bool == true { continue }
                let (status, answer) = try await server.curlJSON(["--data-binary", "@" + path, server.url("/instances")])
                guard file["storable"] as? Bool == true else {
                    #expect(status == 400, "\(name) lacks required UIDs: expected 400, got \(status) \(answer)")
                    #expect(answer["Status"] as? String == "Failure", "\(name): \(answer)")
                    #expect(!(answer["Message"] as? String ?? "").isEmpty, "\(name): a failure says why")
                    continue
                }
                let sop = file["sop"] as! String
                let ids = (firstBySOP[sop] ?? file)["ids"] as! [String: String]
                #expect(status == 200, "\(name): \(answer)")
                #expect(answer["Status"] as? String == (firstBySOP[sop] == nil ? "Success" : "AlreadyStored"), "\(name): \(answer)")
                #expect(answer["ID"] as? String == ids["instance"], "\(name): \(answer)")
                #expect(answer["ParentPatient"] as? String == ids["patient"], "\(name)")
                #expect(answer["ParentStudy"] as? String == ids["study"], "\(name)")
                #expect(answer["ParentSeries"] as? String == ids["series"], "\(name)")
                #expect(answer["Path"] as? String == "/instances/" + (ids["instance"] ?? ""), "\(name)")
                if firstBySOP[sop] == nil { firstBySOP[sop] = file }
            }
            #expect(firstBySOP.count > 30, "too few test files stored to prove anything")

            for file in firstBySOP.values {
                let path = file["file"] as! String, ids = file["ids"] as! [String: String]
                // A second upload of each stored file.
                let (status, answer) = try await server.curlJSON(["--data-binary", "@" + path, server.url("/instances")])
                #expect(status == 200 && answer["Status"] as? String == "AlreadyStored", "\(path): \(answer)")
                // The stored file, byte for byte.
                let copy = server.directory + "/download.dcm"
                let headers = server.directory + "/headers.txt"
                let (code, _) = try await server.curl(["-o", copy, "-D", headers, server.url("/instances/\(ids["instance"]!)/file")])
                #expect(code == 200)
                let cmp = try await runProcess("/usr/bin/cmp", [path, copy])
                #expect(cmp.status == 0, "\(path) came back different: \(cmp.out)")
                let head = (try? String(contentsOfFile: headers, encoding: .utf8)) ?? ""
                #expect(head.lowercased().contains("content-type: application/dicom"), "\(head)")
            }

            let (_, stats) = try await server.curlJSON([server.url("/statistics")])
            #expect(stats["CountInstances"] as? Int == firstBySOP.count)
        }
    }

    /// Lists, expand, paging, resource shapes, tags, find, delete, statistics, changes, gzip and
    /// ZIP uploads and error bodies, checked by a Python `requests` client.
    @Test func pythonRequestsScenario() async throws {
        let testFiles = try await RESTTestServer.pydicomTestFiles()
        try await RESTTestServer.with { server in
            let result = try await runProcess("/usr/bin/env", [
                "python3", RESTTestServer.clientScript, "scenario", server.url(""), testFiles, server.directory,
            ])
            #expect(result.status == 0, "Python client failures:\n\(result.err.suffix(6000))")
            #expect(result.out.contains("\"failures\": 0"), "\(result.out)")
        }
    }

    /// A truncated file is refused with a reason that names the place, and leaves nothing behind:
    /// statistics unchanged, no file in the storage area.
    @Test func truncatedUploadStoresNothing() async throws {
        let testFiles = try await RESTTestServer.pydicomTestFiles()
        try await RESTTestServer.with { server in
            let whole = try Data(contentsOf: URL(fileURLWithPath: testFiles + "/CT_small.dcm"))
            let truncated = server.directory + "/truncated.dcm"
            try whole.prefix(whole.count - 1000).write(to: URL(fileURLWithPath: truncated))
            let (_, before) = try await server.curlJSON([server.url("/statistics")])

            let (status, answer) = try await server.curlJSON(["--data-binary", "@" + truncated, server.url("/instances")])
            #expect(status == 400, "\(answer)")
            #expect(answer["Status"] as? String == "Failure")
            #expect(answer["HttpStatus"] as? Int == 400)
            #expect(answer["OrthancError"] as? String == "Bad file format")
            #expect(answer["Method"] as? String == "POST")
            #expect(answer["Uri"] as? String == "/instances")
            let message = answer["Message"] as? String ?? ""
            #expect(message.contains("(7fe0,0010)") || message.contains("(7FE0,0010)"), "the reason names the element: \(message)")
            #expect(message.contains("offset"), "the reason gives the offset: \(message)")

            let (_, after) = try await server.curlJSON([server.url("/statistics")])
            #expect(NSDictionary(dictionary: before) == NSDictionary(dictionary: after), "\(before) → \(after)")
            #expect(server.storedFiles().isEmpty, "files left in the storage area: \(server.storedFiles())")

            // Not DICOM at all, and an empty body.
            let text = server.directory + "/notes.txt"
            try Data(repeating: 0x41, count: 5000).write(to: URL(fileURLWithPath: text))
            let (textStatus, textAnswer) = try await server.curlJSON(["--data-binary", "@" + text, server.url("/instances")])
            #expect(textStatus == 400 && textAnswer["Status"] as? String == "Failure", "\(textAnswer)")
            let (emptyStatus, emptyAnswer) = try await server.curlJSON(["-X", "POST", server.url("/instances")])
            #expect(emptyStatus == 400, "\(emptyAnswer)")
            let (shortStatus, shortAnswer) = try await server.curlJSON(["--data-binary", "PK\u{03}", server.url("/instances")])
            #expect(shortStatus == 400 && shortAnswer["Status"] as? String == "Failure", "three bytes: \(shortAnswer)")
            #expect(server.storedFiles().isEmpty)
        }
    }

    /// A large file (curl sends `Expect: 100-continue` over 1 MiB) is answered `100 Continue`,
    /// streamed in, and comes back byte-identical.
    @Test func largeUploadWithExpectContinue() async throws {
        try await RESTTestServer.with { server in
            let big = server.directory + "/big.dcm"
            let make = try await runProcess("/usr/bin/env", ["python3", "-c", """
                import pydicom, os, sys
                from pydicom.data import get_testdata_file
                ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
                ds.Rows = ds.Columns = 1024
                ds.PixelData = os.urandom(1024 * 1024 * 2)
                ds.save_as(sys.argv[1])
                """, big])
            #expect(make.status == 0, "\(make.err)")
            let trace = server.directory + "/trace.txt"
            let (status, answer) = try await server.curlJSON(["-v", "--stderr", trace, "--data-binary", "@" + big, server.url("/instances")])
            #expect(status == 200 && answer["Status"] as? String == "Success", "\(answer)")
            let verbose = (try? String(contentsOfFile: trace, encoding: .utf8)) ?? ""
            #expect(verbose.contains("Expect: 100-continue"), "curl did not ask: \(verbose.suffix(2000))")
            #expect(verbose.contains("HTTP/1.1 100 Continue"), "no 100 Continue: \(verbose.suffix(2000))")
            let copy = server.directory + "/big-copy.dcm"
            let (code, _) = try await server.curl(["-o", copy, server.url("/instances/\(answer["ID"] as? String ?? "")/file")])
            #expect(code == 200)
            #expect(try await runProcess("/usr/bin/cmp", [big, copy]).status == 0)
        }
    }

    /// Error bodies as Orthanc writes them, for curl users.
    /// /tools/find matches person names case-insensitively beyond ASCII, through the server's own
    /// reader connections: pydicom's German and Greek character set files.
    @Test func findMatchesNamesBeyondASCII() async throws {
        let charsets = try await RESTTestServer.pydicomTestFiles().replacingOccurrences(of: "/test_files", with: "/charset_files")
        try await RESTTestServer.with { server in
            for file in ["chrGerm.dcm", "chrGreek.dcm"] {
                let (status, answer) = try await server.curlJSON(["--data-binary", "@" + charsets + "/" + file, server.url("/instances")])
                #expect(status == 200, "\(file): \(answer)")
            }
            for (name, expected) in [("äneas^rüdiger", 1), ("ÄNEAS*", 1), ("ΔΙΟΝΥΣΙΟΣ", 1), ("διον*", 1), ("Müller*", 0)] {
                let (status, body) = try await server.curl(["--data-binary", #"{"Level":"Patient","Query":{"PatientName":"\#(name)"}}"#,
                                                            server.url("/tools/find")])
                let ids = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [Any]
                #expect(status == 200 && ids?.count == expected, "\(name): \(status) \(body)")
            }
        }
    }

    @Test func errorsAreOrthancJSON() async throws {
        try await RESTTestServer.with { server in
            let (status, body) = try await server.curlJSON([server.url("/patients/nope")])
            #expect(status == 404)
            #expect(body["HttpError"] as? String == "Not Found")
            #expect(body["OrthancStatus"] as? Int == 17)
            #expect(body["OrthancError"] as? String == "Unknown resource")
            #expect((body["Message"] as? String ?? "").contains("nope"))

            let (routeStatus, routeBody) = try await server.curlJSON([server.url("/definitely/not/a/route")])
            #expect(routeStatus == 404)
            #expect(routeBody["HttpStatus"] as? Int == 404, "\(routeBody)")

            let (badStatus, badBody) = try await server.curlJSON(["--data-binary", "{\"Level\": \"Study\", ", server.url("/tools/find")])
            #expect(badStatus == 400)
            #expect(badBody["OrthancError"] as? String == "Cannot parse a JSON document", "\(badBody)")

            let (keyStatus, keyBody) = try await server.curlJSON([
                "--data-binary", #"{"Level":"Study","Query":{"PatientNam":"X*"}}"#, server.url("/tools/find"),
            ])
            #expect(keyStatus == 400)
            #expect((keyBody["Message"] as? String ?? "").contains("PatientNam"), "\(keyBody)")

            let (typeStatus, _) = try await server.curlJSON([
                "--data-binary", #"{"Level":"Study","Query":{"PatientName":42}}"#, server.url("/tools/find"),
            ])
            #expect(typeStatus == 400)

            let (listStatus, list) = try await server.curl([server.url("/studies")])
            #expect(listStatus == 200)
            #expect(list.trimmingCharacters(in: .whitespacesAndNewlines) == "[]")

            let (systemStatus, system) = try await server.curlJSON([server.url("/system")])
            #expect(systemStatus == 200)
            #expect(system["Name"] as? String == "RESTTest")
            #expect(system["StorageAreaPlugin"] is NSNull)
            #expect(system["PluginsEnabled"] as? Bool == false)
        }
    }
}

/// A SwiftPACS REST server on an ephemeral port over a fresh archive in a temporary directory.
struct RESTTestServer: Sendable {
    let directory: String
    let archive: Archive
    let port: Int

    func url(_ path: String) -> String { "http://127.0.0.1:\(port)\(path)" }

    static var clientScript: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Clients/rest_client.py").path
    }

    /// Runs `body` against a fresh server, and always stops the server afterwards.
    static func with(_ body: (RESTTestServer) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("swiftpacs-rest-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var configuration = ArchiveConfiguration(storageDirectory: directory + "/storage", indexDirectory: directory + "/index")
        configuration.syncStorageArea = false
        var logger = Logger(label: "swiftpacs.rest-test")
        logger.logLevel = .warning
        let archive = try Archive(configuration: configuration, logger: logger)
        defer { archive.close() }

        let router = Router(context: SwiftPACSRequestContext.self)
        addRESTRoutes(to: router, archive: archive,
                      system: SystemInfo(name: "RESTTest", version: "test", dicomAET: "SWIFTPACS", dicomPort: 4242,
                                         httpPort: 0, storageDirectory: configuration.storageDirectory))
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
            throw RESTTestFailure("the server did not start")
        }
        do {
            try await body(RESTTestServer(directory: directory, archive: archive, port: port))
        } catch {
            await group.triggerGracefulShutdown()
            _ = await running.result
            throw error
        }
        await group.triggerGracefulShutdown()
        try await running.value
    }

    /// Regular files under the storage area (the temporary directory included).
    func storedFiles() -> [String] {
        let root = archive.configuration.storageDirectory
        guard let walker = FileManager.default.enumerator(atPath: root) else { return [] }
        var files: [String] = []
        while let relative = walker.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: root + "/" + relative, isDirectory: &isDirectory), !isDirectory.boolValue {
                files.append(relative)
            }
        }
        return files
    }

    /// curl with the body saved to a file: (HTTP status, body).
    func curl(_ arguments: [String]) async throws -> (Int, String) {
        let output = directory + "/curl-\(UUID().uuidString).out"
        defer { try? FileManager.default.removeItem(atPath: output) }
        var args = ["-s", "-S", "-w", "%{http_code}"]
        if !arguments.contains("-o") { args += ["-o", output] }
        let result = try await runProcess("/usr/bin/curl", args + arguments)
        guard result.status == 0, let code = Int(result.out.suffix(3)) else {
            throw RESTTestFailure("curl \(arguments) failed (\(result.status)): \(result.err)")
        }
        return (code, (try? String(contentsOfFile: output, encoding: .utf8)) ?? "")
    }

    /// curl, with the answer parsed as a JSON object.
    func curlJSON(_ arguments: [String]) async throws -> (Int, [String: Any]) {
        let (status, body) = try await curl(arguments)
        guard let object = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any] else {
            throw RESTTestFailure("not a JSON object (HTTP \(status)) from curl \(arguments): \(body)")
        }
        return (status, object)
    }

    /// pydicom's test files directory.
    static func pydicomTestFiles() async throws -> String {
        let result = try await runProcess("/usr/bin/env", ["python3", "-c", "import pydicom,os;print(os.path.dirname(pydicom.__file__))"])
        guard result.status == 0 else { throw RESTTestFailure("pydicom is not installed: \(result.err)") }
        return result.out.trimmingCharacters(in: .whitespacesAndNewlines) + "/data/test_files"
    }

    /// What each test file should give (computed by the Python client from pydicom's reading).
    static func pydicomExpectations() async throws -> [[String: Any]] {
        let directory = try await pydicomTestFiles()
        let result = try await runProcess("/usr/bin/env", ["python3", clientScript, "expect", directory])
        guard result.status == 0, let list = try JSONSerialization.jsonObject(with: Data(result.out.utf8)) as? [[String: Any]] else {
            throw RESTTestFailure("rest_client.py expect failed: \(result.err)")
        }
        return list
    }
}

struct RESTTestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
