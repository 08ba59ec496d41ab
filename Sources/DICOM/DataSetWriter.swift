/// Encodes data sets (PS3.5 §7). Values are written as stored, so a data set read from a stream
/// and written back in the same transfer syntax gives the same bytes; sequences and items keep
/// the defined or undefined length they were read with.
public struct DataSetWriter {
    public let syntax: TransferSyntax
    public private(set) var output: [UInt8]

    /// Appends to `output` (e.g. a preamble and meta group already written), reserving room
    /// for `capacity` more bytes so a whole object is assembled in one buffer.
    public init(syntax: TransferSyntax, output: [UInt8] = [], reservingCapacity capacity: Int = 0) {
        self.syntax = syntax
        self.output = output
        self.output.reserveCapacity(output.count + capacity)
    }

    /// The encoded data set (not deflated: see `DICOMFile.encoded()`).
    public static func encode(_ dataSet: DataSet, syntax: TransferSyntax) -> [UInt8] {
        var writer = DataSetWriter(syntax: syntax, reservingCapacity: dataSet.estimatedEncodedLength + 64)
        writer.write(dataSet)
        return writer.output
    }

    public mutating func write(_ dataSet: DataSet) {
        for element in dataSet.elements { write(element) }
    }

    public mutating func write(_ element: DataElement) {
        var encoding = Encoding(explicit: syntax.isExplicitVR, bigEndian: syntax.isBigEndian)
        write(element, encoding: &encoding)
    }

    struct Encoding {
        var explicit: Bool
        var bigEndian: Bool
    }

    @inline(__always) mutating func put16(_ v: UInt16, _ e: Encoding) {
        let x = e.bigEndian ? v.bigEndian : v.littleEndian
        withUnsafeBytes(of: x) { output.append(contentsOf: $0) }
    }

    @inline(__always) mutating func put32(_ v: UInt32, _ e: Encoding) {
        let x = e.bigEndian ? v.bigEndian : v.littleEndian
        withUnsafeBytes(of: x) { output.append(contentsOf: $0) }
    }

    mutating func putHeader(_ tag: Tag, _ vr: VR, length: UInt32, _ e: Encoding) {
        put16(tag.group, e)
        put16(tag.element, e)
        if e.explicit {
            output.append(UInt8(vr.rawValue >> 8))
            output.append(UInt8(vr.rawValue & 0xFF))
            if vr.hasLongExplicitLength {
                output.append(0); output.append(0)
                put32(length, e)
            } else {
                put16(UInt16(truncatingIfNeeded: length), e)
            }
        } else {
            put32(length, e)
        }
    }

    /// Patches a 32-bit length written earlier at `at`.
    mutating func patch32(at: Int, _ v: UInt32, _ e: Encoding) {
        let x = e.bigEndian ? v.bigEndian : v.littleEndian
        withUnsafeBytes(of: x) { for i in 0..<4 { output[at + i] = $0[i] } }
    }

    mutating func write(_ element: DataElement, encoding e: inout Encoding) {
        switch element.value {
        case .bytes(let bytes):
            var vr = element.vr
            // A value too long for a 16-bit explicit length can only travel as UN (PS3.5 §6.2.2).
            if e.explicit, !vr.hasLongExplicitLength, bytes.count > 0xFFFF { vr = .UN }
            putHeader(element.tag, vr, length: UInt32(bytes.count), e)
            if e.bigEndian, let width = element.vr.valueWidth, width > 1 {
                appendSwapped(bytes, width: width)
            } else {
                output.append(contentsOf: bytes)
            }

        case .sequence(let sequence):
            // UN of undefined length: its content is implicit VR little endian (PS3.5 §6.2.2).
            var inner = e
            if element.vr == .UN { inner = Encoding(explicit: false, bigEndian: false) }
            putHeader(element.tag, element.vr, length: sequence.hasUndefinedLength ? 0xFFFF_FFFF : 0, e)
            let lengthAt = output.count - 4
            let start = output.count
            for item in sequence.items {
                put16(Tag.item.group, inner)
                put16(Tag.item.element, inner)
                put32(item.hasUndefinedLength ? 0xFFFF_FFFF : 0, inner)
                let itemLengthAt = output.count - 4
                let itemStart = output.count
                for child in item.elements { write(child, encoding: &inner) }
                if item.hasUndefinedLength {
                    put16(Tag.itemDelimitationItem.group, inner)
                    put16(Tag.itemDelimitationItem.element, inner)
                    put32(0, inner)
                } else {
                    patch32(at: itemLengthAt, UInt32(output.count - itemStart), inner)
                }
            }
            if sequence.hasUndefinedLength {
                put16(Tag.sequenceDelimitationItem.group, inner)
                put16(Tag.sequenceDelimitationItem.element, inner)
                put32(0, inner)
            } else {
                patch32(at: lengthAt, UInt32(output.count - start), e)
            }

        case .fragments(let pixels):
            // Encapsulated pixel data is little endian whatever the syntax (PS3.5 A.4).
            let le = Encoding(explicit: e.explicit, bigEndian: false)
            putHeader(element.tag, element.vr, length: 0xFFFF_FFFF, e)
            for fragment in CollectionOfOne(pixels.basicOffsetTable) + pixels.fragments {
                put16(Tag.item.group, le)
                put16(Tag.item.element, le)
                put32(UInt32(fragment.count), le)
                output.append(contentsOf: fragment)
            }
            put16(Tag.sequenceDelimitationItem.group, le)
            put16(Tag.sequenceDelimitationItem.element, le)
            put32(0, le)
        }
    }

    mutating func appendSwapped(_ bytes: ValueBytes, width: Int) {
        let start = bytes.startIndex
        let whole = bytes.count - bytes.count % width
        var i = 0
        while i < whole {
            for k in 0..<width { output.append(bytes[start + i + width - 1 - k]) }
            i += width
        }
        while i < bytes.count { output.append(bytes[start + i]); i += 1 }
    }
}

extension DataSet {
    /// A quick upper estimate of the encoded size, to size output buffers once.
    var estimatedEncodedLength: Int {
        var total = 0
        for element in elements {
            switch element.value {
            case .bytes(let b): total += 12 + b.count
            case .sequence(let s): total += 16 + s.items.reduce(0) { $0 + 16 + $1.estimatedEncodedLength }
            case .fragments(let f): total += 20 + f.basicOffsetTable.count + f.fragments.reduce(0) { $0 + 8 + $1.count }
            }
        }
        return total
    }
}
