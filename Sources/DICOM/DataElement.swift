/// Raw value bytes. A slice of the buffer the data set was read from: reading a file never copies
/// a value (pixel data included), it only references a range of the file's bytes.
public typealias ValueBytes = ArraySlice<UInt8>

/// One data element (PS3.5 §7.1). Values are kept as encoded, in little-endian byte order
/// (big-endian input is swapped once when read), so writing them back is a copy.
public struct DataElement: Sendable {
    public var tag: Tag
    public var vr: VR
    public var value: Value

    public enum Value: Sendable {
        /// The value field exactly as encoded, padding included.
        case bytes(ValueBytes)
        /// SQ (or UN of undefined length holding an implicit-VR sequence, PS3.5 §6.2.2).
        case sequence(SequenceValue)
        /// Encapsulated pixel data (PS3.5 A.4): basic offset table and fragments.
        case fragments(EncapsulatedPixelData)
    }

    public struct SequenceValue: Sendable {
        public var items: [DataSet]
        /// Written with undefined length and a sequence delimiter, as read.
        public var hasUndefinedLength: Bool
        public init(items: [DataSet], hasUndefinedLength: Bool = true) {
            self.items = items
            self.hasUndefinedLength = hasUndefinedLength
        }
    }

    public init(tag: Tag, vr: VR, value: Value) {
        self.tag = tag
        self.vr = vr
        self.value = value
    }

    public init(tag: Tag, vr: VR, bytes: some Sequence<UInt8>) {
        self.init(tag: tag, vr: vr, value: .bytes(ValueBytes(bytes)))
    }

    /// The value bytes of a non-sequence, non-encapsulated element.
    @inlinable public var bytes: ValueBytes? {
        if case .bytes(let b) = value { return b }
        return nil
    }

    public var sequence: SequenceValue? {
        if case .sequence(let s) = value { return s }
        return nil
    }

    public var items: [DataSet]? { sequence?.items }

    public var fragments: EncapsulatedPixelData? {
        if case .fragments(let f) = value { return f }
        return nil
    }

    /// True when the value is empty (zero length, no items, no fragments).
    public var isEmpty: Bool {
        switch value {
        case .bytes(let b): b.isEmpty
        case .sequence(let s): s.items.isEmpty
        case .fragments(let f): f.fragments.isEmpty && f.basicOffsetTable.isEmpty
        }
    }
}

/// Encapsulated pixel data (PS3.5 A.4): an item with the basic offset table (possibly empty), then
/// one item per fragment. Frame boundaries come from the basic or extended offset table.
public struct EncapsulatedPixelData: Sendable {
    public var basicOffsetTable: ValueBytes
    public var fragments: [ValueBytes]

    public init(basicOffsetTable: ValueBytes = [], fragments: [ValueBytes]) {
        self.basicOffsetTable = basicOffsetTable
        self.fragments = fragments
    }

    /// Offsets of the basic offset table (little endian UInt32 each).
    public var basicOffsets: [UInt32] {
        readLittleEndianArray(basicOffsetTable, as: UInt32.self)
    }
}

@inlinable func readLittleEndianArray<T: FixedWidthInteger>(_ bytes: ValueBytes, as: T.Type) -> [T] {
    let width = MemoryLayout<T>.size
    let count = bytes.count / width
    return bytes.withUnsafeBytes { raw in
        (0..<count).map { T(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * width, as: T.self)) }
    }
}
