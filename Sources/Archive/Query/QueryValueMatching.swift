import DICOM

/// A piece of SQL with the arguments its `?` placeholders take, in order.
struct SQLFragment: Sendable {
    var sql: String
    var arguments: [SQLiteValue]
    /// The condition can be answered from an index (an equality, list, range or prefix on an
    /// indexed column): the planner can drive the query from it.
    var indexed: Bool = false

    init(_ sql: String, _ arguments: [SQLiteValue] = [], indexed: Bool = false) {
        self.sql = sql
        self.arguments = arguments
        self.indexed = indexed
    }

    /// `a AND b AND ...` (nil when empty).
    static func and(_ parts: [SQLFragment]) -> SQLFragment? {
        join(parts, with: " AND ", indexed: parts.contains { $0.indexed })
    }

    /// `(a OR b OR ...)` (nil when empty); indexed only when every branch is.
    static func or(_ parts: [SQLFragment]) -> SQLFragment? {
        join(parts, with: " OR ", indexed: !parts.isEmpty && parts.allSatisfy { $0.indexed })
    }

    private static func join(_ parts: [SQLFragment], with separator: String, indexed: Bool) -> SQLFragment? {
        guard let first = parts.first else { return nil }
        if parts.count == 1 { return first }
        return SQLFragment("(" + parts.map(\.sql).joined(separator: separator) + ")",
                           parts.flatMap(\.arguments), indexed: indexed)
    }
}

/// How values of a VR match (PS3.4 C.2.2.2).
enum MatchKind: Equatable {
    /// Single value and wildcard matching, case-sensitive; `multiValued` when a backslash in
    /// the key separates alternatives (every string VR but LT, ST, UT and UR).
    case text(multiValued: Bool)
    /// Like text, case-insensitive unless configured, matching either the whole name or its
    /// alphabetic group.
    case personName
    /// Single value or list of UID matching; wildcards only in a single value.
    case uid
    case date, time, dateTime
    case integer, decimal
    /// Sequences, binary values, AT: not matched (sequence matching is not supported).
    case unsupported

    init(_ vr: VR) {
        switch vr {
        case .AE, .AS, .CS, .LO, .SH, .UC: self = .text(multiValued: true)
        case .LT, .ST, .UT, .UR: self = .text(multiValued: false)
        case .PN: self = .personName
        case .UI: self = .uid
        case .DA: self = .date
        case .TM: self = .time
        case .DT: self = .dateTime
        case .IS, .SS, .US, .SL, .UL, .SV, .UV: self = .integer
        case .DS, .FL, .FD: self = .decimal
        default: self = .unsupported
        }
    }
}

/// The matching rules: one key value against one SQL expression.
enum ValueMatching {
    struct Options {
        var caseSensitivePN: Bool
        /// The expression is a column indexed with NOCASE (patient_name): case-sensitive
        /// conditions get a NOCASE twin so the index still narrows the search.
        var nocaseIndexed: Bool = false
    }

    /// The condition `expr` must meet for `key`, or nil for universal matching.
    static func condition(_ expr: String, kind: MatchKind, key: QueryKey,
                          options: Options) throws(QueryError) -> SQLFragment? {
        func invalid(_ reason: String) -> QueryError {
            .invalidValue(tag: key.tag, value: key.value, reason: reason)
        }
        let splits: Bool
        switch kind {
        case .text(let multiValued): splits = multiValued
        case .unsupported: return nil
        default: splits = true
        }
        let raw = splits ? key.value.split(separator: "\\", omittingEmptySubsequences: false).map(String.init)
                         : [key.value]
        let pieces = raw.map(trimValue)
        if kind == .uid, pieces.count > 1 {
            if pieces.contains(where: \.isEmpty) { throw invalid("empty UID in a list of UIDs") }
            if pieces.contains(where: hasWildcard) { throw invalid("wildcards are not allowed in a list of UIDs") }
        }
        let values = pieces.filter { !$0.isEmpty }
        // Empty, or `*` as one of the alternatives: universal matching.
        if values.isEmpty || values.contains("*") { return nil }

        switch kind {
        case .text, .uid:
            return textCondition(expr, values: values)
        case .personName:
            return personNameCondition(expr, values: values, options: options)
        case .date:
            var parts: [SQLFragment] = []
            for value in values {
                guard let range = try dateRange(value, key: key) else { return nil }
                parts.append(rangeCondition(expr, range, prefixSemantics: false))
            }
            return .or(parts)
        case .time, .dateTime:
            var parts: [SQLFragment] = []
            for value in values {
                let range = kind == .time ? try timeRange(value, key: key) : try dateTimeRange(value, key: key)
                guard let range else { return nil }
                parts.append(rangeCondition(expr, range, prefixSemantics: true))
            }
            return .or(parts)
        case .integer, .decimal:
            var numbers: [SQLiteValue] = []
            for value in values {
                if hasWildcard(value) { throw invalid("wildcard matching is not allowed for \(key.vr) values") }
                let text = value.hasPrefix("+") ? String(value.dropFirst()) : value
                if kind == .integer, let n = Int64(text) {
                    numbers.append(.integer(n))
                } else if kind == .decimal, let d = Double(text), d.isFinite,
                          text.utf8.allSatisfy({ (0x30...0x39).contains($0) || [0x2D, 0x2E, 0x45, 0x65].contains($0) }) {
                    numbers.append(.real(d))
                } else {
                    throw invalid(kind == .integer ? "not an integer" : "not a decimal number")
                }
            }
            return inList(expr, numbers)
        case .unsupported:
            return nil
        }
    }

