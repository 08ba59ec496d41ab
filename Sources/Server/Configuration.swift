import Archive
import Foundation

/// The server's configuration. Keys use Orthanc's names where Orthanc has the concept, so an
/// Orthanc configuration file mostly just works; unknown keys are warned about, invalid values
/// stop start-up with a message naming the key.
public struct Configuration: Sendable {
    public var name = "SwiftPACS"
    public var storageDirectory = "swiftpacs-data"
    public var indexDirectory = "swiftpacs-data"
    public var dicomAET = "SWIFTPACS"
    public var dicomPort = 4242
    public var httpPort = 8042
    public var httpServerEnabled = true
    public var dicomServerEnabled = true
    public var remoteAccessAllowed = false
    /// Orthanc (≥ 1.5.8): defaults to the value of RemoteAccessAllowed.
    public var authenticationEnabled: Bool?
    public var registeredUsers: [String: RegisteredUser] = [:]
    public var overwriteInstances = false
    public var syncStorageArea = true
    /// MB, as in Orthanc; 0 = no limit.
    public var maximumStorageSize = 0
    public var caseSensitivePN = false

    // DICOM network (PS3.7/PS3.8)
    public var dicomModalities: [String: Modality] = [:]
    public var dicomCheckCalledAET = false
    public var dicomCheckModalityHost = false
    public var strictAETComparison = false
    public var dicomAlwaysAllowEcho = true
    public var dicomAlwaysAllowStore = true
    public var dicomAlwaysAllowFind = false
    public var dicomAlwaysAllowMove = false
    public var dicomAlwaysAllowGet = false
    /// Transfer syntax UIDs accepted for storage, with `*` and `?` wildcards as Orthanc allows.
    public var acceptedTransferSyntaxes = ["1.2.840.10008.1.*"]
    public var unknownSopClassAccepted = false
    /// Seconds without activity before an association is aborted.
    public var dicomScpTimeout = 30
    public var dicomScuTimeout = 10
    /// Our maximum P-DATA-TF PDU length, announced in A-ASSOCIATE.
    public var maximumPduLength = 131072

    public struct RegisteredUser: Sendable, Equatable {
        /// A bcrypt hash (`$2a$`, `$2b$`, `$2y$`) or, for Orthanc compatibility, plaintext.
        public var password: String
        public var role: AuthenticatedUser.Role
        public var isPlaintext: Bool { !password.hasPrefix("$2") }
    }

    /// Messages for the log: unknown keys, plaintext passwords, Orthanc keys we ignore.
    public var warnings: [String] = []

    public init() {}

    public var isAuthenticationEnabled: Bool { authenticationEnabled ?? remoteAccessAllowed }

    /// The access rules of the modality whitelist.
    public var accessRules: ModalityRegistry.Rules {
        var r = ModalityRegistry.Rules()
        r.ourAET = dicomAET
        r.checkCalledAET = dicomCheckCalledAET
        r.checkModalityHost = dicomCheckModalityHost
        r.strictAETComparison = strictAETComparison
        r.alwaysAllowEcho = dicomAlwaysAllowEcho
        r.alwaysAllowStore = dicomAlwaysAllowStore
        r.alwaysAllowFind = dicomAlwaysAllowFind
        r.alwaysAllowMove = dicomAlwaysAllowMove
        r.alwaysAllowGet = dicomAlwaysAllowGet
        return r
    }

    public var archive: ArchiveConfiguration {
        var c = ArchiveConfiguration(storageDirectory: storageDirectory, indexDirectory: indexDirectory)
        c.syncStorageArea = syncStorageArea
        c.overwriteInstances = overwriteInstances
        c.maximumStorageSize = maximumStorageSize * 1024 * 1024
        return c
    }

    public struct Error: Swift.Error, CustomStringConvertible {
        public let description: String
    }

