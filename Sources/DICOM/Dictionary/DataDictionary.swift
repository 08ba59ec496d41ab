// The DICOM data dictionary (PS3.6 data elements) and UID registry (PS3.6 Table A-1).
//
// The tables themselves are generated into DataDictionaryTable.swift and UIDDictionaryTable.swift
// by Scripts/generate_dictionary.py, as tab-separated text in a string literal (an array literal
// of ~5000 structs would take the type checker minutes). They are parsed once, at first use,
// into flat arrays plus an open-addressing hash index, so a lookup is a multiply, a shift and
// usually a single probe, and returns stored strings without allocating.

// MARK: - Data elements

/// One element of the DICOM data dictionary (PS3.6 §6).
public struct DictionaryEntry: Sendable, Equatable {
    /// The tag that was looked up. For repeating-group elements such as `(60xx,3000)` this is the
    /// concrete tag, e.g. `(6002,3000)`.
    public let tag: Tag
    /// The VR, or the first choice when the standard lists several; nil for items and delimiters,
    /// which have no VR.
    public let vr: VR?
    /// All choices when the standard lists several ("US or SS", "OB or OW", "US or SS or OW"),
    /// in the order listed; empty when the VR is fixed. The right one depends on the data set
    /// (Pixel Representation, Bits Allocated) or the transfer syntax (PS3.5 Annex A).
    public let ambiguousVRs: [VR]
    /// The value multiplicity as written in PS3.6: "1", "1-n", "2-2n", "3"...
    public let vm: String
    public let name: String
    /// The attribute keyword. Empty for a few retired elements that never had one.
    public let keyword: String
    public let isRetired: Bool
}

public enum DataDictionary {
    /// The dictionary entry for `tag`: an exact match in PS3.6 first; then the repeating groups of
    /// PS3.6 (`(50xx,eeee)`, `(60xx,eeee)`, `(7Fxx,eeee)`, `(1000,xxx0)`, `(0020,31xx)`,
    /// `(0028,04x0)`...) for non-private tags other than group lengths; then, for any
    /// `(gggg,0000)`, a generic UL "Group Length" (retired outside groups 0000 and 0002, which
    /// have exact entries); then, for odd groups, `(gggg,0010-00FF)` as an LO "Private Creator".
    /// Nil for everything else (private data elements, unknown tags).
    public static func entry(for tag: Tag) -> DictionaryEntry? {
        let table = elements
        if let row = table.exactIndex.find(tag.rawValue) {
            return table.rows[row].entry(tag)
        }
        if let row = table.repeatingRow(for: tag.rawValue) {
            return table.repeatingRows[row].entry(tag)
        }
        if tag.isGroupLength {
            return DictionaryEntry(
                tag: tag, vr: .UL, ambiguousVRs: [], vm: "1", name: "Group Length",
                keyword: "GenericGroupLength", isRetired: tag.group != 0x0000 && tag.group != 0x0002)
        }
        if tag.isPrivateCreator {
            return DictionaryEntry(
                tag: tag, vr: .LO, ambiguousVRs: [], vm: "1", name: "Private Creator",
                keyword: "PrivateCreator", isRetired: false)
        }
        return nil
    }

    /// The VR an implicit-VR parser should use for `tag`: the same lookup as `entry(for:)`, without
    /// building the entry. The first choice for ambiguous elements (see `DictionaryEntry.ambiguousVRs`);
    /// nil for unknown tags and for items and delimiters.
    public static func vr(for tag: Tag) -> VR? {
        let table = elements
        if let row = table.exactIndex.find(tag.rawValue) { return table.rows[row].vr }
        if let row = table.repeatingRow(for: tag.rawValue) { return table.repeatingRows[row].vr }
        if tag.isGroupLength { return .UL }
        if tag.isPrivateCreator { return .LO }
        return nil
    }

    /// The tag of the element with this keyword (case-sensitive, as in PS3.6). Repeating-group
    /// keywords give the first tag of the pattern: "OverlayData" gives `(6000,3000)`, and
    /// "RowsForNthOrderCoefficients", `(0028,04x0)`, gives `(0028,0410)` because `(0028,0400)` is
    /// an element of its own.
    public static func tag(forKeyword keyword: String) -> Tag? {
        keywordIndex[keyword].map(Tag.init)
    }

