/// A JSON value as the Orthanc-style REST API reads and writes it.
///
/// Numbers keep their literal text, so a DICOM JSON `DS` value such as `1.50` comes out as the
/// string Orthanc would show ("1.50"), and nothing is rounded through `Double`. Objects are written
/// with sorted keys and indented by three spaces, as Orthanc (jsoncpp's `StyledWriter`) does.
enum RESTJSON: Sendable, Equatable {
    case null
    case bool(Bool)
    /// The number's literal text (valid JSON number syntax).
    case number(String)
    case string(String)
    case array([RESTJSON])
    case object([String: RESTJSON])
    /// An object of string members already written as compact JSON with sorted keys (the
    /// index's stored `MainDicomTags`): copied as it is, or laid out as `.object` would be when
    /// pretty-printed, without parsing it. Never produced by `parse`.
    case compactObject(String)

    static func int(_ value: some BinaryInteger) -> RESTJSON { .number(String(value)) }
    static func optional(_ value: String?) -> RESTJSON { value.map { .string($0) } ?? .null }
    static func strings(_ values: [String]) -> RESTJSON { .array(values.map { .string($0) }) }

    // MARK: Access

    subscript(key: String) -> RESTJSON? {
        if case .object(let o) = self { return o[key] }
        return nil
    }

    var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    var objectValue: [String: RESTJSON]? {
        if case .object(let o) = self { return o }
        return nil
    }

    var arrayValue: [RESTJSON]? {
        if case .array(let a) = self { return a }
        return nil
    }

    /// An integral number (also accepts a decimal string, as Orthanc's `asInt` does not, but
    /// clients send `"Limit": "10"` often enough).
    var intValue: Int? {
        switch self {
        case .number(let text): Int(text) ?? Double(text).flatMap { Int(exactly: $0) }
        case .string(let text): Int(text)
        default: nil
        }
    }

    var boolValue: Bool? {
        switch self {
        case .bool(let b): b
        case .number(let text): Double(text).map { $0 != 0 }
        case .string(let text):
            switch text.lowercased() {
            case "true", "1": true
            case "false", "0": false
            default: nil
            }
        default: nil
        }
    }

