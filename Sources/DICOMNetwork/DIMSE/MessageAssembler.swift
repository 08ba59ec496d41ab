import DICOM
import NIOCore

/// A command set that has arrived whole, with the presentation context it came on.
public struct ReceivedCommand: Sendable, Equatable, CustomStringConvertible {
    public let presentationContextID: UInt8
    public let command: CommandSet

    public init(presentationContextID: UInt8, command: CommandSet) {
        self.presentationContextID = presentationContextID
        self.command = command
    }

    public var hasDataSet: Bool { command.hasDataSet }

    /// The typed message; throws when a field the message requires is missing, which the service
    /// layer may answer with a failure status naming the element (`DIMSEError.tag`).
    public func message() throws(DIMSEError) -> DIMSEMessage { try DIMSEMessage(command: command) }

    public var description: String { "[pc \(presentationContextID)] \(command)" }
}

/// Reassembles DIMSE messages from the PDVs of incoming P-DATA-TF PDUs (PS3.8 Annex E, PS3.7 §6.3.1).
///
/// Command fragments are collected (command sets are small, and bounded by `maximumCommandLength`)
/// and decoded when the last one arrives. Data set fragments are never collected: once a command
/// that announces a data set is decoded, `receive` returns `.dataSetFollows`, the consumer chooses
/// where the data goes with `receiveDataSet(into:)` (or `discardDataSet()`), and each fragment is
/// handed to that sink as it arrives. So a 2 GB C-STORE costs one fragment of memory.
///
/// ```swift
/// for pdv in pdataPDU.values {
///     switch try assembler.receive(pdv) {
///     case nil: break
///     case .dataSetFollows(let received):
///         try assembler.receiveDataSet(into: sink(for: received))
///     case .message(let received, let dataSet):
///         handle(received, consume dataSet)
///     }
/// }
/// ```
///
/// Stream errors (`DIMSEError`) mean the peer broke PS3.8 Annex E: answer with an A-ABORT. A sink
/// that throws does not stop the stream: the rest of the data set is discarded and the error comes
/// back with the message as `.failed`, so the service can reply with a failure status.
public struct MessageAssembler<Sink: DataSetSink & ~Copyable>: ~Copyable {
    /// What happened to the data set of a completed message.
    public enum DataSetOutcome: ~Copyable {
        /// The command announced no data set.
        case noDataSet
        /// Every fragment went to the sink, which has been finished.
        case received(Sink, byteCount: Int)
        /// The consumer chose `discardDataSet()`.
        case discarded(byteCount: Int)
        /// The sink threw (in `append` or `finish`); later fragments were discarded.
        case failed(any Error, byteCount: Int)
    }

    public enum Event: ~Copyable {
        /// A command set whose data set follows. Install a sink with `receiveDataSet(into:)` or
        /// call `discardDataSet()` before passing the next PDV.
        case dataSetFollows(ReceivedCommand)
        /// A whole message: a command without a data set, or one whose data set has ended.
        case message(ReceivedCommand, dataSet: DataSetOutcome)
    }

    private enum Phase {
        /// Between messages. `previous` is the last command-only message (to tell a stray data
        /// set after it from one with no command at all).
        case idle(previous: ReceivedCommand?)
        /// Collecting command fragments.
        case command(presentationContextID: UInt8, bytes: ByteBuffer)
        /// The command announced a data set; no sink installed yet.
        case awaitingSink(ReceivedCommand)
        /// Forwarding data set fragments (to `sink`, unless discarding or failed).
        case dataSet(ReceivedCommand, byteCount: Int, discarding: Bool, failure: (any Error)?)
    }

    private var phase: Phase = .idle(previous: nil)
    private var sink: Sink? = nil
    /// Longest command set accepted (all its fragments together).
    public let maximumCommandLength: Int

    public init(maximumCommandLength: Int = 64 * 1024) {
        self.maximumCommandLength = maximumCommandLength
    }

    /// True between messages (no command or data set partly received).
    public var isIdle: Bool {
        if case .idle = phase { return true }
        return false
    }

    /// The message in progress, once its command is decoded.
    public var currentCommand: ReceivedCommand? {
        switch phase {
        case .awaitingSink(let received), .dataSet(let received, _, _, _): received
        case .idle, .command: nil
        }
    }

