import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Answers `Expect: 100-continue` with `100 Continue` as soon as the request head arrives.
///
/// curl sends that header with every body over 1 MiB (`curl --data-binary @big.dcm .../instances`)
/// and then waits up to a second for the interim answer before sending the body anyway.
/// Hummingbird does not send it, so without this handler each large upload idles for a second.
/// Install it in the HTTP/1 pipeline:
///
///     Application(router: router, server: .http1(configuration: .init(
///         additionalChannelHandlers: [RESTExpectContinueHandler()])), ...)
public final class RESTExpectContinueHandler: ChannelDuplexHandler, RemovableChannelHandler, Sendable {
    public typealias InboundIn = HTTPRequestPart
    public typealias InboundOut = HTTPRequestPart
    public typealias OutboundIn = HTTPResponsePart
    public typealias OutboundOut = HTTPResponsePart

    public init() {}

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head(let head) = unwrapInboundIn(data),
           let expect = head.headerFields[.expect], expect.lowercased() == "100-continue" {
            context.writeAndFlush(wrapOutboundOut(.head(HTTPResponse(status: .continue))), promise: nil)
        }
        context.fireChannelRead(data)
    }
}
