import Archive
import DICOM
import Foundation
import Hummingbird
import NIOCore

/// What `/system` reports about this server.
public struct SystemInfo: Sendable {
    public var name: String
    public var version: String
    /// Orthanc's REST API version this API follows (Orthanc 1.12.x reports 22 and up).
    public var apiVersion: Int
    public var dicomAET: String
    public var dicomPort: Int
    public var httpPort: Int
    /// Not shown by `/system` (Orthanc does not show it either).
    public var storageDirectory: String
    public var isHTTPServerSecure: Bool
    public var overwriteInstances: Bool
    /// Megabytes, 0 = no limit (Orthanc's unit).
    public var maximumStorageSize: Int
    public var maximumPatientCount: Int
    /// Seconds without a new instance after which a resource is stable (`StableAge`).
    public var stableAge: Int
    /// Default of `/tools/find`'s `CaseSensitive` (`CaseSensitivePN`).
    public var caseSensitivePN: Bool

    public init(name: String, version: String, dicomAET: String, dicomPort: Int, httpPort: Int,
                storageDirectory: String, apiVersion: Int = 22, isHTTPServerSecure: Bool = false,
                overwriteInstances: Bool = false, maximumStorageSize: Int = 0, maximumPatientCount: Int = 0,
                stableAge: Int = 60, caseSensitivePN: Bool = false) {
        self.name = name
        self.version = version
        self.apiVersion = apiVersion
        self.dicomAET = dicomAET
        self.dicomPort = dicomPort
        self.httpPort = httpPort
        self.storageDirectory = storageDirectory
        self.isHTTPServerSecure = isHTTPServerSecure
        self.overwriteInstances = overwriteInstances
        self.maximumStorageSize = maximumStorageSize
        self.maximumPatientCount = maximumPatientCount
        self.stableAge = stableAge
        self.caseSensitivePN = caseSensitivePN
    }
}

/// Registers Orthanc's core REST API (the shapes Orthanc 1.12 answers with, so its scripts and
/// clients work unchanged):
///
/// - `POST /instances` (DICOM file, ZIP of files, or either gzip-encoded)
/// - `GET /patients|/studies|/series|/instances` (`?expand`, `?limit`, `?since`), `GET /{level}/{id}`,
///   `DELETE /{level}/{id}`, children (`/studies/{id}/series`, `/patients/{id}/instances`, ...)
///   and parents (`/instances/{id}/study`, ...)
/// - `GET /instances/{id}/file`, `/instances/{id}/tags` (`?simplify`, `?short`), `/instances/{id}/simplified-tags`
/// - `POST /tools/find`, `GET /statistics`, `GET /system`, `GET /changes`
///
/// Errors are answered in Orthanc's JSON error format. Requests no route matches get a 404 in
/// that format too: `RESTErrorMiddleware` is added after the routes, so it covers the not-found
/// responder (and routes added later) but not routes added before this call.
///
/// Install `RESTExpectContinueHandler` in the HTTP/1 pipeline too, or every curl upload over
/// 1 MiB waits a second for a `100 Continue` that never comes.
public func addRESTRoutes(to router: Router<SwiftPACSRequestContext>, archive: Archive, system: SystemInfo) {
    let api = RESTAPI(archive: archive, system: system)

    router.post("/instances", use: api.wrap { request, context in
        try await RESTUpload.handle(request, context: context, archive: archive)
    })

    for level in ResourceLevel.allCases {
        let collection = "/" + level.collection
        router.get(RouterPath(collection), use: api.wrap { request, _ in try api.list(level, request) })
        router.get(RouterPath(collection + "/:id"), use: api.wrap { request, context in
            try api.get(level, try context.resourceID())
        })
        router.delete(RouterPath(collection + "/:id"), use: api.wrap { _, context in
            try await api.delete(level, try context.resourceID())
        })
        for target in ResourceLevel.allCases where target.isBelow(level) {
            router.get(RouterPath(collection + "/:id/" + target.collection), use: api.wrap { request, context in
                try api.descendants(level, try context.resourceID(), target, request)
            })
        }
        for target in ResourceLevel.allCases where level.isBelow(target) {
            router.get(RouterPath(collection + "/:id/" + target.singular), use: api.wrap { _, context in
                try api.ancestor(level, try context.resourceID(), target)
            })
        }
    }

    router.get("/instances/:id/file", use: api.wrap { _, context in try await api.file(try context.resourceID(), context) })
    router.get("/instances/:id/tags", use: api.wrap { request, context in
        let format: RESTFormatter.TagsFormat =
            try request.flag("simplify") == true ? .simplified : try request.flag("short") == true ? .short : .full
        return try api.tags(try context.resourceID(), format: format, request)
    })
    router.get("/instances/:id/simplified-tags", use: api.wrap { request, context in
        try api.tags(try context.resourceID(), format: .simplified, request)
    })

    router.post("/tools/find", use: api.wrap { request, context in try await api.find(request, context) })
    router.get("/statistics", use: api.wrap { _, _ in try api.statistics() })
    router.get("/system", use: api.wrap { _, _ in api.systemInfo() })
    router.get("/changes", use: api.wrap { request, _ in try api.changes(request) })

    router.add(middleware: RESTErrorMiddleware<SwiftPACSRequestContext>())
}

