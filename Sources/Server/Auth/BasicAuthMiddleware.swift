import Crypto
import Hummingbird
import HummingbirdBcrypt
import NIOCore
import NIOPosix
import Synchronization

/// HTTP basic authentication on every route, with roles.
///
/// Rules: with authentication enabled every request needs valid credentials. With it disabled
/// (a loopback-only server) requests from loopback pass; requests from anywhere else still need
/// credentials: there is no unauthenticated access beyond loopback, ever.
///
/// bcrypt costs ~15–230 ms per check, far too much per request for DICOMweb clients that fetch
/// frame after frame, so a verified (user, password) pair is remembered (by its SHA-256, never in
/// clear) and later requests with the same credentials skip bcrypt.
public struct BasicAuthMiddleware: RouterMiddleware {
    public typealias Context = SwiftPACSRequestContext

    let users: [String: Configuration.RegisteredUser]
    let authenticationEnabled: Bool
    let verified = VerifiedCredentials()
    let realm: String

    public init(users: [String: Configuration.RegisteredUser], authenticationEnabled: Bool, realm: String = "SwiftPACS") {
        self.users = users
        self.authenticationEnabled = authenticationEnabled
        self.realm = realm
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        if let header = request.headers[.authorization], let (name, password) = Self.parseBasic(header) {
            guard let user = try await authenticate(name: name, password: password) else {
                return unauthorized("wrong user name or password")
            }
            context.user = user
        } else if authenticationEnabled || !context.isLoopback {
            return unauthorized(authenticationEnabled ? "authentication required"
                                : "authentication required for access from \(context.remoteAddress?.ipAddress ?? "a remote host")")
        }
        if let user = context.user, !user.role.allows(method: request.method, path: request.uri.path) {
            return Response(status: .forbidden, headers: [.contentType: "application/json"],
                            body: .init(byteBuffer: ByteBuffer(string: #"{"HttpStatus":403,"Message":"user \#(user.name) (\#(user.role.rawValue)) may not \#(request.method.rawValue) \#(request.uri.path)"}"#)))
        }
        return try await next(request, context)
    }

    func authenticate(name: String, password: String) async throws -> AuthenticatedUser? {
        guard let entry = users[name] else { return nil }
        let user = AuthenticatedUser(name: name, role: entry.role)
        if entry.isPlaintext {
            return constantTimeEqual(Array(password.utf8), Array(entry.password.utf8)) ? user : nil
        }
        let key = SHA256.hash(data: Array("\(name):\(password)".utf8)).map { $0 }
        if verified.contains(key) { return user }
        let hash = entry.password
        let ok = try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: hash) }
        if ok { verified.insert(key) }
        return ok ? user : nil
    }

    func unauthorized(_ reason: String) -> Response {
        Response(status: .unauthorized,
                 headers: [.wwwAuthenticate: "Basic realm=\"\(realm)\"", .contentType: "application/json"],
                 body: .init(byteBuffer: ByteBuffer(string: #"{"HttpStatus":401,"Message":"\#(reason)"}"#)))
    }

    static func parseBasic(_ header: String) -> (String, String)? {
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "basic",
              let decoded = Base64.decode(String(parts[1])),
              let colon = decoded.firstIndex(of: 0x3A) else { return nil }
        return (String(decoding: decoded[..<colon], as: UTF8.self), String(decoding: decoded[(colon + 1)...], as: UTF8.self))
    }

    func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var diff: UInt8 = 0
        for i in a.indices { diff |= a[i] ^ b[i] }
        return diff == 0
    }
}

/// Remembered verified credentials (SHA-256 digests), bounded.
final class VerifiedCredentials: Sendable {
    private let set = Mutex<Set<[UInt8]>>([])
    func contains(_ key: [UInt8]) -> Bool { set.withLock { $0.contains(key) } }
    func insert(_ key: [UInt8]) {
        set.withLock {
            if $0.count > 1024 { $0.removeAll() }
            $0.insert(key)
        }
    }
}

extension AuthenticatedUser.Role {
    /// read-only: GET/HEAD (and POST to the search endpoints); read-write: data; admin: all.
    func allows(method: HTTPRequest.Method, path: String) -> Bool {
        switch self {
        case .admin: return true
        case .readWrite: return !Self.isAdminPath(path, method: method)
        case .readOnly:
            if method == .get || method == .head { return true }
            return method == .post && (path == "/tools/find" || path == "/tools/lookup")
        }
    }

    static func isAdminPath(_ path: String, method: HTTPRequest.Method) -> Bool {
        // Editing the whitelist is administration; echo and store to a modality are data work.
        (path.hasPrefix("/modalities") && (method == .put || method == .delete)) || path.hasPrefix("/tools/reset") || path.hasPrefix("/tools/shutdown")
    }
}

extension SwiftPACSRequestContext {
    var isLoopback: Bool {
        guard let address = remoteAddress else { return true }  // unix sockets, tests
        switch address {
        case .v4(let a): return a.address.sin_addr.s_addr & 0xFF == 127
        case .v6: return address.ipAddress == "::1" || address.ipAddress?.hasPrefix("::ffff:127.") == true
        case .unixDomainSocket: return true
        }
    }
}

/// Minimal base64 decoding for the Authorization header.
enum Base64 {
    static func decode(_ text: String) -> [UInt8]? {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (i, c) in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8.enumerated() { table[Int(c)] = UInt8(i) }
        var out: [UInt8] = []
        var acc: UInt32 = 0, bits = 0
        for c in text.utf8 {
            if c == 0x3D { break }
            let v = table[Int(c)]
            guard v != 0xFF else { return nil }
            acc = acc << 6 | UInt32(v)
            bits += 6
            if bits >= 8 { bits -= 8; out.append(UInt8((acc >> UInt32(bits)) & 0xFF)) }
        }
        return out
    }
}
