/// DA, TM and DT values (PS3.5 Table 6.2-1) as their components, without time-zone guessing:
/// a DICOM date is a calendar date, not an instant.
public struct DICOMDate: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var year: Int, month: Int, day: Int

    public init(year: Int, month: Int, day: Int) {
        (self.year, self.month, self.day) = (year, month, day)
    }

    /// `YYYYMMDD`, or the retired `YYYY.MM.DD` that old files still carry.
    public init?(_ text: some StringProtocol) {
        let digits = Array(text.utf8.filter { $0 != 0x2E })
        guard digits.count == 8, digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        func n(_ r: Range<Int>) -> Int { digits[r].reduce(0) { $0 * 10 + Int($1 - 0x30) } }
        let (y, m, d) = (n(0..<4), n(4..<6), n(6..<8))
        guard (1...12).contains(m), (1...31).contains(d) else { return nil }
        self.init(year: y, month: m, day: d)
    }

    public static func < (a: Self, b: Self) -> Bool { (a.year, a.month, a.day) < (b.year, b.month, b.day) }

    public var description: String { pad(year, 4) + pad(month, 2) + pad(day, 2) }
}

/// `HHMMSS.FFFFFF` with any trailing part omitted (PS3.5 Table 6.2-1), or the retired `HH:MM:SS`.
public struct DICOMTime: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var hour: Int, minute: Int, second: Int
    /// Microseconds.
    public var fraction: Int
    /// How many components the text gave (1 = hours only … 4 = with fraction), as range matching needs.
    public var precision: Int

    public init(hour: Int, minute: Int = 0, second: Int = 0, fraction: Int = 0, precision: Int = 4) {
        (self.hour, self.minute, self.second, self.fraction, self.precision) = (hour, minute, second, fraction, precision)
    }

    public init?(_ text: some StringProtocol) {
        let trimmed = String(text.filter { $0 != ":" && $0 != " " })
        let parts = trimmed.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let main = Array(parts[0].utf8)
        guard [2, 4, 6].contains(main.count), main.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        func n(_ r: Range<Int>) -> Int { main[r].reduce(0) { $0 * 10 + Int($1 - 0x30) } }
        hour = n(0..<2)
        minute = main.count >= 4 ? n(2..<4) : 0
        second = main.count >= 6 ? n(4..<6) : 0
        precision = main.count / 2
        fraction = 0
        if parts.count == 2 {
            let f = Array(parts[1].utf8.prefix(6))
            guard !f.isEmpty, f.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
            fraction = f.reduce(0) { $0 * 10 + Int($1 - 0x30) }
            for _ in f.count..<6 { fraction *= 10 }
            precision = 4
        }
        guard hour < 24, minute < 60, second < 61 else { return nil }
    }

    public static func < (a: Self, b: Self) -> Bool {
        (a.hour, a.minute, a.second, a.fraction) < (b.hour, b.minute, b.second, b.fraction)
    }

    public var description: String {
        var s = pad(hour, 2) + pad(minute, 2) + pad(second, 2)
        if fraction > 0 { s += "." + pad(fraction, 6) }
        return s
    }
}

func pad(_ v: Int, _ width: Int) -> String {
    let s = String(v)
    return String(repeating: "0", count: max(0, width - s.count)) + s
}

extension DataSet {
    /// A DA value.
    public func date(_ tag: Tag) -> DICOMDate? { string(tag).flatMap(DICOMDate.init) }
    /// A TM value.
    public func time(_ tag: Tag) -> DICOMTime? { string(tag).flatMap(DICOMTime.init) }
    /// A DT value's date and time parts (`YYYYMMDDHHMMSS.FFFFFF&ZZXX`; the offset is not applied).
    public func dateTime(_ tag: Tag) -> (date: DICOMDate, time: DICOMTime?, utcOffset: String?)? {
        guard let text = string(tag), text.count >= 8, let date = DICOMDate(text.prefix(8)) else { return nil }
        var rest = text.dropFirst(8)
        var offset: String? = nil
        if let sign = rest.firstIndex(where: { $0 == "+" || $0 == "-" }) {
            offset = String(rest[sign...])
            rest = rest[..<sign]
        }
        return (date, rest.isEmpty ? nil : DICOMTime(rest), offset)
    }
}

extension EncapsulatedPixelData {
    /// The encoded frames (PS3.5 A.4): from the Extended Offset Table when given, else from the
    /// Basic Offset Table, else one fragment per frame when the counts agree, else (a single
    /// frame) all fragments joined.
    public func frames(numberOfFrames: Int, extendedOffsets: [UInt64]? = nil,
                       extendedLengths: [UInt64]? = nil) -> [[UInt8]] {
        let stream = streamPositions()
        func slice(_ start: Int, _ end: Int) -> [UInt8] {
            var out: [UInt8] = []
            for (i, f) in fragments.enumerated() where stream[i] >= start && stream[i] < end { out += f }
            return out
        }
        if let offsets = extendedOffsets, offsets.count == numberOfFrames {
            // Extended offsets point at the first item of each frame, measured like basic ones.
            let ends = offsets.dropFirst().map { Int($0) } + [Int.max]
            return offsets.indices.map { slice(Int(offsets[$0]), ends[$0]) }
        }
        let basic = basicOffsets
        if basic.count == numberOfFrames, numberOfFrames > 0 {
            let ends = basic.dropFirst().map { Int($0) } + [Int.max]
            return basic.indices.map { slice(Int(basic[$0]), ends[$0]) }
        }
        if fragments.count == numberOfFrames { return fragments.map { Array($0) } }
        if numberOfFrames <= 1 { return [fragments.reduce(into: []) { $0 += $1 }] }
        return []
    }

    /// Offset of each fragment's item header from the start of the first fragment's item.
    func streamPositions() -> [Int] {
        var positions: [Int] = []
        var at = 0
        for f in fragments {
            positions.append(at)
            at += 8 + f.count
        }
        return positions
    }
}
