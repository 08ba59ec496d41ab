import NIOCore
import NIOPosix
import Server
import Testing

/// The HTTP pipeline's reads grow to 256 KiB (uploads arrive in fewer body parts).
@Suite struct RESTLargeReadsTests {
    @Test func acceptedConnectionsReadUpTo256KiB() async throws {
        let accepted = MultiThreadedEventLoopGroup.singleton.any().makePromise(of: Channel.self)
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(RESTLargeReadsHandler())
                    accepted.succeed(channel)
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let client = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: server.localAddress?.port ?? 0).get()
        let child = try await accepted.futureResult.get()
        let allocator = try await child.getOption(ChannelOptions.recvAllocator).get()
        #expect((allocator as? AdaptiveRecvByteBufferAllocator)?.maximum == 256 << 10)
        #expect(try await child.pipeline.handler(type: RESTLargeReadsHandler.self).map { _ in true }.recover { _ in false }.get() == false,
                "the handler leaves the pipeline once the option is set")
        try await client.close()
        try await server.close()
    }
}
