/// Parses an encoded data set (PS3.5 §7) from memory.
///
/// Values are not copied: every element references a range of `buffer` (big-endian values are
/// the exception: they are swapped into little-endian copies once). Lengths are checked against
/// what is left before anything is sliced, so corrupt input ends in a `DICOMError`, never in a
/// crash or a huge allocation.
public struct DataSetReader {
    /// Sequences nest at most this deep; real objects stay in single digits.
    public static let maximumDepth = 64

    public let buffer: [UInt8]
    public let syntax: TransferSyntax

    public init(buffer: [UInt8], syntax: TransferSyntax) {
        self.buffer = buffer
        self.syntax = syntax
    }

    public struct Result: Sendable {
        public var dataSet: DataSet
        /// Where parsing ended: the end of the range, or the offset of the `stopAt` element.
        public var endOffset: Int
        /// True when parsing stopped at the `stopAt` tag rather than the end of the data.
        public var stoppedEarly: Bool
    }

    /// Parses the elements in `range`. With `stopAt`, parsing ends before the first top-level
    /// element whose tag is ≥ `stopAt` (e.g. `.pixelData` to read a header for indexing).
    public func read(range: Range<Int>? = nil, stopAt: Tag? = nil,
                     characterSet: SpecificCharacterSet = .default) throws(DICOMError) -> Result {
        let range = range ?? 0..<buffer.count
        // withUnsafeBytes rethrows untyped errors, so the typed error travels out in a Result.
        let outcome = buffer.withUnsafeBytes { raw -> Swift.Result<Result, DICOMError> in
            var parser = Parser(buffer: buffer, raw: raw, explicit: syntax.isExplicitVR,
                                bigEndian: syntax.isBigEndian, offset: range.lowerBound)
            var dataSet = DataSet(characterSet: characterSet)
            dataSet.reserveCapacity(min((range.upperBound - range.lowerBound) / 16, 128))
            do throws(DICOMError) {
                let stopped = try parser.readElements(into: &dataSet, end: range.upperBound, depth: 0,
                                                      inUndefinedItem: false, stopAt: stopAt)
                return .success(Result(dataSet: dataSet, endOffset: parser.offset, stoppedEarly: stopped))
            } catch {
                return .failure(error)
            }
        }
        return try outcome.get()
    }
}

/// The parser proper. `raw` is only valid inside `DataSetReader.read`.
private struct Parser {
    let buffer: [UInt8]
    let raw: UnsafeRawBufferPointer
    var explicit: Bool
    var bigEndian: Bool
    var offset: Int

    init(buffer: [UInt8], raw: UnsafeRawBufferPointer, explicit: Bool, bigEndian: Bool, offset: Int) {
        self.buffer = buffer
        self.raw = raw
        self.explicit = explicit
        self.bigEndian = bigEndian
        self.offset = offset
    }

    @inline(__always) func u16(_ at: Int) -> UInt16 {
        let v = raw.loadUnaligned(fromByteOffset: at, as: UInt16.self)
        return bigEndian ? UInt16(bigEndian: v) : UInt16(littleEndian: v)
    }

    @inline(__always) func u32(_ at: Int) -> UInt32 {
        let v = raw.loadUnaligned(fromByteOffset: at, as: UInt32.self)
        return bigEndian ? UInt32(bigEndian: v) : UInt32(littleEndian: v)
    }

    @inline(__always) func need(_ n: Int, end: Int, tag: Tag?) throws(DICOMError) {
        if end - offset < n { throw .truncated(tag: tag, offset: offset, needed: n, available: end - offset) }
    }

    @inline(__always) func tagAt(_ at: Int) -> Tag { Tag(group: u16(at), element: u16(at + 2)) }