    /// The keyword of `tag`'s entry (including repeating groups, "GenericGroupLength" and
    /// "PrivateCreator"); nil if the tag is unknown or its entry has no keyword.
    public static func keyword(for tag: Tag) -> String? {
        guard let keyword = entry(for: tag)?.keyword, !keyword.isEmpty else { return nil }
        return keyword
    }

    /// Every entry of the table: the exact entries in tag order, then the repeating-group entries
    /// with the first tag of their pattern (see `tag(forKeyword:)`). Builds an array; not for hot paths.
    public static var allEntries: [DictionaryEntry] {
        let table = elements
        return zip(table.tags, table.rows).map { $1.entry(Tag($0)) }
            + zip(table.repeatingTags, table.repeatingRows).map { $1.entry(Tag($0)) }
    }

    /// The repeating-group masks as written in PS3.6 ("60xx3000"), for diagnostics.
    static var repeatingPatterns: [String] { elements.repeatingPatterns }

    static let elements = ElementTable(
        exact: elementTableText, repeating: repeatingElementTableText)

    static let keywordIndex: [String: UInt32] = {
        let table = elements
        var index = [String: UInt32](minimumCapacity: table.rows.count + table.repeatingRows.count)
        for (tag, row) in zip(table.tags, table.rows) where !row.keyword.isEmpty {
            index[row.keyword] = tag
        }
        for (tag, row) in zip(table.repeatingTags, table.repeatingRows) where !row.keyword.isEmpty {
            if index[row.keyword] == nil { index[row.keyword] = tag }
        }
        return index
    }()
}

/// One parsed line of the element table.
struct ElementRow: Sendable {
    let vr: VR?
    let isRetired: Bool
    let ambiguousVRs: [VR]  // shared between rows: no allocation per lookup
    let vm: String
    let keyword: String
    let name: String

    @inline(__always) func entry(_ tag: Tag) -> DictionaryEntry {
        DictionaryEntry(
            tag: tag, vr: vr, ambiguousVRs: ambiguousVRs, vm: vm, name: name, keyword: keyword,
            isRetired: isRetired)
    }
}

struct ElementTable: Sendable {
    var tags: [UInt32] = []
    var rows: [ElementRow] = []
    var exactIndex = TagIndex(keys: [])

    // Repeating groups. A tag matches a pattern when `tag & mask == value`, the PS3.6 "x" digits
    // being zero in both `mask` and `value`. There is one small index per distinct mask, so a
    // lookup is one probe per mask (five of them) rather than a scan of the 88 patterns.

    /// The first tag of each pattern that resolves to it (x digits counting up from 0, skipping
    /// exact entries such as (0028,0400) that shadow (0028,04x0)).
    var repeatingTags: [UInt32] = []
    var repeatingRows: [ElementRow] = []
    var repeatingPatterns: [String] = []
    /// Distinct masks, each with an index from `value` to its row in `repeatingRows`.
    var repeatingMasks: [(mask: UInt32, index: TagIndex)] = []

    init(exact: StaticString, repeating: StaticString) {
        var ambiguous: [(key: UInt64, vrs: [VR])] = []
        exact.withUTF8Buffer { text in
            let estimatedCount = text.count / 48  // lines average ~70 bytes
            tags.reserveCapacity(estimatedCount)
            rows.reserveCapacity(estimatedCount)
            forEachLine(text) { fields in
                tags.append(parseHex(fields.0))
                rows.append(parseRow(fields, &ambiguous))
            }
        }
        exactIndex = TagIndex(keys: tags)

        var masks: [UInt32] = []
        var members: [[(value: UInt32, row: Int)]] = []
        repeating.withUTF8Buffer { text in
            forEachLine(text) { fields in
                var value: UInt32 = 0, mask: UInt32 = 0
                for byte in fields.0 {
                    let isVarying = byte == UInt8(ascii: "x")
                    value = value << 4 | (isVarying ? 0 : hexDigit(byte))
                    mask = mask << 4 | (isVarying ? 0 : 0xF)
                }
                let row = repeatingRows.count
                repeatingTags.append(value)  // replaced below
                repeatingRows.append(parseRow(fields, &ambiguous))
                repeatingPatterns.append(String(decoding: fields.0, as: UTF8.self))
                if let m = masks.firstIndex(of: mask) {
                    members[m].append((value, row))
                } else {
                    masks.append(mask)
                    members.append([(value, row)])
                }
            }
        }
        repeatingMasks = zip(masks, members).map { mask, group in
            (mask, TagIndex(keys: group.map(\.value), values: group.map(\.row)))
        }
        for (mask, group) in zip(masks, members) {
            for (value, row) in group {
                repeatingTags[row] = firstTag(value: value, mask: mask, row: row)
            }
        }
    }

