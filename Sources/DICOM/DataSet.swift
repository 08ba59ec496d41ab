/// An ordered collection of data elements (PS3.5 §7): a whole object, a File Meta Information
/// group, or a sequence item. Elements are kept sorted by tag, so lookup is a binary search and
/// writing needs no sort.
public struct DataSet: Sendable {
    public internal(set) var elements: [DataElement]
    /// The character set for text values: this data set's own (0008,0005), or the enclosing one's
    /// for a sequence item that has none (PS3.5 §6.1.2.3).
    public var characterSet: SpecificCharacterSet
    /// For sequence items: written with undefined length and an item delimiter, as read.
    public var hasUndefinedLength: Bool

    public init(elements: [DataElement] = [], characterSet: SpecificCharacterSet = .default,
                hasUndefinedLength: Bool = true) {
        self.elements = elements
        self.characterSet = characterSet
        self.hasUndefinedLength = hasUndefinedLength
        if !elements.isSorted { self.elements.sort { $0.tag < $1.tag } }
    }

    public var count: Int { elements.count }
    public var isEmpty: Bool { elements.isEmpty }

    func index(of tag: Tag) -> (found: Bool, index: Int) {
        var low = 0, high = elements.count
        while low < high {
            let mid = (low + high) >> 1
            let t = elements[mid].tag
            if t == tag { return (true, mid) }
            if t < tag { low = mid + 1 } else { high = mid }
        }
        return (false, low)
    }

    public subscript(tag: Tag) -> DataElement? {
        get {
            let (found, i) = index(of: tag)
            return found ? elements[i] : nil
        }
        set {
            let (found, i) = index(of: tag)
            switch (found, newValue) {
            case (true, let e?): elements[i] = e
            case (true, nil): elements.remove(at: i)
            case (false, let e?): elements.insert(e, at: i)
            case (false, nil): break
            }
        }
    }

    public func contains(_ tag: Tag) -> Bool { index(of: tag).found }

    /// Adds or replaces an element, keeping tag order.
    public mutating func set(_ element: DataElement) { self[element.tag] = element }

    @discardableResult public mutating func remove(_ tag: Tag) -> DataElement? {
        let old = self[tag]
        self[tag] = nil
        return old
    }

    /// Appends an element known to sort after every present one (the reader's fast path); falls
    /// back to an ordered insert for out-of-order input.
    mutating func append(_ element: consuming DataElement) {
        if let lastTag = elements.last?.tag, lastTag >= element.tag {
            if lastTag == element.tag { elements[elements.count - 1] = element } else { set(element) }
        } else {
            elements.append(element)
        }
    }

    mutating func reserveCapacity(_ n: Int) { elements.reserveCapacity(n) }

    /// Elements with tags in `range`, in order (e.g. one group).
    public func elements(in range: ClosedRange<Tag>) -> ArraySlice<DataElement> {
        let start = index(of: range.lowerBound).index
        var end = start
        while end < elements.count, elements[end].tag <= range.upperBound { end += 1 }
        return elements[start..<end]
    }

    /// A copy with only the elements before `tag` (e.g. the header without pixel data).
    public func prefix(before tag: Tag) -> DataSet {
        var copy = self
        copy.elements.removeSubrange(index(of: tag).index...)
        return copy
    }
}

extension Array where Element == DataElement {
    var isSorted: Bool {
        guard count > 1 else { return true }
        for i in 1..<count where self[i - 1].tag >= self[i].tag { return false }
        return true
    }
}
