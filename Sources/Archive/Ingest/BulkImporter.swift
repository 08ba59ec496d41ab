import DICOM
#if canImport(Glibc)
import Glibc
#endif

// MARK: - What a file is

/// Tells DICOM objects from other files by their first bytes (never by name or extension).
public enum ContentSniffer {
    public enum Kind: Equatable, Sendable {
        /// A Part 10 file: 128-byte preamble and "DICM" (or "DICM" without preamble).
        case part10
        /// No preamble, but the first bytes look like a data element (the parser decides).
        case bareDataSet
        /// A DICOMDIR (Media Storage SOP Class 1.2.840.10008.1.3.10): a media directory, no SOP instance.
        case dicomdir
        /// A ZIP archive (local file header or empty-archive signature).
        case zip
        /// Anything else, with what it looks like.
        case notDICOM(String)
    }

    /// How many leading bytes `classify` wants: the 132 of preamble and prefix, plus enough of
    /// the File Meta Information to see the Media Storage SOP Class UID.
    public static let headSize = 1024

    static let dicomdirClassUID = "1.2.840.10008.1.3.10"

    public static func classify(_ head: some Collection<UInt8>) -> Kind {
        let b = Array(head.prefix(headSize))
        if b.isEmpty { return .notDICOM("an empty file") }
        if b.count >= 4, b[0] == 0x50, b[1] == 0x4B, (b[2] == 3 && b[3] == 4) || (b[2] == 5 && b[3] == 6) { return .zip }
        if b.count >= 132, b[128] == 0x44, b[129] == 0x49, b[130] == 0x43, b[131] == 0x4D {
            return isDICOMDIR(b, metaAt: 132) ? .dicomdir : .part10
        }
        if b.count >= 4, b[0] == 0x44, b[1] == 0x49, b[2] == 0x43, b[3] == 0x4D {
            return isDICOMDIR(b, metaAt: 4) ? .dicomdir : .part10
        }
        if looksLikeElement(b, at: 0, strict: false) {
            return isDICOMDIR(b, metaAt: 0) ? .dicomdir : .bareDataSet
        }
        // A (0008,xxxx) explicit-VR element a few bytes in: a damaged data set, worth a parse
        // (which then says what is wrong) rather than a silent skip.
        for offset in 1..<max(1, min(b.count, 132) - 7) where looksLikeElement(b, at: offset, strict: true) {
            return .bareDataSet
        }
        if b.count >= 2, b[0] == 0x1F, b[1] == 0x8B { return .notDICOM("gzip data") }
        if b.prefix(132).allSatisfy({ $0 >= 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }) { return .notDICOM("text") }
        return .notDICOM("no DICM prefix and no data element at the start")
    }

    /// Whether a data element header starts at `offset`: a little- or big-endian tag of the
    /// first groups of a data set, and then either an explicit VR or (not `strict`) a sane
    /// implicit-VR length.
    static func looksLikeElement(_ b: [UInt8], at offset: Int, strict: Bool) -> Bool {
        guard b.count >= offset + 8 else { return false }
        let little = UInt16(b[offset]) | UInt16(b[offset + 1]) << 8
        let big = UInt16(b[offset]) << 8 | UInt16(b[offset + 1])
        let explicit = VR(byte0: b[offset + 4], byte1: b[offset + 5]) != nil
        if strict { return explicit && (little == 0x0008 || big == 0x0008) }
        let firstGroups: ClosedRange<UInt16> = 0x0002...0x0020
        if explicit { return (firstGroups.contains(little) && little % 2 == 0) || big == 0x0008 }
        guard firstGroups.contains(little), little % 2 == 0 else { return false }
        let length = UInt32(b[offset + 4]) | UInt32(b[offset + 5]) << 8 | UInt32(b[offset + 6]) << 16 | UInt32(b[offset + 7]) << 24
        return length < 0x0100_0000 || length == 0xFFFF_FFFF
    }

