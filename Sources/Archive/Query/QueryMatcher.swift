import DICOM

/// The SQL of one query, and how to read its rows.
public struct QueryPlan: Sendable {
    public var sql: String
    public var arguments: [SQLiteValue]
    public var level: ResourceLevel
    /// The levels whose `tags` are selected (columns 2...), from Patient down to the query level.
    public var tagLevels: [ResourceLevel]
    /// The computed keys selected after the tags, in column order.
    public var computed: [ComputedKey]
    /// Matching keys the index cannot apply (attributes it does not record, sequences, binary
    /// values): treated as return keys, as PS3.4 C.2.2.1 allows for optional keys; QIDO-RS may
    /// warn about them.
    public var ignoredKeys: [QueryKey]
}

/// Turns a `Query` into one SQL statement over the index (PS3.4 C.2.2.2 matching) and runs it.
///
/// The statement selects the query level's rows joined to their ancestors (whose `tags` every
/// answer needs), ordered by row id:
///
///     SELECT st.id, st.public_id, pa.tags, st.tags [, computed...]
///     FROM studies st JOIN patients pa ON pa.id = st.patient
///     WHERE <keys of the level and its ancestors>
///       AND <EXISTS / IN subquery over the descendants for lower-level keys>
///     ORDER BY st.id LIMIT ? OFFSET ?
///
/// Keys with a column use it (and its index); other recorded attributes are read from the
/// level's DICOM JSON with JSON1 (`json_extract` for single-valued attributes, `json_each` so that
/// any value of a multi-valued one matches). Every value is a bound argument.
public enum QueryMatcher {
    public static func plan(for query: Query) throws(QueryError) -> QueryPlan {
        var builder = Builder(query: query)
        return try builder.build()
    }

    public static func sql(for query: Query) throws(QueryError) -> (sql: String, arguments: [SQLiteValue]) {
        let plan = try plan(for: query)
        return (plan.sql, plan.arguments)
    }

    public static func run(_ query: Query, on db: SQLiteConnection) throws -> [QueryMatch] {
        try run(plan(for: query), on: db)
    }

    public static func run(_ plan: QueryPlan, on db: SQLiteConnection) throws -> [QueryMatch] {
        let statement = try db.prepare(plan.sql)
        let tagBase = 2, computedBase = 2 + plan.tagLevels.count
        return try statement.rows(plan.arguments) { row in
            var tags: [ResourceLevel: String] = [:]
            for (i, level) in plan.tagLevels.enumerated() { tags[level] = row.text(tagBase + i) ?? "{}" }
            var computed: [Tag: String] = [:]
            for (i, key) in plan.computed.enumerated() {
                let column = computedBase + i
                switch key {
                case .modalitiesInStudy, .sopClassesInStudy:
                    let list = row.text(column) ?? ""
                    computed[key.tag] = list.split(separator: ",").map(String.init).sorted().joined(separator: "\\")
                default:
                    computed[key.tag] = row.isNull(column) ? "" : String(row.int64(column))
                }
            }
            return QueryMatch(level: plan.level, publicID: row.text(1) ?? "", rowID: row.int64(0), tags: tags,
                              computed: computed)
        }
    }

    /// The rows of `EXPLAIN QUERY PLAN` for the query (the `detail` column), to check index use.
    public static func explain(_ query: Query, on db: SQLiteConnection) throws -> [String] {
        let plan = try plan(for: query)
        let statement = try db.prepare("EXPLAIN QUERY PLAN " + plan.sql)
        return try statement.rows(plan.arguments) { $0.text(3) ?? "" }
    }
}

// MARK: - Where keys live

extension QueryMatcher {
    enum ColumnIndex { case none, binary, nocase }

    struct Column {
        var level: ResourceLevel
        var name: String
        var index: ColumnIndex
    }

