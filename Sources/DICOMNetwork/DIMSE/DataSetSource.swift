#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore
import NIOPosix

/// The bytes of an outgoing data set, pulled in pieces by `MessageFragmenter` so a large data set
/// (a stored file) is never in memory whole.
public protocol DataSetSource {
    /// Bytes still to come, when the source knows (a file region, a buffer); nil for a stream.
    /// A source that knows lets the fragmenter mark the last fragment without reading ahead.
    var remainingByteCount: Int? { get }
    /// The next bytes, at most `maxLength` (fewer is fine); nil at the end.
    mutating func read(upTo maxLength: Int) async throws -> ByteBuffer?
}

/// A data set already in memory; read as slices of the buffer, never copied.
public struct ByteBufferDataSetSource: DataSetSource, Sendable {
    private var buffer: ByteBuffer
    public init(_ buffer: ByteBuffer) { self.buffer = buffer }
    public var remainingByteCount: Int? { buffer.readableBytes }
    public mutating func read(upTo maxLength: Int) async throws -> ByteBuffer? {
        guard buffer.readableBytes > 0 else { return nil }
        return buffer.readSlice(length: min(maxLength, buffer.readableBytes))
    }
}

/// A region of a file (e.g. a stored Part 10 file after its File Meta Information), read with
/// `pread` on a thread pool, one fragment's worth at a time.
public struct FileRegionDataSetSource: DataSetSource, Sendable {
    public struct Error: Swift.Error, CustomStringConvertible {
        public let path: String
        public let errno: Int32
        public var description: String { "\(path): \(String(cString: strerror(errno)))" }
    }

    /// Owns the descriptor; closed when the last copy of the source goes away.
    private final class Descriptor: Sendable {
        let fd: Int32
        init(_ fd: Int32) { self.fd = fd }
        deinit { close(fd) }
    }

    private let descriptor: Descriptor
    private let path: String
    private let threadPool: NIOThreadPool
    private var offset: Int
    private var remaining: Int

    /// `length` nil means to the end of the file. The file is opened now; a region reaching past
    /// the end is an error.
    public init(path: String, offset: Int = 0, length: Int? = nil, threadPool: NIOThreadPool = .singleton) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw Error(path: path, errno: errno) }
        let descriptor = Descriptor(fd)
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw Error(path: path, errno: errno) }
        let size = Int(st.st_size)
        let length = length ?? max(0, size - offset)
        guard offset >= 0, length >= 0, offset <= size, length <= size - offset else {
            throw Error(path: path, errno: EINVAL)
        }
        self.descriptor = descriptor
        self.path = path
        self.threadPool = threadPool
        self.offset = offset
        self.remaining = length
    }

    public var remainingByteCount: Int? { remaining }

    public mutating func read(upTo maxLength: Int) async throws -> ByteBuffer? {
        guard remaining > 0 else { return nil }
        let count = min(maxLength, remaining)
        let (descriptor, offset, path) = (self.descriptor, self.offset, self.path)
        let buffer = try await threadPool.runIfActive { () throws -> ByteBuffer in
            var buffer = ByteBufferAllocator().buffer(capacity: count)
            var done = 0
            while done < count {
                var n = 0
                var error: Int32 = 0
                buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count - done) { raw in
                    n = pread(descriptor.fd, raw.baseAddress, count - done, off_t(offset + done))
                    if n < 0 { error = errno }
                    return max(n, 0)
                }
                if n < 0 {
                    if error == EINTR { continue }
                    throw Error(path: path, errno: error)
                }
                if n == 0 { break }  // the file shrank: reported as truncation by the fragmenter
                done += n
            }
            return buffer
        }
        guard buffer.readableBytes > 0 else { return nil }
        self.offset += buffer.readableBytes
        remaining -= buffer.readableBytes
        return buffer
    }
}

/// Chunks from an async sequence (a transcoder's output, a proxied stream). Chunks larger than
/// asked for are sliced, not copied; the total length is unknown, so the fragmenter reads one
/// fragment ahead to find the last.
public struct AsyncSequenceDataSetSource<Base: AsyncSequence>: DataSetSource where Base.Element == ByteBuffer {
    private var iterator: Base.AsyncIterator
    private var leftover: ByteBuffer?

    public init(_ base: Base) { iterator = base.makeAsyncIterator() }

    public var remainingByteCount: Int? { nil }

    public mutating func read(upTo maxLength: Int) async throws -> ByteBuffer? {
        while true {
            if var chunk = leftover.take() {
                if chunk.readableBytes > maxLength {
                    let head = chunk.readSlice(length: maxLength)
                    leftover = chunk
                    return head
                }
                return chunk
            }
            guard let next = try await iterator.next() else { return nil }
            if next.readableBytes > 0 { leftover = next }
        }
    }
}
