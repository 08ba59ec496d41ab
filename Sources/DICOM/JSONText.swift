/// JSON text (RFC 8259) at the byte level: one string writer and one strict scanner for every
/// layer that reads or writes JSON without Foundation's object tree (the index's MainDicomTags,
/// the REST answers that splice them in byte for byte, the REST request bodies).
public enum JSONText {
    /// A JSON string: quote, backslash, `\n`, `\r`, `\t` escaped, other control characters as
    /// `\u00xx`, everything else (UTF-8 included) as it is. Runs without escapes are copied whole:
    /// most strings (IDs, UIDs, names) have none.
    public static func writeString(_ s: String, into out: inout [UInt8]) {
        var s = s
        out.append(0x22)
        s.withUTF8 { utf8 in
            var runStart = 0
            for (i, b) in utf8.enumerated() where needsEscape(b) {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<i]))
                appendEscape(b, into: &out)
                runStart = i + 1
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart...]))
        }
        out.append(0x22)
    }

    /// The length of `writeString`'s output for `s`.
    public static func escapedLength(_ s: String) -> Int {
        var length = 2
        for b in s.utf8 {
            switch b {
            case 0x22, 0x5C, 0x0A, 0x0D, 0x09: length += 2
            case 0..<0x20: length += 6
            default: length += 1
            }
        }
        return length
    }

    private static func needsEscape(_ b: UInt8) -> Bool { b < 0x20 || b == 0x22 || b == 0x5C }

    private static func appendEscape(_ b: UInt8, into out: inout [UInt8]) {
        switch b {
        case 0x22: out.append(0x5C); out.append(0x22)
        case 0x5C: out.append(0x5C); out.append(0x5C)
        case 0x0A: out.append(0x5C); out.append(0x6E)
        case 0x0D: out.append(0x5C); out.append(0x72)
        case 0x09: out.append(0x5C); out.append(0x74)
        default:
            let hex: StaticString = "0123456789abcdef"
            out.append(contentsOf: [0x5C, 0x75, 0x30, 0x30, hex.utf8Start[Int(b >> 4)], hex.utf8Start[Int(b & 0xF)]])
        }
    }
}

/// Where and why JSON text is invalid.
public struct JSONScanError: Error, CustomStringConvertible, Sendable {
    public var reason: String
    public var offset: Int
    public var description: String { "invalid JSON at byte \(offset): \(reason)" }
}

/// A strict JSON scanner (RFC 8259) that walks a document without building a tree: callers visit
/// members and elements and read the scalars they need, or skip them (still checked).
public struct JSONScanner {
    public let bytes: [UInt8]
    public var position = 0
    /// Deeper nesting is refused.
    public static let maximumDepth = 512

    public init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// The byte at the current position, nil at the end.
    public var next: UInt8? { position < bytes.count ? bytes[position] : nil }

    public func error(_ reason: String) -> JSONScanError { JSONScanError(reason: reason, offset: position) }

