/// A DICOM object as stored in a file (PS3.10 §7): optional 128-byte preamble and "DICM" prefix,
/// File Meta Information (group 0002, always Explicit VR Little Endian), then the data set in
/// the transfer syntax the meta information names.
///
/// Some modalities write bare data sets with no preamble and no meta information; those are
/// recognised too, with the transfer syntax inferred from the first element.
public struct DICOMFile: Sendable {
    /// The 128 preamble bytes, nil when the file has none.
    public var preamble: ValueBytes?
    /// Group 0002; nil for a bare data set.
    public var meta: DataSet?
    public var dataSet: DataSet
    /// The transfer syntax the file declares for `dataSet`.
    public var transferSyntax: TransferSyntax
    /// How the data set's elements are actually encoded: `transferSyntax`, except for files that
    /// declare explicit VR but are written implicit (or the reverse), which pydicom and dcmtk
    /// also detect. Writing uses this, so such a file round-trips unchanged.
    public var elementEncoding: TransferSyntax
    /// True when parsing stopped at `stopAt` and `dataSet` holds only the leading elements.
    public var isPartial: Bool
    /// Byte offset in the source of the first element not read (the stop tag, or the end).
    public var dataSetEndOffset: Int

    public init(meta: DataSet?, dataSet: DataSet, transferSyntax: TransferSyntax, preamble: ValueBytes? = nil) {
        self.preamble = preamble
        self.meta = meta
        self.dataSet = dataSet
        self.transferSyntax = transferSyntax
        elementEncoding = transferSyntax
        isPartial = false
        dataSetEndOffset = 0
    }

    /// Parses a file held in memory. With `stopAt`, the data set ends before the first top-level
    /// element at or after that tag (`.pixelData` reads a header for indexing without touching
    /// the pixels).
    public init(bytes: [UInt8], stopAt: Tag? = nil) throws(DICOMError) {
        var offset = 0
        var preamble: ValueBytes? = nil
        if bytes.count >= 132, bytes[128] == 0x44, bytes[129] == 0x49, bytes[130] == 0x43, bytes[131] == 0x4D {
            preamble = bytes[0..<128]
            offset = 132
        } else if bytes.count >= 4, bytes[0] == 0x44, bytes[1] == 0x49, bytes[2] == 0x43, bytes[3] == 0x4D {
            offset = 4  // "DICM" without preamble, as some writers produce
        }

        var meta: DataSet? = nil
        var syntax: TransferSyntax
        if Self.startsWithMetaGroup(bytes, at: offset) {
            let (group, end) = try Self.readMeta(bytes, at: offset)
            meta = group
            offset = end
            // Without a Transfer Syntax UID, pydicom and dcmtk guess from the data set; so do we.
            if let uid = group.string(.transferSyntaxUID), !uid.isEmpty {
                syntax = TransferSyntax(uid: uid)
            } else {
                syntax = try Self.guessSyntax(bytes, at: offset)
            }
        } else if preamble != nil {
            throw .invalidFileMeta(reason: "no File Meta Information group after the DICM prefix")
        } else {
            syntax = try Self.guessSyntax(bytes, at: offset)
        }
        self.init(meta: meta, dataSet: DataSet(), transferSyntax: syntax, preamble: preamble)
        try readDataSet(bytes, at: offset, stopAt: stopAt)
    }

    private mutating func readDataSet(_ bytes: [UInt8], at offset: Int, stopAt: Tag?) throws(DICOMError) {
        if transferSyntax.isDeflated {
            let inflated = try Deflate.inflate(bytes[offset...])
            let result = try DataSetReader(buffer: inflated, syntax: .explicitVRLittleEndian).read(stopAt: stopAt)
            dataSet = result.dataSet
            isPartial = result.stoppedEarly
            dataSetEndOffset = bytes.count
            return
        }
        elementEncoding = Self.detectVREncoding(bytes, at: offset, declared: transferSyntax)
        let result = try DataSetReader(buffer: bytes, syntax: elementEncoding).read(range: offset..<bytes.count, stopAt: stopAt)
        dataSet = result.dataSet
        isPartial = result.stoppedEarly
        dataSetEndOffset = result.endOffset
    }

