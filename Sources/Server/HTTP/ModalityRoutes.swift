import Archive
import DICOM
import DICOMNetwork
import Foundation
import Hummingbird
import NIOCore

/// Registers Orthanc's modality routes and the association log:
///
/// - `GET /modalities` (names; `?expand`: name → configuration), `GET /modalities/{id}`
///   (`["echo", "store"]`), `GET /modalities/{id}/configuration`
/// - `PUT /modalities/{id}` with `{"AET", "Host", "Port", "Manufacturer", "AllowEcho", ...}` or
///   `[AET, host, port]`, persisted by the registry; `DELETE /modalities/{id}`
/// - `POST /modalities/{id}/echo` (body empty, `{}` or `{"Timeout": seconds}`): C-ECHO SCU,
///   `{}` on success, otherwise a 500 whose `Message` says why (the A-ASSOCIATE-RJ reasons, the
///   refused connection, the timeout, the status)
/// - `POST /modalities/{id}/store` with an ID, a list of IDs, or `{"Resources": [...],
///   "Timeout": seconds, "LocalAet": ...}` (patients, studies, series or instances): C-STORE SCU
///   of all their instances on one association, answered as Orthanc answers a synchronous store,
///   plus `Failures` (ID, status, error comment and message of each instance not stored)
/// - `GET /associations` (`?limit=N`): the traces of recent associations, newest first, both
///   the ones peers opened and the ones these routes open
///
/// Outgoing associations call with `localAETitle` (or the store body's `LocalAet`), time out
/// after `defaultTimeout` without an answer unless the body gives a `Timeout` (0: none), and
/// report their traces to `associations`.
public func addModalityRoutes(to router: Router<SwiftPACSRequestContext>, archive: Archive, modalities: ModalityRegistry,
                              associations: AssociationLog, localAETitle: String, defaultTimeout: Duration = .seconds(10)) {
    let api = ModalityAPI(archive: archive, modalities: modalities, associations: associations, localAETitle: localAETitle,
                          defaultTimeout: defaultTimeout)
    router.get("/modalities", use: api.wrap { request, _ in try api.list(request) })
    router.get("/modalities/:id", use: api.wrap { _, context in try api.operations(try context.modalityName()) })
    router.get("/modalities/:id/configuration", use: api.wrap { _, context in
        try api.configuration(try context.modalityName())
    })
    router.put("/modalities/:id", use: api.wrap { request, context in
        try await api.put(try context.modalityName(), request, context)
    })
    router.delete("/modalities/:id", use: api.wrap { _, context in try api.delete(try context.modalityName()) })
    router.post("/modalities/:id/echo", use: api.wrap { request, context in
        try await api.echo(try context.modalityName(), request, context)
    })
    router.post("/modalities/:id/store", use: api.wrap { request, context in
        try await api.store(try context.modalityName(), request, context)
    })
    router.get("/associations", use: api.wrap { request, _ in try api.associationList(request) })
}

/// The handlers behind `addModalityRoutes`.
struct ModalityAPI: Sendable {
    let archive: Archive
    let modalities: ModalityRegistry
    let associations: AssociationLog
    let localAETitle: String
    let defaultTimeout: Duration

    typealias Handler = @Sendable (Request, SwiftPACSRequestContext) async throws -> Response

    /// Every error leaves as an Orthanc-style JSON error.
    func wrap(_ handler: @escaping Handler) -> Handler {
        { request, context in
            do {
                return try await handler(request, context)
            } catch {
                throw RESTError(error)
            }
        }
    }

    // MARK: Configuration

    func list(_ request: Request) throws -> Response {
        let all = modalities.all
        if try request.flag("expand") == true {
            return RESTResponse.json(.object(all.mapValues(Self.json)))
        }
        return RESTResponse.json(.strings(all.keys.sorted()))
    }

    func operations(_ name: String) throws -> Response {
        _ = try modality(name)
        return RESTResponse.json(.strings(["echo", "store"]))
    }

    func configuration(_ name: String) throws -> Response {
        RESTResponse.json(Self.json(try modality(name)))
    }