    public mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }

    /// Walks the object at the current position: `member` gets each name with the scanner at
    /// its value (whitespace skipped), which it must read or skip.
    public mutating func members(depth: Int, _ member: (String, inout JSONScanner) throws(JSONScanError) -> Void) throws(JSONScanError) {
        try container(depth: depth, open: 0x7B, close: 0x7D, kind: "object") { scanner throws(JSONScanError) in
            guard scanner.next == 0x22 else { throw scanner.error("expected a member name") }
            let key = try scanner.string()
            scanner.skipWhitespace()
            guard scanner.next == 0x3A else { throw scanner.error("expected ':'") }
            scanner.position += 1
            scanner.skipWhitespace()
            guard scanner.next != nil else { throw scanner.error("unexpected end of the document") }
            try member(key, &scanner)
        }
    }

    /// Walks the array at the current position: `element` gets the scanner at each element
    /// (whitespace skipped), which it must read or skip.
    public mutating func elements(depth: Int, _ element: (inout JSONScanner) throws(JSONScanError) -> Void) throws(JSONScanError) {
        try container(depth: depth, open: 0x5B, close: 0x5D, kind: "array") { scanner throws(JSONScanError) in
            guard scanner.next != nil else { throw scanner.error("unexpected end of the document") }
            try element(&scanner)
        }
    }

    /// An object or array: `open`, items separated by commas (`item` reads one, with the scanner
    /// past the whitespace before it), `close`.
    private mutating func container(depth: Int, open: UInt8, close: UInt8, kind: String,
                                    _ item: (inout JSONScanner) throws(JSONScanError) -> Void) throws(JSONScanError) {
        guard depth < Self.maximumDepth else { throw error("nested too deeply") }
        guard next == open else { throw error("expected '\(Character(Unicode.Scalar(open)))'") }
        position += 1
        skipWhitespace()
        if next == close { position += 1; return }
        while true {
            skipWhitespace()
            try item(&self)
            skipWhitespace()
            switch next {
            case 0x2C?: position += 1
            case close?: position += 1; return
            case nil: throw error("unterminated \(kind)")
            default: throw error("expected ',' or '\(Character(Unicode.Scalar(close)))'")
            }
        }
    }

    /// Reads and checks any value.
    public mutating func skipValue(depth: Int) throws(JSONScanError) {
        guard depth < Self.maximumDepth else { throw error("nested too deeply") }
        guard let b = next else { throw error("unexpected end of the document") }
        switch b {
        case 0x7B: try members(depth: depth) { _, scanner throws(JSONScanError) in try scanner.skipValue(depth: depth + 1) }
        case 0x5B: try elements(depth: depth) { scanner throws(JSONScanError) in try scanner.skipValue(depth: depth + 1) }
        case 0x22: _ = try string()
        case 0x2D, 0x30...0x39: _ = try number()
        case 0x74: try literal("true")
        case 0x66: try literal("false")
        case 0x6E: try literal("null")
        default: throw error("unexpected character '\(Unicode.Scalar(b))'")
        }
    }

    /// `true`, `false` or `null` at the current position.
    public mutating func literal(_ word: StaticString) throws(JSONScanError) {
        let count = word.utf8CodeUnitCount
        guard position + count <= bytes.count else { throw error("invalid literal") }
        for i in 0..<count where bytes[position + i] != word.utf8Start[i] { throw error("invalid literal") }
        position += count
    }

    /// A number's literal text.
    public mutating func number() throws(JSONScanError) -> String {
        let start = position
        func digits(_ s: inout JSONScanner) -> Int {
            let first = s.position
            while let b = s.next, (0x30...0x39).contains(b) { s.position += 1 }
            return s.position - first
        }
        if next == 0x2D { position += 1 }
        let first = position
        guard digits(&self) > 0 else { throw error("invalid number") }
        if bytes[first] == 0x30, position - first > 1 { throw error("leading zero in a number") }
        if next == 0x2E {
            position += 1
            guard digits(&self) > 0 else { throw error("invalid fraction") }
        }
        if next == 0x65 || next == 0x45 {
            position += 1
            if next == 0x2B || next == 0x2D { position += 1 }
            guard digits(&self) > 0 else { throw error("invalid exponent") }
        }
        return String(decoding: bytes[start..<position], as: UTF8.self)
    }

    /// The string at the current position, unescaped.
    public mutating func string() throws(JSONScanError) -> String {
        position += 1
        // Most strings have no escapes: taken whole up to the closing quote.
        let start = position
        while let b = next {
            if b == 0x22 {
                position += 1
                return String(decoding: bytes[start..<position - 1], as: UTF8.self)
            }
            if b == 0x5C || b < 0x20 { break }
            position += 1
        }
        var out = Array(bytes[start..<position])
        while true {
            guard let b = next else { throw error("unterminated string") }
            position += 1
            switch b {
            case 0x22:
                return String(decoding: out, as: UTF8.self)
            case 0x5C:
                guard let e = next else { throw error("unterminated escape") }
                position += 1
                switch e {
                case 0x22, 0x5C, 0x2F: out.append(e)
                case 0x62: out.append(0x08)
                case 0x66: out.append(0x0C)
                case 0x6E: out.append(0x0A)
                case 0x72: out.append(0x0D)
                case 0x74: out.append(0x09)
                case 0x75:
                    var scalar = try hex4()
                    if (0xD800..<0xDC00).contains(scalar) {
                        // A high surrogate must be followed by an escaped low surrogate.
                        guard position + 1 < bytes.count, bytes[position] == 0x5C, bytes[position + 1] == 0x75 else {
                            throw error("unpaired surrogate")
                        }
                        position += 2
                        let low = try hex4()
                        guard (0xDC00..<0xE000).contains(low) else { throw error("unpaired surrogate") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00..<0xE000).contains(scalar) {
                        throw error("unpaired surrogate")
                    }
                    guard let u = Unicode.Scalar(scalar) else { throw error("invalid \\u escape") }
                    out.append(contentsOf: Array(String(Character(u)).utf8))
                default: throw error("invalid escape")
                }
            case 0..<0x20:
                throw error("control character in a string")
            default:
                out.append(b)
            }
        }
    }

    private mutating func hex4() throws(JSONScanError) -> UInt32 {
        guard position + 4 <= bytes.count else { throw error("truncated \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[position]
            position += 1
            let d: UInt32
            switch c {
            case 0x30...0x39: d = UInt32(c - 0x30)
            case 0x41...0x46: d = UInt32(c - 0x41 + 10)
            case 0x61...0x66: d = UInt32(c - 0x61 + 10)
            default: throw error("invalid hex digit in \\u escape")
            }
            v = v << 4 | d
        }
        return v
    }
}