    /// The keys with a real column (Schema v1).
    static let columns: [Tag: Column] = {
        let list: [(UInt32, ResourceLevel, String, ColumnIndex)] = [
            (0x0010_0020, .patient, "patient_id", .binary),
            (0x0010_0010, .patient, "patient_name", .nocase),
            (0x0010_0030, .patient, "patient_birth_date", .none),
            (0x0010_0040, .patient, "patient_sex", .none),
            (0x0020_000D, .study, "study_instance_uid", .binary),
            (0x0008_0020, .study, "study_date", .binary),
            (0x0008_0030, .study, "study_time", .none),
            (0x0008_0050, .study, "accession_number", .binary),
            (0x0020_0010, .study, "study_id", .none),
            (0x0008_1030, .study, "study_description", .none),
            (0x0008_0090, .study, "referring_physician_name", .none),
            (0x0020_000E, .series, "series_instance_uid", .binary),
            (0x0008_0060, .series, "modality", .binary),
            (0x0020_0011, .series, "series_number", .none),
            (0x0008_0021, .series, "series_date", .none),
            (0x0008_0031, .series, "series_time", .none),
            (0x0008_103E, .series, "series_description", .none),
            (0x0018_0015, .series, "body_part_examined", .none),
            (0x0008_0018, .instance, "sop_instance_uid", .binary),
            (0x0008_0016, .instance, "sop_class_uid", .binary),
            (0x0020_0013, .instance, "instance_number", .none),
        ]
        var map: [Tag: Column] = [:]
        for (tag, level, name, index) in list { map[Tag(tag)] = Column(level: level, name: name, index: index) }
        return map
    }()

    /// Keys that steer the query rather than match: Query/Retrieve Level, Specific Character
    /// Set, Retrieve AE Title, Instance Availability, Timezone Offset From UTC, and the QIDO/
    /// Orthanc paging attributes. Never matched, never reported.
    static let controlKeys: Set<Tag> = [
        Tag(0x0008_0005), Tag(0x0008_0052), Tag(0x0008_0054), Tag(0x0008_0056), Tag(0x0008_0201),
        Tag(0x0088_0130), Tag(0x0088_0140),
    ]

    /// Attribute lists of each level, as sets.
    static let levelOfAttribute: [Tag: ResourceLevel] = {
        var map: [Tag: ResourceLevel] = [:]
        for level in ResourceLevel.allCases { for tag in level.attributes where map[tag] == nil { map[tag] = level } }
        return map
    }()
}

extension ResourceLevel {
    var depth: Int {
        switch self {
        case .patient: 0
        case .study: 1
        case .series: 2
        case .instance: 3
        }
    }

    /// Short SQL alias of the level's table in the main query.
    var alias: String {
        switch self {
        case .patient: "pa"
        case .study: "st"
        case .series: "se"
        case .instance: "ins"
        }
    }

    /// The column holding the parent's row id.
    var parentColumn: String? {
        switch self {
        case .patient: nil
        case .study: "patient"
        case .series: "study"
        case .instance: "series"
        }
    }

    /// This level and its ancestors, from Patient down.
    var lineage: [ResourceLevel] { ResourceLevel.allCases.filter { $0.depth <= depth } }
}

// MARK: - Building

extension QueryMatcher {
    /// A matching key with where it is matched.
    struct MatchingKey {
        enum Target {
            case column(Column)
            case json(ResourceLevel)
            case computed(ComputedKey)
        }
        var key: QueryKey
        var target: Target
        var level: ResourceLevel
    }

    struct Builder {
        let query: Query
        var aliasCounter = 0
        var ignored: [QueryKey] = []

        init(query: Query) { self.query = query }

        mutating func freshAlias(_ stem: String) -> String {
            aliasCounter += 1
            return "\(stem)\(aliasCounter)"
        }