    /// Walks the File Meta Information (explicit VR little endian) for (0002,0002).
    static func isDICOMDIR(_ b: [UInt8], metaAt start: Int) -> Bool {
        var p = start
        while p + 8 <= b.count {
            let group = UInt16(b[p]) | UInt16(b[p + 1]) << 8
            let element = UInt16(b[p + 2]) | UInt16(b[p + 3]) << 8
            guard group == 0x0002, let vr = VR(byte0: b[p + 4], byte1: b[p + 5]) else { return false }
            var length: Int
            var header = 8
            if vr.hasLongExplicitLength {
                guard p + 12 <= b.count else { return false }
                length = Int(b[p + 8]) | Int(b[p + 9]) << 8 | Int(b[p + 10]) << 16 | Int(b[p + 11]) << 24
                header = 12
            } else {
                length = Int(b[p + 6]) | Int(b[p + 7]) << 8
            }
            if element == 0x0002 {
                guard p + header + length <= b.count else { return false }
                var value = b[p + header..<p + header + length]
                while let last = value.last, last == 0 || last == 0x20 { value = value.dropLast() }
                return String(decoding: value, as: UTF8.self) == dicomdirClassUID
            }
            if element > 0x0002 { return false }
            p += header + length
        }
        return false
    }
}

// MARK: - One object through the ingest path

/// What became of one file or ZIP entry.
public enum ImportOutcome: Sendable {
    /// Ingested: `status` is Success or AlreadyStored.
    case ingested(IngestResult)
    /// Looked like DICOM (or could not be read) and failed, with why.
    case failed(String)
    /// Not DICOM, or nothing to store (a DICOMDIR), with why.
    case skipped(String)
}

/// One entry of an ingested ZIP archive.
public struct ZipEntryResult: Sendable {
    public var name: String
    public var outcome: ImportOutcome

    public var result: IngestResult? {
        if case .ingested(let r) = outcome { return r }
        return nil
    }

    /// The failure or skip reason.
    public var error: String? {
        switch outcome {
        case .ingested: nil
        case .failed(let why), .skipped(let why): why
        }
    }
}

/// Thrown by the sniffing sink to stop reading a source that will not be ingested.
private struct SkipSource: Error { let reason: String }

/// Holds the ingest stream while a source is read (a class: the sink closure mutates it).
private final class PendingIngest {
    var head: [UInt8] = []
    var stream: IngestStream?
}

extension Archive {
    /// Ingests every file entry of the ZIP archive at `path` (spooled to disk by the caller),
    /// `concurrency` at a time, through the single ingest path. One result per file entry, in
    /// directory order; a failing or non-DICOM entry does not stop the others. When the archive
    /// itself cannot be read, the answer is one failed result named after `path`.
    public func ingestZip(path: String, origin: String, concurrency: Int = 4) async -> [ZipEntryResult] {
        let reader: ZipReader
        do {
            reader = try ZipReader(path: path)
        } catch {
            return [ZipEntryResult(name: path, outcome: .failed(error.description))]
        }
        let files = reader.files
        var results = [ZipEntryResult?](repeating: nil, count: files.count)
        await forEachConcurrently(files.indices, limit: concurrency) { index in
            (index, await self.ingest(entry: files[index], of: reader, origin: origin))
        } collect: { index, outcome in
            results[index] = ZipEntryResult(name: files[index].name, outcome: outcome)
        }
        return results.map { $0! }
    }

    /// Ingests one ZIP entry.
    public func ingest(entry: ZipEntry, of reader: ZipReader, origin: String) async -> ImportOutcome {
        await ingestSource(origin: origin) { sink in try reader.read(entry, sink) }
    }