    func put(_ name: String, _ request: Request, _ context: SwiftPACSRequestContext) async throws -> Response {
        let body = try await request.body.collect(upTo: context.maxUploadSize)
        guard body.readableBytes > 0 else {
            throw RESTError.badRequest("PUT /modalities/\(name) needs a body: {\"AET\", \"Host\", \"Port\", ...} or [AET, host, port]")
        }
        let parsed = try RESTJSON.parse(body.readableBytesView)
        guard parsed.objectValue != nil || parsed.arrayValue != nil else {
            throw RESTError.badRequest("the modality must be a JSON object {\"AET\", \"Host\", \"Port\", ...} or an array [AET, host, port], not \(parsed.typeName)")
        }
        let value = try JSONSerialization.jsonObject(with: Data(body.readableBytesView), options: [.fragmentsAllowed])
        let modality: Modality
        do {
            modality = try Modality(json: value, name: name)
        } catch let error as Configuration.Error {
            throw RESTError.badRequest(error.description.replacingOccurrences(of: "invalid DicomModalities entry", with: "invalid modality"))
        }
        do {
            try modalities.set(modality, name: name)
        } catch {
            throw RESTError(.internalServerError, .cannotWriteFile, "cannot save the modality \"\(name)\": \(error)")
        }
        return RESTResponse.json(.object([:]))
    }

    func delete(_ name: String) throws -> Response {
        let removed: Bool
        do {
            removed = try modalities.remove(name: name)
        } catch {
            throw RESTError(.internalServerError, .cannotWriteFile, "cannot save the modalities after removing \"\(name)\": \(error)")
        }
        guard removed else { throw Self.unknownModality(name) }
        return RESTResponse.json(.object([:]))
    }

    func modality(_ name: String) throws -> Modality {
        guard let modality = modalities[name] else { throw Self.unknownModality(name) }
        return modality
    }

    static func unknownModality(_ name: String) -> RESTError {
        RESTError(.notFound, .inexistentItem, "unknown modality \"\(name)\"")
    }

    static func json(_ modality: Modality) -> RESTJSON {
        .object([
            "AET": .string(modality.aet),
            "Host": .string(modality.host),
            "Port": .int(modality.port),
            "Manufacturer": .string(modality.manufacturer),
            "AllowEcho": .bool(modality.allowEcho),
            "AllowStore": .bool(modality.allowStore),
            "AllowFind": .bool(modality.allowFind),
            "AllowMove": .bool(modality.allowMove),
            "AllowGet": .bool(modality.allowGet),
        ])
    }

    // MARK: C-ECHO SCU

    func echo(_ name: String, _ request: Request, _ context: SwiftPACSRequestContext) async throws -> Response {
        let modality = try modality(name)
        var timeout = defaultTimeout
        if let body = try await Self.jsonBody(request, context) {
            guard let object = body.objectValue else {
                throw RESTError.badRequest("the body of /modalities/{id}/echo must be a JSON object, not \(body.typeName)")
            }
            try Self.checkFields(object, known: ["Timeout", "CheckFind"], route: "/modalities/{id}/echo")
            if let value = object["Timeout"] { timeout = try Self.timeout(value) }
            if let value = object["CheckFind"] {
                guard let check = value.boolValue else { throw RESTError.badRequest("\"CheckFind\" must be a boolean, not \(value.compactText)") }
                if check { throw RESTError(.badRequest, .notImplemented, "\"CheckFind\": SwiftPACS has no C-FIND SCU") }
            }
        }
        let requestor = makeRequestor(modality, callingAETitle: localAETitle, timeout: timeout)
        let status: DIMSEStatus
        do {
            status = try await Self.echo(requestor)
        } catch {
            throw Self.networkError("C-ECHO to modality \"\(name)\" (\(Self.describe(modality))) failed: \(error)")
        }
        guard status.isSuccess else {
            throw Self.networkError("C-ECHO to modality \"\(name)\" (\(Self.describe(modality))) failed: the peer answered \(status.description(for: .cEchoRSP))")
        }
        return RESTResponse.json(.object([:]))
    }

    static func echo(_ requestor: AssociationRequestor) async throws(SCUError) -> DIMSEStatus {
        let association = try await requestor.open(proposing: [.verification])
        let status: DIMSEStatus
        do {
            status = try await association.echo()
        } catch {
            await association.abort()
            throw error
        }
        // The echo has its answer: a peer that then botches the release does not change it.
        try? await association.release()
        return status
    }

    // MARK: C-STORE SCU

    struct StoreFailure {
        var id: String
        var status: DIMSEStatus?
        var errorComment: String?
        var message: String

        var json: RESTJSON {
            .object([
                "ID": .string(id),
                "Status": status.map { .string($0.description(for: .cStoreRSP)) } ?? .null,
                "ErrorComment": .optional(errorComment),
                "Message": .string(message),
            ])
        }
    }