        mutating func build() throws(QueryError) -> QueryPlan {
            let level = query.level
            if let limit = query.limit, limit < 0 { throw .invalidPaging("negative limit \(limit)") }
            if query.offset < 0 { throw .invalidPaging("negative offset \(query.offset)") }

            // Sort the keys: computed keys to return, matching keys by level.
            var returned: [ComputedKey] = []
            var matching: [MatchingKey] = []
            for key in query.keys where !QueryMatcher.controlKeys.contains(key.tag) {
                if let computed = ComputedKey(tag: key.tag) {
                    // Returned when it describes the entity or an ancestor; matched at any level
                    // (a study-level ModalitiesInStudy constrains a patient-level query too).
                    if computed.level.depth <= level.depth, !returned.contains(computed) { returned.append(computed) }
                    if !key.isUniversal {
                        matching.append(MatchingKey(key: key, target: .computed(computed), level: computed.level))
                    }
                    continue
                }
                guard !key.isUniversal else { continue }
                if let column = QueryMatcher.columns[key.tag] {
                    matching.append(MatchingKey(key: key, target: .column(column), level: column.level))
                } else if let owner = QueryMatcher.levelOfAttribute[key.tag], MatchKind(vr(of: key)) != .unsupported {
                    matching.append(MatchingKey(key: key, target: .json(owner), level: owner))
                } else {
                    ignored.append(key)
                }
            }

            // Keys of this level and its ancestors constrain the joined rows directly.
            var aliases: [ResourceLevel: String] = [:]
            for l in level.lineage { aliases[l] = l.alias }
            let outer = matching.filter { $0.level.depth <= level.depth }
            let lower = matching.filter { $0.level.depth > level.depth }
            // Subqueries over descendants (lower-level keys, ModalitiesInStudy...) are correlated
            // (EXISTS, probing each candidate row) when an index already narrows the candidates,
            // or when a limit lets the scan stop early; otherwise the descendants are searched
            // first (IN), so their own indexes work: at 1M instances, the 50 first studies with
            // a common modality take 0.2 ms correlated and 60 ms by IN, every study with a rare
            // modality 1 ms by IN and 20 ms correlated.
            let paged = query.limit != nil
            var conditions = try conditionsFor(outer, aliases: aliases, preferCorrelated: paged)
            let correlated = paged || conditions.contains { $0.indexed }
            if !lower.isEmpty, let deepest = lower.map(\.level).max(by: { $0.depth < $1.depth }) {
                // An entity matches lower-level keys when one of its descendants matches them all.
                let filter = try descendantFilter(from: level, alias: level.alias, to: deepest,
                                                  correlated: correlated) { (builder, subAliases) throws(QueryError) in
                    try builder.conditionsFor(lower, aliases: subAliases, preferCorrelated: false)
                }
                conditions.append(filter)
            }

            var select = ["\(level.alias).id", "\(level.alias).public_id"]
            select += level.lineage.map { "\($0.alias).tags" }
            for key in returned {
                select.append(computedValueSQL(key, entity: key.level.alias))
            }

            var sql = "SELECT " + select.joined(separator: ", ") + " FROM \(level.table) \(level.alias)"
            var child = level
            while let parent = child.parent, let column = child.parentColumn {
                sql += " JOIN \(parent.table) \(parent.alias) ON \(parent.alias).id = \(child.alias).\(column)"
                child = parent
            }
            var arguments: [SQLiteValue] = []
            if let whereClause = SQLFragment.and(conditions) {
                sql += " WHERE " + whereClause.sql
                arguments += whereClause.arguments
            }
            sql += " ORDER BY \(level.alias).id"
            if query.limit != nil || query.offset > 0 {
                sql += " LIMIT ? OFFSET ?"
                arguments += [.integer(Int64(query.limit ?? -1)), .integer(Int64(query.offset))]
            }
            return QueryPlan(sql: sql, arguments: arguments, level: level, tagLevels: level.lineage,
                             computed: returned, ignoredKeys: ignored)
        }

        /// The VR that decides how a key matches: the dictionary's for standard attributes
        /// (what the index stored), the key's own for others.
        func vr(of key: QueryKey) -> VR {
            if key.tag.isPrivate { return key.vr }
            return DataDictionary.vr(for: key.tag) ?? key.vr
        }

