import Archive
import Foundation
import Hummingbird
import HummingbirdBcrypt
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// The product: one process with the archive and its front ends, run as one ServiceGroup with
/// graceful shutdown on SIGTERM/SIGINT (in-flight requests finish, then the archive closes).
public struct SwiftPACSServer {
    public let configuration: Configuration
    public let logger: Logger

    public init(configuration: Configuration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// Runs until a signal (or `onRunning`'s caller cancels). `onRunning` gets the HTTP port
    /// actually bound (useful with port 0).
    public func run(onRunning: @escaping @Sendable (Int) async -> Void = { _ in },
                    onDICOMListening: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        for warning in configuration.warnings { logger.warning("\(warning)") }
        var configuration = self.configuration
        try Self.ensureCredentials(&configuration, logger: logger)

        let archive = try Archive(configuration: configuration.archive, logger: logger)
        await archive.recover()
        defer { archive.close() }

        let modalities = ModalityRegistry(modalities: configuration.dicomModalities, rules: configuration.accessRules,
                                          persistencePath: configuration.indexDirectory + "/modalities.json")
        let associations = AssociationLog(logger: logger)

        let router = Router(context: SwiftPACSRequestContext.self)
        router.add(middleware: BasicAuthMiddleware(users: configuration.registeredUsers,
                                                   authenticationEnabled: configuration.isAuthenticationEnabled))
        addRESTRoutes(to: router, archive: archive, system: SystemInfo(configuration: configuration))
        addModalityRoutes(to: router, archive: archive, modalities: modalities, associations: associations,
                          localAETitle: configuration.dicomAET, defaultTimeout: .seconds(max(configuration.dicomScuTimeout, 1)))

        let host = configuration.remoteAccessAllowed ? "0.0.0.0" : "127.0.0.1"
        let logger = self.logger
        let app = Application(
            router: router,
            // curl sends "Expect: 100-continue" for bodies over 1 MiB and waits a second for an
            // answer Hummingbird never gives; this handler gives it.
            server: .http1(configuration: .init(additionalChannelHandlers: [RESTExpectContinueHandler(), RESTLargeReadsHandler()])),
            configuration: .init(address: .hostname(host, port: configuration.httpPort), serverName: "SwiftPACS"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                logger.notice("HTTP server listening on \(host):\(port)")
                await onRunning(port)
            },
            eventLoopGroupProvider: .shared(MultiThreadedEventLoopGroup.singleton),
            logger: logger)
        var services: [any Service] = []
        if configuration.httpServerEnabled { services.append(app) }
        if configuration.dicomServerEnabled {
            services.append(DICOMService(configuration: configuration, archive: archive, modalities: modalities,
                                         associations: associations, logger: logger, onBound: onDICOMListening))
        }
        let group = ServiceGroup(configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        logger.notice("stopped")
    }

    /// A server reachable from other hosts must have credentials: when none are configured,
    /// generate an admin password once, keep it (bcrypt) next to the index, and say where.
    static func ensureCredentials(_ configuration: inout Configuration, logger: Logger) throws {
        guard configuration.remoteAccessAllowed || configuration.isAuthenticationEnabled,
              configuration.registeredUsers.isEmpty else { return }
        let directory = configuration.indexDirectory
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let hashFile = directory + "/generated-admin.bcrypt"
        let passwordFile = directory + "/generated-admin-password.txt"
        if let data = FileManager.default.contents(atPath: hashFile), let hash = String(data: data, encoding: .utf8) {
            configuration.registeredUsers["admin"] = .init(password: hash.trimmingCharacters(in: .whitespacesAndNewlines), role: .admin)
            logger.notice("no RegisteredUsers configured: using the generated user \"admin\" (password in \(passwordFile))")
            return
        }
        var bytes = [UInt8](repeating: 0, count: 18)
        for i in bytes.indices { bytes[i] = UInt8.random(in: 0...255) }
        let password = Data(bytes).base64EncodedString().replacingOccurrences(of: "/", with: "x").replacingOccurrences(of: "+", with: "y")
        let hash = Bcrypt.hash(password, cost: 10)
        guard FileManager.default.createFile(atPath: passwordFile, contents: Data((password + "\n").utf8), attributes: [.posixPermissions: 0o600]),
              FileManager.default.createFile(atPath: hashFile, contents: Data(hash.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw Configuration.Error(description: "cannot write the generated credentials to \(directory)")
        }
        configuration.registeredUsers["admin"] = .init(password: hash, role: .admin)
        logger.warning("no RegisteredUsers configured and remote access is allowed: generated user \"admin\" with the password in \(passwordFile)")
    }
}

extension SystemInfo {
    init(configuration: Configuration) {
        self.init(name: configuration.name, version: SwiftPACSVersion.string, dicomAET: configuration.dicomAET,
                  dicomPort: configuration.dicomPort, httpPort: configuration.httpPort,
                  storageDirectory: configuration.storageDirectory)
    }
}

public enum SwiftPACSVersion {
    public static let string = "0.2.0"
}
