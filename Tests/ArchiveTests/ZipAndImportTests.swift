import Foundation
import Testing
@testable import Archive
import DICOM

/// Streaming inflation, the ZIP reader, `Archive.ingestZip` and `BulkImporter`, against data made
/// by Python's `zlib`, `gzip` and `zipfile` modules, `/usr/bin/gzip` and `/usr/bin/zip`, and
/// pydicom's test files.
@Suite struct ZipAndImportTests {

    // MARK: - Fixtures

    /// Made once per test run by the Python script below, in a temporary folder.
    struct Fixtures: Sendable {
        let root: String
        /// pydicom's `data/test_files`, when pydicom is installed.
        let pydicomFiles: String?
        /// Per ZIP: Python's view of its entries (name, size, CRC, directory flag).
        let manifest: [String: [PyEntry]]

        struct PyEntry: Sendable, Equatable {
            var name: String
            var size: Int
            var crc: UInt32
            var isDirectory: Bool
        }

        func path(_ relative: String) -> String { root + "/" + relative }
        func bytes(_ relative: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: path(relative)))) }
    }

    struct FixtureFailure: Error, CustomStringConvertible { let description: String }

    static let fixtures: Result<Fixtures, FixtureFailure> = makeFixtures()

    static func fixture() throws -> Fixtures {
        switch fixtures {
        case .success(let f): return f
        case .failure(let e): throw e
        }
    }

    static let generator = #"""
import gzip, io, json, os, random, shutil, struct, subprocess, sys, zipfile, zlib

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
def w(name, data):
    with open(os.path.join(out, name), 'wb') as f: f.write(data)

# A payload that compresses unevenly: text, random bytes, zeros (2.5 MB).
rnd = random.Random(7)
text = ''.join('line %d: %s\n' % (i, ' '.join(rnd.choice(['alpha', 'beta', 'gamma', 'delta', 'dicom']) for _ in range(8))) for i in range(20000)).encode()
payload = text + bytes(rnd.getrandbits(8) for _ in range(300000)) + bytes(700000) + text[:500000]
part1, part2 = payload[:1000003], payload[1000003:]
w('payload.bin', payload)
w('payload.py.gz', gzip.compress(payload, 9))
w('payload.zlib', zlib.compress(payload, 6))
c = zlib.compressobj(6, zlib.DEFLATED, -15); w('payload.raw', c.compress(payload) + c.flush())
w('multi.py.gz', gzip.compress(part1) + gzip.compress(part2, 1) + gzip.compress(b''))
w('part1.bin', part1); w('part2.bin', part2)
def tool_gzip(name):
    return subprocess.run(['gzip', '-c', '-9', os.path.join(out, name)], check=True, stdout=subprocess.PIPE).stdout
w('payload.tool.gz', tool_gzip('payload.bin'))
w('multi.tool.gz', tool_gzip('part1.bin') + tool_gzip('part2.bin'))

# A gzip bomb: 1 GiB of zeros in about 1 MB. A 1 MiB block compressed after a full flush does
# not refer back, so it can be repeated; then an empty final block and the gzip trailer.
zeros = bytes(1 << 20)
c = zlib.compressobj(9, zlib.DEFLATED, -15)
block = c.compress(zeros) + c.flush(zlib.Z_FULL_FLUSH)
crc = 0
for _ in range(1024): crc = zlib.crc32(zeros, crc)
w('bomb.gz', b'\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03' + block * 1024 + b'\x03\x00' + struct.pack('<II', crc, (1 << 30) & 0xffffffff))

manifest = {}
def record(name):
    with zipfile.ZipFile(os.path.join(out, name)) as z:
        manifest[name] = [{'name': i.filename, 'size': i.file_size, 'crc': i.CRC, 'dir': i.is_dir()} for i in z.infolist()]

def basic_zip():
    b = io.BytesIO()
    with zipfile.ZipFile(b, 'w') as z:
        z.writestr(zipfile.ZipInfo('dir/'), b'')
        z.writestr('dir/stored.bin', payload[:300000], compress_type=zipfile.ZIP_STORED)
        z.writestr('dir/deflated.bin', payload, compress_type=zipfile.ZIP_DEFLATED)
        z.writestr('readme.txt', b'not DICOM\n' * 20, compress_type=zipfile.ZIP_DEFLATED)
        z.writestr('empty.txt', b'', compress_type=zipfile.ZIP_DEFLATED)
        z.writestr('../outside/../name.txt', b'only a name', compress_type=zipfile.ZIP_STORED)
        z.writestr('\u00fc-\u540d.txt', b'utf-8 name', compress_type=zipfile.ZIP_DEFLATED)
    return b.getvalue()
