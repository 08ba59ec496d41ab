import NIOCore

/// Splits an outgoing DIMSE message into PDVs (PS3.8 §9.3.5 and Annex E, PS3.7 §6.3.1): the
/// command set's fragments, then the data set's, each a `PresentationDataValue` meant to travel
/// in its own P-DATA-TF PDU.
///
/// The peer's Maximum Length Received (PS3.8 D.1.1) bounds the variable field of a P-DATA-TF PDU:
/// one PDV item is a 4-byte item length, the context ID, the message control header and the
/// fragment, so a fragment is at most `maximumPDULength - 6` bytes. 0 means the peer sets no
/// limit; fragments are then `maximumFragmentLength` long, which also caps them when the peer
/// accepts more (so a stored file is read a fragment at a time, never whole).
public struct MessageFragmenter: Sendable {
    /// Item length (4), presentation context ID (1), message control header (1).
    public static let pdvItemOverhead = 6
    /// Fragment size when the peer allows anything larger (or sets no limit).
    public static let defaultMaximumFragmentLength = 1 << 20

    /// The peer's Maximum Length Received; 0 = unlimited.
    public let maximumPDULength: UInt32
    /// Data bytes per PDV: `min(maximumPDULength - 6, maximumFragmentLength)`.
    public let fragmentLength: Int

    public init(maximumPDULength: UInt32,
                maximumFragmentLength: Int = MessageFragmenter.defaultMaximumFragmentLength) throws(DIMSEError) {
        precondition(maximumFragmentLength > 0, "maximumFragmentLength must be positive")
        self.maximumPDULength = maximumPDULength
        if maximumPDULength == 0 {
            fragmentLength = maximumFragmentLength
        } else {
            guard Int(maximumPDULength) > Self.pdvItemOverhead else { throw .maximumPDULengthTooSmall(maximumPDULength) }
            fragmentLength = min(Int(maximumPDULength) - Self.pdvItemOverhead, maximumFragmentLength)
        }
    }

    /// The bytes a P-DATA-TF PDU holding just `pdv` adds to its 6-byte header: what must stay
    /// within `maximumPDULength`.
    public static func pduBodyLength(of pdv: PresentationDataValue) -> Int {
        pdvItemOverhead + pdv.data.readableBytes
    }

    /// The command set's PDVs (usually one). Bit 0 of the control header set, bit 1 on the last.
    public func commandFragments(_ command: CommandSet, presentationContextID: UInt8) -> [PresentationDataValue] {
        Array(BufferFragments(buffer: command.encoded(), isCommand: true,
                              presentationContextID: presentationContextID, fragmentLength: fragmentLength))
    }

    /// An in-memory data set's PDVs, as slices of `dataSet` (no copy). An empty data set is one
    /// empty last fragment.
    public func dataSetFragments(_ dataSet: ByteBuffer, presentationContextID: UInt8) -> BufferFragments {
        BufferFragments(buffer: dataSet, isCommand: false, presentationContextID: presentationContextID,
                        fragmentLength: fragmentLength)
    }

    /// A whole message whose data set (if any) is in memory. The Command Data Set Type written
    /// follows whether `dataSet` is given.
    public func fragments(command: CommandSet, dataSet: ByteBuffer?,
                          presentationContextID: UInt8) -> MessageFragments {
        var command = command
        command.hasDataSet = dataSet != nil
        return MessageFragments(command: commandFragments(command, presentationContextID: presentationContextID),
                                dataSet: dataSet.map { dataSetFragments($0, presentationContextID: presentationContextID) })
    }

    /// A whole message whose data set (if any) is in memory.
    public func fragments(_ message: DIMSEMessage, dataSet: ByteBuffer?,
                          presentationContextID: UInt8) -> MessageFragments {
        fragments(command: message.command, dataSet: dataSet, presentationContextID: presentationContextID)
    }

    /// A whole message whose data set is pulled from `source` as the PDVs are consumed (the
    /// consumer's writes pace the reads). Source errors come out of the iterator.
    public func fragments<Source: DataSetSource>(command: CommandSet, dataSet source: Source,
                                                 presentationContextID: UInt8) -> StreamedMessageFragments<Source> {
        var command = command
        command.hasDataSet = true
        return StreamedMessageFragments(command: commandFragments(command, presentationContextID: presentationContextID),
                                        source: source, presentationContextID: presentationContextID,
                                        fragmentLength: fragmentLength)
    }
}

extension MessageFragmenter {
    /// A whole message whose data set is pulled from `source`.
    public func fragments<Source: DataSetSource>(_ message: DIMSEMessage, dataSet source: Source,
                                                 presentationContextID: UInt8) -> StreamedMessageFragments<Source> {
        fragments(command: message.command, dataSet: source, presentationContextID: presentationContextID)
    }
}

