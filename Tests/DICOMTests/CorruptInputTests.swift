import Foundation
import Testing
import TestSupport
@testable import DICOM

/// Broken input ends in a `DICOMError` naming what and where, never in a crash, a hang or an
/// allocation sized by a corrupt length field. (That every failure *is* a DICOMError is also
/// checked by the compiler: the parser's entry points use typed throws.)
@Suite struct CorruptInputTests {
    // MARK: - Truncation at every offset

    /// One top-level element of a parsed file: where it starts, how long its header is, where it
    /// ends. Sizes come from our writer, whose output is byte-identical to these files (see
    /// PydicomConformanceTests.byteExactRoundTrip).
    struct Span {
        var element: DataElement
        var start: Int
        var headerLength: Int
        var end: Int
    }

    static func layout(_ file: DICOMFile, dataSetStart: Int) -> [Span] {
        var spans: [Span] = []
        var offset = dataSetStart
        let syntax = file.elementEncoding
        for element in file.dataSet.elements {
            let size = DataSetWriter.encode(DataSet(elements: [element]), syntax: syntax).count
            let header = syntax.isExplicitVR && element.vr.hasLongExplicitLength ? 12 : 8
            spans.append(Span(element: element, start: offset, headerLength: header, end: offset + size))
            offset += size
        }
        return spans
    }

    /// Every offset of the file, except inside large values (pixel data and the like), where a
    /// cut is like any other: there every 61st offset, and the first and last 16.
    static func cutOffsets(_ count: Int, spans: [Span]) -> [Int] {
        var skip = IndexSet()
        for span in spans where span.end - span.start > 2048 {
            if case .bytes = span.element.value {
                let inner = span.start + span.headerLength + 16..<span.end - 16
                for offset in inner where (offset - inner.lowerBound) % 61 != 0 { skip.insert(offset) }
            }
        }
        return (0..<count).filter { !skip.contains($0) }
    }

    static let truncationFiles = [
        "CT_small.dcm",            // explicit VR little endian, 32 KB of native pixel data
        "MR_small_implicit.dcm",   // implicit VR little endian
        "MR_small_bigendian.dcm",  // explicit VR big endian
        "rtplan.dcm",              // implicit VR, nested sequences of defined length
        "JPEG2000.dcm",            // encapsulated pixel data
        "nested_priv_SQ.dcm",      // private sequences, undefined lengths
        "image_dfl.dcm",           // deflated
    ]

    @Test(.enabled(if: PydicomData.isAvailable), arguments: truncationFiles)
    func truncatedAtEveryOffset(_ name: String) throws {
        let bytes = try PydicomData.bytes(name)
        let full = try DICOMFile(bytes: bytes)
        let start = try dataSetStart(of: bytes)
        let spans = Self.layout(full, dataSetStart: start)
        if !full.transferSyntax.isDeflated {
            #expect(spans.last?.end == bytes.count, "layout of \(name) does not add up")
        }
        var problems: [String] = []
        func problem(_ text: String) { if problems.count < 20 { problems.append(text) } }

        var checked = 0
        for cut in Self.cutOffsets(bytes.count, spans: spans) {
            let result: Result<DICOMFile, DICOMError>
            do throws(DICOMError) { result = .success(try DICOMFile(bytes: Array(bytes[..<cut]))) } catch { result = .failure(error) }
            // Cuts in the preamble or the meta group: anything but a crash will do.
            guard cut >= start, start > 0 || cut > 0 else { continue }
            checked += 1

            if full.transferSyntax.isDeflated {
                // The data set is a deflate stream: cut anywhere, it fails to inflate.
                if case .failure(.deflate) = result { continue }
                if cut == start, case .success(let f) = result, f.dataSet.isEmpty { continue }
                problem("\(cut): \(result)")
                continue
            }
            // Cuts between top-level elements leave a shorter, valid data set.
            if let index = spans.firstIndex(where: { $0.start == cut }) ?? (cut == bytes.count ? spans.count : nil) {
                guard case .success(let f) = result else { problem("\(cut): boundary, but \(result)"); continue }
                if f.dataSet.count != index { problem("\(cut): \(f.dataSet.count) elements, expected \(index)") }
                continue
            }
            guard case .failure(let error) = result else { problem("\(cut): parsed a cut element"); continue }
            guard error.isTruncation else { problem("\(cut): \(error)"); continue }
            guard let span = spans.last(where: { $0.start < cut }) else { continue }
            let available = cut - span.start
            let tag = span.element.tag
            if available < 4 {
                // Not even the tag is there.
                if error != .truncated(tag: nil, offset: span.start, needed: 4, available: available) { problem("\(cut): \(error)") }
            } else if available < span.headerLength {
                guard case .truncated(tag, span.start, _, available) = error else { problem("\(cut): \(error)"); continue }
            } else {
                switch span.element.value {
                case .bytes(let value):
                    let expected = DICOMError.lengthPastEnd(tag: tag, offset: span.start, length: UInt32(value.count),
                                                            available: available - span.headerLength)
                    if error != expected { problem("\(cut): \(error), expected \(expected)") }
                case .sequence(let sequence) where !sequence.hasUndefinedLength:
                    guard case .lengthPastEnd(tag, span.start, _, _) = error else { problem("\(cut): \(error)"); continue }
                case .fragments:
                    if error.tag != .pixelData { problem("\(cut): \(error)") }
                case .sequence:
                    break  // undefined length: the error names whatever was cut inside
                }
            }
        }
        #expect(checked > min(500, bytes.count - start - 1), "only \(checked) cuts in the data set")
        #expect(problems.isEmpty, "\(name):\n\(problems.joined(separator: "\n"))")
    }