    /// Feeds one PDV, in the order received. Returns an event when a command set completes or a
    /// message ends.
    public mutating func receive(_ pdv: PresentationDataValue) throws(DIMSEError) -> Event? {
        let context = pdv.presentationContextID
        switch phase {
        case .idle(let previous):
            guard pdv.isCommand else {
                if let previous, previous.presentationContextID == context {
                    throw .unexpectedDataSet(command: previous.command.commandField, presentationContextID: context)
                }
                throw .dataSetWithoutCommand(presentationContextID: context)
            }
            guard pdv.data.readableBytes <= maximumCommandLength else { throw .commandTooLong(limit: maximumCommandLength) }
            if pdv.isLast { return try commandComplete(context, pdv.data) }
            phase = .command(presentationContextID: context, bytes: pdv.data)
            return nil

        case .command(let expected, var bytes):
            guard context == expected else { throw .presentationContextMismatch(expected: expected, received: context) }
            guard pdv.isCommand else { throw .dataSetBeforeCommandEnded(presentationContextID: context) }
            guard pdv.data.readableBytes <= maximumCommandLength - bytes.readableBytes else {
                throw .commandTooLong(limit: maximumCommandLength)
            }
            phase = .idle(previous: nil)  // drop the reference to `bytes` so the append does not copy
            var fragment = pdv.data
            bytes.writeBuffer(&fragment)
            if pdv.isLast { return try commandComplete(context, bytes) }
            phase = .command(presentationContextID: context, bytes: bytes)
            return nil

        case .awaitingSink(let received):
            if pdv.isCommand {
                throw .commandBeforeDataSetEnded(command: received.command.commandField, presentationContextID: context)
            }
            throw .noDataSetSink(command: received.command.commandField)

        case .dataSet(let received, var byteCount, let discarding, var failure):
            guard context == received.presentationContextID else {
                throw .presentationContextMismatch(expected: received.presentationContextID, received: context)
            }
            guard !pdv.isCommand else {
                throw .commandBeforeDataSetEnded(command: received.command.commandField, presentationContextID: context)
            }
            byteCount += pdv.data.readableBytes
            if !discarding, failure == nil, var current = sink.take() {
                do {
                    try current.append(pdv.data)
                    if pdv.isLast { try current.finish() }
                    sink = consume current
                } catch {
                    failure = error  // `current` is dropped here: a stream cleans up after itself
                }
            }
            guard pdv.isLast else {
                phase = .dataSet(received, byteCount: byteCount, discarding: discarding, failure: failure)
                return nil
            }
            phase = .idle(previous: nil)
            if let failure { return .message(received, dataSet: .failed(failure, byteCount: byteCount)) }
            if discarding { return .message(received, dataSet: .discarded(byteCount: byteCount)) }
            guard let finished = sink.take() else {  // unreachable: no failure means the sink is there
                return .message(received, dataSet: .discarded(byteCount: byteCount))
            }
            return .message(received, dataSet: .received(finished, byteCount: byteCount))
        }
    }

    /// Sends the data set announced by the last `.dataSetFollows` to `sink`.
    public mutating func receiveDataSet(into sink: consuming Sink) throws(DIMSEError) {
        guard case .awaitingSink(let received) = phase else { throw .noDataSetExpected }
        self.sink = consume sink
        phase = .dataSet(received, byteCount: 0, discarding: false, failure: nil)
    }

    /// Drops the data set announced by the last `.dataSetFollows` as it arrives.
    public mutating func discardDataSet() throws(DIMSEError) {
        guard case .awaitingSink(let received) = phase else { throw .noDataSetExpected }
        phase = .dataSet(received, byteCount: 0, discarding: true, failure: nil)
    }

    /// Abandons the message in progress (the association is going away) and hands back its sink,
    /// unfinished, so the consumer can clean up (e.g. delete a partial file).
    public mutating func reset() -> Sink? {
        phase = .idle(previous: nil)
        return sink.take()
    }

    private mutating func commandComplete(_ context: UInt8, _ bytes: ByteBuffer) throws(DIMSEError) -> Event {
        let received = ReceivedCommand(presentationContextID: context, command: try CommandSet(decoding: bytes))
        if received.hasDataSet {
            phase = .awaitingSink(received)
            return .dataSetFollows(received)
        }
        phase = .idle(previous: received)
        return .message(received, dataSet: .noDataSet)
    }
}

extension MessageAssembler: Copyable where Sink: Copyable {}
extension MessageAssembler.DataSetOutcome: Copyable where Sink: Copyable {}
extension MessageAssembler.Event: Copyable where Sink: Copyable {}
extension MessageAssembler: Sendable where Sink: Sendable {}