/// The handlers behind `addRESTRoutes`. Reads go through `ResourceQueries`; the shapes are
/// `RESTFormatter`'s.
struct RESTAPI: Sendable {
    let archive: Archive
    let system: SystemInfo
    let formatter: RESTFormatter

    init(archive: Archive, system: SystemInfo) {
        self.archive = archive
        self.system = system
        formatter = RESTFormatter(stableAge: system.stableAge)
    }

    typealias Handler = @Sendable (Request, SwiftPACSRequestContext) async throws -> Response

    /// Every error leaves as an Orthanc-style JSON error with a reason, never a bare 500.
    func wrap(_ handler: @escaping Handler) -> Handler {
        { request, context in
            do {
                return try await handler(request, context)
            } catch {
                throw RESTError(error)
            }
        }
    }

    // MARK: Resources

    func list(_ level: ResourceLevel, _ request: Request) throws -> Response {
        let since = try request.integer("since") ?? 0
        let limit = try request.integer("limit")
        if try request.flag("expand") == true {
            let resources = try archive.index.resources(level, since: since, limit: limit)
            return RESTResponse.json(.array(resources.map { formatter.resource($0) }))
        }
        return RESTResponse.json(.strings(try archive.index.publicIDs(level, since: since, limit: limit)))
    }

    func get(_ level: ResourceLevel, _ id: String) throws -> Response {
        guard let resource = try archive.index.resource(level, publicID: id) else { throw Self.unknown(level, id) }
        return RESTResponse.json(formatter.resource(resource))
    }

    func delete(_ level: ResourceLevel, _ id: String) async throws -> Response {
        guard let outcome = try await archive.ingestor.delete(level: level, publicID: id) else { throw Self.unknown(level, id) }
        let remaining: RESTJSON = outcome.remainingAncestor.map { ancestor in
            .object([
                "ID": .string(ancestor.publicID),
                "Path": .string("/\(ancestor.level.collection)/\(ancestor.publicID)"),
                "Type": .string(ancestor.level.rawValue),
            ])
        } ?? .null
        return RESTResponse.json(.object(["RemainingAncestor": remaining]))
    }

    /// `/studies/{id}/instances` and the like: expanded resources (Orthanc's answer), or their
    /// IDs with `?expand=false`.
    func descendants(_ level: ResourceLevel, _ id: String, _ target: ResourceLevel, _ request: Request) throws -> Response {
        guard let ids = try archive.index.descendantIDs(of: level, publicID: id, at: target) else {
            throw Self.unknown(level, id)
        }
        if try request.flag("expand") == false { return RESTResponse.json(.strings(ids)) }
        let resources = try archive.index.resources(target, publicIDs: ids)
        return RESTResponse.json(.array(resources.map { formatter.resource($0) }))
    }

    /// `/instances/{id}/study` and the like: the ancestor's resource object.
    func ancestor(_ level: ResourceLevel, _ id: String, _ target: ResourceLevel) throws -> Response {
        guard let ancestorID = try archive.index.ancestorID(of: level, publicID: id, at: target),
              let resource = try archive.index.resource(target, publicID: ancestorID) else {
            throw Self.unknown(level, id)
        }
        return RESTResponse.json(formatter.resource(resource))
    }

    static func unknown(_ level: ResourceLevel, _ id: String) -> RESTError {
        .notFound("unknown \(level.rawValue.lowercased()) \"\(id)\"")
    }