    /// Ingests one file from disk, streamed in 1 MiB chunks. ZIP archives are not expanded here
    /// (see `ingestZip`): they are skipped.
    public func ingestFile(path: String, origin: String) async -> ImportOutcome {
        await ingestSource(origin: origin) { sink in
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw ArchiveError.storage("cannot open \(path): \(String(cString: strerror(errno)))") }
            defer { Glibc.close(fd) }
            let buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: 1 << 20)
            defer { buffer.deallocate() }
            while true {
                let n = Glibc.read(fd, buffer.baseAddress, buffer.count)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw ArchiveError.storage("cannot read \(path): \(String(cString: strerror(errno)))")
                }
                if n == 0 { return }
                try sink(UnsafeBufferPointer(rebasing: buffer[0..<n]))
            }
        }
    }

    /// The common part: `produce` hands the source's bytes to its sink in order. The first
    /// bytes decide whether the source is ingested at all (`ContentSniffer`); a skipped source
    /// is not read further.
    func ingestSource(origin: String,
                      produce: (_ sink: (UnsafeBufferPointer<UInt8>) throws -> Void) throws -> Void) async -> ImportOutcome {
        let pending = PendingIngest()
        let ingestor = self.ingestor
        func start() throws {
            switch ContentSniffer.classify(pending.head) {
            case .part10, .bareDataSet: break
            case .dicomdir: throw SkipSource(reason: "a DICOMDIR (media directory): no SOP instance to store")
            case .zip: throw SkipSource(reason: "a ZIP archive (not expanded here)")
            case .notDICOM(let what): throw SkipSource(reason: "not DICOM: \(what)")
            }
            pending.stream = try ingestor.begin(origin: origin)
            try pending.stream!.append(pending.head)
            pending.head = []
        }
        do {
            try produce { piece in
                if pending.stream != nil {
                    try pending.stream!.append(piece)
                    return
                }
                pending.head.append(contentsOf: piece)
                if pending.head.count >= ContentSniffer.headSize { try start() }
            }
            if pending.stream == nil { try start() }
        } catch let skip as SkipSource {
            return .skipped(skip.reason)
        } catch {
            _ = pending.stream.take()  // discards the temporary file
            return .failed("\(error)")
        }
        guard let stream = pending.stream.take() else { return .failed("nothing was read") }
        do {
            return .ingested(try await ingestor.finish(stream))
        } catch {
            return .failed(error.description)
        }
    }
}

/// Runs `work` over `items` with at most `limit` in flight; `collect` sees each answer in the
/// calling task, in completion order.
private func forEachConcurrently<Items: Sequence, Answer: Sendable>(
    _ items: Items, limit: Int,
    work: @escaping @Sendable (Items.Element) async -> Answer,
    collect: (Answer) -> Void
) async where Items.Element: Sendable {
    await withTaskGroup(of: Answer.self) { group in
        var inFlight = 0
        for item in items {
            if inFlight >= max(1, limit), let answer = await group.next() {
                collect(answer)
                inFlight -= 1
            }
            group.addTask { await work(item) }
            inFlight += 1
        }
        for await answer in group { collect(answer) }
    }
}

// MARK: - Bulk import

/// The outcome of `BulkImporter.run`.
public struct BulkImportSummary: Sendable {
    public struct Issue: Sendable, Equatable, CustomStringConvertible {
        public var path: String
        public var reason: String
        public var description: String { "\(path): \(reason)" }
    }

    /// Files (and ZIP entries) seen.
    public var total = 0
    public var stored = 0
    public var alreadyStored = 0
    public var failed: [Issue] = []
    public var skipped: [Issue] = []
    public var elapsed: Duration = .zero

    /// The final report (no trailing newline): counts, then every failure, then the first 20
    /// skipped files.
    public var text: String { text(maximumSkippedListed: 20) }

    public func text(maximumSkippedListed: Int) -> String {
        let ms = Int(elapsed / .milliseconds(1))
        var lines = ["imported \(total) file\(total == 1 ? "" : "s") in \(ms / 1000).\(ms % 1000 / 100) s: "
            + "\(stored) stored, \(alreadyStored) already stored, \(failed.count) failed, \(skipped.count) skipped"]
        if !failed.isEmpty {
            lines.append("failed:")
            lines += failed.map { "  \($0)" }
        }
        if !skipped.isEmpty {
            lines.append("skipped:")
            lines += skipped.prefix(maximumSkippedListed).map { "  \($0)" }
            if skipped.count > maximumSkippedListed { lines.append("  … and \(skipped.count - maximumSkippedListed) more") }
        }
        return lines.joined(separator: "\n")
    }
}