    /// Reads elements up to `end` (or an item delimiter when `inUndefinedItem`). Returns true when
    /// stopped at `stopAt`.
    mutating func readElements(into dataSet: inout DataSet, end: Int, depth: Int,
                               inUndefinedItem: Bool, stopAt: Tag?, inheritedPixelRepresentation: UInt? = nil) throws(DICOMError) -> Bool {
        if depth > DataSetReader.maximumDepth { throw .nestingTooDeep(offset: offset) }
        var ownPixelRepresentation: UInt? = nil
        while offset < end {
            try need(4, end: end, tag: nil)
            let tag = tagAt(offset)
            if let stopAt, tag >= stopAt { return true }
            if tag == .itemDelimitationItem {
                guard inUndefinedItem else {
                    throw .unexpectedTag(tag: tag, offset: offset, expected: "a data element")
                }
                try need(8, end: end, tag: tag)
                offset += 8
                return false
            }
            if tag.group == 0xFFFE {
                // A stray item or sequence delimiter outside a sequence. Some writers leave a
                // sequence delimiter after a defined-length sequence; skip it as dcmtk does.
                if tag == .sequenceDelimitationItem {
                    try need(8, end: end, tag: tag)
                    offset += 8
                    continue
                }
                throw .unexpectedTag(tag: tag, offset: offset, expected: "a data element")
            }
            let element = try readElement(tag: tag, end: end, depth: depth, context: dataSet,
                                          pixelRepresentation: ownPixelRepresentation ?? inheritedPixelRepresentation)
            if element.tag == .specificCharacterSet, case .bytes(let b) = element.value {
                dataSet.characterSet = SpecificCharacterSet(encodedValue: b)
            }
            let isPixelRepresentation = element.tag == .pixelRepresentation
            if isPixelRepresentation, case .bytes(let b) = element.value, b.count >= 2 {
                ownPixelRepresentation = UInt(UInt16(b[b.startIndex]) | UInt16(b[b.startIndex + 1]) << 8)
            }
            dataSet.append(consume element)
            if !explicit, isPixelRepresentation, let pixelRepresentation = ownPixelRepresentation {
                // "US or SS" follows the data set's Pixel Representation wherever it stands, as in
                // pydicom: elements and items read before it take it too.
                dataSet.resolveUSOrSS(pixelRepresentation: pixelRepresentation, before: .pixelRepresentation)
            }
        }
        if inUndefinedItem {
            throw .truncated(tag: .itemDelimitationItem, offset: offset, needed: 8, available: 0)
        }
        return false
    }

    mutating func readElement(tag: Tag, end: Int, depth: Int, context: DataSet,
                              pixelRepresentation: UInt?) throws(DICOMError) -> DataElement {
        let start = offset
        var vr: VR
        var length: UInt32
        if explicit {
            try need(8, end: end, tag: tag)
            let vrCode = UInt16(raw[offset + 4]) << 8 | UInt16(raw[offset + 5])
            guard let explicitVR = VR(rawValue: vrCode) else {
                throw .invalidVR(tag: tag, offset: offset, bytes: vrCode)
            }
            vr = explicitVR
            if vr.hasLongExplicitLength {
                try need(12, end: end, tag: tag)
                length = u32(offset + 8)
                offset += 12
            } else {
                length = UInt32(u16(offset + 6))
                offset += 8
            }
        } else {
            try need(8, end: end, tag: tag)
            length = u32(offset + 4)
            offset += 8
            vr = ImplicitVR.vr(for: tag, length: length, context: context, pixelRepresentation: pixelRepresentation)
        }

        if length == 0xFFFF_FFFF {
            if tag == .pixelData {
                return DataElement(tag: tag, vr: vr, value: .fragments(try readFragments(tag: tag, end: end)))
            }
            guard vr == .SQ || vr == .UN else { throw .undefinedLengthNotAllowed(tag: tag, offset: start) }
            // UN of undefined length holds an implicit VR little endian sequence (PS3.5 §6.2.2),
            // in a big-endian stream too.
            let (wasExplicit, wasBigEndian) = (explicit, bigEndian)
            if vr == .UN { (explicit, bigEndian) = (false, false) }
            defer { (explicit, bigEndian) = (wasExplicit, wasBigEndian) }
            let items = try readItems(sequenceTag: tag, end: end, definedEnd: nil, depth: depth, context: context,
                                      pixelRepresentation: pixelRepresentation)
            return DataElement(tag: tag, vr: vr, value: .sequence(.init(items: items, hasUndefinedLength: true)))
        }

        guard Int(length) <= end - offset else {
            throw .lengthPastEnd(tag: tag, offset: start, length: length, available: end - offset)
        }
        let valueEnd = offset + Int(length)
        if vr == .SQ {
            let items = try readItems(sequenceTag: tag, end: end, definedEnd: valueEnd, depth: depth, context: context,
                                      pixelRepresentation: pixelRepresentation)
            return DataElement(tag: tag, vr: vr, value: .sequence(.init(items: items, hasUndefinedLength: false)))
        }
        let bytes: ValueBytes
        if bigEndian, let width = vr.valueWidth, width > 1 {
            bytes = swapped(offset..<valueEnd, width: width)
        } else {
            bytes = buffer[offset..<valueEnd]
        }
        offset = valueEnd
        return DataElement(tag: tag, vr: vr, value: .bytes(bytes))
    }