    /// The smallest tag matching `value`/`mask` that `entry(for:)` resolves to repeating row `row`.
    private func firstTag(value: UInt32, mask: UInt32, row: Int) -> UInt32 {
        let varying = ~mask
        // Count through the values of the varying bits, lowest first.
        var k: UInt32 = 0
        while k < 0x1_0000 {
            var tag = value, source = k, bit: UInt32 = 1
            while bit != 0 && source != 0 {
                if varying & bit != 0 {
                    if source & 1 != 0 { tag |= bit }
                    source >>= 1
                }
                bit = bit << 1
            }
            if source == 0, exactIndex.find(tag) == nil, repeatingRow(for: tag) == row {
                return tag
            }
            k += 1
        }
        preconditionFailure("repeating dictionary pattern shadowed by exact entries")
    }

    /// The repeating pattern `tag` matches. Private tags never match (as in pydicom), nor do group
    /// lengths: `(1000,0000)` and `(1010,0000)` fit the patterns `(1000,xxx0)` and `(1010,xxxx)`
    /// but are group length elements (PS3.5 §7.2), where pydicom would say Escape Triplet and
    /// Zonal Map.
    @inline(__always) func repeatingRow(for tag: UInt32) -> Int? {
        guard tag & 0x0001_0000 == 0, tag & 0xFFFF != 0 else { return nil }
        for (mask, index) in repeatingMasks {
            if let row = index.find(tag & mask) { return row }
        }
        return nil
    }
}

/// Fields: tag, VR, VM, retired flag, keyword, name.
private func parseRow(_ fields: TableFields, _ ambiguous: inout [(key: UInt64, vrs: [VR])]) -> ElementRow {
    let vrField = fields.1
    var first: VR?
    var choices: [VR] = []
    if !vrField.elementsEqual("NONE".utf8) {
        // "US", "US or SS", "US or SS or OW": a VR every 6 bytes.
        var key: UInt64 = 0
        var count = 0
        var i = vrField.startIndex
        while i + 1 < vrField.endIndex {
            guard let vr = VR(byte0: vrField[i], byte1: vrField[i + 1]) else {
                preconditionFailure("unknown VR in data dictionary")
            }
            if first == nil { first = vr }
            key = key << 16 | UInt64(vr.rawValue)
            count += 1
            i += 6
        }
        if count > 1 {
            if let known = ambiguous.first(where: { $0.key == key }) {
                choices = known.vrs
            } else {
                var i = vrField.startIndex
                while i + 1 < vrField.endIndex {
                    choices.append(VR(byte0: vrField[i], byte1: vrField[i + 1])!)
                    i += 6
                }
                ambiguous.append((key, choices))
            }
        }
    }
    return ElementRow(
        vr: first, isRetired: fields.3.first == UInt8(ascii: "R"), ambiguousVRs: choices,
        vm: String(decoding: fields.2, as: UTF8.self),
        keyword: String(decoding: fields.4, as: UTF8.self),
        name: String(decoding: fields.5, as: UTF8.self))
}

// MARK: - UIDs