/// `swiftpacs import PATH…`: walks folders recursively, takes files and ZIP archives (told
/// apart by their first bytes), and ingests every object through the single ingest path,
/// `concurrency` at a time so that the index's group commit batches their writes.
public struct BulkImporter: Sendable {
    public let archive: Archive
    public var concurrency: Int
    public var origin: String

    public init(archive: Archive, concurrency: Int = 4, origin: String = "import") {
        self.archive = archive
        self.concurrency = concurrency
        self.origin = origin
    }

    /// What the walk found, in order.
    enum Item {
        case file(String)
        case zip(String)
        case failed(String, String)
        case skipped(String, String)
    }

    /// A unit of work: one object to ingest, or an answer already known.
    enum Unit: Sendable {
        case file(String)
        case entry(ZipReader, ZipEntry, display: String)
        case known(String, ImportOutcome)
    }

    /// Imports `paths` (files, folders, ZIP archives). `progress(done, total, currentPath)` is
    /// called in the calling task after each file or ZIP entry.
    public func run(paths: [String], progress: (Int, Int, String) -> Void = { _, _, _ in }) async -> BulkImportSummary {
        let clock = ContinuousClock()
        let started = clock.now
        let (items, plannedTotal) = walk(paths)
        var total = plannedTotal
        var summary = BulkImportSummary()
        var done = 0

        func record(_ path: String, _ outcome: ImportOutcome) {
            switch outcome {
            case .ingested(let r) where r.status == .success: summary.stored += 1
            case .ingested: summary.alreadyStored += 1
            case .failed(let why): summary.failed.append(.init(path: path, reason: why))
            case .skipped(let why): summary.skipped.append(.init(path: path, reason: why))
            }
            done += 1
            total = max(total, done)  // a ZIP archive that changed since the walk
            progress(done, total, path)
        }

        // Units are made lazily, so only the ZIP archives being worked on are open.
        let units = items.lazy.flatMap { item -> [Unit] in
            switch item {
            case .file(let path): return [.file(path)]
            case .failed(let path, let why): return [.known(path, .failed(why))]
            case .skipped(let path, let why): return [.known(path, .skipped(why))]
            case .zip(let path):
                do {
                    let reader = try ZipReader(path: path)
                    return reader.files.map { .entry(reader, $0, display: path + "/" + $0.name) }
                } catch {
                    return [.known(path, .failed("\(error)"))]
                }
            }
        }
        let archive = self.archive
        let origin = self.origin
        await forEachConcurrently(units, limit: concurrency) { (unit: Unit) async -> (String, ImportOutcome) in
            switch unit {
            case .file(let path):
                return (path, await archive.ingestFile(path: path, origin: origin))
            case let .entry(reader, entry, display):
                return (display, await archive.ingest(entry: entry, of: reader, origin: origin))
            case let .known(path, outcome):
                return (path, outcome)
            }
        } collect: { (answer: (String, ImportOutcome)) in
            record(answer.0, answer.1)
        }
        summary.total = done
        summary.elapsed = clock.now - started
        return summary
    }

