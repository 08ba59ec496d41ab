import NIOCore

/// Where the data set of a received DIMSE message goes, fragment by fragment, as the P-DATA-TF
/// PDUs arrive: an ingest stream writing a temporary file, a bounded in-memory buffer for a C-FIND
/// identifier, ... The assembler never holds more than the fragment at hand.
///
/// Sinks may be non-copyable (a stream that owns a file); the assembler then is too.
public protocol DataSetSink: ~Copyable {
    /// The next fragment, in order. An error stops delivery: the assembler discards the rest of the
    /// data set and reports the error with the completed message (the association stays up, so the
    /// service can answer with a failure status).
    mutating func append(_ fragment: ByteBuffer) throws
    /// The last fragment has been appended.
    mutating func finish() throws
}

/// Collects a data set in memory, up to a limit: for identifiers (C-FIND/GET/MOVE keys, C-FIND
/// matches), which are small.
public struct DataSetBuffer: DataSetSink, Sendable {
    public private(set) var buffer: ByteBuffer
    public let limit: Int
    public private(set) var isFinished = false

    public struct LimitExceeded: Error, CustomStringConvertible {
        public let limit: Int
        public var description: String { "data set longer than \(limit) bytes" }
    }

    public init(limit: Int = 16 << 20, allocator: ByteBufferAllocator = ByteBufferAllocator()) {
        self.limit = limit
        self.buffer = allocator.buffer(capacity: 0)
    }

    public mutating func append(_ fragment: ByteBuffer) throws {
        guard fragment.readableBytes <= limit - buffer.readableBytes else { throw LimitExceeded(limit: limit) }
        if buffer.readableBytes == 0 {
            buffer = fragment  // the first (often only) fragment: no copy
        } else {
            var fragment = fragment
            buffer.writeBuffer(&fragment)
        }
    }

    public mutating func finish() throws { isFinished = true }

    public var bytes: [UInt8] { Array(buffer.readableBytesView) }
}

/// A sink made of two closures, for consumers that route data themselves.
public struct ClosureDataSetSink: DataSetSink {
    private let onAppend: (ByteBuffer) throws -> Void
    private let onFinish: () throws -> Void

    public init(append: @escaping (ByteBuffer) throws -> Void, finish: @escaping () throws -> Void = {}) {
        onAppend = append
        onFinish = finish
    }

    public mutating func append(_ fragment: ByteBuffer) throws { try onAppend(fragment) }
    public mutating func finish() throws { try onFinish() }
}
