import Archive
import DICOM
import Hummingbird
import NIOCore

/// Orthanc's error codes (OrthancFramework `Enumerations.h`), as its JSON error bodies report
/// them in `OrthancStatus` / `OrthancError`.
enum RESTErrorCode: Int, Sendable {
    case internalError = -1
    case notImplemented = 2
    case parameterOutOfRange = 3
    case inexistentItem = 7
    case badRequest = 8
    case database = 11
    case uriSyntax = 12
    case inexistentFile = 13
    case cannotWriteFile = 14
    case badFileFormat = 15
    case unknownResource = 17
    case incompatibleDatabaseVersion = 18
    case fullStorage = 19
    case inexistentTag = 21
    case unknownDicomTag = 27
    case badJson = 28
    case unauthorized = 29
    case emptyRequest = 33
    case notAcceptable = 34
    case forbiddenAccess = 45

    /// Orthanc's description of the code (`EnumerationToString(ErrorCode)`).
    var text: String {
        switch self {
        case .internalError: "Internal error"
        case .notImplemented: "Not implemented yet"
        case .parameterOutOfRange: "Parameter out of range"
        case .inexistentItem: "Accessing an inexistent item"
        case .badRequest: "Bad request"
        case .database: "Error with the database engine"
        case .uriSyntax: "Badly formatted URI"
        case .inexistentFile: "Inexistent file"
        case .cannotWriteFile: "Cannot write to file"
        case .badFileFormat: "Bad file format"
        case .unknownResource: "Unknown resource"
        case .incompatibleDatabaseVersion: "Incompatible version of the database"
        case .fullStorage: "The file storage is full"
        case .inexistentTag: "Inexistent tag"
        case .unknownDicomTag: "Unknown DICOM tag"
        case .badJson: "Cannot parse a JSON document"
        case .unauthorized: "Bad credentials were provided to an HTTP request"
        case .emptyRequest: "The request is empty"
        case .notAcceptable: "Cannot send a response which is acceptable according to the Accept HTTP header"
        case .forbiddenAccess: "Access to a resource is forbidden"
        }
    }

    /// The code Orthanc would report for an HTTP status we produce from elsewhere.
    init(httpStatus: Int) {
        switch httpStatus {
        case 400: self = .badRequest
        case 401: self = .unauthorized
        case 403: self = .forbiddenAccess
        case 404: self = .unknownResource
        case 405, 501: self = .notImplemented
        case 406: self = .notAcceptable
        case 415: self = .notImplemented
        case 507: self = .fullStorage
        default: self = .internalError
        }
    }
}

/// An error answered as Orthanc answers errors (`HttpDescribeErrors`):
///
///     {"Details": "...", "HttpError": "Not Found", "HttpStatus": 404, "Message": "...",
///      "Method": "GET", "OrthancError": "Unknown resource", "OrthancStatus": 17, "Uri": "/studies/x"}
///
/// `Message` says what went wrong in our words (with the tag and offset of a parse failure);
/// `Details` adds the underlying cause when there is one.
struct RESTError: HTTPResponseError, CustomStringConvertible {
    var status: HTTPResponse.Status
    var code: RESTErrorCode
    var message: String
    var details: String?
    /// Extra members of the body (`"Status": "Failure"` for uploads).
    var extra: [String: RESTJSON] = [:]
    /// Headers to keep (e.g. `WWW-Authenticate` of a converted 401).
    var headers: HTTPFields = [:]

    init(_ status: HTTPResponse.Status, _ code: RESTErrorCode, _ message: String, details: String? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.details = details
    }

    static func notFound(_ what: String) -> RESTError { RESTError(.notFound, .unknownResource, what) }
    static func badRequest(_ why: String) -> RESTError { RESTError(.badRequest, .badRequest, why) }

    var description: String { "\(status.code) \(code.text): \(message)" }

