import Foundation
import Testing
@testable import Server

@Suite struct ConfigurationTests {
    @Test func orthancStyleFileWithCommentsLoads() throws {
        let text = """
        // An Orthanc configuration file
        {
          "Name" : "MyOrthanc", /* block comment */
          "StorageDirectory" : "/tmp/x // not a comment",
          "DicomAet" : "ORTHANC",
          "DicomPort" : 4242,
          "RemoteAccessAllowed" : true,
          "RegisteredUsers" : { "alice" : "alicePassword" },
          "StorageCompression" : false,
          "Plugins" : [ ],
          "SomethingMisspelt" : 1
        }
        """
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cfg-\(UUID()).json").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let c = try Configuration.load(path: path)
        #expect(c.name == "MyOrthanc")
        #expect(c.storageDirectory == "/tmp/x // not a comment")
        #expect(c.indexDirectory == c.storageDirectory)
        #expect(c.dicomAET == "ORTHANC")
        #expect(c.isAuthenticationEnabled, "Orthanc: AuthenticationEnabled defaults to RemoteAccessAllowed")
        #expect(c.registeredUsers["alice"]?.isPlaintext == true)
        #expect(c.warnings.contains { $0.contains("\"SomethingMisspelt\"") && $0.contains("unknown") })
        #expect(c.warnings.contains { $0.contains("\"StorageCompression\"") && $0.contains("not supported") })
        #expect(c.warnings.contains { $0.contains("plaintext") && $0.contains("alice") })
    }

    @Test func invalidValuesNameTheKey() throws {
        let cases: [([String: Any], String)] = [
            (["HttpPort": "8042"], "HttpPort"),
            (["HttpPort": 70000], "HttpPort"),
            (["DicomAet": "THIS-AE-TITLE-IS-TOO-LONG"], "DicomAet"),
            (["SyncStorageArea": 1], "SyncStorageArea"),
            (["MaximumStorageMode": "Recycle"], "MaximumStorageMode"),
            (["RegisteredUsers": ["bob": ["Password": "x", "Role": "superuser"]]], "Role"),
        ]
        for (dict, key) in cases {
            do {
                _ = try Configuration(dictionary: dict)
                Issue.record("\(dict) was accepted")
            } catch {
                #expect("\(error)".contains(key), "\(error)")
            }
        }
    }

    @Test func embeddedDefault() {
        let c = Configuration()
        #expect(c.storageDirectory == "swiftpacs-data" && c.dicomPort == 4242 && c.httpPort == 8042 && c.dicomAET == "SWIFTPACS")
        #expect(!c.isAuthenticationEnabled && !c.remoteAccessAllowed)
    }
}

@Suite(.serialized) struct AuthenticationTests {

    @Test func basicAuthWithRoles() throws {
        let bcrypted = try passwd("s3cret")
        let server = try ServerProcess(config: [
            "AuthenticationEnabled": true,
            "RegisteredUsers": [
                "admin": bcrypted,
                "viewer": ["Password": bcrypted, "Role": "read-only"],
                "legacy": "plain-password",
            ],
        ])
        defer { server.stop() }
        let url = server.baseURL + "/statistics"
        #expect(try curl([url]).status == 401)
        #expect(try curl(["-u", "admin:wrong", url]).status == 401)
        #expect(try curl(["-u", "nobody:s3cret", url]).status == 401)
        #expect(try curl(["-u", "admin:s3cret", url]).status == 200)
        #expect(try curl(["-u", "admin:s3cret", url]).status == 200, "the second request uses the verified-credentials cache")
        #expect(try curl(["-u", "legacy:plain-password", url]).status == 200)
        #expect(try curl(["-u", "viewer:s3cret", url]).status == 200)
        let upload = try curl(["-u", "viewer:s3cret", "--data-binary", "x", server.baseURL + "/instances"])
        #expect(upload.status == 403)
        #expect(upload.body.contains("read-only"))
        let unauthorized = try curl(["-i", url])
        #expect(unauthorized.body.lowercased().contains("www-authenticate: basic"))
    }