    /// Orthanc keys that belong to features SwiftPACS does not have (yet): accepted with a note.
    static let ignoredOrthancKeys: Set<String> = [
        "Plugins", "StorageCompression", "MaximumPatientCount", "StoreMD5ForAttachments", "LuaScripts",
        "DicomModalities", "DicomModalitiesInDatabase", "OrthancPeers", "OrthancPeersInDatabase",
        "DicomCheckCalledAet", "StrictAetComparison", "DefaultEncoding", "AcceptedTransferSyntaxes",
        "UnknownSopClassAccepted", "DicomScpTimeout", "DicomScuTimeout", "DicomThreadsCount", "MaximumPduLength",
        "DicomAlwaysAllowEcho", "DicomAlwaysAllowStore", "DicomAlwaysAllowFind", "DicomAlwaysAllowFindWorklist",
        "DicomAlwaysAllowGet", "DicomAlwaysAllowMove", "DicomCheckModalityHost", "SslEnabled", "SslCertificate",
        "StableAge", "SynchronousCMove", "LimitFindResults", "LimitFindInstances", "StorageAccessOnFind",
        "SaveJobs", "JobsHistorySize", "ConcurrentJobs", "MetricsEnabled", "ExecuteLuaEnabled",
        "RestApiWriteToFileSystemEnabled", "HttpDescribeErrors", "KeepAlive", "TcpNoDelay", "HttpThreadsCount",
        "HttpCompressionEnabled", "HttpTimeout", "HttpsVerifyPeers", "HttpsCACertificates", "DeidentifyLogs",
        "MallocArenaMax", "MaximumStorageCacheSize", "ExtraMainDicomTags", "DicomWeb", "OverwriteInstancesOnDuplicate",
        "TranscodeDicomProtocol", "IngestTranscoding", "DicomLossyTranscodingQuality", "WebDavEnabled",
        "WebDavDeleteAllowed", "WebDavUploadAllowed", "UserMetadata", "UserContentType", "Dictionary",
        "LoadPrivateDictionary", "QueryRetrieveSize", "CheckRevisions", "SynchronousZipStream", "ZipLoaderThreads",
        "DicomTlsEnabled", "DicomTlsCertificate", "DicomTlsPrivateKey", "DicomTlsTrustedCertificates",
        "DicomTlsRemoteCertificateRequired", "DicomAssociationCloseDelay", "DicomEchoChecksFind",
        "DicomScuPreferredTransferSyntax", "BuiltinDecoderTranscoderOrder", "MediaArchiveSize", "ConcurrentJobs",
    ]