/// One UID of the registry (PS3.6 Annex A).
public struct UIDEntry: Sendable, Equatable {
    public let uid: String
    public let name: String
    /// "SOP Class", "Transfer Syntax", "Meta SOP Class", "Well-known SOP Instance",
    /// "Well-known frame of reference", "Coding Scheme", "LDAP OID", ...
    public let type: String
    /// Extra information from the registry, e.g. "Default Transfer Syntax for DICOM"; usually empty.
    public let info: String
    /// Empty for a few retired UIDs that never had one.
    public let keyword: String
    public let isRetired: Bool
}

public enum UIDDictionary {
    public static func entry(for uid: String) -> UIDEntry? {
        let table = uids
        return table.byUID[uid].map { table.entries[$0] }
    }

    public static func uid(forKeyword keyword: String) -> String? {
        let table = uids
        return table.byKeyword[keyword].map { table.entries[$0].uid }
    }

    /// Entries of one type ("Transfer Syntax", "SOP Class", ...), in UID order.
    public static func entries(ofType type: String) -> [UIDEntry] {
        uids.entries.filter { $0.type == type }
    }

    /// Every UID of the registry, in UID order.
    public static var allEntries: [UIDEntry] { uids.entries }

    /// Every Storage SOP class, current and retired, in UID order.
    ///
    /// The rule: type "SOP Class" and a name that ends in "Storage" once a trailing " SOP Class"
    /// and a trailing " - For Presentation", " - For Processing" or " - Trial" are removed
    /// ("CT Image Storage", "Digital X-Ray Image Storage - For Presentation",
    /// "Hardcopy Grayscale Image Storage SOP Class", "Text SR Storage - Trial"). This is the
    /// naming of PS3.4 Annex B and of the other C-STORE-based services (Hanging Protocol, Color
    /// Palette, Implant Template, RT delivery instruction storage, DICOS). Excluded: "Storage
    /// Commitment Push/Pull Model SOP Class" (N-ACTION based, PS3.4 Annex J; the rule leaves them
    /// out because "Storage" is not last) and "Media Storage Directory Storage" (the DICOMDIR,
    /// PS3.10, only exchanged on media, never by C-STORE), as well as two retired UIDs the
    /// registry lists without a name.
    public static var storageSOPClasses: [UIDEntry] { storage.entries }

    /// Whether `uid` is one of `storageSOPClasses`.
    public static func isStorageSOPClass(_ uid: String) -> Bool { storage.uids.contains(uid) }

    static func isStorageSOPClass(_ entry: UIDEntry) -> Bool {
        guard entry.type == "SOP Class", entry.uid != "1.2.840.10008.1.3.10" else { return false }
        // The names are ASCII: compare bytes rather than Characters.
        func hasSuffix(_ text: Substring.UTF8View, _ suffix: String) -> Bool {
            text.count >= suffix.utf8.count && text.suffix(suffix.utf8.count).elementsEqual(suffix.utf8)
        }
        var name = entry.name.utf8[...]
        for suffix in [" SOP Class", " - For Presentation", " - For Processing", " - Trial"] where hasSuffix(name, suffix) {
            name = name.dropLast(suffix.utf8.count)
        }
        return hasSuffix(name, "Storage")
    }

    static let uids = UIDTable(uidTableText)

    static let storage: (entries: [UIDEntry], uids: Set<String>) = {
        let entries = uids.entries.filter(isStorageSOPClass)
        return (entries, Set(entries.map(\.uid)))
    }()
}

struct UIDTable: Sendable {
    var entries: [UIDEntry] = []
    var byUID: [String: Int] = [:]
    var byKeyword: [String: Int] = [:]

    /// Fields: UID, type, retired flag, keyword, name, info.
    init(_ text: StaticString) {
        text.withUTF8Buffer { text in
            entries.reserveCapacity(text.count / 64)  // lines average ~110 bytes
            forEachLine(text) { fields in
                entries.append(UIDEntry(
                    uid: String(decoding: fields.0, as: UTF8.self),
                    name: String(decoding: fields.4, as: UTF8.self),
                    type: String(decoding: fields.1, as: UTF8.self),
                    info: String(decoding: fields.5, as: UTF8.self),
                    keyword: String(decoding: fields.3, as: UTF8.self),
                    isRetired: fields.2.first == UInt8(ascii: "R")))
            }
        }
        byUID.reserveCapacity(entries.count)
        byKeyword.reserveCapacity(entries.count)
        for (i, entry) in entries.enumerated() {
            byUID[entry.uid] = i
            if !entry.keyword.isEmpty { byKeyword[entry.keyword] = i }
        }
    }
}