    @Test func loopbackOnlyServerNeedsNoCredentials() throws {
        let server = try ServerProcess()
        defer { server.stop() }
        #expect(try curl([server.baseURL + "/system"]).status == 200)
    }

    @Test func remoteAccessWithoutUsersGeneratesCredentials() throws {
        let server = try ServerProcess(config: ["RemoteAccessAllowed": true])
        defer { server.stop() }
        let passwordFile = server.directory + "/data/generated-admin-password.txt"
        let password = try String(contentsOfFile: passwordFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(password.count >= 20)
        let attributes = try FileManager.default.attributesOfItem(atPath: passwordFile)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect(try curl([server.baseURL + "/system"]).status == 401)
        #expect(try curl(["-u", "admin:\(password)", server.baseURL + "/system"]).status == 200)
        // From another address of this host (not loopback), credentials are required too.
        if let address = nonLoopbackAddress() {
            #expect(try curl(["http://\(address):\(server.httpPort)/system"]).status == 401)
        }
    }

    func passwd(_ password: String) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try swiftpacsBinary())
        p.arguments = ["passwd", "someone", "--cost", "4"]
        let input = Pipe(), output = Pipe()
        p.standardInput = input
        p.standardOutput = output
        try p.run()
        input.fileHandleForWriting.write(Data((password + "\n").utf8))
        try input.fileHandleForWriting.close()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        // "someone" : "$2b$04$..."
        let parts = text.split(separator: "\"")
        guard let hash = parts.first(where: { $0.hasPrefix("$2") }) else { throw TestFailure("unexpected passwd output: \(text)") }
        return String(hash)
    }
}

/// An IPv4 address of this host other than loopback, if it has one.
func nonLoopbackAddress() -> String? {
    var list: UnsafeMutablePointer<ifaddrs>?
    guard getifaddrs(&list) == 0, let first = list else { return nil }
    defer { freeifaddrs(list) }
    var cursor: UnsafeMutablePointer<ifaddrs>? = first
    while let entry = cursor {
        defer { cursor = entry.pointee.ifa_next }
        guard let addr = entry.pointee.ifa_addr, addr.pointee.sa_family == sa_family_t(AF_INET) else { continue }
        var host = [CChar](repeating: 0, count: 64)
        getnameinfo(addr, socklen_t(MemoryLayout<sockaddr_in>.size), &host, 64, nil, 0, NI_NUMERICHOST)
        let text = String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if !text.hasPrefix("127.") { return text }
    }
    return nil
}

@Suite struct ShippedConfigurationTests {
    static let configDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Config").path

    /// Config/swiftpacs.json is the embedded default, written down.
    @Test func defaultFileEqualsTheEmbeddedDefault() throws {
        let c = try Configuration.load(path: Self.configDirectory + "/swiftpacs.json")
        let d = Configuration()
        #expect(c.warnings.isEmpty, "\(c.warnings)")
        #expect(c.name == d.name && c.storageDirectory == d.storageDirectory && c.indexDirectory == d.indexDirectory)
        #expect(c.dicomAET == d.dicomAET && c.dicomPort == d.dicomPort && c.httpPort == d.httpPort)
        #expect(c.remoteAccessAllowed == d.remoteAccessAllowed && c.overwriteInstances == d.overwriteInstances)
        #expect(c.syncStorageArea == d.syncStorageArea && c.maximumStorageSize == d.maximumStorageSize)
    }

    /// The container's configuration loads cleanly and requires authentication.
    @Test func dockerConfigurationIsValid() throws {
        let c = try Configuration.load(path: Self.configDirectory + "/../Docker/swiftpacs.json")
        #expect(c.warnings.isEmpty, "\(c.warnings)")
        #expect(c.isAuthenticationEnabled && c.remoteAccessAllowed)
    }

    /// Config/example.json sets every key SwiftPACS knows, without a warning.
    @Test func exampleFileIsCompleteAndValid() throws {
        let c = try Configuration.load(path: Self.configDirectory + "/example.json")
        #expect(c.warnings.isEmpty, "\(c.warnings)")
        #expect(c.registeredUsers["viewer"]?.role == .readOnly)
        #expect(c.registeredUsers["alice"]?.isPlaintext == false)
    }
}