    // MARK: Instances

    func storedFile(_ id: String) throws -> (info: InstanceFileInfo, path: String) {
        guard let info = try archive.index.instanceFile(publicID: id) else { throw Self.unknown(.instance, id) }
        let path = archive.store.path(forHash: info.fileHash)
        guard FileManager.default.fileExists(atPath: path) else {
            throw RESTError(.internalServerError, .inexistentFile,
                            "the stored file \(info.fileHash) of instance \(id) is missing (run swiftpacs check)")
        }
        return (info, path)
    }

    /// The stored file, streamed from disk.
    func file(_ id: String, _ context: SwiftPACSRequestContext) async throws -> Response {
        let (_, path) = try storedFile(id)
        let body = try await FileIO().loadFile(path: path, context: context)
        return Response(status: .ok, headers: [.contentType: "application/dicom"], body: body)
    }

    func tags(_ id: String, format: RESTFormatter.TagsFormat, _ request: Request) throws -> Response {
        let (_, path) = try storedFile(id)
        let header: RESTStoredHeader
        do {
            header = try RESTStoredHeader(path: path)
        } catch {
            throw RESTError(.internalServerError, .badFileFormat, "cannot read the stored file of instance \(id): \(error)")
        }
        var ignoreLength: Set<Tag> = []
        for list in request.uri.queryParameters[values: "ignore-length"] {
            for name in list.split(separator: ",") {
                ignoreLength.insert(try Self.tag(named: String(name), field: "ignore-length"))
            }
        }
        return RESTResponse.json(RESTFormatter.tags(header.dataSet, format: format, pixelData: header.hasPixelData,
                                                        ignoreLength: ignoreLength))
    }

    /// A tag by keyword (`PatientName`) or number (`0010,0010`, `00100010`); 400 otherwise.
    static func tag(named name: String, field: String) throws -> Tag {
        if let tag = DataDictionary.tag(forKeyword: name) ?? Tag(orthancFormat: name) { return tag }
        throw RESTError(.badRequest, .unknownDicomTag, "unknown DICOM tag \"\(name)\" in \(field)")
    }

    // MARK: /tools/find