    /// Big-endian values become little-endian copies, so everything downstream sees one order.
    func swapped(_ range: Range<Int>, width: Int) -> ValueBytes {
        var out = [UInt8](repeating: 0, count: range.count)
        let whole = range.count - range.count % width
        var i = 0
        while i < whole {
            for k in 0..<width { out[i + k] = raw[range.lowerBound + i + width - 1 - k] }
            i += width
        }
        while i < range.count { out[i] = raw[range.lowerBound + i]; i += 1 }
        return out[...]
    }

    mutating func readItems(sequenceTag: Tag, end: Int, definedEnd: Int?, depth: Int,
                            context: DataSet, pixelRepresentation: UInt?) throws(DICOMError) -> [DataSet] {
        var items: [DataSet] = []
        let limit = definedEnd ?? end
        while true {
            if let definedEnd, offset >= definedEnd { break }
            try need(8, end: limit, tag: sequenceTag)
            let tag = tagAt(offset)
            let length = u32(offset + 4)
            if tag == .sequenceDelimitationItem {
                offset += 8
                if definedEnd == nil { break }
                continue  // tolerated inside a defined-length sequence
            }
            guard tag == .item else {
                throw .unexpectedTag(tag: tag, offset: offset, expected: "an item in sequence \(sequenceTag)")
            }
            offset += 8
            var item = DataSet(characterSet: context.characterSet, hasUndefinedLength: length == 0xFFFF_FFFF)
            item.reserveCapacity(length == 0xFFFF_FFFF ? 16 : min(Int(length) / 8, 64))
            if length == 0xFFFF_FFFF {
                _ = try readElements(into: &item, end: limit, depth: depth + 1, inUndefinedItem: true, stopAt: nil,
                                     inheritedPixelRepresentation: pixelRepresentation)
            } else {
                guard Int(length) <= limit - offset else {
                    throw .lengthPastEnd(tag: tag, offset: offset - 8, length: length, available: limit - offset)
                }
                _ = try readElements(into: &item, end: offset + Int(length), depth: depth + 1,
                                     inUndefinedItem: false, stopAt: nil, inheritedPixelRepresentation: pixelRepresentation)
            }
            items.append(item)
        }
        return items
    }

    /// Encapsulated pixel data: items (offset table, then fragments) up to a sequence delimiter.
    /// Always little endian (PS3.5 A.4).
    mutating func readFragments(tag: Tag, end: Int) throws(DICOMError) -> EncapsulatedPixelData {
        let wasBigEndian = bigEndian
        bigEndian = false
        defer { bigEndian = wasBigEndian }
        var table: ValueBytes? = nil
        var fragments: [ValueBytes] = []
        while true {
            try need(8, end: end, tag: tag)
            let itemTag = tagAt(offset)
            let length = u32(offset + 4)
            offset += 8
            if itemTag == .sequenceDelimitationItem { break }
            guard itemTag == .item else {
                throw .unexpectedTag(tag: itemTag, offset: offset - 8, expected: "a pixel data fragment item")
            }
            guard length != 0xFFFF_FFFF, Int(length) <= end - offset else {
                throw .lengthPastEnd(tag: tag, offset: offset - 8, length: length, available: end - offset)
            }
            let value = buffer[offset..<offset + Int(length)]
            offset += Int(length)
            if table == nil { table = value } else { fragments.append(value) }
        }
        return EncapsulatedPixelData(basicOffsetTable: table ?? [], fragments: fragments)
    }
}