        /// Conditions for keys whose level tables are in `aliases`: column keys first, then
        /// JSON ones, then computed keys (whose subquery form depends on the others' index use).
        mutating func conditionsFor(_ keys: [MatchingKey], aliases: [ResourceLevel: String],
                                    preferCorrelated: Bool) throws(QueryError) -> [SQLFragment] {
            var out: [SQLFragment] = []
            for m in keys {
                guard let alias = aliases[m.level] else { continue }
                switch m.target {
                case .column(let column):
                    let expr = "\(alias).\(column.name)"
                    let options = ValueMatching.Options(caseSensitivePN: query.caseSensitivePN,
                                                        nocaseIndexed: column.index == .nocase)
                    if var fragment = try ValueMatching.condition(expr, kind: MatchKind(vr(of: m.key)), key: m.key,
                                                                  options: options) {
                        fragment.indexed = fragment.indexed && column.index != .none
                        out.append(fragment)
                    }
                case .json, .computed:
                    break
                }
            }
            // Then the JSON ones, dearer to evaluate.
            for m in keys {
                guard let alias = aliases[m.level], case .json(let owner) = m.target else { continue }
                if var fragment = try jsonCondition(m.key, tagsOf: alias, level: owner) {
                    fragment.indexed = false
                    out.append(fragment)
                }
            }
            let correlated = preferCorrelated || out.contains { $0.indexed }
            for m in keys {
                guard let alias = aliases[m.level], case .computed(let computed) = m.target else { continue }
                if let fragment = try computedCondition(computed, key: m.key, entity: alias, correlated: correlated) {
                    out.append(fragment)
                }
            }
            return out
        }

        /// A key matched against the level's DICOM JSON: the first value of single-valued
        /// attributes, any value (json_each) of multi-valued ones and of person names.
        mutating func jsonCondition(_ key: QueryKey, tagsOf alias: String,
                                    level: ResourceLevel) throws(QueryError) -> SQLFragment? {
            let vr = vr(of: key)
            let kind = MatchKind(vr)
            let path = "'$.\"\(key.tag.hexString)\".Value"
            let options = ValueMatching.Options(caseSensitivePN: query.caseSensitivePN)
            let singleValued = DataDictionary.entry(for: key.tag)?.vm == "1" || vr.isSingleValuedText
            if singleValued && kind != .personName {
                return try ValueMatching.condition("json_extract(\(alias).tags, \(path)[0]')", kind: kind, key: key,
                                                   options: options)
            }
            let j = freshAlias("j")
            var expr = "\(j).value"
            if kind == .personName {
                // The whole name, groups joined by "=" without trailing empty groups, as the
                // patient_name column holds it.
                let group = { (name: String) in "ifnull(json_extract(\(j).value, '$.\(name)'), '')" }
                expr = "rtrim(\(group("Alphabetic")) || '=' || \(group("Ideographic")) || '=' || \(group("Phonetic")), '=')"
            }
            guard let inner = try ValueMatching.condition(expr, kind: kind, key: key, options: options) else {
                return nil
            }
            return SQLFragment("EXISTS (SELECT 1 FROM json_each(\(alias).tags, \(path)') AS \(j) WHERE \(inner.sql))",
                               inner.arguments)
        }

        /// `EXISTS (SELECT 1 FROM child c JOIN ... WHERE c.parent = outer.id AND ...)` when
        /// correlated, else `outer.id IN (SELECT c.parent FROM child c JOIN ... WHERE ...)`.
        mutating func descendantFilter(
            from level: ResourceLevel, alias outer: String, to deepest: ResourceLevel, correlated: Bool,
            _ conditions: (inout Builder, [ResourceLevel: String]) throws(QueryError) -> [SQLFragment]
        ) throws(QueryError) -> SQLFragment {
            var aliases: [ResourceLevel: String] = [:]
            var from = ""
            var current = level
            var first: (alias: String, level: ResourceLevel)?
            while current.depth < deepest.depth, let child = current.child {
                let alias = freshAlias("d")
                aliases[child] = alias
                if let previous = aliases[current], first != nil {
                    from += " JOIN \(child.table) \(alias) ON \(alias).\(child.parentColumn!) = \(previous).id"
                } else {
                    from = "\(child.table) \(alias)"
                    first = (alias, child)
                }
                current = child
            }
            guard let first else { return SQLFragment("1") }
            let parentColumn = "\(first.alias).\(first.level.parentColumn!)"
            var parts = try conditions(&self, aliases)
            if correlated {
                parts.insert(SQLFragment("\(parentColumn) = \(outer).id"), at: 0)
                let whereClause = SQLFragment.and(parts)!
                return SQLFragment("EXISTS (SELECT 1 FROM \(from) WHERE \(whereClause.sql))", whereClause.arguments)
            }
            let whereClause = SQLFragment.and(parts).map { " WHERE " + $0.sql } ?? ""
            return SQLFragment("\(outer).id IN (SELECT \(parentColumn) FROM \(from)\(whereClause))",
                               parts.flatMap(\.arguments))
        }