    var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object, .compactObject: "an object"
        }
    }

    // MARK: Writing

    /// Pretty-printed with sorted keys, three-space indents; arrays of a few scalars stay on one
    /// line (jsoncpp's layout, which Orthanc answers with).
    var text: String { String(decoding: bytes, as: UTF8.self) }

    /// `text` as UTF-8, without going through a `String` (answers of several megabytes).
    var bytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        write(into: &out, indent: 0)
        out.append(0x0A)
        return out
    }

    /// Without any whitespace.
    var compactText: String {
        var out: [UInt8] = []
        writeCompact(into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    private func write(into out: inout [UInt8], indent: Int) {
        switch self {
        case .array(let items):
            if items.isEmpty { out.append(contentsOf: "[]".utf8); return }
            if Self.fitsOnOneLine(items, indent: indent) {
                out.append(contentsOf: "[ ".utf8)
                for (i, item) in items.enumerated() {
                    if i > 0 { out.append(contentsOf: ", ".utf8) }
                    item.writeCompact(into: &out)
                }
                out.append(contentsOf: " ]".utf8)
                return
            }
            out.append(contentsOf: "[\n".utf8)
            for (i, item) in items.enumerated() {
                Self.pad(&out, indent + 3)
                item.write(into: &out, indent: indent + 3)
                if i < items.count - 1 { out.append(0x2C) }
                out.append(0x0A)
            }
            Self.pad(&out, indent)
            out.append(0x5D)
        case .object(let members):
            if members.isEmpty { out.append(contentsOf: "{}".utf8); return }
            out.append(contentsOf: "{\n".utf8)
            let keys = members.keys.sorted()
            for (i, key) in keys.enumerated() {
                Self.pad(&out, indent + 3)
                Self.writeString(key, into: &out)
                out.append(contentsOf: " : ".utf8)
                members[key]!.write(into: &out, indent: indent + 3)
                if i < keys.count - 1 { out.append(0x2C) }
                out.append(0x0A)
            }
            Self.pad(&out, indent)
            out.append(0x7D)
        case .compactObject(let json):
            Self.writeStyled(compactObject: json, indent: indent, into: &out)
        default:
            writeCompact(into: &out)
        }
    }

    /// Lays out a compact object of strings as `write` lays out `.object`: only the bytes outside
    /// strings (`{`, `:`, `,`, `}`) change; each string is copied whole, as it is escaped.
    private static func writeStyled(compactObject json: String, indent: Int, into out: inout [UInt8]) {
        var json = json
        json.withUTF8 { bytes in
            guard bytes.count > 2 else { out.append(contentsOf: bytes); return }  // "{}"
            var i = 0
            while i < bytes.count {
                let b = bytes[i]
                switch b {
                case 0x22:
                    // Up to the closing quote, stepping over escaped characters.
                    var end = i + 1
                    while end < bytes.count, bytes[end] != 0x22 { end += bytes[end] == 0x5C ? 2 : 1 }
                    end = min(end + 1, bytes.count)
                    out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[i..<end]))
                    i = end
                    continue
                case 0x7B: out.append(contentsOf: "{\n".utf8); pad(&out, indent + 3)
                case 0x3A: out.append(contentsOf: " : ".utf8)
                case 0x2C: out.append(contentsOf: ",\n".utf8); pad(&out, indent + 3)
                case 0x7D: out.append(0x0A); pad(&out, indent); out.append(0x7D)
                default: out.append(b)
                }
                i += 1
            }
        }
    }

    /// jsoncpp writes an array of scalars on one line when it stays under 74 columns: each
    /// item's compact text plus ", " (counted as 2 per item), plus the indent.
    private static func fitsOnOneLine(_ items: [RESTJSON], indent: Int) -> Bool {
        var width = indent
        for item in items {
            guard let length = item.scalarLength else { return false }
            width += length + 2
            if width >= 74 { return false }
        }
        return true
    }

    /// The compact text's length of a scalar, nil for arrays and objects.
    private var scalarLength: Int? {
        switch self {
        case .null: 4
        case .bool(let b): b ? 4 : 5
        case .number(let text): text.utf8.count
        case .string(let s): Self.escapedLength(s)
        case .array, .object, .compactObject: nil
        }
    }

    private func writeCompact(into out: inout [UInt8]) {
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .number(let text): out.append(contentsOf: text.utf8)
        case .string(let s): Self.writeString(s, into: &out)
        case .array(let items):
            out.append(0x5B)
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(0x2C) }
                item.writeCompact(into: &out)
            }
            out.append(0x5D)
        case .object(let members):
            out.append(0x7B)
            for (i, key) in members.keys.sorted().enumerated() {
                if i > 0 { out.append(0x2C) }
                Self.writeString(key, into: &out)
                out.append(0x3A)
                members[key]!.writeCompact(into: &out)
            }
            out.append(0x7D)
        case .compactObject(let json):
            out.append(contentsOf: json.utf8)
        }
    }

    private static func pad(_ out: inout [UInt8], _ n: Int) {
        out.append(contentsOf: repeatElement(0x20, count: n))
    }

    /// Bytes that `writeString` escapes: quote, backslash and the control characters.
    private static func needsEscape(_ b: UInt8) -> Bool { b < 0x20 || b == 0x22 || b == 0x5C }

    /// Runs without escapes are copied whole: most strings (IDs, UIDs, names) have none.
    private static func writeString(_ s: String, into out: inout [UInt8]) {
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

    /// The length of `writeString`'s output for `s`.
    private static func escapedLength(_ s: String) -> Int {
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
}

// MARK: - Parsing

/// Why a request body is not JSON, with the byte offset.
struct RESTJSONError: Error, CustomStringConvertible, Sendable {
    var reason: String
    var offset: Int
    var description: String { "invalid JSON at byte \(offset): \(reason)" }
}

extension RESTJSON {
    /// Parses a whole document (RFC 8259). Nesting is limited to 512 levels.
    static func parse(_ bytes: some Collection<UInt8>) throws(RESTJSONError) -> RESTJSON {
        var parser = Parser(bytes: Array(bytes))
        parser.skipWhitespace()
        let value = try parser.value(depth: 0)
        parser.skipWhitespace()
        guard parser.position == parser.bytes.count else { throw parser.error("unexpected data after the document") }
        return value
    }

    static func parse(_ text: String) throws(RESTJSONError) -> RESTJSON { try parse(Array(text.utf8)) }

    private struct Parser {
        let bytes: [UInt8]
        var position = 0

        func error(_ reason: String) -> RESTJSONError { RESTJSONError(reason: reason, offset: position) }

        mutating func skipWhitespace() {
            while position < bytes.count {
                switch bytes[position] {
                case 0x20, 0x09, 0x0A, 0x0D: position += 1
                default: return
                }
            }
        }

        mutating func value(depth: Int) throws(RESTJSONError) -> RESTJSON {
            guard depth < 512 else { throw error("nested too deeply") }
            guard position < bytes.count else { throw error("unexpected end of the document") }
            switch bytes[position] {
            case 0x7B: return try object(depth: depth)
            case 0x5B: return try array(depth: depth)
            case 0x22: return .string(try string())
            case 0x74: try literal("true"); return .bool(true)
            case 0x66: try literal("false"); return .bool(false)
            case 0x6E: try literal("null"); return .null
            case 0x2D, 0x30...0x39: return .number(try number())
            default: throw error("unexpected character '\(Unicode.Scalar(bytes[position]))'")
            }
        }

        mutating func literal(_ word: String) throws(RESTJSONError) {
            let w = Array(word.utf8)
            guard position + w.count <= bytes.count, Array(bytes[position..<position + w.count]) == w else {
                throw error("invalid literal")
            }
            position += w.count
        }

        mutating func object(depth: Int) throws(RESTJSONError) -> RESTJSON {
            position += 1
            var members: [String: RESTJSON] = [:]
            skipWhitespace()
            if position < bytes.count, bytes[position] == 0x7D { position += 1; return .object(members) }
            while true {
                skipWhitespace()
                guard position < bytes.count, bytes[position] == 0x22 else { throw error("expected a member name") }
                let key = try string()
                skipWhitespace()
                guard position < bytes.count, bytes[position] == 0x3A else { throw error("expected ':'") }
                position += 1
                skipWhitespace()
                members[key] = try value(depth: depth + 1)
                skipWhitespace()
                guard position < bytes.count else { throw error("unterminated object") }
                if bytes[position] == 0x2C { position += 1; continue }
                if bytes[position] == 0x7D { position += 1; return .object(members) }
                throw error("expected ',' or '}'")
            }
        }

        mutating func array(depth: Int) throws(RESTJSONError) -> RESTJSON {
            position += 1
            var items: [RESTJSON] = []
            skipWhitespace()
            if position < bytes.count, bytes[position] == 0x5D { position += 1; return .array(items) }
            while true {
                skipWhitespace()
                items.append(try value(depth: depth + 1))
                skipWhitespace()
                guard position < bytes.count else { throw error("unterminated array") }
                if bytes[position] == 0x2C { position += 1; continue }
                if bytes[position] == 0x5D { position += 1; return .array(items) }
                throw error("expected ',' or ']'")
            }
        }

        mutating func number() throws(RESTJSONError) -> String {
            let start = position
            func digits(_ p: inout Self) -> Int {
                let s = p.position
                while p.position < p.bytes.count, (0x30...0x39).contains(p.bytes[p.position]) { p.position += 1 }
                return p.position - s
            }
            if bytes[position] == 0x2D { position += 1 }
            let first = position
            guard digits(&self) > 0 else { throw error("invalid number") }
            if bytes[first] == 0x30, position - first > 1 { throw error("leading zero in a number") }
            if position < bytes.count, bytes[position] == 0x2E {
                position += 1
                guard digits(&self) > 0 else { throw error("invalid fraction") }
            }
            if position < bytes.count, bytes[position] == 0x65 || bytes[position] == 0x45 {
                position += 1
                if position < bytes.count, bytes[position] == 0x2B || bytes[position] == 0x2D { position += 1 }
                guard digits(&self) > 0 else { throw error("invalid exponent") }
            }
            return String(decoding: bytes[start..<position], as: UTF8.self)
        }

        mutating func string() throws(RESTJSONError) -> String {
            position += 1
            // Most strings have no escapes: taken whole up to the closing quote.
            let start = position
            while position < bytes.count {
                let b = bytes[position]
                if b == 0x22 {
                    position += 1
                    return String(decoding: bytes[start..<position - 1], as: UTF8.self)
                }
                if b == 0x5C || b < 0x20 { break }
                position += 1
            }
            var out = Array(bytes[start..<position])
            while true {
                guard position < bytes.count else { throw error("unterminated string") }
                let b = bytes[position]
                position += 1
                switch b {
                case 0x22:
                    return String(decoding: out, as: UTF8.self)
                case 0x5C:
                    guard position < bytes.count else { throw error("unterminated escape") }
                    let e = bytes[position]
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

        mutating func hex4() throws(RESTJSONError) -> UInt32 {
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
}