    func store(_ name: String, _ request: Request, _ context: SwiftPACSRequestContext) async throws -> Response {
        let modality = try modality(name)
        guard let body = try await Self.jsonBody(request, context) else {
            throw RESTError.badRequest("POST /modalities/\(name)/store needs the resources to send: an ID, a list of IDs, or {\"Resources\": [...]}")
        }
        var resources: [String] = []
        var timeout = defaultTimeout
        var callingAETitle = localAETitle
        switch body {
        case .string(let id):
            resources = [id]
        case .array(let items):
            resources = try Self.identifiers(items, field: "the body")
        case .object(let object):
            try Self.checkFields(object, known: ["Resources", "Timeout", "LocalAet", "Synchronous", "Asynchronous", "Permissive",
                                                 "StorageCommitment", "MoveOriginatorAet", "MoveOriginatorID", "Priority"],
                                 route: "/modalities/{id}/store")
            guard let list = object["Resources"] else { throw RESTError.badRequest("\"Resources\" is required: the IDs to send") }
            if let id = list.stringValue {
                resources = [id]
            } else if let items = list.arrayValue {
                resources = try Self.identifiers(items, field: "\"Resources\"")
            } else {
                throw RESTError.badRequest("\"Resources\" must be an array of IDs, not \(list.typeName)")
            }
            if let value = object["Timeout"] { timeout = try Self.timeout(value) }
            if let value = object["LocalAet"] {
                guard let aet = value.stringValue, !aet.isEmpty, aet.count <= 16 else {
                    throw RESTError.badRequest("\"LocalAet\" must be an AE title of 1 to 16 characters, not \(value.compactText)")
                }
                callingAETitle = aet
            }
            if try Self.boolean(object, "Synchronous") == false || Self.boolean(object, "Asynchronous") == true {
                throw RESTError(.badRequest, .notImplemented, "asynchronous stores (jobs) are not supported: the store runs while the request waits")
            }
            if try Self.boolean(object, "StorageCommitment") == true {
                throw RESTError(.badRequest, .notImplemented, "\"StorageCommitment\" is not supported")
            }
            // Permissive: each instance's failure is reported in "Failures" whatever its value.
            _ = try Self.boolean(object, "Permissive")
        default:
            throw RESTError.badRequest("the body of /modalities/{id}/store must be an ID, an array of IDs or an object, not \(body.typeName)")
        }

        let instances = try resolveInstances(resources)
        var failures: [StoreFailure] = []
        if !instances.isEmpty {
            failures = try await send(instances, to: modality, name: name, callingAETitle: callingAETitle, timeout: timeout)
        }
        return RESTResponse.json(.object([
            "Description": .string("REST API"),
            "FailedInstancesCount": .int(failures.count),
            "InstancesCount": .int(instances.count),
            "LocalAet": .string(callingAETitle),
            "RemoteAet": .string(modality.aet),
            "ParentResources": .strings(resources),
            "Failures": .array(failures.map(\.json)),
        ]))
    }

    /// The instances below each resource, in order, each once, with its stored file (nil when
    /// it was deleted meanwhile).
    func resolveInstances(_ resources: [String]) throws -> [(id: String, file: InstanceFileInfo?)] {
        try archive.index.read { db in
            var seen = Set<String>()
            var instances: [(id: String, file: InstanceFileInfo?)] = []
            for id in resources {
                guard let level = try ResourceQueries.level(ofPublicID: id, on: db) else {
                    throw RESTError.notFound("unknown resource \"\(id)\" (not a patient, study, series or instance)")
                }
                let ids = level == .instance
                    ? [id] : try ResourceQueries.descendantIDs(of: level, publicID: id, at: .instance, on: db) ?? []
                for instance in ids where seen.insert(instance).inserted {
                    instances.append((instance, try ResourceQueries.instanceFile(publicID: instance, on: db)))
                }
            }
            return instances
        }
    }