    /// Orthanc's `/tools/find`: `{"Level", "Query": {keyword: value}, "Expand", "Limit", "Since",
    /// "CaseSensitive", "RequestedTags", "Labels", "LabelsConstraint"}`, matched by the shared
    /// query engine (`QueryMatcher`), so C-FIND, QIDO-RS and this route agree.
    func find(_ request: Request, _ context: SwiftPACSRequestContext) async throws -> Response {
        let body = try await request.body.collect(upTo: context.maxUploadSize)
        let json = try RESTJSON.parse(body.readableBytesView)
        guard let object = json.objectValue else {
            throw RESTError.badRequest("the body of /tools/find must be a JSON object, not \(json.typeName)")
        }
        let known: Set<String> = ["Level", "Query", "Expand", "Limit", "Since", "CaseSensitive", "RequestedTags",
                                  "Labels", "LabelsConstraint", "Full", "Short", "Simplify"]
        if let unknown = object.keys.sorted().first(where: { !known.contains($0) }) {
            throw RESTError.badRequest("unsupported field \"\(unknown)\" in /tools/find")
        }

        guard let levelName = object["Level"]?.stringValue else {
            throw RESTError.badRequest("/tools/find needs \"Level\": \"Patient\", \"Study\", \"Series\" or \"Instance\"")
        }
        guard let level = ResourceLevel(orthancName: levelName) else {
            throw RESTError.badRequest("unknown Level \"\(levelName)\" (Patient, Study, Series or Instance)")
        }

        var keys: [QueryKey] = []
        if let query = object["Query"] {
            guard let members = query.objectValue else {
                throw RESTError.badRequest("\"Query\" must be a JSON object, not \(query.typeName)")
            }
            for (name, value) in members.sorted(by: { $0.key < $1.key }) {
                let tag = try Self.tag(named: name, field: "Query")
                guard let text = value.stringValue else {
                    throw RESTError.badRequest("tag \"\(name)\" in Query should be associated with a string, not \(value.typeName)")
                }
                keys.append(QueryKey(tag, value: text))
            }
        }

        var requested: [(name: String, tag: Tag)] = []
        if let list = object["RequestedTags"] {
            guard let items = list.arrayValue else { throw RESTError.badRequest("\"RequestedTags\" must be an array of tags") }
            for item in items {
                guard let name = item.stringValue else { throw RESTError.badRequest("\"RequestedTags\" must be an array of strings") }
                let tag = try Self.tag(named: name, field: "RequestedTags")
                requested.append((RESTFormatter.tagName(tag) ?? tag.orthancFormat, tag))
                // Asked as return keys so that computed keys (NumberOfStudyRelatedInstances...) come back.
                if !keys.contains(where: { $0.tag == tag }) { keys.append(QueryKey(tag)) }
            }
        }

        func integer(_ field: String) throws -> Int? {
            guard let value = object[field] else { return nil }
            guard let n = value.intValue, n >= 0 else {
                throw RESTError.badRequest("\"\(field)\" must be a non-negative integer, not \(value.compactText)")
            }
            return n
        }
        func boolean(_ field: String) throws -> Bool? {
            guard let value = object[field] else { return nil }
            guard let b = value.boolValue else { throw RESTError.badRequest("\"\(field)\" must be a boolean, not \(value.compactText)") }
            return b
        }
        let limit = try integer("Limit")
        let since = try integer("Since") ?? 0
        let expand = try boolean("Expand") ?? false
        let caseSensitive = try boolean("CaseSensitive") ?? system.caseSensitivePN

        // No resource carries labels (yet): "All"/"Any" of some labels match nothing.
        if let labels = object["Labels"]?.arrayValue, !labels.isEmpty {
            let constraint = object["LabelsConstraint"]?.stringValue ?? "All"
            guard ["All", "Any", "None"].contains(constraint) else {
                throw RESTError.badRequest("\"LabelsConstraint\" must be \"All\", \"Any\" or \"None\"")
            }
            if constraint != "None" { return RESTResponse.json(.array([])) }
        }

        // Orthanc's Limit 0 means no limit.
        let query = Query(level: level, keys: keys, limit: limit == 0 ? nil : limit, offset: since,
                          caseSensitivePN: caseSensitive)
        if !expand {
            return RESTResponse.json(.strings(try archive.index.findIDs(query)))
        }
        let found = try archive.index.find(query)
        return RESTResponse.json(.array(found.map { item in
            var json = formatter.resource(item.resource)
            if !requested.isEmpty, case .object(var members) = json {
                members["RequestedTags"] = .object(Self.requestedTags(requested, item.match))
                json = .object(members)
            }
            return json
        }))
    }

    /// The requested tags' values from the match: the entity's and its ancestors' recorded
    /// attributes, then the computed keys. Tags the index does not record are left out.
    static func requestedTags(_ requested: [(name: String, tag: Tag)], _ match: QueryMatch) -> [String: RESTJSON] {
        var values: [String: RESTJSON] = [:]
        for level in ResourceLevel.allCases.reversed() {
            guard let tags = match.tags[level] else { continue }
            for (key, value) in RESTFormatter.mainDicomTags(tags) where values[key] == nil { values[key] = value }
        }
        var out: [String: RESTJSON] = [:]
        for (name, tag) in requested {
            if let computed = match.computed[tag] {
                out[name] = .string(computed)
            } else if let value = values[name] {
                out[name] = value
            }
        }
        return out
    }

    // MARK: System

    func statistics() throws -> Response {
        let s = try archive.index.statistics()
        let megabyte = 1024 * 1024
        return RESTResponse.json(.object([
            "CountPatients": .int(s.patients),
            "CountStudies": .int(s.studies),
            "CountSeries": .int(s.series),
            "CountInstances": .int(s.instances),
            "TotalDiskSize": .string(String(s.totalFileSize)),
            "TotalDiskSizeMB": .int(s.totalFileSize / megabyte),
            "TotalUncompressedSize": .string(String(s.totalFileSize)),
            "TotalUncompressedSizeMB": .int(s.totalFileSize / megabyte),
        ]))
    }