    // MARK: Strings

    static func hasWildcard(_ s: String) -> Bool { s.contains("*") || s.contains("?") }

    /// Without the padding of DICOM values (spaces, and NUL after UIDs).
    static func trimValue(_ s: String) -> String {
        var scalars = Substring(s).unicodeScalars
        while let last = scalars.last, last == " " || last == "\0" { scalars.removeLast() }
        while let first = scalars.first, first == " " { scalars.removeFirst() }
        return String(scalars)
    }

    static func inList(_ expr: String, _ values: [SQLiteValue]) -> SQLFragment? {
        switch values.count {
        case 0: return nil
        case 1: return SQLFragment("\(expr) = ?", values, indexed: true)
        default:
            return SQLFragment("\(expr) IN (" + Array(repeating: "?", count: values.count).joined(separator: ", ") + ")",
                               values, indexed: true)
        }
    }

    /// Case-sensitive: exact values with `=`/`IN`, wildcards with GLOB.
    static func textCondition(_ expr: String, values: [String]) -> SQLFragment? {
        var parts: [SQLFragment] = []
        if let exact = inList(expr, values.filter { !hasWildcard($0) }.map { .text($0) }) { parts.append(exact) }
        for value in values where hasWildcard(value) {
            parts.append(SQLFragment("\(expr) GLOB ?", [.text(globPattern(value))], indexed: hasLiteralPrefix(value)))
        }
        return .or(parts)
    }

    /// PN: case-insensitive by default. ASCII values use SQLite's NOCASE and LIKE (index-assisted);
    /// a value with other letters is compared in Unicode lower case on both sides
    /// (`swiftpacs_fold`, no index), so `müller*` matches `MÜLLER^HANS`. A value with fewer
    /// component groups than the stored name matches its leading groups (`Doe^John` matches
    /// `Doe^John=ドウ^ジョン`), as users type only the alphabetic group.
    static func personNameCondition(_ expr: String, values: [String], options: Options) -> SQLFragment? {
        var parts: [SQLFragment] = []
        for value in values {
            if !options.caseSensitivePN && !value.utf8.allSatisfy({ $0 < 0x80 }) {
                parts.append(foldedPersonName(expr, value))
                continue
            }
            if hasWildcard(value) {
                parts.append(pnPattern(expr, value, options))
            } else if options.caseSensitivePN {
                parts.append(options.nocaseIndexed
                             ? SQLFragment("(\(expr) = ? COLLATE NOCASE AND \(expr) = ?)", [.text(value), .text(value)],
                                           indexed: true)
                             : SQLFragment("\(expr) = ?", [.text(value)], indexed: true))
            } else {
                parts.append(SQLFragment("\(expr) = ? COLLATE NOCASE", [.text(value)], indexed: true))
            }
            if value.filter({ $0 == "=" }).count < 2, !value.hasSuffix("*") {
                parts.append(pnPattern(expr, value + "=*", options))
            }
        }
        return .or(parts)
    }

