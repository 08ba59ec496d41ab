import Logging
import NIOCore
import NIOPosix

/// The DICOM SCP's listening socket: accepts TCP connections and runs one `AssociationAcceptor`
/// task per association. Closing it stops accepting; associations in progress run to their end.
public final class DICOMListener: Sendable {
    public let host: String
    public let port: Int
    let configuration: AcceptorConfiguration
    let policy: any AccessPolicy
    let services: any DIMSEServiceProvider
    let observer: (any AssociationObserver)?
    let makeTraceID: @Sendable () -> Int
    let logger: Logger
    let group: any EventLoopGroup

    public init(host: String, port: Int, configuration: AcceptorConfiguration, policy: any AccessPolicy,
                services: any DIMSEServiceProvider, observer: (any AssociationObserver)?,
                makeTraceID: @escaping @Sendable () -> Int, logger: Logger,
                group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.host = host
        self.port = port
        self.configuration = configuration
        self.policy = policy
        self.services = services
        self.observer = observer
        self.makeTraceID = makeTraceID
        self.logger = logger
        self.group = group
    }

    /// Binds, then accepts until `shutdown` resolves (or the task is cancelled); waits for the
    /// associations in progress. `onBound` gets the port actually bound (for port 0).
    public func run(onBound: @Sendable (Int) async -> Void = { _ in }, shutdown: @escaping @Sendable () async -> Void) async throws {
        let maximumPData = configuration.negotiation.maximumPDULength
        let timeout = configuration.timeout
        let server = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelOption(.socketOption(.so_keepalive), value: 1)
            // Reads grow up to 256 KiB, so a C-STORE stream costs few syscalls; P-DATA is passed
            // on as it arrives (streamsPData), so no PDU waits whole in memory.
            .childChannelOption(.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 1024, initial: 16384, maximum: 256 << 10))
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    try sync.addHandler(ByteToMessageHandler(PDUDecoder(maximumPDataLength: maximumPData, streamsPData: true)))
                    try sync.addHandler(MessageToByteHandler(PDUEncoder()))
                    try sync.addHandler(IdleStateHandler(readTimeout: timeout))
                    try sync.addHandler(IdleTimeoutHandler(seconds: timeout.nanoseconds / 1_000_000_000))
                    return try NIOAsyncChannel<PDU, PDU>(wrappingChannelSynchronously: channel)
                }
            }
        let bound = server.channel.localAddress?.port ?? port
        logger.notice("DICOM server \(configuration.aeTitle) listening on \(host):\(bound)")
        await onBound(bound)
        let closer = Task {
            await shutdown()
            try? await server.channel.close()
        }
        defer { closer.cancel() }
        let acceptor = AssociationAcceptor(configuration: configuration, policy: policy, services: services,
                                           observer: observer, logger: logger)
        let makeTraceID = self.makeTraceID
        try await server.executeThenClose { inbound in
            try await withThrowingDiscardingTaskGroup { group in
                for try await child in inbound {
                    let id = makeTraceID()
                    group.addTask { await acceptor.run(child, traceID: id) }
                }
            }
        }
        logger.notice("DICOM server stopped")
    }
}

/// Turns the idle-read event into an error the association task sees as the end of its input.
final class IdleTimeoutHandler: ChannelInboundHandler, RemovableChannelHandler, Sendable {
    typealias InboundIn = PDU
    typealias InboundOut = PDU
    let seconds: Int64
    init(seconds: Int64) { self.seconds = seconds }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let idle = event as? IdleStateHandler.IdleStateEvent, idle == .read {
            context.fireErrorCaught(IdleTimeout(seconds: seconds))
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }
}