    // MARK: - Invalid VR

    @Test func invalidVRNamesTagAndOffset() {
        var b: [UInt8] = []
        b += [0x08, 0x00, 0x20, 0x00, 0x44, 0x41, 0x08, 0x00]  // (0008,0020) DA, length 8
        b += Array("20240131".utf8)
        b += [0x10, 0x00, 0x10, 0x00, 0x5A, 0x5A, 0x04, 0x00]  // (0010,0010) at offset 16, VR "ZZ"
        b += Array("Doe ".utf8)
        #expect(throws: DICOMError.invalidVR(tag: .patientName, offset: 16, bytes: 0x5A5A)) {
            try DataSetReader(buffer: b, syntax: .explicitVRLittleEndian).read()
        }
        // Lower case is not a VR either.
        b[20] = 0x70; b[21] = 0x6E  // "pn"
        #expect(throws: DICOMError.invalidVR(tag: .patientName, offset: 16, bytes: 0x706E)) {
            try DataSetReader(buffer: b, syntax: .explicitVRLittleEndian).read()
        }
    }

    @Test func invalidVRInsideAnItem() {
        var f = ByteFixture()
        f.explicitHeader(0x0008_1140, "SQ", length: 0xFFFF_FFFF)  // (0008,1140) SQ undefined, at 0
        f.item()                                                 //   item at 12
        f.explicitElement(0x0008_1150, "UI", text: "1.2")        //   (0008,1150) at 20, 12 bytes
        f.tag(0x0008_1155); f.raw([0x00, 0x01, 0x04, 0x00])      //   (0008,1155) at 32, VR 00 01
        f.raw(Array("1.23".utf8))
        #expect(throws: DICOMError.invalidVR(tag: Tag(0x0008_1155), offset: 32, bytes: 0x0001)) {
            try DataSetReader(buffer: f.bytes, syntax: .explicitVRLittleEndian).read()
        }
    }

    @Test func invalidVRInFileMeta() {
        var b = [UInt8](repeating: 0, count: 128) + Array("DICM".utf8)
        b += [0x02, 0x00, 0x00, 0x00, 0x55, 0x4C, 0x04, 0x00, 0x1A, 0x00, 0x00, 0x00]  // (0002,0000) UL 26
        b += [0x02, 0x00, 0x10, 0x00, 0x3F, 0x3F, 0x14, 0x00]                          // (0002,0010) at 144, VR "??"
        b += Array("1.2.840.10008.1.2.1\0".utf8)
        #expect(throws: DICOMError.invalidVR(tag: .transferSyntaxUID, offset: 144, bytes: 0x3F3F)) {
            try DICOMFile(bytes: b)
        }
    }

    // MARK: - Absurd lengths

    /// Checked before anything is sliced or allocated: the error comes at once, and the
    /// process's peak memory does not move by anything like the length.
    @Test func absurdLengthsAreRejected() throws {
        let before = peakMemoryBytes()
        let absurd: UInt32 = 0xFFFF_FFF0

        var f = ByteFixture()
        f.explicitElement(0x0008_0020, "DA", text: "20240131")   // 16 bytes
        f.explicitHeader(0x0042_0011, "OB", length: absurd)      // (0042,0011) at 16, OB, absurd
        f.raw([1, 2, 3, 4])
        #expect(throws: DICOMError.lengthPastEnd(tag: Tag(0x0042_0011), offset: 16, length: absurd, available: 4)) {
            try DataSetReader(buffer: f.bytes, syntax: .explicitVRLittleEndian).read()
        }

        var i = ByteFixture()
        i.implicitHeader(0x0010_0010, length: absurd)            // (0010,0010) implicit, absurd
        i.raw(Array("Doe^".utf8))
        #expect(throws: DICOMError.lengthPastEnd(tag: .patientName, offset: 0, length: absurd, available: 4)) {
            try DataSetReader(buffer: i.bytes, syntax: .implicitVRLittleEndian).read()
        }

        var be = ByteFixture(bigEndian: true)
        be.explicitHeader(0x7FE0_0010, "OW", length: absurd)     // big-endian pixel data, absurd
        be.raw([0, 1])
        #expect(throws: DICOMError.lengthPastEnd(tag: .pixelData, offset: 0, length: absurd, available: 2)) {
            try DataSetReader(buffer: be.bytes, syntax: .explicitVRBigEndian).read()
        }

        var sq = ByteFixture()
        sq.explicitHeader(0x0008_1140, "SQ", length: absurd)     // defined-length sequence, absurd
        sq.item(length: 0)
        #expect(throws: DICOMError.lengthPastEnd(tag: Tag(0x0008_1140), offset: 0, length: absurd, available: 8)) {
            try DataSetReader(buffer: sq.bytes, syntax: .explicitVRLittleEndian).read()
        }

        var item = ByteFixture()
        item.explicitHeader(0x0008_1140, "SQ", length: 0xFFFF_FFFF)  // undefined-length sequence
        item.item(length: absurd)                                    //   item at 12, absurd
        item.raw([0, 0, 0, 0])
        #expect(throws: DICOMError.lengthPastEnd(tag: .item, offset: 12, length: absurd, available: 4)) {
            try DataSetReader(buffer: item.bytes, syntax: .explicitVRLittleEndian).read()
        }

        var fragment = ByteFixture()
        fragment.explicitHeader(0x7FE0_0010, "OB", length: 0xFFFF_FFFF)  // encapsulated pixel data
        fragment.item(length: 0)                                         //   offset table at 12
        fragment.item(length: absurd)                                    //   fragment at 20, absurd
        #expect(throws: DICOMError.lengthPastEnd(tag: .pixelData, offset: 20, length: absurd, available: 0)) {
            try DataSetReader(buffer: fragment.bytes, syntax: .explicitVRLittleEndian).read()
        }

        // In the meta group, through the file reader.
        var meta = [UInt8](repeating: 0, count: 128) + Array("DICM".utf8)
        meta += [0x02, 0x00, 0x01, 0x00, 0x4F, 0x42, 0x00, 0x00, 0xF0, 0xFF, 0xFF, 0xFF, 0x00, 0x01]  // (0002,0001) OB, absurd
        #expect(throws: DICOMError.lengthPastEnd(tag: .fileMetaInformationVersion, offset: 132, length: absurd, available: 2)) {
            try DICOMFile(bytes: meta)
        }

        let grown = peakMemoryBytes() - before
        #expect(grown < 1 << 30, "peak memory grew by \(grown) bytes")
    }

    // MARK: - Undefined length where it is not allowed

    @Test func undefinedLengthOnNonSequence() {
        var f = ByteFixture()
        f.explicitElement(0x0008_0020, "DA", text: "20240131")
        f.explicitHeader(0x0042_0011, "OB", length: 0xFFFF_FFFF)  // (0042,0011) at 16: OB, not pixel data
        f.raw([1, 2, 3, 4])
        #expect(throws: DICOMError.undefinedLengthNotAllowed(tag: Tag(0x0042_0011), offset: 16)) {
            try DataSetReader(buffer: f.bytes, syntax: .explicitVRLittleEndian).read()
        }

        var ut = ByteFixture()
        ut.explicitHeader(0x0018_1030, "UT", length: 0xFFFF_FFFF)  // UT has a 32-bit length, never undefined
        #expect(throws: DICOMError.undefinedLengthNotAllowed(tag: Tag(0x0018_1030), offset: 0)) {
            try DataSetReader(buffer: ut.bytes, syntax: .explicitVRLittleEndian).read()
        }

        var i = ByteFixture()
        i.implicitElement(0x0008_0020, text: "20240131")
        i.implicitHeader(0x0010_0010, length: 0xFFFF_FFFF)  // (0010,0010) PN, at 16, undefined
        #expect(throws: DICOMError.undefinedLengthNotAllowed(tag: .patientName, offset: 16)) {
            try DataSetReader(buffer: i.bytes, syntax: .implicitVRLittleEndian).read()
        }
    }

    // MARK: - Nesting

    /// `depth` sequences of undefined length, each in the only item of the one before.
    static func nested(_ depth: Int, explicit: Bool, definedItems: Bool = false) -> [UInt8] {
        var f = ByteFixture()
        var itemLengthOffsets: [Int] = []
        for _ in 0..<depth {
            if explicit { f.explicitHeader(0x0008_1140, "SQ", length: 0xFFFF_FFFF) } else { f.implicitHeader(0x0008_1140, length: 0xFFFF_FFFF) }
            f.item()
            itemLengthOffsets.append(f.count - 4)
        }
        if explicit { f.explicitElement(0x0008_1155, "UI", text: "1.2") } else { f.implicitElement(0x0008_1155, text: "1.2", vr: "UI") }
        for lengthAt in itemLengthOffsets.reversed() {
            if definedItems { f.patch32(at: lengthAt, UInt32(f.count - lengthAt - 4)) } else { f.itemDelimiter() }
            f.sequenceDelimiter()
        }
        return f.bytes
    }

    @Test(arguments: [false, true]) func nestingBomb(explicit: Bool) {
        let syntax: TransferSyntax = explicit ? .explicitVRLittleEndian : .implicitVRLittleEndian
        let bytes = Self.nested(1000, explicit: explicit)
        #expect {
            try DataSetReader(buffer: bytes, syntax: syntax).read()
        } throws: { error in
            guard case .nestingTooDeep(let offset) = error as? DICOMError else { return false }
            return offset > 0 && offset < bytes.count
        }
        // Through the file reader too.
        let file = DICOMFile(dataSet: DataSet(), transferSyntax: syntax).encoded() + bytes
        #expect { try DICOMFile(bytes: file) } throws: { error in
            if case .nestingTooDeep = error as? DICOMError { true } else { false }
        }
    }

    @Test func nestingLimitIsExact() throws {
        let limit = DataSetReader.maximumDepth
        for definedItems in [false, true] {
            let deepest = try DataSetReader(buffer: Self.nested(limit, explicit: true, definedItems: definedItems),
                                            syntax: .explicitVRLittleEndian).read().dataSet
            var item = deepest
            for _ in 0..<limit { item = try #require(item[Tag(0x0008_1140)]?.items?.first) }
            #expect(item.string(Tag(0x0008_1155)) == "1.2")
            // And what we read, we write back.
            #expect(DataSetWriter.encode(deepest, syntax: .explicitVRLittleEndian)
                    == Self.nested(limit, explicit: true, definedItems: definedItems))
            #expect(throws: DICOMError.self) {
                try DataSetReader(buffer: Self.nested(limit + 1, explicit: true, definedItems: definedItems),
                                  syntax: .explicitVRLittleEndian).read()
            }
        }
    }

    @Test func nestingBombInsideUN() {
        var f = ByteFixture()
        f.explicitHeader(0x0009_1001, "UN", length: 0xFFFF_FFFF)  // UN: implicit VR from here on
        f.item()
        f.raw(Self.nested(200, explicit: false))
        #expect {
            try DataSetReader(buffer: f.bytes, syntax: .explicitVRLittleEndian).read()
        } throws: { error in
            if case .nestingTooDeep = error as? DICOMError { true } else { false }
        }
    }

    // MARK: - Structure

    @Test func unexpectedTagsInStructure() {
        var f = ByteFixture()
        f.explicitHeader(0x0008_1140, "SQ", length: 0xFFFF_FFFF)  // sequence at 0
        f.explicitElement(0x0008_1150, "UI", text: "1.2")         // at 12: an element where an item belongs
        #expect(throws: DICOMError.unexpectedTag(tag: Tag(0x0008_1150), offset: 12, expected: "an item in sequence (0008,1140)")) {
            try DataSetReader(buffer: f.bytes, syntax: .explicitVRLittleEndian).read()
        }

        var delimiter = ByteFixture()
        delimiter.explicitElement(0x0008_0020, "DA", text: "20240131")
        delimiter.itemDelimiter()                                   // at 16, outside any item
        #expect(throws: DICOMError.unexpectedTag(tag: .itemDelimitationItem, offset: 16, expected: "a data element")) {
            try DataSetReader(buffer: delimiter.bytes, syntax: .explicitVRLittleEndian).read()
        }

        var item = ByteFixture()
        item.item(length: 0)                                        // an item at the top level
        #expect(throws: DICOMError.unexpectedTag(tag: .item, offset: 0, expected: "a data element")) {
            try DataSetReader(buffer: item.bytes, syntax: .explicitVRLittleEndian).read()
        }

        var fragments = ByteFixture()
        fragments.explicitHeader(0x7FE0_0010, "OB", length: 0xFFFF_FFFF)
        fragments.item(length: 0)
        fragments.explicitElement(0x0008_0020, "DA", text: "20240131")  // at 20, not a fragment
        #expect(throws: DICOMError.unexpectedTag(tag: .studyDate, offset: 20, expected: "a pixel data fragment item")) {
            try DataSetReader(buffer: fragments.bytes, syntax: .explicitVRLittleEndian).read()
        }

        var open = ByteFixture()
        open.explicitHeader(0x0008_1140, "SQ", length: 0xFFFF_FFFF)
        open.item()
        open.explicitElement(0x0008_1150, "UI", text: "1.2")        // the item never ends
        #expect {
            try DataSetReader(buffer: open.bytes, syntax: .explicitVRLittleEndian).read()
        } throws: { error in
            (error as? DICOMError)?.isTruncation == true
        }

        var overrun = ByteFixture()
        overrun.explicitHeader(0x0008_1140, "SQ", length: 16)       // sequence of 16 bytes
        overrun.item(length: 12)                                    //   whose item claims 12 of the 8 left
        overrun.explicitElement(0x0008_1150, "UI", text: "1.2")
        #expect(throws: DICOMError.lengthPastEnd(tag: .item, offset: 12, length: 12, available: 8)) {
            try DataSetReader(buffer: overrun.bytes, syntax: .explicitVRLittleEndian).read()
        }
    }

    @Test func notDICOM() {
        #expect(throws: DICOMError.self) { try DICOMFile(bytes: []) }
        #expect(throws: DICOMError.self) { try DICOMFile(bytes: Array("DICM".utf8)) }
        #expect(throws: DICOMError.self) { try DICOMFile(bytes: Array("GIF89a\u{1}\u{0}\u{1}\u{0}".utf8)) }
        // A group above (7FE0) without a VR is not the start of a data set.
        #expect(throws: DICOMError.notDICOM(reason: "no preamble, no meta information, and the first bytes are not a data element")) {
            try DICOMFile(bytes: [0xFF, 0x90, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00])
        }
    }

    // MARK: - Deflate

    @Test(.enabled(if: PydicomData.isAvailable)) func corruptDeflateStream() throws {
        let bytes = try PydicomData.bytes("image_dfl.dcm")
        let start = try dataSetStart(of: bytes)
        // A first block of the reserved type 3 (BTYPE = 11).
        var corrupt = bytes
        corrupt[start] = 0xFF
        #expect { try DICOMFile(bytes: corrupt) } throws: { error in
            guard case .deflate(_, let offset) = error as? DICOMError else { return false }
            return offset >= start && offset <= bytes.count
        }
        // Cut short.
        #expect { try DICOMFile(bytes: Array(bytes[..<(start + (bytes.count - start) / 2)])) } throws: { error in
            if case .deflate = error as? DICOMError { true } else { false }
        }
        // Nothing at all after the meta group: an empty stream is not a deflate stream.
        #expect { try DICOMFile(bytes: Array(bytes[..<start]) + [0x00]) } throws: { error in
            if case .deflate = error as? DICOMError { true } else { false }
        }
        #expect(throws: DICOMError.self) { try Deflate.inflate([0xFF, 0xFF, 0xFF, 0xFF][...]) }
    }

    @Test func deflateRoundTripOfOddSizes() throws {
        var rng = SplitMix64(seed: 99)
        for size in [0, 1, 2, 255, 511, 512, 513, 4096, 7_000, 32_769, 65_537] {
            let data = (0..<size).map { _ in UInt8.random(in: 0...3, using: &rng) }
            #expect(try Deflate.inflate(Deflate.deflate(data)[...]) == data)
        }
    }

    /// The window shrinks with the input (9 to 15 bits): text with repeats at every distance
    /// still round-trips, for every level, through the 32 KB-window inflater.
    @Test func deflateWindowFollowsTheInputSize() throws {
        var rng = SplitMix64(seed: 7)
        let words = (0..<64).map { i in Array("word\(i)-\(UInt32.random(in: 0...999, using: &rng)) ".utf8) }
        for size in [600, 3_000, 9_000, 20_000, 70_000] {
            var text: [UInt8] = []
            while text.count < size { text += words[Int.random(in: 0..<words.count, using: &rng)] }
            for level: Int32 in [1, 6, 9] {
                let packed = Deflate.deflate(text, level: level)
                #expect(packed.count < text.count / 2, "size \(size) level \(level)")
                #expect(try Deflate.inflate(packed[...]) == text)
            }
        }
    }

    // MARK: - Random corruption

    static let fuzzFiles = [
        "rtplan.dcm", "MR_small_implicit.dcm", "JPEG2000.dcm", "image_dfl.dcm", "ExplVR_BigEndNoMeta.dcm",
        "nested_priv_SQ.dcm", "UN_sequence.dcm", "reportsi.dcm", "rtstruct.dcm", "SC_rgb_small_odd_big_endian.dcm",
    ]

    /// A few thousand files with random bytes overwritten (mostly in the header, where the
    /// structure is). Whatever parses is also written, re-read, dumped and encoded as JSON.
    @Test(.enabled(if: PydicomData.isAvailable)) func randomMutationsNeverCrash() throws {
        var rng = SplitMix64(seed: 0x5EED_D1C0)
        let sources = try Self.fuzzFiles.map { try PydicomData.bytes($0) }
        var parsed = 0, failed = 0
        for _ in 0..<3000 {
            var bytes = sources[Int.random(in: 0..<sources.count, using: &rng)]
            let region = Bool.random(using: &rng) ? min(bytes.count, 1024) : bytes.count
            for _ in 0..<Int.random(in: 1...6, using: &rng) where !bytes.isEmpty {
                let at = Int.random(in: 0..<min(region, bytes.count), using: &rng)
                switch Int.random(in: 0..<4, using: &rng) {
                case 0: bytes[at] ^= UInt8(1) << UInt8.random(in: 0...7, using: &rng)    // one bit
                case 1: bytes[at] = UInt8.random(in: 0...255, using: &rng)               // one byte
                case 2: for k in at..<min(at + 4, bytes.count) { bytes[k] = 0xFF }        // an undefined length
                default: bytes.removeSubrange(at..<min(at + Int.random(in: 1...16, using: &rng), bytes.count))  // a gap
                }
            }
            do throws(DICOMError) {
                let file = try DICOMFile(bytes: bytes)
                parsed += 1
                _ = DICOMJSONEncoder().encode(file.dataSet)
                _ = DataSetDumper().dump(file)
                let written = file.encoded()
                _ = try? DICOMFile(bytes: written)
            } catch {
                failed += 1
                _ = error.description
            }
        }
        // Both outcomes are well represented, so both paths were exercised.
        #expect(parsed > 300 && failed > 300, "\(parsed) parsed, \(failed) failed")
    }

    // MARK: - Messages

    @Test func errorMessagesNameTagAndOffset() {
        let error = DICOMError.lengthPastEnd(tag: .patientName, offset: 340, length: 8, available: 3)
        #expect(error.description.contains("(0010,0010)"))
        #expect(error.description.contains("340"))
        let vr = DICOMError.invalidVR(tag: .studyDate, offset: 16, bytes: 0x5A5A)
        #expect(vr.description.contains("(0008,0020)") && vr.description.contains("16"))
        let cut = DICOMError.truncated(tag: .rows, offset: 90, needed: 8, available: 2)
        #expect(cut.description.contains("(0028,0010)") && cut.description.contains("90"))
    }
}

/// The process's peak resident memory, in bytes.
func peakMemoryBytes() -> Int {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return usage.ru_maxrss * 1024
}