    /// A case-insensitive PN value with non-ASCII letters: both sides in Unicode lower case. The
    /// value's leading ASCII letters, if any, also make a NOCASE prefix condition, which lets the
    /// index narrow the search (`MÜLLER*` reads the `M` names only).
    private static func foldedPersonName(_ expr: String, _ value: String) -> SQLFragment {
        let fold = SQLiteConnection.foldFunction
        let folded = SQLiteConnection.fold(value)
        var alternatives = [hasWildcard(folded)
                            ? SQLFragment("\(fold)(\(expr)) GLOB ?", [.text(globPattern(folded))])
                            : SQLFragment("\(fold)(\(expr)) = ?", [.text(folded)])]
        if folded.filter({ $0 == "=" }).count < 2, !folded.hasSuffix("*") {
            alternatives.append(SQLFragment("\(fold)(\(expr)) GLOB ?", [.text(globPattern(folded + "=*"))]))
        }
        let match = SQLFragment.or(alternatives)!
        let prefix = String(value.prefix { $0.isASCII && $0 != "*" && $0 != "?" })
        guard !prefix.isEmpty else { return match }
        return SQLFragment("(\(expr) LIKE ? ESCAPE '\\' AND \(match.sql))", [.text(likePattern(prefix) + "%")] + match.arguments,
                           indexed: true)
    }

    private static func pnPattern(_ expr: String, _ value: String, _ options: Options) -> SQLFragment {
        let prefix = hasLiteralPrefix(value)
        let like = SQLFragment("\(expr) LIKE ? ESCAPE '\\'", [.text(likePattern(value))], indexed: prefix)
        guard options.caseSensitivePN else { return like }
        let glob = SQLFragment("\(expr) GLOB ?", [.text(globPattern(value))])
        guard options.nocaseIndexed else { return glob }
        return SQLFragment("(\(like.sql) AND \(glob.sql))", like.arguments + glob.arguments, indexed: prefix)
    }

    /// A pattern that does not start with a wildcard: SQLite turns it into an index range.
    static func hasLiteralPrefix(_ value: String) -> Bool {
        guard let first = value.first else { return false }
        return first != "*" && first != "?"
    }

    /// DICOM `*`/`?` as LIKE `%`/`_`, with the LIKE metacharacters of the value escaped by `\`.
    static func likePattern(_ value: String) -> String {
        var out = ""
        for c in value {
            switch c {
            case "*": out.append("%")
            case "?": out.append("_")
            case "%", "_", "\\": out.append("\\"); out.append(c)
            default: out.append(c)
            }
        }
        return out
    }

    /// DICOM `*`/`?` are GLOB's own; `[` starts a character class in GLOB and is escaped as `[[]`.
    static func globPattern(_ value: String) -> String {
        var out = ""
        for c in value {
            if c == "[" { out += "[[]" } else { out.append(c) }
        }
        return out
    }

    // MARK: Dates and times

    /// A closed, half-open or degenerate range of DA, TM or DT values in their normalized
    /// string forms (comparable as strings).
    struct Range: Equatable {
        var lower: String?
        var upper: String?
        var single: Bool
    }

    /// `lower <= E <= upper`. With prefix semantics (TM, DT: "10" stands for the whole hour),
    /// the upper bound includes every value it is a prefix of: `~` sorts after every character
    /// of a TM or DT value (digits, `.`, `+`, `-`).
    static func rangeCondition(_ expr: String, _ range: Range, prefixSemantics: Bool) -> SQLFragment {
        let upper = range.upper.map { prefixSemantics ? $0 + "~" : $0 }
        if range.single, !prefixSemantics, let lower = range.lower {
            return SQLFragment("\(expr) = ?", [.text(lower)], indexed: true)
        }
        switch (range.lower, upper) {
        case let (lower?, upper?): return SQLFragment("\(expr) BETWEEN ? AND ?", [.text(lower), .text(upper)], indexed: true)
        case let (lower?, nil): return SQLFragment("\(expr) >= ?", [.text(lower)], indexed: true)
        case let (nil, upper?): return SQLFragment("\(expr) <= ?", [.text(upper)], indexed: true)
        case (nil, nil): return SQLFragment("1")
        }
    }

    /// `a`, `a-b`, `a-`, `-b` (PS3.4 C.2.2.2.5); nil for `-` alone (no bound: universal).
    static func dateRange(_ value: String, key: QueryKey) throws(QueryError) -> Range? {
        try splitRange(value, key: key, what: "date") { normalizeDate($0) }
    }

    static func timeRange(_ value: String, key: QueryKey) throws(QueryError) -> Range? {
        try splitRange(value, key: key, what: "time") { normalizeTime($0) }
    }

