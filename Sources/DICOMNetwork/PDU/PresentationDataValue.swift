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

// MARK: - Fragmentation

extension PresentationDataValue {
    /// Bytes a PDV item adds to the PDU-length of its P-DATA-TF: the 4-byte item length, the
    /// presentation context ID and the message control header.
    public static let itemOverhead = 6

    /// The PDV data length per P-DATA-TF used when the peer's maximum length is 0 (no limit,
    /// PS3.8 D.1).
    public static let defaultFragmentLength = 1 << 20

    /// Splits a whole command set or data set into P-DATA-TF PDUs of one PDV each, whose
    /// PDU-length (4 + 1 + 1 + data length) does not exceed `maximumPDULength`, the Maximum
    /// Length Received the peer announced (0: no limit, in which case the data is sent in
    /// chunks of ``defaultFragmentLength``). The last PDV has the last-fragment bit set; an
    /// empty `message` gives one empty last fragment. The fragments are slices of `message`,
    /// not copies.
    ///
    /// A maximum of 6 or less leaves no room for data; the data then goes out one byte per PDU
    /// rather than not at all (the association layer should refuse such a peer).
    public static func fragment(
        _ message: ByteBuffer,
        presentationContextID: UInt8,
        isCommand: Bool,
        maximumPDULength: UInt32
    ) -> [PDU] {
        let chunk = maximumPDULength == 0
            ? defaultFragmentLength
            : max(1, Int(maximumPDULength) - itemOverhead)
        var remaining = message
        var pdus: [PDU] = []
        pdus.reserveCapacity(max(1, (message.readableBytes + chunk - 1) / chunk))
        repeat {
            let length = min(chunk, remaining.readableBytes)
            let data = remaining.readSlice(length: length) ?? ByteBuffer()
            pdus.append(.pData([PresentationDataValue(
                presentationContextID: presentationContextID,
                isCommand: isCommand,
                isLast: remaining.readableBytes == 0,
                data: data
            )]))
        } while remaining.readableBytes > 0
        return pdus
    }
}
