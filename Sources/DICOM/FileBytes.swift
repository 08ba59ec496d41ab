#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Plain POSIX reads of a whole file or its first bytes, with errno in the error.
struct FileBytes {
    let path: String

    struct Error: Swift.Error, CustomStringConvertible {
        let path: String
        let errno: Int32
        var description: String { "\(path): \(String(cString: strerror(errno)))" }
    }

    init(path: String) throws {
        self.path = path
        var st = stat()
        guard stat(path, &st) == 0 else { throw Error(path: path, errno: errno) }
    }

    func readAll() throws -> [UInt8] { try read(upTo: nil) }

    /// Up to `limit` bytes from the start (the whole file when nil).
    func read(upTo limit: Int?) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw Error(path: path, errno: errno) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw Error(path: path, errno: errno) }
        let size = min(Int(st.st_size), limit ?? Int.max)
        var bytes = [UInt8](repeating: 0, count: size)
        var done = 0
        try bytes.withUnsafeMutableBytes { raw in
            while done < size {
                let n = Glibc.read(fd, raw.baseAddress! + done, size - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw Error(path: path, errno: errno)
                }
                if n == 0 { break }
                done += n
            }
        }
        if done < size { bytes.removeLast(size - done) }
        return bytes
    }
}