    /// DT values may carry a UTC offset with a `-`, so the range separator is found by trying
    /// each `-`; a single value with a valid offset wins over a range.
    static func dateTimeRange(_ value: String, key: QueryKey) throws(QueryError) -> Range? {
        if value == "-" { return nil }
        if let single = normalizeDateTime(value) { return Range(lower: single, upper: single, single: true) }
        var index = value.startIndex
        while let dash = value[index...].firstIndex(of: "-") {
            let lowerText = String(value[..<dash]), upperText = String(value[value.index(after: dash)...])
            let lower = lowerText.isEmpty ? nil : normalizeDateTime(lowerText)
            let upper = upperText.isEmpty ? nil : normalizeDateTime(upperText)
            if (lowerText.isEmpty || lower != nil) && (upperText.isEmpty || upper != nil) {
                return Range(lower: lower, upper: upper, single: false)
            }
            index = value.index(after: dash)
        }
        if hasWildcard(value) {
            throw .invalidValue(tag: key.tag, value: key.value, reason: "wildcard matching is not allowed for DT values")
        }
        throw .invalidValue(tag: key.tag, value: key.value, reason: "malformed date-time or date-time range \"\(value)\"")
    }

    private static func splitRange(_ value: String, key: QueryKey, what: String,
                                   normalize: (String) -> String?) throws(QueryError) -> Range? {
        func invalid(_ reason: String) -> QueryError { .invalidValue(tag: key.tag, value: key.value, reason: reason) }
        if hasWildcard(value) { throw invalid("wildcard matching is not allowed for \(key.vr) values") }
        let parts = value.split(separator: "-", omittingEmptySubsequences: false).map { String($0).queryTrimmed }
        switch parts.count {
        case 1:
            guard let v = normalize(parts[0]) else { throw invalid("malformed \(what) \"\(value)\"") }
            return Range(lower: v, upper: v, single: true)
        case 2:
            if parts[0].isEmpty && parts[1].isEmpty { return nil }
            var bounds: [String?] = []
            for part in parts {
                if part.isEmpty { bounds.append(nil); continue }
                guard let v = normalize(part) else { throw invalid("malformed \(what) range \"\(value)\"") }
                bounds.append(v)
            }
            return Range(lower: bounds[0], upper: bounds[1], single: false)
        default:
            throw invalid("malformed \(what) range \"\(value)\": more than one \"-\"")
        }
    }

    /// `YYYYMMDD` (or the retired `YYYY.MM.DD`) as `YYYYMMDD`.
    static func normalizeDate(_ text: String) -> String? {
        guard text.utf8.allSatisfy({ (0x30...0x39).contains($0) || $0 == 0x2E }),
              text.utf8.count == 8 || (text.utf8.count == 10 && text.utf8.filter({ $0 == 0x2E }).count == 2)
        else { return nil }
        return DICOMDate(text)?.description
    }

    /// `HH[MM[SS[.F{1,6}]]]` (or the retired `HH:MM:SS`), as written without colons.
    static func normalizeTime(_ text: String) -> String? {
        let plain = text.filter { $0 != ":" }
        let parts = plain.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard DICOMTime(plain) != nil, parts.count == 1 || parts[0].count == 6 else { return nil }
        return plain
    }

    /// `YYYY[MM[DD[HH[MM[SS[.F{1,6}]]]]]][&ZZXX]` without the offset (values compare as they
    /// were written; offsets are not applied).
    static func normalizeDateTime(_ text: String) -> String? {
        var body = Substring(text)
        if let sign = text.lastIndex(where: { $0 == "+" || $0 == "-" }) {
            let offset = Array(text[text.index(after: sign)...].utf8)
            guard offset.count == 4, offset.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
            let hours = Int(offset[0] - 0x30) * 10 + Int(offset[1] - 0x30)
            let minutes = Int(offset[2] - 0x30) * 10 + Int(offset[3] - 0x30)
            guard hours <= 14, minutes < 60 else { return nil }
            body = text[..<sign]
        }
        let parts = body.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let digits = Array(parts[0].utf8)
        guard [4, 6, 8, 10, 12, 14].contains(digits.count), digits.allSatisfy({ (0x30...0x39).contains($0) }) else {
            return nil
        }
        if parts.count == 2 {
            let fraction = parts[1].utf8
            guard digits.count == 14, (1...6).contains(fraction.count),
                  fraction.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
        }
        func n(_ at: Int) -> Int { Int(digits[at] - 0x30) * 10 + Int(digits[at + 1] - 0x30) }
        if digits.count >= 6, !(1...12).contains(n(4)) { return nil }
        if digits.count >= 8, !(1...31).contains(n(6)) { return nil }
        if digits.count >= 10, n(8) > 23 { return nil }
        if digits.count >= 12, n(10) > 59 { return nil }
        if digits.count >= 14, n(12) > 60 { return nil }
        return String(body)
    }
}