    /// Reads a JSON configuration file (Orthanc's format: JSON with `//` and `/* */` comments).
    public static func load(path: String) throws -> Configuration {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Error(description: "cannot read the configuration file \(path)")
        }
        let text = stripComments(String(decoding: data, as: UTF8.self))
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(text.utf8))
        } catch {
            throw Error(description: "\(path) is not valid JSON: \(error.localizedDescription)")
        }
        guard let dict = object as? [String: Any] else {
            throw Error(description: "\(path): the configuration must be a JSON object")
        }
        return try Configuration(dictionary: dict, source: path)
    }

    public init(dictionary dict: [String: Any], source: String = "configuration") throws {
        self.init()
        func fail(_ key: String, _ expected: String) -> Error {
            Error(description: "\(source): invalid value for \"\(key)\": expected \(expected), got \(dict[key].map { "\($0)" } ?? "nothing")")
        }
        func string(_ key: String) throws -> String? {
            guard let v = dict[key] else { return nil }
            guard let s = v as? String else { throw fail(key, "a string") }
            return s
        }
        func bool(_ key: String) throws -> Bool? {
            guard let v = dict[key] else { return nil }
            guard let n = v as? NSNumber, CFGetTypeIDIsBool(n) else { throw fail(key, "true or false") }
            return n.boolValue
        }
        func int(_ key: String, _ range: ClosedRange<Int>) throws -> Int? {
            guard let v = dict[key] else { return nil }
            guard let n = v as? NSNumber, !CFGetTypeIDIsBool(n), let i = Int(exactly: n.doubleValue), range.contains(i) else {
                throw fail(key, "an integer in \(range.lowerBound)...\(range.upperBound)")
            }
            return i
        }

        let known: Set<String> = ["Name", "StorageDirectory", "IndexDirectory", "DicomAet", "DicomPort", "HttpPort",
                                  "HttpServerEnabled", "DicomServerEnabled", "RemoteAccessAllowed", "AuthenticationEnabled",
                                  "RegisteredUsers", "OverwriteInstances", "SyncStorageArea", "MaximumStorageSize",
                                  "MaximumStorageMode", "CaseSensitivePN", "DicomModalities", "DicomModalitiesInDatabase",
                                  "DicomCheckCalledAet", "DicomCheckModalityHost", "StrictAetComparison",
                                  "DicomAlwaysAllowEcho", "DicomAlwaysAllowStore", "DicomAlwaysAllowFind",
                                  "DicomAlwaysAllowMove", "DicomAlwaysAllowGet", "AcceptedTransferSyntaxes",
                                  "UnknownSopClassAccepted", "DicomScpTimeout", "DicomScuTimeout", "MaximumPduLength"]
        for key in dict.keys.sorted() where !known.contains(key) {
            if Self.ignoredOrthancKeys.contains(key) {
                warnings.append("\(source): Orthanc option \"\(key)\" is not supported by SwiftPACS yet; ignored")
            } else {
                warnings.append("\(source): unknown option \"\(key)\"; ignored (check its spelling)")
            }
        }

        name = try string("Name") ?? name
        storageDirectory = try string("StorageDirectory") ?? storageDirectory
        indexDirectory = try string("IndexDirectory") ?? storageDirectory
        if storageDirectory.isEmpty { throw fail("StorageDirectory", "a non-empty path") }
        if let aet = try string("DicomAet") {
            guard !aet.isEmpty, aet.count <= 16, aet.allSatisfy({ $0.isASCII && $0 != "\\" && !$0.isNewline }) else {
                throw fail("DicomAet", "1 to 16 ASCII characters without backslash (PS3.5 AE)")
            }
            dicomAET = aet
        }
        dicomPort = try int("DicomPort", 0...65535) ?? dicomPort
        httpPort = try int("HttpPort", 0...65535) ?? httpPort
        httpServerEnabled = try bool("HttpServerEnabled") ?? httpServerEnabled
        dicomServerEnabled = try bool("DicomServerEnabled") ?? dicomServerEnabled
        remoteAccessAllowed = try bool("RemoteAccessAllowed") ?? remoteAccessAllowed
        authenticationEnabled = try bool("AuthenticationEnabled")
        overwriteInstances = try bool("OverwriteInstances") ?? overwriteInstances
        syncStorageArea = try bool("SyncStorageArea") ?? syncStorageArea
        caseSensitivePN = try bool("CaseSensitivePN") ?? caseSensitivePN
        maximumStorageSize = try int("MaximumStorageSize", 0...Int(Int32.max)) ?? 0
        if let mode = try string("MaximumStorageMode"), mode != "Reject" {
            throw fail("MaximumStorageMode", "\"Reject\" (SwiftPACS never deletes data to make room)")
        }

        dicomCheckCalledAET = try bool("DicomCheckCalledAet") ?? dicomCheckCalledAET
        dicomCheckModalityHost = try bool("DicomCheckModalityHost") ?? dicomCheckModalityHost
        strictAETComparison = try bool("StrictAetComparison") ?? strictAETComparison
        dicomAlwaysAllowEcho = try bool("DicomAlwaysAllowEcho") ?? dicomAlwaysAllowEcho
        dicomAlwaysAllowStore = try bool("DicomAlwaysAllowStore") ?? dicomAlwaysAllowStore
        dicomAlwaysAllowFind = try bool("DicomAlwaysAllowFind") ?? dicomAlwaysAllowFind
        dicomAlwaysAllowMove = try bool("DicomAlwaysAllowMove") ?? dicomAlwaysAllowMove
        dicomAlwaysAllowGet = try bool("DicomAlwaysAllowGet") ?? dicomAlwaysAllowGet
        _ = try bool("DicomModalitiesInDatabase")
        unknownSopClassAccepted = try bool("UnknownSopClassAccepted") ?? unknownSopClassAccepted
        dicomScpTimeout = try int("DicomScpTimeout", 0...86400) ?? dicomScpTimeout
        dicomScuTimeout = try int("DicomScuTimeout", 0...86400) ?? dicomScuTimeout
        maximumPduLength = try int("MaximumPduLength", 4096...131072) ?? maximumPduLength
        if let list = dict["AcceptedTransferSyntaxes"] {
            if let one = list as? String { acceptedTransferSyntaxes = [one] }
            else if let many = list as? [String], !many.isEmpty { acceptedTransferSyntaxes = many }
            else { throw fail("AcceptedTransferSyntaxes", "a UID pattern or a list of them") }
        }
        if let modalities = dict["DicomModalities"] {
            guard let object = modalities as? [String: Any] else { throw fail("DicomModalities", "an object of name: modality") }
            for (name, value) in object {
                do {
                    dicomModalities[name] = try Modality(json: value, name: name)
                } catch let error as Error {
                    throw Error(description: "\(source): \(error.description)")
                }
            }
        }

        if let users = dict["RegisteredUsers"] {
            guard let users = users as? [String: Any] else { throw fail("RegisteredUsers", "an object of user: password") }
            for (user, value) in users {
                if let password = value as? String {
                    registeredUsers[user] = RegisteredUser(password: password, role: .admin)
                } else if let object = value as? [String: Any], let password = object["Password"] as? String {
                    let roleText = object["Role"] as? String ?? "admin"
                    guard let role = AuthenticatedUser.Role(rawValue: roleText) else {
                        throw Error(description: "\(source): invalid \"Role\" for user \"\(user)\" in \"RegisteredUsers\": \(roleText) (read-only, read-write or admin)")
                    }
                    registeredUsers[user] = RegisteredUser(password: password, role: role)
                } else {
                    throw Error(description: "\(source): invalid entry for user \"\(user)\" in \"RegisteredUsers\": a password string or {\"Password\": ..., \"Role\": ...}")
                }
                if registeredUsers[user]!.isPlaintext {
                    warnings.append("\(source): the password of user \"\(user)\" is in plaintext; store a bcrypt hash instead (swiftpacs passwd \(user))")
                }
            }
        }
    }

    /// JSON with comments → JSON (comments inside strings are kept).
    static func stripComments(_ text: String) -> String {
        var out: [UInt8] = []
        let b = Array(text.utf8)
        var i = 0
        var inString = false
        while i < b.count {
            let c = b[i]
            if inString {
                out.append(c)
                if c == 0x5C, i + 1 < b.count { out.append(b[i + 1]); i += 2; continue }
                if c == 0x22 { inString = false }
                i += 1
            } else if c == 0x22 {
                inString = true; out.append(c); i += 1
            } else if c == 0x2F, i + 1 < b.count, b[i + 1] == 0x2F {
                while i < b.count, b[i] != 0x0A { i += 1 }
            } else if c == 0x2F, i + 1 < b.count, b[i + 1] == 0x2A {
                i += 2
                while i + 1 < b.count, !(b[i] == 0x2A && b[i + 1] == 0x2F) { i += 1 }
                i += 2
            } else {
                out.append(c); i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// JSONSerialization gives booleans as NSNumber; tell them from numbers.
func CFGetTypeIDIsBool(_ n: NSNumber) -> Bool {
    String(cString: n.objCType) == "c" && (n == NSNumber(value: true) || n == NSNumber(value: false))
}