    /// Sends the instances on one association; the failures, one per instance not stored. Fails
    /// (500) only when there is no association at all.
    func send(_ instances: [(id: String, file: InstanceFileInfo?)], to modality: Modality, name: String, callingAETitle: String,
              timeout: Duration) async throws -> [StoreFailure] {
        let files = instances.compactMap(\.file)
        let contexts = ProposedContext.storage(for: files.map { ($0.sopClassUID, $0.transferSyntaxUID) })
        let requestor = makeRequestor(modality, callingAETitle: callingAETitle, timeout: timeout)
        let association: SCUAssociation
        do {
            association = try await requestor.open(proposing: contexts)
        } catch {
            throw Self.networkError("C-STORE to modality \"\(name)\" (\(Self.describe(modality))) failed: \(error)")
        }
        var failures: [StoreFailure] = []
        var ended: SCUError? = nil
        for instance in instances {
            guard let file = instance.file else {
                failures.append(StoreFailure(id: instance.id, message: "the instance was deleted before it could be sent"))
                continue
            }
            if let ended {
                failures.append(StoreFailure(id: instance.id, message: "not sent: \(ended)"))
                continue
            }
            do {
                let (status, comment) = try await association.store(fileAt: archive.store.path(forHash: file.fileHash))
                if !(status.isSuccess || status.isWarning) {
                    failures.append(StoreFailure(id: instance.id, status: status, errorComment: comment,
                                                 message: "\(modality.aet) answered \(status.description(for: .cStoreRSP))"
                                                     + (comment.map { ": \($0)" } ?? "")))
                }
            } catch {
                failures.append(StoreFailure(id: instance.id, message: error.description))
                if !error.leavesAssociationUsable || !association.isEstablished { ended = error }
            }
        }
        if association.isEstablished {
            do {
                try await association.release()
            } catch {
                // Every instance has its answer already; a botched release changes none of them.
            }
        }
        return failures
    }

    // MARK: Associations

    func associationList(_ request: Request) throws -> Response {
        var traces = associations.recent
        if let limit = try request.integer("limit") { traces = Array(traces.prefix(limit)) }
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(traces)
        return Response(status: .ok,
                        headers: [.contentType: "application/json", .contentLength: String(data.count)],
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    // MARK: Helpers

    func makeRequestor(_ modality: Modality, callingAETitle: String, timeout: Duration) -> AssociationRequestor {
        var requestor = AssociationRequestor(callingAETitle: callingAETitle, calledAETitle: modality.aet, host: modality.host,
                                             port: modality.port, timeout: timeout)
        requestor.observer = associations
        requestor.traceID = associations.makeID()
        return requestor
    }

    static func describe(_ modality: Modality) -> String { "\(modality.aet) at \(modality.host):\(modality.port)" }

    /// Orthanc reports DICOM network failures as error 9, "Error in the network protocol".
    static func networkError(_ message: String) -> RESTError {
        var error = RESTError(.internalServerError, .internalError, message)
        error.extra = ["OrthancError": .string("Error in the network protocol"), "OrthancStatus": .int(9)]
        return error
    }

    /// The body as JSON; nil when it is empty.
    static func jsonBody(_ request: Request, _ context: SwiftPACSRequestContext) async throws -> RESTJSON? {
        let body = try await request.body.collect(upTo: context.maxUploadSize)
        guard body.readableBytesView.contains(where: { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }) else { return nil }
        return try RESTJSON.parse(body.readableBytesView)
    }

    static func checkFields(_ object: [String: RESTJSON], known: Set<String>, route: String) throws {
        if let unknown = object.keys.sorted().first(where: { !known.contains($0) }) {
            throw RESTError.badRequest("unsupported field \"\(unknown)\" in \(route) (known: \(known.sorted().joined(separator: ", ")))")
        }
    }

    static func identifiers(_ items: [RESTJSON], field: String) throws -> [String] {
        try items.map { item in
            guard let id = item.stringValue, !id.isEmpty else {
                throw RESTError.badRequest("\(field) must list resource IDs as strings, not \(item.compactText)")
            }
            return id
        }
    }

    static func boolean(_ object: [String: RESTJSON], _ field: String) throws -> Bool? {
        guard let value = object[field] else { return nil }
        guard let b = value.boolValue else { throw RESTError.badRequest("\"\(field)\" must be a boolean, not \(value.compactText)") }
        return b
    }

    /// Orthanc's `Timeout`: seconds, 0 for none.
    static func timeout(_ value: RESTJSON) throws -> Duration {
        guard case .number(let text) = value, let seconds = Double(text), seconds >= 0, seconds.isFinite else {
            throw RESTError.badRequest("\"Timeout\" must be a number of seconds (0: none), not \(value.compactText)")
        }
        return seconds == 0 ? .seconds(365 * 24 * 3600) : .milliseconds(Int64((seconds * 1000).rounded()))
    }
}

extension SwiftPACSRequestContext {
    /// The `:id` path parameter of the modality routes.
    fileprivate func modalityName() throws -> String {
        guard let name = parameters.get("id"), !name.isEmpty else { throw RESTError.badRequest("missing modality name in the URI") }
        return name
    }
}

