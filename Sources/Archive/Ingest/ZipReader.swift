#if canImport(Glibc)
import Glibc
#endif

/// Why a ZIP archive or one of its entries cannot be read. Each case says what and where.
public enum ZipError: Error, Equatable, Sendable, CustomStringConvertible {
    case cannotOpen(path: String, reason: String)
    case readFailed(path: String, offset: Int, reason: String)
    /// No end of central directory record: not a ZIP archive (or cut short).
    case notAZip(path: String, reason: String)
    /// The archive's structure (end records, central directory) is invalid.
    case corrupt(path: String, offset: Int, reason: String)
    /// Valid but not supported here (split/multi-disk archives).
    case unsupported(path: String, reason: String)
    /// The entry is encrypted (traditional PKWARE, strong encryption or WinZip AES).
    case encrypted(entry: String)
    /// A compression method other than stored (0) or deflated (8).
    case unsupportedMethod(entry: String, method: UInt16)
    /// The entry's local header or data is invalid, or its deflate stream is corrupt.
    case corruptEntry(entry: String, offset: Int, reason: String)
    case crcMismatch(entry: String, expected: UInt32, actual: UInt32)
    case sizeMismatch(entry: String, expected: Int, actual: Int)
    /// The entry declares more bytes than the reader's `maximumEntrySize`.
    case entryTooLarge(entry: String, size: Int, limit: Int)

    public var description: String {
        switch self {
        case let .cannotOpen(path, reason): "cannot open ZIP archive \(path): \(reason)"
        case let .readFailed(path, offset, reason): "cannot read ZIP archive \(path) at offset \(offset): \(reason)"
        case let .notAZip(path, reason): "\(path) is not a ZIP archive: \(reason)"
        case let .corrupt(path, offset, reason): "corrupt ZIP archive \(path) at offset \(offset): \(reason)"
        case let .unsupported(path, reason): "unsupported ZIP archive \(path): \(reason)"
        case let .encrypted(entry): "ZIP entry \"\(entry)\" is encrypted"
        case let .unsupportedMethod(entry, method):
            "ZIP entry \"\(entry)\" uses compression method \(method) (only stored and deflated are supported)"
        case let .corruptEntry(entry, offset, reason): "corrupt ZIP entry \"\(entry)\" (local header at offset \(offset)): \(reason)"
        case let .crcMismatch(entry, expected, actual):
            "ZIP entry \"\(entry)\": CRC-32 is \(Self.hex(actual)), the directory says \(Self.hex(expected))"
        case let .sizeMismatch(entry, expected, actual):
            "ZIP entry \"\(entry)\": \(actual) bytes, the directory says \(expected)"
        case let .entryTooLarge(entry, size, limit):
            "ZIP entry \"\(entry)\" is \(size) bytes, more than the limit of \(limit)"
        }
    }

    static func hex(_ v: UInt32) -> String {
        let s = String(v, radix: 16)
        return "0x" + String(repeating: "0", count: 8 - s.count) + s
    }
}

/// One entry of a ZIP archive's central directory.
public struct ZipEntry: Sendable, Equatable {
    /// The name as stored (UTF-8, or CP437 when not flagged as UTF-8). Only a name: it may
    /// contain `..` or start with `/`; nothing here writes it to disk.
    public let name: String
    public let method: UInt16
    public let flags: UInt16
    public let crc32: UInt32
    public let compressedSize: Int
    public let uncompressedSize: Int
    /// Offset of the local file header (adjusted for data prepended to the archive).
    public let localHeaderOffset: Int
    public let dosTime: UInt16
    public let dosDate: UInt16
    public let externalAttributes: UInt32
    public let versionMadeBy: UInt16
    /// Where the next entry (or the central directory) begins: this entry's data must end before.
    let dataLimit: Int

