import NIOCore

/// One presentation data value item of a P-DATA-TF PDU (PS3.8 §9.3.5.1): a fragment of a DIMSE
/// command or data set, for one presentation context.
public struct PresentationDataValue: Sendable, Equatable {
    public var presentationContextID: UInt8
    /// Message control header bit 0: command (true) or data set (false) fragment.
    public var isCommand: Bool
    /// Message control header bit 1: the last fragment of the command or data set.
    public var isLast: Bool
    public var data: ByteBuffer

    public init(presentationContextID: UInt8, isCommand: Bool, isLast: Bool, data: ByteBuffer) {
        self.presentationContextID = presentationContextID
        self.isCommand = isCommand
        self.isLast = isLast
        self.data = data
    }

    /// PS3.8 Annex E.2: bit 0 command/data, bit 1 last/not last; bits 2-7 are zero.
    public var messageControlHeader: UInt8 { (isCommand ? 1 : 0) | (isLast ? 2 : 0) }
}
