import Hummingbird
import NIOCore

/// Who is calling: set by `BasicAuthMiddleware` for every request that passes it.
public struct AuthenticatedUser: Sendable, Hashable {
    public enum Role: String, Sendable, Codable, CaseIterable {
        /// GET/HEAD only.
        case readOnly = "read-only"
        /// Read, upload, delete data.
        case readWrite = "read-write"
        /// Everything, including configuration (modalities, tools that act on the server).
        case admin
    }

    public var name: String
    public var role: Role

    public init(name: String, role: Role) {
        self.name = name
        self.role = role
    }

    /// The origin recorded with instances this user uploads.
    public var origin: String { "http:\(name)" }
}

/// The request context of every route: Hummingbird's core storage plus the caller.
public struct SwiftPACSRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Nil when authentication is disabled (loopback-only servers).
    public var user: AuthenticatedUser?
    public let remoteAddress: SocketAddress?

    public init(source: Source) {
        coreContext = .init(source: source)
        user = nil
        remoteAddress = source.channel.remoteAddress
    }

    /// The origin recorded with uploaded instances.
    public var origin: String { user?.origin ?? "http:\(remoteAddress?.ipAddress ?? "local")" }

    /// Uploads are capped only by streaming; this limit applies to bodies collected whole
    /// (JSON requests).
    public var maxUploadSize: Int { 16 << 20 }
}