    /// Any error as an Orthanc-style error: archive, query and parse errors get their own
    /// status and code; anything unforeseen is a 500 that still says what happened.
    init(_ error: any Error) {
        switch error {
        case let e as RESTError:
            self = e
        case let e as ArchiveError:
            let status = HTTPResponse.Status(code: e.httpStatus)
            switch e {
            case .unreadable(let cause):
                self.init(status, .badFileFormat, e.description, details: cause.description)
            case .missingAttribute, .mismatch:
                self.init(status, .badFileFormat, e.description)
            case .storageFull:
                self.init(status, .fullStorage, e.description)
            case .notFound:
                self.init(status, .unknownResource, e.description)
            case .indexTooNew:
                self.init(status, .incompatibleDatabaseVersion, e.description)
            case .storage:
                self.init(status, .internalError, e.description)
            }
        case let e as QueryError:
            self.init(HTTPResponse.Status(code: e.httpStatus), .badRequest, e.description)
        case let e as SQLiteError:
            self.init(e.isStorageFull ? .init(code: 507) : .internalServerError, e.isStorageFull ? .fullStorage : .database,
                      "index failure: \(e.message)", details: e.description)
        case let e as InflateError:
            self.init(.badRequest, .badFileFormat, "cannot inflate the request body: \(e.description)")
        case let e as ZipError:
            self.init(.badRequest, .badFileFormat, "cannot read the ZIP archive: \(e.description)")
        case let e as DICOMError:
            self.init(.badRequest, .badFileFormat, "cannot parse the DICOM object: \(e.description)", details: e.description)
        case is NIOTooManyBytesError:
            self.init(.contentTooLarge, .badRequest, "the request body is too large")
        case let e as RESTJSONError:
            self.init(.badRequest, .badJson, "the request body is not valid JSON: \(e.description)")
        case let e as HTTPError:
            self.init(e.status, RESTErrorCode(httpStatus: e.status.code),
                      e.body ?? RESTErrorCode(httpStatus: e.status.code).text)
            headers = e.headers
        case let e as any HTTPResponseError:
            self.init(e.status, RESTErrorCode(httpStatus: e.status.code), "\(e)")
        default:
            self.init(.internalServerError, .internalError, "\(error)")
        }
    }

    func body(method: String, uri: String) -> RESTJSON {
        var object: [String: RESTJSON] = [
            "HttpError": .string(Self.reasonPhrase(status)),
            "HttpStatus": .int(status.code),
            "Message": .string(message),
            "Method": .string(method),
            "OrthancError": .string(code.text),
            "OrthancStatus": .int(code.rawValue),
            "Uri": .string(uri),
        ]
        if let details { object["Details"] = .string(details) }
        for (key, value) in extra { object[key] = value }
        return .object(object)
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = RESTResponse.json(body(method: request.method.rawValue, uri: request.uri.description), status: status)
        for field in headers where response.headers[field.name] == nil { response.headers.append(field) }
        return response
    }

    static func reasonPhrase(_ status: HTTPResponse.Status) -> String {
        switch status.code {
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 406: "Not Acceptable"
        case 413: "Content Too Large"
        case 415: "Unsupported Media Type"
        case 500: "Internal Server Error"
        case 501: "Not Implemented"
        case 507: "Insufficient Storage"
        default: status.reasonPhrase
        }
    }
}

/// Answers requests no route matched, and errors that would otherwise go out as a bare 500, in
/// Orthanc's JSON error format. Errors that already know how to answer (other than Hummingbird's
/// plain `HTTPError`) pass through unchanged, so other front ends keep their own formats.
public struct RESTErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    public init() {}

    public func handle(_ request: Request, context: Context,
                       next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError {
            var converted = RESTError(error)
            if error.status == .notFound, error.body == nil {
                converted.message = "no route for \(request.method.rawValue) \(request.uri.path)"
            }
            throw converted
        } catch let error as any HTTPResponseError {
            throw error
        } catch {
            throw RESTError(error)
        }
    }
}

/// Response helpers.
enum RESTResponse {
    static func json(_ value: RESTJSON, status: HTTPResponse.Status = .ok) -> Response {
        let buffer = ByteBuffer(bytes: value.bytes)
        return Response(status: status,
                        headers: [.contentType: "application/json", .contentLength: String(buffer.readableBytes)],
                        body: .init(byteBuffer: buffer))
    }
}
