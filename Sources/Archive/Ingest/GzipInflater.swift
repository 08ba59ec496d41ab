import CZlibShim

/// The framing around a deflate stream.
public enum CompressionFormat: Sendable {
    /// Raw deflate (RFC 1951): ZIP entries, DICOM's Deflated Explicit VR Little Endian.
    case raw
    /// gzip (RFC 1952), as `Content-Encoding: gzip` and `.gz` files; several members in a row
    /// (what `cat a.gz b.gz` makes) inflate to the concatenation of their contents.
    case gzip
    /// zlib (RFC 1950), as `Content-Encoding: deflate`.
    case zlib

    var code: Int32 {
        switch self {
        case .raw: Int32(CZLIB_FORMAT_RAW)
        case .gzip: Int32(CZLIB_FORMAT_GZIP)
        case .zlib: Int32(CZLIB_FORMAT_ZLIB)
        }
    }
}

/// Why inflating failed. Offsets count compressed input bytes.
public enum InflateError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The compressed data is corrupt at or before `offset`.
    case corrupt(reason: String, offset: Int)
    /// The input ended before the stream did.
    case truncated(consumed: Int, produced: Int)
    /// The output would exceed the configured limit (a "deflate bomb", or just too big).
    case outputLimitExceeded(limit: Int)
    /// Bytes follow the end of the stream (raw/zlib), or follow a gzip member without being one.
    case trailingData(offset: Int)
    /// zlib could not allocate its state.
    case outOfMemory

    public var description: String {
        switch self {
        case let .corrupt(reason, offset): "corrupt compressed data at input offset \(offset): \(reason)"
        case let .truncated(consumed, produced):
            "the compressed stream ends early (after \(consumed) input bytes, \(produced) bytes inflated)"
        case let .outputLimitExceeded(limit): "the data inflates to more than the limit of \(limit) bytes"
        case let .trailingData(offset): "unexpected data after the end of the compressed stream at input offset \(offset)"
        case .outOfMemory: "out of memory while inflating"
        }
    }
}

/// A streaming inflater (gzip, zlib or raw deflate) over the system zlib.
///
/// Memory stays bounded whatever the input: output is produced in pieces of at most `pieceSize`
/// bytes (1 MiB by default) from one reused buffer, and inflation stops with
/// `InflateError.outputLimitExceeded` as soon as the total output would pass `outputLimit`
/// (4 GiB by default), before any byte beyond it is handed out.
///
/// ```swift
/// var inflater = GzipInflater(format: .gzip)
/// for chunk in body { try inflater.inflate(chunk) { piece in try stream.append(piece) } }
/// try inflater.finish()
/// ```
///
/// Noncopyable: one owner feeds one stream (it may be moved to another task).
public struct GzipInflater: ~Copyable, @unchecked Sendable {
    public static let defaultOutputLimit = 4 << 30
    public static let maximumPieceSize = 1 << 20

    public let format: CompressionFormat
    public let outputLimit: Int
    public let pieceSize: Int
    /// Compressed bytes consumed so far.
    public private(set) var totalIn = 0
    /// Bytes inflated so far.
    public private(set) var totalOut = 0

    private let stream: OpaquePointer?
    private var buffer: UnsafeMutableBufferPointer<UInt8>?
    private var failure: InflateError?

    /// - Parameters:
    ///   - outputLimit: the most bytes the whole stream may inflate to.
    ///   - pieceSize: the largest output piece, at most `maximumPieceSize`.
    public init(format: CompressionFormat = .gzip, outputLimit: Int = defaultOutputLimit,
                pieceSize: Int = maximumPieceSize) {
        self.format = format
        self.outputLimit = max(0, outputLimit)
        self.pieceSize = min(max(pieceSize, 1), Self.maximumPieceSize)
        stream = czlib_stream_create(format.code)
    }

    deinit {
        czlib_stream_destroy(stream)
        buffer?.deallocate()
    }

    /// True once the input seen so far is a whole stream (for gzip: every member so far ended).
    public var isComplete: Bool { failure == nil && czlib_stream_is_complete(stream) != 0 }

    /// gzip members finished so far (1 for a finished raw or zlib stream).
    public var members: Int { Int(czlib_stream_members(stream)) }