/// The fragments of one buffer, sliced lazily (the slices share the buffer's storage).
public struct BufferFragments: Sequence, Sendable {
    let buffer: ByteBuffer
    let isCommand: Bool
    let presentationContextID: UInt8
    let fragmentLength: Int

    public var underestimatedCount: Int { Swift.max(1, (buffer.readableBytes + fragmentLength - 1) / fragmentLength) }

    public struct Iterator: IteratorProtocol, Sendable {
        var remaining: ByteBuffer
        let isCommand: Bool
        let presentationContextID: UInt8
        let fragmentLength: Int
        var done = false

        public mutating func next() -> PresentationDataValue? {
            guard !done else { return nil }
            let count = Swift.min(fragmentLength, remaining.readableBytes)
            let data = remaining.readSlice(length: count)!
            done = remaining.readableBytes == 0
            return PresentationDataValue(presentationContextID: presentationContextID, isCommand: isCommand,
                                         isLast: done, data: data)
        }
    }

    public func makeIterator() -> Iterator {
        Iterator(remaining: buffer, isCommand: isCommand, presentationContextID: presentationContextID,
                 fragmentLength: fragmentLength)
    }
}

/// The PDVs of a message held in memory: command fragments, then data set fragments.
public struct MessageFragments: Sequence, Sendable {
    public let command: [PresentationDataValue]
    public let dataSet: BufferFragments?

    public func makeIterator() -> Iterator {
        Iterator(command: command.makeIterator(), dataSet: dataSet?.makeIterator())
    }

    public struct Iterator: IteratorProtocol, Sendable {
        var command: IndexingIterator<[PresentationDataValue]>
        var dataSet: BufferFragments.Iterator?
        public mutating func next() -> PresentationDataValue? {
            if let pdv = command.next() { return pdv }
            return dataSet?.next()
        }
    }
}

/// The PDVs of a message whose data set is read from a `DataSetSource` as they are consumed.
public struct StreamedMessageFragments<Source: DataSetSource>: AsyncSequence {
    public typealias Element = PresentationDataValue

    let command: [PresentationDataValue]
    let source: Source
    let presentationContextID: UInt8
    let fragmentLength: Int

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(command: command, source: source, presentationContextID: presentationContextID,
                      fragmentLength: fragmentLength)
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        private var command: [PresentationDataValue]
        private var commandIndex = 0
        private var source: Source
        private let presentationContextID: UInt8
        private let fragmentLength: Int
        /// What a source of known length promised, and what it has delivered.
        private let expectedLength: Int?
        private var receivedLength = 0
        /// The fragment after the one being returned, read ahead when the length is unknown.
        private var lookahead: ByteBuffer?
        private var sourceEnded = false
        private var done = false

        init(command: [PresentationDataValue], source: Source, presentationContextID: UInt8, fragmentLength: Int) {
            self.command = command
            self.source = source
            self.presentationContextID = presentationContextID
            self.fragmentLength = fragmentLength
            self.expectedLength = source.remainingByteCount
        }

        public mutating func next() async throws -> PresentationDataValue? {
            if commandIndex < command.count {
                defer { commandIndex += 1 }
                return command[commandIndex]
            }
            guard !done else { return nil }
            let current: ByteBuffer
            if let ahead = lookahead.take() { current = ahead } else { current = try await fill() }
            var isLast = sourceEnded || source.remainingByteCount == 0
            if !isLast, source.remainingByteCount == nil {
                // Unknown length: the next fragment tells whether this one is the last.
                let ahead = try await fill()
                if ahead.readableBytes == 0 && sourceEnded { isLast = true } else { lookahead = ahead }
            }
            done = isLast
            if done { command = [] }
            return PresentationDataValue(presentationContextID: presentationContextID, isCommand: false,
                                         isLast: isLast, data: current)
        }

        /// Up to one fragment's worth: whole when the source gives large chunks (sliced, not
        /// copied), small chunks coalesced.
        private mutating func fill() async throws -> ByteBuffer {
            var fragment: ByteBuffer? = nil
            while !sourceEnded, (fragment?.readableBytes ?? 0) < fragmentLength {
                let want = fragmentLength - (fragment?.readableBytes ?? 0)
                guard var chunk = try await source.read(upTo: want) else {
                    sourceEnded = true
                    if let expectedLength, receivedLength < expectedLength {
                        throw DIMSEError.dataSetSourceTruncated(expected: expectedLength, received: receivedLength)
                    }
                    break
                }
                precondition(chunk.readableBytes <= want, "DataSetSource returned more than asked for")
                receivedLength += chunk.readableBytes
                if fragment == nil { fragment = chunk } else { fragment!.writeBuffer(&chunk) }
                if source.remainingByteCount == 0 { sourceEnded = true }
            }
            return fragment ?? ByteBuffer()
        }
    }
}

extension StreamedMessageFragments: Sendable where Source: Sendable {}
