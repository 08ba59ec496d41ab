import DICOM

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
                JSONText.writeString(key, into: &out)
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
        case .string(let s): JSONText.escapedLength(s)
        case .array, .object, .compactObject: nil
        }
    }

    private func writeCompact(into out: inout [UInt8]) {
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .number(let text): out.append(contentsOf: text.utf8)
        case .string(let s): JSONText.writeString(s, into: &out)
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
                JSONText.writeString(key, into: &out)
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
}

// MARK: - Parsing

/// Why a request body is not JSON, with the byte offset.
typealias RESTJSONError = JSONScanError

extension RESTJSON {
    /// Parses a whole document (RFC 8259). Nesting is limited to 512 levels.
    static func parse(_ bytes: some Collection<UInt8>) throws(RESTJSONError) -> RESTJSON {
        var scanner = JSONScanner(bytes: Array(bytes))
        scanner.skipWhitespace()
        let value = try value(&scanner, depth: 0)
        scanner.skipWhitespace()
        guard scanner.next == nil else { throw scanner.error("unexpected data after the document") }
        return value
    }

    static func parse(_ text: String) throws(RESTJSONError) -> RESTJSON { try parse(Array(text.utf8)) }

    private static func value(_ scanner: inout JSONScanner, depth: Int) throws(JSONScanError) -> RESTJSON {
        guard depth < JSONScanner.maximumDepth else { throw scanner.error("nested too deeply") }
        guard let b = scanner.next else { throw scanner.error("unexpected end of the document") }
        switch b {
        case 0x7B:
            var members: [String: RESTJSON] = [:]
            try scanner.members(depth: depth) { key, scanner throws(JSONScanError) in members[key] = try value(&scanner, depth: depth + 1) }
            return .object(members)
        case 0x5B:
            var items: [RESTJSON] = []
            try scanner.elements(depth: depth) { scanner throws(JSONScanError) in items.append(try value(&scanner, depth: depth + 1)) }
            return .array(items)
        case 0x22: return .string(try scanner.string())
        case 0x74: try scanner.literal("true"); return .bool(true)
        case 0x66: try scanner.literal("false"); return .bool(false)
        case 0x6E: try scanner.literal("null"); return .null
        case 0x2D, 0x30...0x39: return .number(try scanner.number())
        default: throw scanner.error("unexpected character '\(Unicode.Scalar(b))'")
        }
    }
}