    /// Inflates `chunk`, handing the output to `output` in pieces of at most `pieceSize` bytes.
    /// A piece is only valid during the call. Errors thrown by `output` are rethrown as they are.
    public mutating func inflate(_ chunk: some Collection<UInt8>,
                                 output: (UnsafeBufferPointer<UInt8>) throws -> Void) throws {
        if let done = try chunk.withContiguousStorageIfAvailable({ try run($0, output) }) {
            return done
        }
        try Array(chunk).withUnsafeBufferPointer { try run($0, output) }
    }

    /// Inflates `chunk` and returns what it produced. The result is bounded by `outputLimit`
    /// only; for large or untrusted inputs prefer `inflate(_:output:)`, which never holds more
    /// than one piece.
    public mutating func inflate(_ chunk: some Collection<UInt8>) throws(InflateError) -> [UInt8] {
        var result: [UInt8] = []
        do {
            try inflate(chunk) { piece in result.append(contentsOf: piece) }
        } catch let e as InflateError {
            throw e
        } catch {
            preconditionFailure("the collecting closure does not throw")
        }
        return result
    }

    /// Checks that the stream is whole: throws `truncated` when it ended early (or never
    /// started), or the error that stopped it.
    public func finish() throws(InflateError) {
        if let failure { throw failure }
        guard stream != nil else { throw .outOfMemory }
        guard czlib_stream_is_complete(stream) != 0 else {
            throw .truncated(consumed: totalIn, produced: totalOut)
        }
    }

    private mutating func fail(_ error: InflateError) -> InflateError {
        failure = error
        return error
    }

    private mutating func run(_ input: UnsafeBufferPointer<UInt8>,
                              _ output: (UnsafeBufferPointer<UInt8>) throws -> Void) throws {
        if let failure { throw failure }
        guard let stream else { throw fail(.outOfMemory) }
        let out: UnsafeMutableBufferPointer<UInt8>
        if let buffer {
            out = buffer
        } else {
            out = .allocate(capacity: pieceSize)
            buffer = out
        }
        var offset = 0
        while true {
            let budget = outputLimit - totalOut
            // One byte more than allowed: producing it proves the limit is passed.
            let capacity = budget < out.count ? budget + 1 : out.count
            var used = 0
            var produced = 0
            let rc = czlib_stream_inflate(stream, input.baseAddress.map { $0 + offset }, input.count - offset, &used,
                                          out.baseAddress, capacity, &produced)
            offset += used
            totalIn += used
            if produced > budget { throw fail(.outputLimitExceeded(limit: outputLimit)) }
            totalOut += produced
            if produced > 0 { try output(UnsafeBufferPointer(rebasing: out[0..<produced])) }
            switch rc {
            case Int32(CZLIB_OK):
                if produced == capacity { continue }  // the buffer filled: more output may be pending
                if used == 0 && produced == 0 { return }  // needs more input
                if offset == input.count { return }
            case Int32(CZLIB_END):
                if offset == input.count { return }
            case Int32(CZLIB_ERR_TRAILING):
                throw fail(.trailingData(offset: Int(czlib_stream_total_in(stream))))
            case Int32(CZLIB_ERR_MEMORY):
                throw fail(.outOfMemory)
            default:
                let reason = String(cString: czlib_stream_message(stream))
                throw fail(.corrupt(reason: reason.isEmpty ? "zlib error \(rc)" : reason,
                                    offset: Int(czlib_stream_total_in(stream))))
            }
        }
    }
}

/// CRC-32 as ZIP and gzip use it (zlib's `crc32`).
public struct CRC32: Sendable {
    public private(set) var value: UInt32 = 0

    public init() {}

    public mutating func update(_ bytes: UnsafeBufferPointer<UInt8>) {
        value = czlib_crc32(value, bytes.baseAddress, bytes.count)
    }

    public mutating func update(_ bytes: some Collection<UInt8>) {
        if bytes.withContiguousStorageIfAvailable({ update($0) }) == nil {
            Array(bytes).withUnsafeBufferPointer { update($0) }
        }
    }

    public static func checksum(_ bytes: some Collection<UInt8>) -> UInt32 {
        var crc = CRC32()
        crc.update(bytes)
        return crc.value
    }
}
