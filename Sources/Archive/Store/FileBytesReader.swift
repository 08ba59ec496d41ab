#if canImport(Glibc)
import Glibc
#endif

/// Reads a byte range of a file (pread), for checks that need a few bytes past a header.
enum FileBytesReader {
    static func read(path: String, offset: Int, count: Int) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ArchiveError.storage("cannot open \(path)") }
        defer { close(fd) }
        var out = [UInt8](repeating: 0, count: count)
        let n = out.withUnsafeMutableBytes { pread(fd, $0.baseAddress, count, off_t(offset)) }
        guard n >= 0 else { throw ArchiveError.storage("cannot read \(path)") }
        out.removeLast(count - n)
        return out
    }
}