// MARK: - Shared machinery

/// An open-addressing hash index from 32-bit keys to row numbers: each slot packs
/// `key << 32 | row`, the table is at most half full, and the hash is Fibonacci hashing, so a
/// lookup is one multiply and, almost always, one or two probes.
struct TagIndex: Sendable {
    private var slots: [UInt64]
    private let shift: UInt32
    private static let empty = UInt64.max

    init(keys: [UInt32], values: [Int]? = nil) {
        var bits: UInt32 = 4
        while 1 << bits < keys.count * 2 { bits += 1 }
        shift = 32 - bits
        slots = Array(repeating: Self.empty, count: 1 << bits)
        let mask = slots.count - 1
        for (i, key) in keys.enumerated() {
            let row = values?[i] ?? i
            var slot = Self.slot(key, shift)
            while slots[slot] != Self.empty {
                precondition(UInt32(truncatingIfNeeded: slots[slot] >> 32) != key, "duplicate key in dictionary")
                slot = (slot &+ 1) & mask
            }
            slots[slot] = UInt64(key) << 32 | UInt64(UInt32(row))
        }
    }

    @inline(__always) private static func slot(_ key: UInt32, _ shift: UInt32) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B1) >> shift)
    }

    @inline(__always) func find(_ key: UInt32) -> Int? {
        slots.withUnsafeBufferPointer { slots in
            let mask = slots.count - 1
            var slot = Self.slot(key, shift)
            while true {
                let entry = slots[slot]
                if entry == Self.empty { return nil }
                if UInt32(truncatingIfNeeded: entry >> 32) == key {
                    return Int(truncatingIfNeeded: UInt32(truncatingIfNeeded: entry))
                }
                slot = (slot &+ 1) & mask
            }
        }
    }
}

/// The six tab-separated fields of a table line.
typealias TableFields = (
    UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<UInt8>,
    UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<UInt8>
)

/// Calls `body` with the fields of each non-empty line of `text`; every line must have six.
private func forEachLine(_ text: UnsafeBufferPointer<UInt8>, _ body: (TableFields) -> Void) {
    guard let base = text.baseAddress else { return }
    let end = text.count
    var i = 0
    @inline(__always) func field(_ start: Int, _ stop: Int) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: base + start, count: stop - start)
    }
    while i < end {
        if base[i] == UInt8(ascii: "\n") { i += 1; continue }
        // Field boundaries: starts[k] is the first byte of field k; stop is the newline (or end).
        var starts = (i, 0, 0, 0, 0, 0)
        var found = 0
        var j = i
        while j < end, base[j] != UInt8(ascii: "\n") {
            if base[j] == UInt8(ascii: "\t") {
                found += 1
                switch found {
                case 1: starts.1 = j + 1
                case 2: starts.2 = j + 1
                case 3: starts.3 = j + 1
                case 4: starts.4 = j + 1
                case 5: starts.5 = j + 1
                default: preconditionFailure("dictionary table line with more than six fields")
                }
            }
            j += 1
        }
        precondition(found == 5, "dictionary table line with fewer than six fields")
        body((
            field(starts.0, starts.1 - 1), field(starts.1, starts.2 - 1), field(starts.2, starts.3 - 1),
            field(starts.3, starts.4 - 1), field(starts.4, starts.5 - 1), field(starts.5, j)
        ))
        i = j + 1
    }
}

@inline(__always) private func hexDigit(_ byte: UInt8) -> UInt32 {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(byte - UInt8(ascii: "0"))
    case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt32(byte - UInt8(ascii: "A") + 10)
    case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(byte - UInt8(ascii: "a") + 10)
    default: preconditionFailure("bad hex digit in data dictionary")
    }
}

private func parseHex(_ digits: UnsafeBufferPointer<UInt8>) -> UInt32 {
    digits.reduce(0) { $0 << 4 | hexDigit($1) }
}