    /// Lists what to import and counts it (a ZIP archive counts its file entries).
    func walk(_ paths: [String]) -> (items: [Item], total: Int) {
        var items: [Item] = []
        var total = 0
        var visited = Set<[UInt64]>()

        func visit(_ path: String, top: Bool) {
            var st = stat()
            guard stat(path, &st) == 0 else {
                let reason = String(cString: strerror(errno))
                if top || lstat(path, &st) != 0 { items.append(.failed(path, reason)) } else { items.append(.skipped(path, "a broken symbolic link")) }
                total += 1
                return
            }
            switch st.st_mode & S_IFMT {
            case S_IFDIR:
                // A symbolic link back up the tree must not loop.
                guard visited.insert([UInt64(st.st_dev), UInt64(st.st_ino)]).inserted else { return }
                guard let dir = opendir(path) else {
                    items.append(.failed(path, "cannot list the folder: \(String(cString: strerror(errno)))"))
                    total += 1
                    return
                }
                var names: [String] = []
                while let entry = readdir(dir) {
                    let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                        String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
                    }
                    if name != "." && name != ".." { names.append(name) }
                }
                closedir(dir)
                let base = path.hasSuffix("/") ? path : path + "/"
                for name in names.sorted() { visit(base + name, top: false) }
            case S_IFREG:
                if Self.startsLikeZip(path) {
                    do {
                        total += try ZipReader(path: path).files.count
                        items.append(.zip(path))
                    } catch {
                        items.append(.failed(path, error.description))
                        total += 1
                    }
                } else {
                    items.append(.file(path))
                    total += 1
                }
            default:
                items.append(.skipped(path, "not a regular file"))
                total += 1
            }
        }
        for path in paths { visit(path, top: true) }
        return (items, total)
    }

    static func startsLikeZip(_ path: String) -> Bool {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var magic: [UInt8] = [0, 0, 0, 0]
        let n = magic.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, 4) }
        return n == 4 && ContentSniffer.classify(magic) == .zip
    }
}

// MARK: - Progress on the console

/// Draws import progress: a one-line bar redrawn with `\r` on a terminal, plain lines
/// (`imported 120/2000 ...`) every `every` files or `interval` otherwise (logs, pipes).
public final class ProgressPrinter {
    public let isTerminal: Bool
    public var every: Int
    public var interval: Duration
    private let write: (String) -> Void
    private let clock = ContinuousClock()
    private var lastPrint: ContinuousClock.Instant?
    private var lastDone = 0
    private var barShown = false

    public init(isTerminal: Bool = isatty(1) != 0, every: Int = 100, interval: Duration = .seconds(1),
                write: @escaping (String) -> Void = ProgressPrinter.writeToStandardOutput) {
        self.isTerminal = isTerminal
        self.every = every
        self.interval = interval
        self.write = write
    }

    public static func writeToStandardOutput(_ text: String) {
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeMutableBytes { Glibc.write(1, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 { if errno == EINTR { continue }; return }
            offset += n
        }
        bytes.removeAll()
    }

    /// The callback for `BulkImporter.run`.
    public func update(done: Int, total: Int, current path: String) {
        let now = clock.now
        let last = done >= total
        if isTerminal {
            // Redraw at most ten times a second, and always for the last file.
            if !last, let lastPrint, now - lastPrint < .milliseconds(100) { return }
            write("\r" + Self.bar(done: done, total: total, path: path, width: Self.terminalWidth()) + "\u{1B}[K")
            barShown = true
        } else {
            let due = done - lastDone >= every || lastPrint.map { now - $0 >= interval } ?? true
            guard due || last else { return }
            write("imported \(done)/\(total) (\(Self.percent(done, total))%) \(path)\n")
            lastDone = done
        }
        lastPrint = now
    }

    /// Ends the bar's line (on a terminal), so what follows starts on a line of its own.
    public func finish() {
        if barShown { write("\n") }
        barShown = false
    }

    /// Ends the bar's line and prints the summary.
    public func finish(_ summary: BulkImportSummary) {
        finish()
        write(summary.text + "\n")
    }

    static func percent(_ done: Int, _ total: Int) -> Int { total > 0 ? done * 100 / total : 100 }

    /// `[#########-----------]  120/2000   6% path`, cut to `width` columns.
    static func bar(done: Int, total: Int, path: String, width: Int) -> String {
        let cells = 24
        let filled = total > 0 ? min(cells, done * cells / total) : cells
        let counts = "\(done)/\(total)"
        let pct = "\(percent(done, total))%"
        var line = "[" + String(repeating: "#", count: filled) + String(repeating: "-", count: cells - filled) + "] "
            + counts + " " + String(repeating: " ", count: max(0, 4 - pct.count)) + pct
        let room = width - 1 - line.count - 1
        if room > 3 && !path.isEmpty {
            line += " " + (path.count <= room ? path : "…" + String(path.suffix(room - 1)))
        }
        return line
    }

    static func terminalWidth() -> Int {
        var size = winsize()
        if ioctl(1, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        return 80
    }
}