basic = basic_zip()
w('basic.zip', basic); record('basic.zip')
w('prefixed.zip', b'#!/bin/sh\necho self-extracting stub\nexit 0\n' * 40 + basic); record('prefixed.zip')
w('truncated.zip', basic[:len(basic) // 2])
w('notzip.zip', b'PK\x03\x04 but nothing else of a zip archive, long enough to look for an end record')

# ZIP64: force_zip64 for the entries' local headers, and the limits lowered (as CPython's own
# tests do) so the central directory gets ZIP64 extra fields and ZIP64 end records.
zipfile.ZIP64_LIMIT = 1000
zipfile.ZIP_FILECOUNT_LIMIT = 5
with zipfile.ZipFile(os.path.join(out, 'zip64.zip'), 'w', allowZip64=True) as z:
    for i in range(8):
        with z.open('f%d.bin' % i, 'w', force_zip64=True) as f: f.write(payload[i * 5000:(i + 1) * 5000 + 2000])
    z.writestr('big.bin', payload, compress_type=zipfile.ZIP_DEFLATED)
    z.writestr('small.txt', b'tiny', compress_type=zipfile.ZIP_STORED)
zipfile.ZIP64_LIMIT = (1 << 31) - 1
zipfile.ZIP_FILECOUNT_LIMIT = (1 << 16) - 1
record('zip64.zip')

def central_entries(data):
    """(offset in data, name) of each central directory entry."""
    eocd = data.rindex(b'PK\x05\x06')
    count, size, offset = struct.unpack('<HII', data[eocd + 10:eocd + 20])
    entries, p = [], offset
    for _ in range(count):
        n, e, c = struct.unpack('<HHH', data[p + 28:p + 34])
        entries.append((p, data[p + 46:p + 46 + n].decode()))
        p += 46 + n + e + c
    return entries

def patched(data, name, cd_field, local_field, fmt, change):
    data = bytearray(data)
    for p, n in central_entries(bytes(data)):
        if n != name: continue
        v = struct.unpack_from(fmt, data, p + cd_field)[0]
        struct.pack_into(fmt, data, p + cd_field, change(v))
        local = struct.unpack_from('<I', data, p + 42)[0]
        v = struct.unpack_from(fmt, data, local + local_field)[0]
        struct.pack_into(fmt, data, local + local_field, change(v))
    return bytes(data)

b = io.BytesIO()
with zipfile.ZipFile(b, 'w', zipfile.ZIP_DEFLATED) as z:
    z.writestr('plain.txt', b'readable\n' * 100)
    z.writestr('secret.bin', payload[:50000])
    z.writestr('bad-crc.bin', payload[:70000])
    z.writestr('bad-crc-stored.bin', payload[:1000], compress_type=zipfile.ZIP_STORED)
    z.writestr('bad-size.bin', payload[:40000])
    z.writestr('corrupt-data.bin', payload[:60000])
damaged = b.getvalue()
damaged = patched(damaged, 'secret.bin', 8, 6, '<H', lambda f: f | 1)             # encrypted flag
damaged = patched(damaged, 'bad-crc.bin', 16, 14, '<I', lambda c: c ^ 0x5a5a5a5a)  # CRC-32
damaged = patched(damaged, 'bad-crc-stored.bin', 16, 14, '<I', lambda c: c ^ 1)
damaged = patched(damaged, 'bad-size.bin', 24, 22, '<I', lambda s: s - 1)         # uncompressed size
# Corrupt deflate data: overwrite bytes in the middle of the entry's compressed data.
data = bytearray(damaged)
for p, n in central_entries(damaged):
    if n == 'corrupt-data.bin':
        local = struct.unpack_from('<I', data, p + 42)[0]
        start = local + 30 + struct.unpack_from('<H', data, local + 26)[0] + struct.unpack_from('<H', data, local + 28)[0]
        for i in range(8): data[start + 40 + i] = 0xff
w('damaged.zip', bytes(data))

# Two directory entries pointing at the same local header (an "overlap" bomb).
b = io.BytesIO()
with zipfile.ZipFile(b, 'w', zipfile.ZIP_DEFLATED) as z:
    z.writestr('one.bin', bytes(100000))
d = b.getvalue()
eocd = d.rindex(b'PK\x05\x06')
cd_offset = struct.unpack_from('<I', d, eocd + 16)[0]
cd = d[cd_offset:eocd]
twin = cd.replace(b'one.bin', b'two.bin')
tail = bytearray(d[eocd:])
struct.pack_into('<HHI', tail, 8, 2, 2, len(cd) * 2)
w('overlap.zip', d[:cd_offset] + cd + twin + bytes(tail))

# /usr/bin/zip reading standard input. Into a file: ZIP64 end records and extra fields. Into a
# pipe: data descriptors, and an end record whose directory offset is FFFFFFFFH without ZIP64.
if shutil.which('zip'):
    subprocess.run(['zip', '-q', '-fz', os.path.join(out, 'fz.zip'), '-'], input=payload[:200000], check=True)
    record('fz.zip')
    p = subprocess.run(['zip', '-q', '-fz', '-', '-'], input=payload[:200000], stdout=subprocess.PIPE, check=True)
    w('stream.zip', p.stdout); record('stream.zip')

# pydicom's test files, zipped, with a folder entry, a DICOMDIR and a README.
try:
    import pydicom
    tf = os.path.join(os.path.dirname(pydicom.__file__), 'data', 'test_files')
    with zipfile.ZipFile(os.path.join(out, 'dicom.zip'), 'w', zipfile.ZIP_DEFLATED) as z:
        z.writestr(zipfile.ZipInfo('images/'), b'')
        for name in sorted(os.listdir(tf)):
            if os.path.isfile(os.path.join(tf, name)):
                z.write(os.path.join(tf, name), 'images/' + name)
        z.write(os.path.join(tf, 'dicomdirtests', 'TINY_ALPHA', 'DICOMDIR'), 'TINY_ALPHA/DICOMDIR')
        z.writestr('HOW-TO.txt', b'Open the images folder.\n')
    pydicom_files = tf
except ImportError:
    pydicom_files = None

json.dump({'manifest': manifest, 'pydicom': pydicom_files}, open(os.path.join(out, 'manifest.json'), 'w'))
"""#

    /// The fixtures live in the temporary folder under a name that changes with the generator,
    /// so later runs reuse them; they are made in a private folder and renamed into place, so
    /// concurrent test runs do not see half-made ones.
    static func makeFixtures() -> Result<Fixtures, FixtureFailure> {
        let version = String(CRC32.checksum(Array(generator.utf8)), radix: 16)
        let root = NSTemporaryDirectory() + "swiftpacs-zip-fixtures-\(version)-uid\(getuid())"
        if !FileManager.default.fileExists(atPath: root + "/manifest.json") {
            let building = root + ".\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", "-c", generator, building]
            let errors = Pipe()
            process.standardError = errors
            process.standardOutput = FileHandle.nullDevice
            do { try process.run() } catch { return .failure(.init(description: "cannot run python3: \(error)")) }
            let errorText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            guard process.terminationStatus == 0 else {
                try? FileManager.default.removeItem(atPath: building)
                return .failure(.init(description: "the fixture generator failed: \(errorText)"))
            }
            if rename(building, root) != 0 {  // another run got there first
                try? FileManager.default.removeItem(atPath: building)
            }
        }
        guard let data = FileManager.default.contents(atPath: root + "/manifest.json"),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let manifest = object["manifest"] as? [String: [[String: Any]]] else {
            return .failure(.init(description: "no usable fixture manifest in \(root)"))
        }
        var entries: [String: [Fixtures.PyEntry]] = [:]
        for (zip, list) in manifest {
            entries[zip] = list.map {
                Fixtures.PyEntry(name: $0["name"] as? String ?? "", size: $0["size"] as? Int ?? -1,
                                 crc: UInt32(truncatingIfNeeded: $0["crc"] as? Int ?? 0), isDirectory: $0["dir"] as? Bool ?? false)
            }
        }
        return .success(Fixtures(root: root, pydicomFiles: object["pydicom"] as? String, manifest: entries))
    }

    // MARK: - Inflation

    /// Inflates `data` fed in `chunkSize` pieces; checks the piece bound on the way.
    static func inflate(_ data: [UInt8], format: CompressionFormat, chunkSize: Int,
                        limit: Int = GzipInflater.defaultOutputLimit) throws -> [UInt8] {
        var inflater = GzipInflater(format: format, outputLimit: limit)
        var out: [UInt8] = []
        var start = 0
        while start < data.count {
            let end = min(data.count, start + chunkSize)
            try inflater.inflate(data[start..<end]) { piece in
                #expect(piece.count <= GzipInflater.maximumPieceSize)
                out.append(contentsOf: piece)
            }
            start = end
        }
        try inflater.finish()
        return out
    }

    @Test(arguments: [
        ("payload.py.gz", CompressionFormat.gzip),
        ("payload.tool.gz", .gzip),
        ("payload.zlib", .zlib),
        ("payload.raw", .raw),
    ])
    func inflatesWhatPythonAndGzipMade(_ name: String, _ format: CompressionFormat) throws {
        let f = try Self.fixture()
        let expected = try f.bytes("payload.bin")
        let compressed = try f.bytes(name)
        for chunkSize in [13, 4096, 65536, compressed.count] {
            let out = try Self.inflate(compressed, format: format, chunkSize: chunkSize)
            #expect(out.count == expected.count, "\(name) in chunks of \(chunkSize)")
            #expect(out == expected, "\(name) in chunks of \(chunkSize)")
        }
    }

    @Test func arrayReturningInflate() throws {
        let f = try Self.fixture()
        var inflater = GzipInflater(format: .zlib)
        let compressed = try f.bytes("payload.zlib")
        var out = try inflater.inflate(compressed[0..<1000])
        out += try inflater.inflate(compressed[1000...])
        try inflater.finish()
        #expect(out == (try f.bytes("payload.bin")))
        let (complete, totalIn, totalOut) = (inflater.isComplete, inflater.totalIn, inflater.totalOut)
        #expect(complete)
        #expect(totalIn == compressed.count)
        #expect(totalOut == out.count)
    }

    @Test(arguments: ["multi.py.gz", "multi.tool.gz"])
    func multiMemberGzip(_ name: String) throws {
        let f = try Self.fixture()
        let expected = try f.bytes("part1.bin") + f.bytes("part2.bin")
        for chunkSize in [3, 1000, 1 << 20] {
            var inflater = GzipInflater(format: .gzip)
            var out: [UInt8] = []
            let compressed = try f.bytes(name)
            var start = 0
            while start < compressed.count {
                let end = min(compressed.count, start + chunkSize)
                try inflater.inflate(compressed[start..<end]) { out.append(contentsOf: $0) }
                start = end
            }
            try inflater.finish()
            #expect(out == expected, "\(name) in chunks of \(chunkSize)")
            let members = inflater.members
            #expect(members == (name == "multi.py.gz" ? 3 : 2))
        }
    }

    @Test func truncatedStreamsFailAtFinish() throws {
        let f = try Self.fixture()
        for (name, format) in [("payload.py.gz", CompressionFormat.gzip), ("payload.zlib", .zlib), ("payload.raw", .raw),
                               ("multi.tool.gz", .gzip)] {
            let compressed = try f.bytes(name)
            for cut in [1, 10, compressed.count / 2, compressed.count - 1] {
                var inflater = GzipInflater(format: format)
                var produced = 0
                try inflater.inflate(compressed[0..<cut]) { produced += $0.count }
                let complete = inflater.isComplete
                #expect(!complete)
                #expect(throws: InflateError.self, "\(name) cut at \(cut)") { try inflater.finish() }
                do {
                    try inflater.finish()
                } catch {
                    guard case .truncated(let consumed, let out) = error else {
                        Issue.record("\(name) cut at \(cut): \(error)"); continue
                    }
                    #expect(consumed == cut)
                    #expect(out == produced)
                }
            }
        }
        // Nothing at all is not a stream either.
        let empty = GzipInflater(format: .gzip)
        #expect(throws: InflateError.truncated(consumed: 0, produced: 0)) { try empty.finish() }
    }

    @Test func corruptStreamsFail() throws {
        let f = try Self.fixture()
        // A bad gzip header.
        var gz = try f.bytes("payload.py.gz")
        gz[0] = 0x1E
        var a = GzipInflater(format: .gzip)
        #expect {
            _ = try a.inflate(gz)
        } throws: { error in
            guard case .corrupt(let reason, let offset) = error as? InflateError else { return false }
            return reason == "incorrect header check" && offset <= 2
        }
        // A broken CRC in the gzip trailer.
        gz = try f.bytes("payload.py.gz")
        gz[gz.count - 6] ^= 0xFF
        var b = GzipInflater(format: .gzip)
        do {
            _ = try b.inflate(gz)
            Issue.record("a wrong CRC was accepted")
        } catch {
            #expect(error.description.contains("incorrect data check"), "\(error)")
        }
        // Garbage in the middle of a zlib stream: its Adler-32 catches it.
        var zlib = try f.bytes("payload.zlib")
        for i in 5000..<5016 { zlib[i] ^= 0x55 }
        var z = GzipInflater(format: .zlib)
        #expect(throws: InflateError.self) { try z.inflate(zlib) { _ in }; try z.finish() }
        // A reserved block type: an error, the same on every later call.
        var raw = try f.bytes("payload.raw")
        raw = [0x07] + raw
        var c = GzipInflater(format: .raw)
        var first: InflateError?
        do { try c.inflate(raw) { _ in } } catch let e as InflateError { first = e }
        guard case .corrupt(_, let offset)? = first else { Issue.record("no corrupt error: \(String(describing: first))"); return }
        #expect(offset <= 1)
        #expect(throws: first!) { try c.inflate([1, 2, 3]) { _ in } }
        #expect(throws: first!) { try c.finish() }
        // Data after the end of a zlib stream, or after a gzip member.
        var d = GzipInflater(format: .zlib)
        #expect(throws: InflateError.self) { try d.inflate(try f.bytes("payload.zlib") + [0, 1, 2]) { _ in } }
        var e = GzipInflater(format: .gzip)
        #expect(throws: InflateError.self) { try e.inflate(try f.bytes("payload.py.gz") + Array("trailing".utf8)) { _ in } }
        // The wrong format.
        var g = GzipInflater(format: .zlib)
        #expect(throws: InflateError.self) { try g.inflate(try f.bytes("payload.py.gz")) { _ in } }
    }

    @Test func bombStopsAtTheLimitWithoutHoldingTheOutput() throws {
        let f = try Self.fixture()
        let bomb = try f.bytes("bomb.gz")
        #expect(bomb.count < 2 << 20)
        let limit = 16 << 20
        var inflater = GzipInflater(format: .gzip, outputLimit: limit)
        var handedOut = 0
        var largestPiece = 0
        var allZero = true
        do {
            try inflater.inflate(bomb) { piece in
                handedOut += piece.count
                largestPiece = max(largestPiece, piece.count)
                if allZero && piece.contains(where: { $0 != 0 }) { allZero = false }
            }
            Issue.record("1 GiB inflated under a 16 MiB limit")
        } catch let e as InflateError {
            #expect(e == .outputLimitExceeded(limit: limit))
            #expect(e.description.contains("limit"))
        }
        #expect(handedOut <= limit)
        #expect(handedOut >= limit - (1 << 20))
        #expect(largestPiece <= GzipInflater.maximumPieceSize)
        #expect(allZero)
        // Stopped early: only part of the input was consumed.
        let consumed = inflater.totalIn
        #expect(consumed < bomb.count / 8)
        #expect(throws: InflateError.outputLimitExceeded(limit: limit)) { try inflater.finish() }

        // The array-returning call stops the same way, before collecting more than the limit.
        var small = GzipInflater(format: .gzip, outputLimit: 1 << 20, pieceSize: 64 << 10)
        #expect(throws: InflateError.outputLimitExceeded(limit: 1 << 20)) { _ = try small.inflate(bomb) }
    }

    @Test func exactLimitIsAllowed() throws {
        let f = try Self.fixture()
        let expected = try f.bytes("payload.bin")
        let out = try Self.inflate(try f.bytes("payload.py.gz"), format: .gzip, chunkSize: 1 << 16, limit: expected.count)
        #expect(out == expected)
        #expect(throws: InflateError.outputLimitExceeded(limit: expected.count - 1)) {
            _ = try Self.inflate(try f.bytes("payload.py.gz"), format: .gzip, chunkSize: 1 << 16, limit: expected.count - 1)
        }
    }

    @Test func crc32MatchesZlib() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        var crc = CRC32()
        crc.update(Array("1234".utf8))
        crc.update([UInt8]())
        crc.update(Array("56789".utf8))
        #expect(crc.value == 0xCBF4_3926)
    }

    // MARK: - ZIP reading

    /// Reads every entry and compares with Python's view and contents.
    func checkAgainstPython(_ archive: String, _ f: Fixtures, reference: [String: [UInt8]] = [:]) throws {
        let reader = try ZipReader(path: f.path(archive))
        let python = try #require(f.manifest[archive])
        #expect(reader.entries.map(\.name) == python.map(\.name))
        for (ours, theirs) in zip(reader.entries, python) {
            #expect(ours.isDirectory == theirs.isDirectory, "\(ours.name)")
            #expect(ours.uncompressedSize == theirs.size, "\(ours.name)")
            #expect(ours.crc32 == theirs.crc, "\(ours.name)")
            var pieces = 0
            var content: [UInt8] = []
            try reader.read(ours, chunkSize: 64 << 10) { piece in
                #expect(piece.count <= 64 << 10)
                pieces += 1
                content.append(contentsOf: piece)
            }
            #expect(content.count == theirs.size, "\(ours.name)")
            if let expected = reference[ours.name] { #expect(content == expected, "\(ours.name)") }
            if ours.isDirectory { #expect(pieces == 0) }
        }
    }

    @Test func readsStoredDeflatedAndDirectoryEntries() throws {
        let f = try Self.fixture()
        let payload = try f.bytes("payload.bin")
        let reference: [String: [UInt8]] = [
            "dir/stored.bin": Array(payload[0..<300_000]),
            "dir/deflated.bin": payload,
            "readme.txt": Array(repeating: Array("not DICOM\n".utf8), count: 20).flatMap { $0 },
            "empty.txt": [],
            "../outside/../name.txt": Array("only a name".utf8),
            "ü-名.txt": Array("utf-8 name".utf8),
        ]
        try checkAgainstPython("basic.zip", f, reference: reference)
        let reader = try ZipReader(path: f.path("basic.zip"))
        #expect(reader.files.map(\.name) == ["dir/stored.bin", "dir/deflated.bin", "readme.txt", "empty.txt",
                                             "../outside/../name.txt", "ü-名.txt"])
        let stored = try #require(reader.entries.first { $0.name == "dir/stored.bin" })
        #expect(stored.method == 0)
        let deflated = try #require(reader.entries.first { $0.name == "dir/deflated.bin" })
        #expect(deflated.method == 8)
        #expect(deflated.compressedSize < deflated.uncompressedSize)
        #expect(try reader.contents(of: deflated) == payload)
    }

    @Test func readsAnArchiveAfterPrependedData() throws {
        let f = try Self.fixture()
        try checkAgainstPython("prefixed.zip", f, reference: ["dir/deflated.bin": try f.bytes("payload.bin")])
    }

    @Test func readsZip64() throws {
        let f = try Self.fixture()
        let bytes = try f.bytes("zip64.zip")
        // The archive really has the ZIP64 end record and locator.
        #expect(bytes.indices.dropLast(4).contains { bytes[$0] == 0x50 && bytes[$0 + 1] == 0x4B && bytes[$0 + 2] == 6 && bytes[$0 + 3] == 6 })
        #expect(bytes.indices.dropLast(4).contains { bytes[$0] == 0x50 && bytes[$0 + 1] == 0x4B && bytes[$0 + 2] == 6 && bytes[$0 + 3] == 7 })
        let payload = try f.bytes("payload.bin")
        var reference: [String: [UInt8]] = ["big.bin": payload, "small.txt": Array("tiny".utf8)]
        for i in 0..<8 { reference["f\(i).bin"] = Array(payload[i * 5000..<(i + 1) * 5000 + 2000]) }
        try checkAgainstPython("zip64.zip", f, reference: reference)
        #expect(try ZipReader(path: f.path("zip64.zip")).entries.count == 10)
    }

    @Test func readsWhatZipWritesFromStandardInput() throws {
        let f = try Self.fixture()
        guard f.manifest["stream.zip"] != nil else { return }  // no /usr/bin/zip
        let expected = Array(try f.bytes("payload.bin")[0..<200_000])
        try checkAgainstPython("fz.zip", f, reference: ["-": expected])
        try checkAgainstPython("stream.zip", f, reference: ["-": expected])
        let streamed = try #require(try ZipReader(path: f.path("stream.zip")).entries.first)
        #expect(streamed.flags & 0x0008 != 0)  // sizes and CRC in a data descriptor
    }

    @Test func damagedEntriesFailWithTheRightError() throws {
        let f = try Self.fixture()
        let reader = try ZipReader(path: f.path("damaged.zip"))
        func read(_ name: String) throws -> [UInt8] {
            try reader.contents(of: try #require(reader.entries.first { $0.name == name }))
        }
        #expect(try read("plain.txt").count == 900)
        #expect(throws: ZipError.encrypted(entry: "secret.bin")) { _ = try read("secret.bin") }
        let secret = try #require(reader.entries.first { $0.name == "secret.bin" })
        #expect(secret.isEncrypted)

        let payload = try f.bytes("payload.bin")
        let good = CRC32.checksum(payload[0..<70000])
        #expect(throws: ZipError.crcMismatch(entry: "bad-crc.bin", expected: good ^ 0x5A5A_5A5A, actual: good)) {
            _ = try read("bad-crc.bin")
        }
        let goodStored = CRC32.checksum(payload[0..<1000])
        #expect(throws: ZipError.crcMismatch(entry: "bad-crc-stored.bin", expected: goodStored ^ 1, actual: goodStored)) {
            _ = try read("bad-crc-stored.bin")
        }
        do {
            _ = try read("bad-size.bin")
            Issue.record("a wrong size was accepted")
        } catch let e as ZipError {
            guard case .corruptEntry(let name, _, let reason) = e else { Issue.record("\(e)"); return }
            #expect(name == "bad-size.bin")
            #expect(reason.contains("more than the 39999 bytes"), "\(reason)")
        }
        do {
            _ = try read("corrupt-data.bin")
            Issue.record("corrupt deflate data was accepted")
        } catch let e as ZipError {
            switch e {
            case .corruptEntry(let name, _, _), .crcMismatch(let name, _, _), .sizeMismatch(let name, _, _):
                #expect(name == "corrupt-data.bin")
            default: Issue.record("\(e)")
            }
            #expect(e.description.contains("corrupt-data.bin"))
        }
    }

    @Test func archiveLevelErrors() throws {
        let f = try Self.fixture()
        #expect {
            _ = try ZipReader(path: f.path("truncated.zip"))
        } throws: { error in
            guard case .notAZip(let path, _) = error as? ZipError else { return false }
            return path.hasSuffix("truncated.zip")
        }
        #expect(throws: ZipError.self) { _ = try ZipReader(path: f.path("notzip.zip")) }
        #expect(throws: ZipError.self) { _ = try ZipReader(path: f.path("payload.bin")) }
        #expect {
            _ = try ZipReader(path: f.path("does-not-exist.zip"))
        } throws: { error in
            guard case .cannotOpen(_, let reason) = error as? ZipError else { return false }
            return reason.contains("No such file")
        }
        #expect(throws: ZipError.self) { _ = try ZipReader(path: f.root) }
    }

    @Test func overlappingEntriesAreRefused() throws {
        let f = try Self.fixture()
        let reader = try ZipReader(path: f.path("overlap.zip"))
        #expect(reader.entries.map(\.name) == ["one.bin", "two.bin"])
        for entry in reader.entries {
            #expect {
                _ = try reader.contents(of: entry)
            } throws: { error in
                guard case .corruptEntry(let name, _, let reason) = error as? ZipError else { return false }
                return name == entry.name && reason.contains("same data")
            }
        }
    }

    @Test func entrySizeLimit() throws {
        let f = try Self.fixture()
        let reader = try ZipReader(path: f.path("basic.zip"), maximumEntrySize: 1000)
        let big = try #require(reader.entries.first { $0.name == "dir/deflated.bin" })
        #expect(throws: ZipError.entryTooLarge(entry: "dir/deflated.bin", size: big.uncompressedSize, limit: 1000)) {
            _ = try reader.contents(of: big)
        }
    }

    @Test func errorsSayWhatAndWhere() {
        #expect(ZipError.crcMismatch(entry: "a/b.dcm", expected: 0x1234, actual: 0xABCDEF01).description
            == #"ZIP entry "a/b.dcm": CRC-32 is 0xabcdef01, the directory says 0x00001234"#)
        #expect(ZipError.notAZip(path: "/tmp/x.zip", reason: "no end of central directory record").description
            == "/tmp/x.zip is not a ZIP archive: no end of central directory record")
        #expect(ZipError.encrypted(entry: "s.dcm").description.contains("encrypted"))
    }

    @Test func cp437Names() {
        #expect(ZipReader.cp437High.count == 128)
        #expect(ZipReader.decodeName([0x41, 0x81, 0x2E, 0x64, 0x63, 0x6D], utf8: false) == "Aü.dcm")
        #expect(ZipReader.decodeName(Array("Aü.dcm".utf8)[...], utf8: false) == "Aü.dcm")
    }

    // MARK: - Sniffing

    @Test func sniffing() throws {
        var part10 = [UInt8](repeating: 0, count: 128) + Array("DICM".utf8)
        part10 += [0x02, 0x00, 0x01, 0x00, 0x4F, 0x42, 0, 0, 2, 0, 0, 0, 0, 1]
        #expect(ContentSniffer.classify(part10) == .part10)
        #expect(ContentSniffer.classify(Array("PK".utf8) + [3, 4, 20, 0]) == .zip)
        #expect(ContentSniffer.classify([UInt8]()) == .notDICOM("an empty file"))
        #expect(ContentSniffer.classify(Array("Test Files used for testing pydicom\n".utf8)) == .notDICOM("text"))
        // (0008,0005) CS "ISO_IR 100", explicit and implicit VR little endian, explicit big endian.
        #expect(ContentSniffer.classify([0x08, 0, 0x05, 0, 0x43, 0x53, 0x0A, 0] + Array("ISO_IR 100".utf8)) == .bareDataSet)
        #expect(ContentSniffer.classify([0x08, 0, 0x05, 0, 0x0A, 0, 0, 0] + Array("ISO_IR 100".utf8)) == .bareDataSet)
        #expect(ContentSniffer.classify([0, 0x08, 0, 0x05, 0x43, 0x53, 0, 0x0A] + Array("ISO_IR 100".utf8)) == .bareDataSet)
        #expect(ContentSniffer.classify([0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3]) == .notDICOM("gzip data"))
        let f = try Self.fixture()
        if let tf = f.pydicomFiles {
            let dicomdir = [UInt8](try Data(contentsOf: URL(fileURLWithPath: tf + "/dicomdirtests/TINY_ALPHA/DICOMDIR")))
            #expect(ContentSniffer.classify(dicomdir) == .dicomdir)
            let ct = [UInt8](try Data(contentsOf: URL(fileURLWithPath: tf + "/CT_small.dcm")))
            #expect(ContentSniffer.classify(ct) == .part10)
        }
    }

    // MARK: - Ingest

    final class TemporaryArchive {
        let directory: String
        let archive: Archive
        init() throws {
            directory = NSTemporaryDirectory() + "swiftpacs-import-test-\(UUID().uuidString)"
            var configuration = ArchiveConfiguration(storageDirectory: directory + "/storage", indexDirectory: directory + "/index")
            configuration.syncStorageArea = false
            archive = try Archive(configuration: configuration)
        }
        deinit { try? FileManager.default.removeItem(atPath: directory) }
    }

    static func name(_ path: String) -> String { String(path.split(separator: "/").last ?? "") }

    @Test func ingestZipOfPydicomFiles() async throws {
        let f = try Self.fixture()
        guard f.pydicomFiles != nil else { return }
        let temp = try TemporaryArchive()
        let results = await temp.archive.ingestZip(path: f.path("dicom.zip"), origin: "test-zip")
        let reader = try ZipReader(path: f.path("dicom.zip"))
        #expect(results.map(\.name) == reader.files.map(\.name))
        #expect(!results.contains { $0.name == "images/" })

        var byName: [String: ZipEntryResult] = [:]
        for r in results { byName[Self.name(r.name)] = r }
        for broken in ["MR_truncated.dcm", "rtplan_truncated.dcm", "no_meta.dcm"] {
            guard case .failed(let why)? = byName[broken]?.outcome else {
                Issue.record("\(broken): \(String(describing: byName[broken]?.outcome))"); continue
            }
            #expect(!why.isEmpty)
        }
        for skipped in ["README.txt", "DICOMDIR", "HOW-TO.txt", "zipMR.gz", "crayons.icc", "test1.json", "rtplan.dump"] {
            guard case .skipped(let why)? = byName[skipped]?.outcome else {
                Issue.record("\(skipped): \(String(describing: byName[skipped]?.outcome))"); continue
            }
            #expect(!why.isEmpty)
        }
        if case .skipped(let why)? = byName["DICOMDIR"]?.outcome { #expect(why.contains("DICOMDIR")) }
        let stored = results.filter { $0.result?.status == .success }
        let already = results.filter { $0.result?.status == .alreadyStored }
        // pydicom's files include variants of one object (same SOP Instance UID) and objects
        // without the attributes an archive needs (Study Instance UID...): those fail, saying so.
        #expect(stored.count >= 30)
        #expect(already.count >= 20)
        if case .failed(let why)? = byName["JPEGLSNearLossless_08.dcm"]?.outcome { #expect(why.contains("StudyInstanceUID")) }
        #expect(byName["CT_small.dcm"]?.result != nil)
        #expect(byName["CT_small.dcm"]?.error == nil)
        // Everything stored is in the index, and nothing is left in the temporary folder.
        let instances = try temp.archive.index.read { db in try db.scalarInt("SELECT count(*) FROM instances") }
        #expect(instances == Int64(stored.count))
        #expect(temp.archive.store.removeTemporaryFiles().isEmpty)

        // Again: every object is already stored.
        let again = await temp.archive.ingestZip(path: f.path("dicom.zip"), origin: "test-zip")
        let againStored = again.filter { $0.result?.status == .success }.count
        let againAlready = again.filter { $0.result?.status == .alreadyStored }.count
        let failedBefore = results.filter { if case .failed = $0.outcome { true } else { false } }.count
        let failedAgain = again.filter { if case .failed = $0.outcome { true } else { false } }.count
        #expect(againStored == 0)
        #expect(againAlready == stored.count + already.count)
        #expect(failedAgain == failedBefore)
    }

    @Test func ingestZipOfDamagedArchive() async throws {
        let f = try Self.fixture()
        let temp = try TemporaryArchive()
        let results = await temp.archive.ingestZip(path: f.path("damaged.zip"), origin: "test")
        #expect(results.count == 6)
        for r in results {
            switch r.name {
            case "plain.txt": #expect(r.error?.hasPrefix("not DICOM") == true, "\(r.outcome)")
            case "secret.bin": #expect(r.error?.contains("encrypted") == true, "\(r.outcome)")
            default: break
            }
        }
        let whole = await temp.archive.ingestZip(path: f.path("truncated.zip"), origin: "test")
        #expect(whole.count == 1)
        guard case .failed(let why)? = whole.first?.outcome else { Issue.record("\(whole)"); return }
        #expect(why.contains("not a ZIP archive"))
    }

    @Test func ingestZipEntryWithBadCRCIsNotStored() async throws {
        // A valid DICOM object whose CRC is wrong: streamed into the ingest path, then refused.
        let f = try Self.fixture()
        guard let tf = f.pydicomFiles else { return }
        let directory = NSTemporaryDirectory() + "swiftpacs-crc-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let script = """
        import sys, zipfile, struct
        src, out = sys.argv[1], sys.argv[2]
        with zipfile.ZipFile(out, 'w', zipfile.ZIP_DEFLATED) as z: z.write(src, 'ct.dcm')
        d = bytearray(open(out, 'rb').read())
        e = d.rindex(b'PK\\x01\\x02'); d[e + 16] ^= 1; d[14] ^= 1
        open(out, 'wb').write(bytes(d))
        """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, tf + "/CT_small.dcm", directory + "/ct.zip"]
        try process.run()
        process.waitUntilExit()
        let temp = try TemporaryArchive()
        let results = await temp.archive.ingestZip(path: directory + "/ct.zip", origin: "test")
        #expect(results.count == 1)
        #expect(results.first?.error?.contains("CRC-32") == true, "\(String(describing: results.first?.outcome))")
        let instances = try temp.archive.index.read { db in try db.scalarInt("SELECT count(*) FROM instances") }
        #expect(instances == 0)
        #expect(temp.archive.store.allHashes().isEmpty)
        #expect(temp.archive.store.removeTemporaryFiles().isEmpty)
    }

    @Test func bulkImportOfFoldersFilesAndZips() async throws {
        let f = try Self.fixture()
        guard let tf = f.pydicomFiles else { return }
        // A folder with a ZIP under a name that does not say so, a text file, a copy of a DICOM
        // file and an empty file.
        let folder = NSTemporaryDirectory() + "swiftpacs-bulk-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder + "/nested/deeper", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.copyItem(atPath: f.path("dicom.zip"), toPath: folder + "/nested/deeper/archive.bin")
        try FileManager.default.copyItem(atPath: tf + "/CT_small.dcm", toPath: folder + "/nested/copy-of-ct")
        try Data("notes\n".utf8).write(to: URL(fileURLWithPath: folder + "/notes.txt"))
        _ = FileManager.default.createFile(atPath: folder + "/empty", contents: Data())
        try FileManager.default.createSymbolicLink(atPath: folder + "/nested/loop", withDestinationPath: folder)

        let temp = try TemporaryArchive()
        let importer = BulkImporter(archive: temp.archive, concurrency: 4)
        var calls: [(Int, Int, String)] = []
        let summary = await importer.run(paths: [tf, folder, folder + "/missing"]) { done, total, path in
            calls.append((done, total, path))
        }
        let zipFiles = try ZipReader(path: f.path("dicom.zip")).files.count
        let folderFiles = try Self.countFiles(tf)
        #expect(summary.total == folderFiles + zipFiles + 4)  // + copy, notes, empty, missing
        #expect(summary.stored + summary.alreadyStored + summary.failed.count + summary.skipped.count == summary.total)
        #expect(calls.count == summary.total)
        #expect(calls.map(\.0) == Array(1...summary.total))
        #expect(calls.allSatisfy { $0.1 == summary.total })

        let failedNames = Set(summary.failed.map { Self.name($0.path) })
        #expect(failedNames.isSuperset(of: ["MR_truncated.dcm", "rtplan_truncated.dcm", "no_meta.dcm", "missing"]))
        #expect(summary.failed.allSatisfy { !$0.reason.isEmpty })
        #expect(summary.failed.contains { $0.path == folder + "/nested/deeper/archive.bin/images/MR_truncated.dcm" })
        let skippedNames = Set(summary.skipped.map { Self.name($0.path) })
        #expect(skippedNames.isSuperset(of: ["README.txt", "DICOMDIR", "notes.txt", "empty", "HOW-TO.txt", "zipMR.gz"]))
        #expect(!skippedNames.contains("CT_small.dcm"))
        // Each object of pydicom's folder is in the ZIP too: those are already stored.
        #expect(summary.alreadyStored >= zipFiles - 20)
        let instances = try temp.archive.index.read { db in try db.scalarInt("SELECT count(*) FROM instances") }
        #expect(instances == Int64(summary.stored))

        // Twice: nothing new.
        let again = await importer.run(paths: [tf, folder])
        #expect(again.stored == 0)
        #expect(again.alreadyStored == summary.stored + summary.alreadyStored)
        #expect(again.failed.count == summary.failed.count - 1)
        #expect(again.skipped.count == summary.skipped.count)

        let text = summary.text
        #expect(text.hasPrefix("imported \(summary.total) files in "))
        #expect(text.contains("\(summary.stored) stored, \(summary.alreadyStored) already stored"))
        #expect(text.contains("MR_truncated.dcm: "))
    }

    static func countFiles(_ path: String) throws -> Int {
        var count = 0
        let enumerator = FileManager.default.enumerator(atPath: path)
        while let name = enumerator?.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path + "/" + name, isDirectory: &isDirectory), !isDirectory.boolValue { count += 1 }
        }
        return count
    }

    // MARK: - Progress printing

    @Test func plainProgressLines() {
        var lines: [String] = []
        let printer = ProgressPrinter(isTerminal: false, every: 10, interval: .seconds(3600)) { lines.append($0) }
        for i in 1...25 { printer.update(done: i, total: 25, current: "/data/f\(i).dcm") }
        #expect(lines == ["imported 1/25 (4%) /data/f1.dcm\n", "imported 11/25 (44%) /data/f11.dcm\n",
                          "imported 21/25 (84%) /data/f21.dcm\n", "imported 25/25 (100%) /data/f25.dcm\n"])
        var summary = BulkImportSummary()
        summary.total = 25
        summary.stored = 20
        summary.alreadyStored = 2
        summary.failed = [.init(path: "/data/bad.dcm", reason: "truncated")]
        summary.skipped = [.init(path: "/data/README", reason: "not DICOM"), .init(path: "/data/x", reason: "not DICOM")]
        summary.elapsed = .milliseconds(1530)
        lines = []
        printer.finish(summary)
        #expect(lines == ["""
            imported 25 files in 1.5 s: 20 stored, 2 already stored, 1 failed, 2 skipped
            failed:
              /data/bad.dcm: truncated
            skipped:
              /data/README: not DICOM
              /data/x: not DICOM

            """])
        #expect(summary.text(maximumSkippedListed: 1).contains("… and 1 more"))
    }

    @Test func terminalProgressBar() {
        var output: [String] = []
        let printer = ProgressPrinter(isTerminal: true) { output.append($0) }
        printer.update(done: 1, total: 4, current: "a.dcm")
        printer.update(done: 2, total: 4, current: "b.dcm")  // within 100 ms: not redrawn
        printer.update(done: 4, total: 4, current: "d.dcm")  // the last one always is
        #expect(output.count == 2)
        #expect(output.allSatisfy { $0.hasPrefix("\r[") && $0.hasSuffix("\u{1B}[K") })
        #expect(output[1].contains("4/4") && output[1].contains("100%") && output[1].contains("d.dcm"))
        printer.finish()
        #expect(output[2] == "\n")
        printer.finish()
        #expect(output.count == 3)
        let bar = ProgressPrinter.bar(done: 6, total: 24, path: "/a/very/long/path/" + String(repeating: "x", count: 200), width: 60)
        #expect(bar.count <= 59)
        #expect(bar.hasPrefix("[######------------------] 6/24  25% …"))
    }
}