    public var isDirectory: Bool {
        if name.hasSuffix("/") || name.hasSuffix("\\") { return true }
        // MS-DOS directory attribute, set by Windows tools.
        return versionMadeBy >> 8 == 0 && externalAttributes & 0x10 != 0 && uncompressedSize == 0
    }

    /// Bit 0 (traditional encryption), bit 6 (strong encryption), or method 99 (WinZip AES).
    public var isEncrypted: Bool { flags & 0x0001 != 0 || flags & 0x0040 != 0 || method == 99 }
}

/// A small ZIP reader (PKWARE APPNOTE 6.3): reads the central directory of an archive on disk,
/// including ZIP64 (archives and entries over 4 GiB, more than 65535 entries), and streams
/// entries' contents (stored or deflated) in bounded chunks, verifying sizes and CRC-32.
///
/// Reads are positional (`pread`), so several entries may be read at once from different tasks.
public final class ZipReader: Sendable {
    public let path: String
    public let entries: [ZipEntry]
    public let fileSize: Int
    public let maximumEntrySize: Int
    private let fd: Int32

    public static let defaultMaximumEntrySize = 1 << 36

    /// Entries that are not directories.
    public var files: [ZipEntry] { entries.filter { !$0.isDirectory } }

    /// Opens `path` and reads its central directory.
    public init(path: String, maximumEntrySize: Int = defaultMaximumEntrySize) throws(ZipError) {
        self.path = path
        self.maximumEntrySize = maximumEntrySize
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw .cannotOpen(path: path, reason: reason)
        }
        guard st.st_mode & S_IFMT == S_IFREG else {
            close(fd)
            throw .cannotOpen(path: path, reason: "not a regular file")
        }
        self.fd = fd
        fileSize = Int(st.st_size)
        do {
            entries = try Self.readCentralDirectory(fd: fd, path: path, fileSize: fileSize)
        } catch {
            close(fd)
            throw error
        }
    }

    deinit { close(fd) }

    // MARK: - Reading entries

    /// Streams `entry`'s content to `body` in chunks of at most `chunkSize` bytes (a chunk is
    /// only valid during the call). Sizes and CRC-32 are checked at the end, so `body` has seen
    /// all the data before a mismatch is reported: treat the data as unverified until this returns.
    /// Throws `ZipError`, or what `body` throws. A directory has no content.
    public func read(_ entry: ZipEntry, chunkSize: Int = 1 << 20,
                     _ body: (UnsafeBufferPointer<UInt8>) throws -> Void) throws {
        if entry.isDirectory { return }
        if entry.isEncrypted { throw ZipError.encrypted(entry: entry.name) }
        guard entry.method == 0 || entry.method == 8 else {
            throw ZipError.unsupportedMethod(entry: entry.name, method: entry.method)
        }
        guard entry.uncompressedSize <= maximumEntrySize else {
            throw ZipError.entryTooLarge(entry: entry.name, size: entry.uncompressedSize, limit: maximumEntrySize)
        }
        let start = try dataOffset(of: entry)
        let chunk = min(max(chunkSize, 4096), GzipInflater.maximumPieceSize)
        let buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: chunk)
        defer { buffer.deallocate() }

        var crc = CRC32()
        var produced = 0
        if entry.method == 0 {
            guard entry.compressedSize == entry.uncompressedSize else {
                throw ZipError.sizeMismatch(entry: entry.name, expected: entry.uncompressedSize, actual: entry.compressedSize)
            }
            var offset = start
            let end = start + entry.compressedSize
            while offset < end {
                let n = try readFully(buffer, count: min(chunk, end - offset), at: offset)
                let piece = UnsafeBufferPointer(rebasing: buffer[0..<n])
                crc.update(piece)
                try body(piece)
                offset += n
                produced += n
            }
        } else {
            var inflater = GzipInflater(format: .raw, outputLimit: entry.uncompressedSize, pieceSize: chunk)
            let input = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: min(chunk, 256 << 10))
            defer { input.deallocate() }
            var offset = start
            let end = start + entry.compressedSize
            do {
                while offset < end {
                    let n = try readFully(input, count: min(input.count, end - offset), at: offset)
                    try inflater.inflate(UnsafeBufferPointer(rebasing: input[0..<n])) { piece in
                        crc.update(piece)
                        produced += piece.count
                        try body(piece)
                    }
                    offset += n
                }
                try inflater.finish()
            } catch let e as InflateError {
                let reason: String
                switch e {
                case .outputLimitExceeded:
                    reason = "inflates to more than the \(entry.uncompressedSize) bytes the directory declares"
                case .truncated:
                    reason = "the deflate stream ends early (\(entry.compressedSize) compressed bytes, \(produced) inflated)"
                case .trailingData(let at):
                    reason = "the deflate stream ends after \(at) of its \(entry.compressedSize) compressed bytes"
                case .corrupt(let why, let at):
                    reason = "corrupt deflate data at compressed offset \(at): \(why)"
                case .outOfMemory:
                    reason = "out of memory"
                }
                throw ZipError.corruptEntry(entry: entry.name, offset: entry.localHeaderOffset, reason: reason)
            }
        }
        guard produced == entry.uncompressedSize else {
            throw ZipError.sizeMismatch(entry: entry.name, expected: entry.uncompressedSize, actual: produced)
        }
        guard crc.value == entry.crc32 else {
            throw ZipError.crcMismatch(entry: entry.name, expected: entry.crc32, actual: crc.value)
        }
    }

    /// The entry's whole content (convenient for small entries).
    public func contents(of entry: ZipEntry) throws(ZipError) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(min(entry.uncompressedSize, 64 << 20))
        do {
            try read(entry) { out.append(contentsOf: $0) }
        } catch let e as ZipError {
            throw e
        } catch {
            preconditionFailure("the collecting closure does not throw")
        }
        return out
    }

    /// Checks the local header and returns where the entry's data starts.
    func dataOffset(of entry: ZipEntry) throws -> Int {
        let at = entry.localHeaderOffset
        guard entry.dataLimit > at else {
            throw ZipError.corruptEntry(entry: entry.name, offset: at, reason: "another entry of the directory points to the same data")
        }
        guard at + 30 <= entry.dataLimit else {
            throw ZipError.corruptEntry(entry: entry.name, offset: at, reason: "the local header lies outside the archive's entry area")
        }
        var header = [UInt8](repeating: 0, count: 30)
        let n = try header.withUnsafeMutableBufferPointer { try readFully($0, count: 30, at: at) }
        guard n == 30, le32(header, 0) == 0x0403_4B50 else {
            throw ZipError.corruptEntry(entry: entry.name, offset: at, reason: "no local file header signature")
        }
        let start = at + 30 + Int(le16(header, 26)) + Int(le16(header, 28))
        guard start <= entry.dataLimit, entry.compressedSize <= entry.dataLimit - start else {
            throw ZipError.corruptEntry(entry: entry.name, offset: at,
                                        reason: "its \(entry.compressedSize) compressed bytes overlap the next entry or the central directory")
        }
        return start
    }

    /// Reads exactly `count` bytes at `offset` (short only at the end of the file, which the
    /// callers' bounds rule out).
    private func readFully(_ buffer: UnsafeMutableBufferPointer<UInt8>, count: Int, at offset: Int) throws -> Int {
        try Self.pread(fd: fd, path: path, buffer, count: count, at: offset)
    }

    static func pread(fd: Int32, path: String, _ buffer: UnsafeMutableBufferPointer<UInt8>, count: Int, at offset: Int) throws(ZipError) -> Int {
        var done = 0
        while done < count {
            let n = Glibc.pread(fd, buffer.baseAddress! + done, count - done, off_t(offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                throw .readFailed(path: path, offset: offset + done, reason: String(cString: strerror(errno)))
            }
            if n == 0 { throw .readFailed(path: path, offset: offset + done, reason: "unexpected end of file") }
            done += n
        }
        return done
    }

    static func read(fd: Int32, path: String, count: Int, at offset: Int) throws(ZipError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        if count > 0 {
            try bytes.withUnsafeMutableBufferPointer { (b: inout UnsafeMutableBufferPointer<UInt8>) throws(ZipError) in
                _ = try pread(fd: fd, path: path, b, count: count, at: offset)
            }
        }
        return bytes
    }

    // MARK: - Central directory

    static func readCentralDirectory(fd: Int32, path: String, fileSize: Int) throws(ZipError) -> [ZipEntry] {
        // End of central directory record (APPNOTE 4.3.16): 22 bytes plus a comment of up to 65535.
        guard fileSize >= 22 else { throw .notAZip(path: path, reason: "\(fileSize) bytes, too short") }
        let tailSize = min(fileSize, 22 + 0xFFFF)
        let tailStart = fileSize - tailSize
        let tail = try read(fd: fd, path: path, count: tailSize, at: tailStart)
        var eocdInTail = -1
        var candidate = tail.count - 22
        while candidate >= 0 {
            if le32(tail, candidate) == 0x0605_4B50 {
                let commentLength = Int(le16(tail, candidate + 20))
                if candidate + 22 + commentLength == tail.count { eocdInTail = candidate; break }
                if eocdInTail < 0 { eocdInTail = candidate }  // trailing bytes after the comment: keep looking for an exact fit
            }
            candidate -= 1
        }
        guard eocdInTail >= 0 else { throw .notAZip(path: path, reason: "no end of central directory record") }
        let eocdOffset = tailStart + eocdInTail
        let eocd = Array(tail[eocdInTail..<eocdInTail + 22])

        var diskNumber = Int(le16(eocd, 4))
        var directoryDisk = Int(le16(eocd, 6))
        var entriesOnDisk = Int(le16(eocd, 8))
        var entryCount = Int(le16(eocd, 10))
        var directorySize = Int(le32(eocd, 12))
        var directoryOffset = Int(le32(eocd, 16))
        var directoryEnd = eocdOffset  // where the central directory must end

        // ZIP64 end of central directory locator (APPNOTE 4.3.15), right before the EOCD.
        if eocdOffset >= 20 {
            let locator = try read(fd: fd, path: path, count: 20, at: eocdOffset - 20)
            if le32(locator, 0) == 0x0706_4B50 {
                let totalDisks = Int(le32(locator, 16))
                guard le32(locator, 4) == 0, totalDisks <= 1 else {
                    throw .unsupported(path: path, reason: "split over \(totalDisks) disks")
                }
                // Data prepended to the archive shifts every offset: then look where a record
                // without extensible data would be, right before the locator.
                func isRecord(_ offset: Int) -> Bool {
                    guard offset >= 0, offset <= eocdOffset - 20 - 56,
                          let head = try? read(fd: fd, path: path, count: 4, at: offset) else { return false }
                    return le32(head, 0) == 0x0606_4B50
                }
                var recordOffset = Int(clamping: le64(locator, 8))
                if !isRecord(recordOffset) {
                    guard isRecord(eocdOffset - 20 - 56) else {
                        throw .corrupt(path: path, offset: eocdOffset - 20,
                                       reason: "no ZIP64 end of central directory record where the locator points (\(recordOffset))")
                    }
                    recordOffset = eocdOffset - 20 - 56
                }
                let record = try read(fd: fd, path: path, count: 56, at: recordOffset)
                diskNumber = Int(le32(record, 16))
                directoryDisk = Int(le32(record, 20))
                entriesOnDisk = Int(clamping: le64(record, 24))
                entryCount = Int(clamping: le64(record, 32))
                directorySize = Int(clamping: le64(record, 40))
                directoryOffset = Int(clamping: le64(record, 48))
                directoryEnd = recordOffset
            }
        }
        guard diskNumber == 0, directoryDisk == 0, entriesOnDisk == entryCount else {
            throw .unsupported(path: path, reason: "a split (multi-disk) archive")
        }
        guard directorySize >= 0, directorySize <= directoryEnd else {
            throw .corrupt(path: path, offset: eocdOffset, reason: "central directory size \(directorySize) is larger than the archive")
        }
        // Offsets are relative to the archive's start; bytes prepended to it (a self-extractor
        // stub) make the actual directory start later by `bias`.
        let actualStart = directoryEnd - directorySize
        // Info-ZIP's `zip -fz` writing to a pipe leaves the offset at FFFFFFFFH without any
        // ZIP64 end record (unzip reads it anyway): the directory is right before its end record.
        let offsetUnknown = directoryOffset == 0xFFFF_FFFF && directoryEnd == eocdOffset
        let bias = offsetUnknown ? 0 : actualStart - directoryOffset
        guard directoryOffset >= 0, bias >= 0 else {
            throw .corrupt(path: path, offset: eocdOffset,
                           reason: "central directory at \(directoryOffset) + \(directorySize) bytes runs past its end record at \(directoryEnd)")
        }
        guard directorySize <= 1 << 30 else {
            throw .unsupported(path: path, reason: "a central directory of \(directorySize) bytes")
        }
        guard entryCount <= directorySize / 46 else {
            throw .corrupt(path: path, offset: eocdOffset,
                           reason: "\(entryCount) entries cannot fit in a central directory of \(directorySize) bytes")
        }
        let directory = try read(fd: fd, path: path, count: directorySize, at: actualStart)

        struct Raw {
            var name: String, method: UInt16, flags: UInt16, crc: UInt32, compressed: Int, uncompressed: Int
            var offset: Int, time: UInt16, date: UInt16, external: UInt32, madeBy: UInt16
        }
        var raws: [Raw] = []
        raws.reserveCapacity(entryCount)
        var p = 0
        for index in 0..<entryCount {
            let at = actualStart + p
            guard p + 46 <= directory.count, le32(directory, p) == 0x0201_4B50 else {
                throw .corrupt(path: path, offset: at, reason: "central directory entry \(index + 1) of \(entryCount): no file header signature")
            }
            let nameLength = Int(le16(directory, p + 28))
            let extraLength = Int(le16(directory, p + 30))
            let commentLength = Int(le16(directory, p + 32))
            let next = p + 46 + nameLength + extraLength + commentLength
            guard next <= directory.count else {
                throw .corrupt(path: path, offset: at, reason: "central directory entry \(index + 1) runs past the directory's end")
            }
            let flags = le16(directory, p + 8)
            let rawName = directory[p + 46..<p + 46 + nameLength]
            let extra = directory[p + 46 + nameLength..<p + 46 + nameLength + extraLength]
            var uncompressed = Int(le32(directory, p + 24))
            var compressed = Int(le32(directory, p + 20))
            var offset = Int(le32(directory, p + 42))
            var disk = Int(le16(directory, p + 34))
            var unicodeName: String? = nil
            // Extra fields (APPNOTE 4.5): ZIP64 sizes/offset (0x0001), Info-ZIP Unicode path (0x7075).
            var q = extra.startIndex
            while q + 4 <= extra.endIndex {
                let id = le16(directory, q)
                let size = Int(le16(directory, q + 2))
                let body = q + 4
                guard body + size <= extra.endIndex else { break }
                if id == 0x0001 {
                    var r = body
                    func next64() throws(ZipError) -> Int {
                        guard r + 8 <= body + size else {
                            throw .corrupt(path: path, offset: at, reason: "entry \(index + 1): ZIP64 extra field too short")
                        }
                        defer { r += 8 }
                        return Int(clamping: le64(directory, r))
                    }
                    if uncompressed == 0xFFFF_FFFF { uncompressed = try next64() }
                    if compressed == 0xFFFF_FFFF { compressed = try next64() }
                    if offset == 0xFFFF_FFFF { offset = try next64() }
                    if disk == 0xFFFF, r + 4 <= body + size { disk = Int(le32(directory, r)) }
                } else if id == 0x7075, size >= 5, directory[body] == 1,
                          le32(directory, body + 1) == CRC32.checksum(rawName) {
                    unicodeName = String(validating: directory[body + 5..<body + size], as: UTF8.self)
                }
                q = body + size
            }
            let name = unicodeName ?? decodeName(rawName, utf8: flags & 0x0800 != 0)
            guard disk == 0 else { throw .unsupported(path: path, reason: "entry \"\(name)\" is on disk \(disk)") }
            guard offset <= Int.max - bias, offset + bias < actualStart else {
                throw .corrupt(path: path, offset: at, reason: "entry \"\(name)\": local header offset \(offset) is past the central directory")
            }
            raws.append(Raw(name: name, method: le16(directory, p + 10), flags: flags, crc: le32(directory, p + 16),
                            compressed: compressed, uncompressed: uncompressed, offset: offset + bias,
                            time: le16(directory, p + 12), date: le16(directory, p + 14),
                            external: le32(directory, p + 38), madeBy: le16(directory, p + 4)))
            p = next
        }

        // Each entry's data must end before the next local header (or the directory): entries
        // sharing or overlapping data (an "overlap" ZIP bomb) fail when read.
        let starts = Set(raws.map(\.offset)).sorted()
        var counts: [Int: Int] = [:]
        for raw in raws { counts[raw.offset, default: 0] += 1 }
        return raws.map { raw in
            var limit = actualStart
            if counts[raw.offset]! > 1 {
                limit = raw.offset  // shared by two entries: neither is readable
            } else {
                var lo = 0, hi = starts.count
                while lo < hi { let mid = (lo + hi) / 2; if starts[mid] <= raw.offset { lo = mid + 1 } else { hi = mid } }
                if lo < starts.count { limit = starts[lo] }
            }
            return ZipEntry(name: raw.name, method: raw.method, flags: raw.flags, crc32: raw.crc,
                            compressedSize: raw.compressed, uncompressedSize: raw.uncompressed,
                            localHeaderOffset: raw.offset, dosTime: raw.time, dosDate: raw.date,
                            externalAttributes: raw.external, versionMadeBy: raw.madeBy, dataLimit: limit)
        }
    }

    /// Names flagged UTF-8 (bit 11) are UTF-8; others are CP437 by the APPNOTE, though many
    /// tools write UTF-8 without the flag: valid UTF-8 is taken as such.
    static func decodeName(_ bytes: ArraySlice<UInt8>, utf8: Bool) -> String {
        if utf8 || bytes.allSatisfy({ $0 < 0x80 }) { return String(decoding: bytes, as: UTF8.self) }
        if let text = String(validating: bytes, as: UTF8.self) { return text }
        var out = ""
        out.unicodeScalars.reserveCapacity(bytes.count)
        for b in bytes { out.unicodeScalars.append(b < 0x80 ? Unicode.Scalar(b) : cp437High[Int(b - 0x80)]) }
        return out
    }

    static let cp437High: [Unicode.Scalar] = Array(
        "ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u{A0}".unicodeScalars)
}

@inline(__always) private func le16(_ b: [UInt8], _ i: Int) -> UInt16 { UInt16(b[i]) | UInt16(b[i + 1]) << 8 }
@inline(__always) private func le32(_ b: [UInt8], _ i: Int) -> UInt32 {
    UInt32(b[i]) | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2]) << 16 | UInt32(b[i + 3]) << 24
}
@inline(__always) private func le64(_ b: [UInt8], _ i: Int) -> UInt64 { UInt64(le32(b, i)) | UInt64(le32(b, i + 4)) << 32 }