    /// Reads a file from disk. With `stopAt`, only as much of the file as needed is read (in
    /// growing chunks), so indexing a 2 GB multi-frame object reads its header only.
    public init(contentsOf path: String, stopAt: Tag? = nil) throws {
        let file = try FileBytes(path: path)
        guard let stopAt else {
            try self.init(bytes: try file.readAll(), stopAt: nil)
            return
        }
        var chunk = 64 * 1024
        while true {
            let bytes = try file.read(upTo: chunk)
            do {
                try self.init(bytes: bytes, stopAt: stopAt)
                if isPartial || bytes.count < chunk || transferSyntax.isDeflated { return }
                // Reached the end of what we read without meeting the stop tag: read more.
            } catch {
                guard bytes.count == chunk else { throw error }
                // A deflated stream cut at the chunk's end cannot be inflated: read all of it.
                if case .deflate = error {
                    try self.init(bytes: try file.readAll(), stopAt: stopAt)
                    return
                }
                guard error.isTruncation else { throw error }
            }
            chunk *= 4
        }
    }

    /// The declared little-endian syntax, or its implicit/explicit twin when the first element
    /// plainly says otherwise (two upper-case VR letters, or not).
    static func detectVREncoding(_ bytes: [UInt8], at offset: Int, declared: TransferSyntax) -> TransferSyntax {
        guard !declared.isBigEndian, bytes.count >= offset + 8 else { return declared }
        let looksExplicit = VR(byte0: bytes[offset + 4], byte1: bytes[offset + 5]) != nil
        switch (declared.isExplicitVR, looksExplicit) {
        case (true, false): return .implicitVRLittleEndian
        case (false, true): return .explicitVRLittleEndian
        default: return declared
        }
    }

    /// True when `bytes` at `offset` begins with a (0002,xxxx) element in explicit VR LE.
    static func startsWithMetaGroup(_ bytes: [UInt8], at offset: Int) -> Bool {
        guard bytes.count >= offset + 8 else { return false }
        return bytes[offset] == 0x02 && bytes[offset + 1] == 0x00
            && VR(byte0: bytes[offset + 4], byte1: bytes[offset + 5]) != nil
    }

    /// The meta group: explicit VR little endian elements of group 0002. The group length says
    /// where it ends, but writers get it wrong often enough that we read while the group is 0002.
    static func readMeta(_ bytes: [UInt8], at start: Int) throws(DICOMError) -> (DataSet, Int) {
        var end = start
        while end + 8 <= bytes.count, bytes[end] == 0x02, bytes[end + 1] == 0x00 {
            guard let vr = VR(byte0: bytes[end + 4], byte1: bytes[end + 5]) else {
                let tag = Tag(group: 2, element: UInt16(bytes[end + 2]) | UInt16(bytes[end + 3]) << 8)
                throw .invalidVR(tag: tag, offset: end, bytes: UInt16(bytes[end + 4]) << 8 | UInt16(bytes[end + 5]))
            }
            var length: Int
            if vr.hasLongExplicitLength {
                guard end + 12 <= bytes.count else { break }
                length = Int(UInt32(bytes[end + 8]) | UInt32(bytes[end + 9]) << 8 | UInt32(bytes[end + 10]) << 16 | UInt32(bytes[end + 11]) << 24)
                length += 12
            } else {
                length = Int(UInt16(bytes[end + 6]) | UInt16(bytes[end + 7]) << 8) + 8
            }
            end += length
        }
        end = min(end, bytes.count)
        let result = try DataSetReader(buffer: bytes, syntax: .explicitVRLittleEndian).read(range: start..<end)
        return (result.dataSet, end)
    }

    /// For data sets with no meta information: implicit or explicit VR, little or big endian,
    /// told apart by whether bytes 4–5 spell a VR and by which byte order gives a small group.
    static func guessSyntax(_ bytes: [UInt8], at offset: Int) throws(DICOMError) -> TransferSyntax {
        guard bytes.count >= offset + 8 else {
            throw .notDICOM(reason: "only \(bytes.count - offset) bytes, too short for a data element")
        }
        let littleGroup = UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8
        let bigGroup = UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
        let explicit = VR(byte0: bytes[offset + 4], byte1: bytes[offset + 5]) != nil
        if explicit {
            // Groups of a real data set are small; the byte order giving the smaller one wins.
            return bigGroup < littleGroup && bigGroup != 0 && littleGroup > 0x00FF ? .explicitVRBigEndian : .explicitVRLittleEndian
        }
        guard littleGroup <= 0x7FE0 || littleGroup == 0xFFFE else {
            throw .notDICOM(reason: "no preamble, no meta information, and the first bytes are not a data element")
        }
        return .implicitVRLittleEndian
    }
}

extension DICOMError {
    /// The data ended early; more bytes may complete it.
    public var isTruncation: Bool {
        switch self {
        case .truncated, .lengthPastEnd: true
        default: false
        }
    }
}