    func systemInfo() -> Response {
        var mainTags: [String: RESTJSON] = [:]
        for level in ResourceLevel.allCases {
            mainTags[level.rawValue] = .string(level.attributes.map(\.orthancFormat).joined(separator: ";"))
        }
        return RESTResponse.json(.object([
            "ApiVersion": .int(system.apiVersion),
            "Capabilities": .object(["HasExtendedChanges": .bool(false), "HasExtendedFind": .bool(false)]),
            "CheckRevisions": .bool(false),
            "DatabaseBackendPlugin": .null,
            "DatabaseServerIdentifier": .string(""),
            "DatabaseVersion": .int(ResourceQueries.schemaVersion),
            "DicomAet": .string(system.dicomAET),
            "DicomPort": .int(system.dicomPort),
            "HasLabels": .bool(false),
            "HttpPort": .int(system.httpPort),
            "IngestTranscoding": .string(""),
            "IsHttpServerSecure": .bool(system.isHTTPServerSecure),
            "MainDicomTags": .object(mainTags),
            "MaximumPatientCount": .int(system.maximumPatientCount),
            "MaximumStorageMode": .string("Reject"),
            "MaximumStorageSize": .int(system.maximumStorageSize),
            "Name": .string(system.name),
            "OverwriteInstances": .bool(system.overwriteInstances),
            "PluginsEnabled": .bool(false),
            "ReadOnly": .bool(false),
            "StorageAreaPlugin": .null,
            "StorageCompression": .bool(false),
            "UserMetadata": .object([:]),
            "Version": .string(system.version),
        ]))
    }

    /// `/changes?since=&limit=` (and `?last`): `{"Changes": [...], "Done", "Last"}`.
    func changes(_ request: Request) throws -> Response {
        func format(_ c: ChangeRecord) -> RESTJSON {
            .object([
                "ChangeType": .string(c.changeType),
                "Date": .string(c.date),
                "ID": .string(c.publicID),
                "Path": .string("/\(c.level.collection)/\(c.publicID)"),
                "ResourceType": .string(c.level.rawValue),
                "Seq": .int(c.seq),
            ])
        }
        if request.uri.queryParameters.has("last") {
            let last = try archive.index.lastChange()
            return RESTResponse.json(.object([
                "Changes": .array(last.map { [format($0)] } ?? []),
                "Done": .bool(true),
                "Last": .int(last?.seq ?? 0),
            ]))
        }
        let since = Int64(try request.integer("since") ?? 0)
        let limit = min(try request.integer("limit") ?? 100, 10_000)
        let (changes, done) = try archive.index.changes(since: since, limit: limit)
        return RESTResponse.json(.object([
            "Changes": .array(changes.map(format)),
            "Done": .bool(done),
            "Last": .int(changes.last?.seq ?? since),
        ]))
    }
}

extension ResourceLevel {
    /// Orthanc's resource type names, any case, singular or plural (`Study`, `studies`).
    fileprivate init?(orthancName name: String) {
        switch name.lowercased() {
        case "patient", "patients": self = .patient
        case "study", "studies": self = .study
        case "series": self = .series
        case "instance", "instances": self = .instance
        default: return nil
        }
    }

    /// The path component naming one parent: `/instances/{id}/study`.
    fileprivate var singular: String { rawValue.lowercased() }

    /// True when `self` is a level under `other` (Instance is below Study).
    fileprivate func isBelow(_ other: ResourceLevel) -> Bool {
        ResourceLevel.allCases.firstIndex(of: self)! > ResourceLevel.allCases.firstIndex(of: other)!
    }
}

extension SwiftPACSRequestContext {
    /// The `:id` path parameter.
    fileprivate func resourceID() throws -> String {
        guard let id = parameters.get("id"), !id.isEmpty else { throw RESTError.badRequest("missing resource ID in the URI") }
        return id
    }
}

extension Request {
    /// Orthanc's boolean arguments: absent → nil; present with no value, `true` or `1` → true;
    /// `false` or `0` → false; anything else is a 400.
    func flag(_ name: String) throws -> Bool? {
        guard let value = uri.queryParameters[Substring(name)] else { return nil }
        switch value.lowercased() {
        case "", "true", "1": return true
        case "false", "0": return false
        default: throw RESTError.badRequest("argument \"\(name)\" must be a boolean, not \"\(value)\"")
        }
    }

    /// A non-negative integer argument, nil when absent.
    func integer(_ name: String) throws -> Int? {
        guard let value = uri.queryParameters[Substring(name)] else { return nil }
        guard let n = Int(value), n >= 0 else {
            throw RESTError.badRequest("argument \"\(name)\" must be a non-negative integer, not \"\(value)\"")
        }
        return n
    }
}
