import NIOCore

/// Lets the HTTP connection read up to 256 KiB at a time (NIO's default allocator stops at
/// 64 KiB). An upload's body reaches the route as one part per read, and each part is a hand-off
/// from the event loop to the request's task: a 0.5 MB instance then arrives in two or three
/// parts instead of eight or more. The DICOM listener reads the same way.
/// Install it with `RESTExpectContinueHandler` in `additionalChannelHandlers`; it removes itself
/// once the option is set.
public final class RESTLargeReadsHandler: ChannelInboundHandler, RemovableChannelHandler, Sendable {
    public typealias InboundIn = NIOAny  // never reads: it leaves the pipeline when added

    public static let maximumRead = 256 << 10

    public init() {}

    public func handlerAdded(context: ChannelHandlerContext) {
        context.channel.setOption(ChannelOptions.recvAllocator,
                                  value: AdaptiveRecvByteBufferAllocator(minimum: 1024, initial: 16384, maximum: Self.maximumRead))
            .whenComplete { _ in }
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }
}