        /// Matching on a computed key of the entity `entity`: counts by value (`(count) = ?`),
        /// ModalitiesInStudy / SOPClassesInStudy when any series / instance matches a listed value.
        mutating func computedCondition(_ computed: ComputedKey, key: QueryKey, entity: String,
                                        correlated: Bool) throws(QueryError) -> SQLFragment? {
            switch computed {
            case .modalitiesInStudy, .sopClassesInStudy:
                let level: ResourceLevel = computed == .modalitiesInStudy ? .series : .instance
                let column = computed == .modalitiesInStudy ? "modality" : "sop_class_uid"
                let kind: MatchKind = computed == .modalitiesInStudy ? .text(multiValued: true) : .uid
                guard try ValueMatching.condition("x", kind: kind, key: key, options: .init(caseSensitivePN: true)) != nil
                else { return nil }
                return try descendantFilter(from: .study, alias: entity, to: level, correlated: correlated) {
                    (_, aliases) throws(QueryError) in
                    let expr = "\(aliases[level]!).\(column)"
                    guard var fragment = try ValueMatching.condition(expr, kind: kind, key: key,
                                                                     options: .init(caseSensitivePN: true)) else {
                        return []
                    }
                    fragment.indexed = true
                    return [fragment]
                }
            default:
                let count = computedValueSQL(computed, entity: entity)
                return try ValueMatching.condition(count, kind: .integer, key: key, options: .init(caseSensitivePN: true))
            }
        }

        /// The scalar subquery computing `computed` for the entity whose alias is `entity`.
        mutating func computedValueSQL(_ computed: ComputedKey, entity: String) -> String {
            let a = freshAlias("c"), b = freshAlias("c"), c = freshAlias("c")
            switch computed {
            case .numberOfPatientRelatedStudies:
                return "(SELECT count(*) FROM studies \(a) WHERE \(a).patient = \(entity).id)"
            case .numberOfPatientRelatedSeries:
                return "(SELECT count(*) FROM studies \(a) JOIN series \(b) ON \(b).study = \(a).id"
                    + " WHERE \(a).patient = \(entity).id)"
            case .numberOfPatientRelatedInstances:
                return "(SELECT count(*) FROM studies \(a) JOIN series \(b) ON \(b).study = \(a).id"
                    + " JOIN instances \(c) ON \(c).series = \(b).id WHERE \(a).patient = \(entity).id)"
            case .numberOfStudyRelatedSeries:
                return "(SELECT count(*) FROM series \(a) WHERE \(a).study = \(entity).id)"
            case .numberOfStudyRelatedInstances:
                return "(SELECT count(*) FROM series \(a) JOIN instances \(b) ON \(b).series = \(a).id"
                    + " WHERE \(a).study = \(entity).id)"
            case .numberOfSeriesRelatedInstances:
                return "(SELECT count(*) FROM instances \(a) WHERE \(a).series = \(entity).id)"
            case .modalitiesInStudy:
                return "(SELECT group_concat(DISTINCT \(a).modality) FROM series \(a) WHERE \(a).study = \(entity).id)"
            case .sopClassesInStudy:
                return "(SELECT group_concat(DISTINCT \(b).sop_class_uid) FROM series \(a)"
                    + " JOIN instances \(b) ON \(b).series = \(a).id WHERE \(a).study = \(entity).id)"
            }
        }
    }
}
