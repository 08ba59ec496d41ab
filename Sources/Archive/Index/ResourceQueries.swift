import DICOM

/// One resource of the index with what the REST API shows of it: its attributes, its parent and
/// children, and (for an instance) its file.
public struct ResourceSummary: Sendable, Hashable {
    public var level: ResourceLevel
    public var rowID: Int64
    public var publicID: String
    /// Orthanc's `MainDicomTags`, as the index stores them: compact JSON (`MainDicomTags`).
    public var mainDicomTags: String
    /// The patient's `MainDicomTags` (studies only: Orthanc's `PatientMainDicomTags`).
    public var patientMainDicomTags: String?
    /// The parent resource's public ID (nil for a patient).
    public var parentID: String?
    /// The children's public IDs, in the order they were indexed (empty for an instance).
    public var childIDs: [String]
    /// When an instance was last added below (patients, studies, series), `Timestamp` format.
    public var lastUpdate: String?
    /// The stored file (instances only).
    public var file: InstanceFileInfo?
}

/// The stored file of an instance and what the index recorded with it.
public struct InstanceFileInfo: Sendable, Hashable {
    /// Content hash: the file's name in the `HashedFileStore`.
    public var fileHash: String
    public var fileSize: Int
    public var instanceNumber: Int?
    public var sopInstanceUID: String
    public var sopClassUID: String
    public var transferSyntaxUID: String
    public var receivedAt: String
    public var origin: String
}

/// A query match with its resource.
public struct FoundResource: Sendable, Hashable {
    /// The attributes of the entity and its ancestors, and the computed keys asked for.
    public var match: QueryMatch
    public var resource: ResourceSummary
}

/// Whole-index counts and sizes (`/statistics`).
public struct IndexStatistics: Sendable, Hashable {
    public var patients: Int
    public var studies: Int
    public var series: Int
    public var instances: Int
    /// Bytes of the distinct stored files.
    public var totalFileSize: Int
}

/// One entry of the change log (`/changes`).
public struct ChangeRecord: Sendable, Hashable {
    public var seq: Int64
    /// Orthanc's change type name: `NewInstance`, `NewSeries`, ..., `Deleted`.
    public var changeType: String
    public var level: ResourceLevel
    public var publicID: String
    public var date: String
}

/// The read queries of the REST front end. Each runs on a connection the caller holds (so several
/// compose into one snapshot); the `ArchiveIndex` extension below wraps them in `read`.
/// Statements are cached per connection: their SQL depends only on the level.
public enum ResourceQueries {
    // MARK: Lists

    /// Public IDs of a level, by row id; `since` skips that many first, `limit` nil = all.
    public static func publicIDs(_ level: ResourceLevel, since: Int = 0, limit: Int? = nil,
                                 on db: SQLiteConnection) throws -> [String] {
        try db.statement("SELECT public_id FROM \(level.table) ORDER BY id LIMIT ? OFFSET ?")
            .rows([.integer(Int64(limit ?? -1)), .integer(Int64(max(0, since)))]) { $0.text(0) ?? "" }
    }

    /// Resources of a level, by row id, with their parents and children.
    public static func resources(_ level: ResourceLevel, since: Int = 0, limit: Int? = nil,
                                 on db: SQLiteConnection) throws -> [ResourceSummary] {
        let statement = try db.statement(selectSQL(level) + " ORDER BY x.id LIMIT ? OFFSET ?")
        var rows = try statement.rows([.integer(Int64(limit ?? -1)), .integer(Int64(max(0, since)))]) { row in
            summary(level, row)
        }
        try attachChildIDs(&rows, on: db)
        return rows
    }

    /// Resources of a level by row id, in the order given, with their parents and children; ids
    /// without a row are left out. A few statements for the whole list, not two per resource.
    public static func resources(_ level: ResourceLevel, rowIDs: [Int64], on db: SQLiteConnection) throws -> [ResourceSummary] {
        let found = try db.statement(selectSQL(level) + " WHERE x.id IN (SELECT value FROM json_each(?))")
            .rows([.text(jsonArray(rowIDs))]) { summary(level, $0) }
        let byRowID = Dictionary(found.map { ($0.rowID, $0) }, uniquingKeysWith: { first, _ in first })
        var rows = rowIDs.compactMap { byRowID[$0] }
        try attachChildIDs(&rows, on: db)
        return rows
    }

    // MARK: One resource

    /// The resource with this public ID, or nil.
    public static func resource(_ level: ResourceLevel, publicID: String, on db: SQLiteConnection) throws -> ResourceSummary? {
        try one(level, sql: selectSQL(level) + " WHERE x.public_id = ?", .text(publicID), on: db)
    }

    /// The resource with this row id (from a `QueryMatch`), or nil.
    public static func resource(_ level: ResourceLevel, rowID: Int64, on db: SQLiteConnection) throws -> ResourceSummary? {
        try one(level, sql: selectSQL(level) + " WHERE x.id = ?", .integer(rowID), on: db)
    }

    /// The level of a public ID, whichever table holds it (IDs are hashes of distinct strings, so
    /// at most one does).
    public static func level(ofPublicID publicID: String, on db: SQLiteConnection) throws -> ResourceLevel? {
        for level in ResourceLevel.allCases {
            let found = try db.statement("SELECT 1 FROM \(level.table) WHERE public_id = ?").rows([.text(publicID)]) { _ in true }
            if !found.isEmpty { return level }
        }
        return nil
    }

    // MARK: Relatives

    /// Public IDs of the resources of level `target` below the resource (`/studies/{id}/instances`),
    /// in row order; nil when the resource does not exist. `target` must be below `level`.
    public static func descendantIDs(of level: ResourceLevel, publicID: String, at target: ResourceLevel,
                                     on db: SQLiteConnection) throws -> [String]? {
        guard let rowID = try rowID(level, publicID: publicID, on: db) else { return nil }
        guard target.levelDepth > level.levelDepth else { return [] }
        // Join from the target level up to the direct child of `level`, whose parent column is
        // compared with the resource's row id.
        var sql = "SELECT t.public_id FROM \(target.table) t"
        var alias = "t", current = target
        var step = 0
        while let parent = current.parent, parent != level {
            step += 1
            sql += " JOIN \(parent.table) a\(step) ON a\(step).id = \(alias).\(parentColumn(current))"
            alias = "a\(step)"
            current = parent
        }
        sql += " WHERE \(alias).\(parentColumn(current)) = ? ORDER BY t.id"
        return try db.statement(sql).rows([.integer(rowID)]) { $0.text(0) ?? "" }
    }

    /// The public ID of the ancestor of level `target` (`/instances/{id}/study`); nil when the
    /// resource does not exist or `target` is not above it.
    public static func ancestorID(of level: ResourceLevel, publicID: String, at target: ResourceLevel,
                                  on db: SQLiteConnection) throws -> String? {
        guard target.levelDepth < level.levelDepth else { return nil }
        var sql = "SELECT a.public_id FROM \(level.table) x"
        var alias = "x", current = level
        var step = 0
        while let parent = current.parent {
            step += 1
            let next = parent == target ? "a" : "a\(step)"
            sql += " JOIN \(parent.table) \(next) ON \(next).id = \(alias).\(parentColumn(current))"
            alias = next
            current = parent
            if parent == target { break }
        }
        sql += " WHERE x.public_id = ?"
        return try db.statement(sql).rows([.text(publicID)]) { $0.text(0) ?? "" }.first
    }

    /// The stored file of an instance, or nil.
    public static func instanceFile(publicID: String, on db: SQLiteConnection) throws -> InstanceFileInfo? {
        try resource(.instance, publicID: publicID, on: db)?.file
    }

    // MARK: Find

    /// Runs a query (`QueryMatcher`) and loads each match as a resource, in the same snapshot.
    public static func find(_ query: Query, on db: SQLiteConnection) throws -> [FoundResource] {
        let matches = try QueryMatcher.run(query, on: db)
        let resources = try resources(query.level, rowIDs: matches.map(\.rowID), on: db)
        let byRowID = Dictionary(resources.map { ($0.rowID, $0) }, uniquingKeysWith: { first, _ in first })
        return matches.compactMap { match in byRowID[match.rowID].map { FoundResource(match: match, resource: $0) } }
    }

    /// The version of the index schema (`/system`'s `DatabaseVersion`).
    public static var schemaVersion: Int { Schema.currentVersion }

    // MARK: Statistics and changes

    public static func statistics(on db: SQLiteConnection) throws -> IndexStatistics {
        func count(_ level: ResourceLevel) throws -> Int {
            try db.statement("SELECT count(*) FROM \(level.table)").rows { $0.int(0) }.first ?? 0
        }
        // A file shared by two index rows (the same bytes under two SOP instance UIDs cannot
        // happen, but an overwrite may briefly) is counted once, as it is stored once.
        let total = try db.statement("""
            SELECT coalesce(sum(file_size), 0) FROM (SELECT max(file_size) AS file_size FROM instances GROUP BY file_hash)
            """).rows { $0.int(0) }.first ?? 0
        return IndexStatistics(patients: try count(.patient), studies: try count(.study), series: try count(.series),
                               instances: try count(.instance), totalFileSize: total)
    }

    /// Changes with `seq > since`, at most `limit`; `done` is true when none follow them.
    public static func changes(since: Int64, limit: Int, on db: SQLiteConnection) throws -> (changes: [ChangeRecord], done: Bool) {
        let limit = max(0, limit)
        var rows = try db.statement("""
            SELECT seq, change_type, resource_type, public_id, date FROM changes WHERE seq > ? ORDER BY seq LIMIT ?
            """).rows([.integer(since), .integer(Int64(limit) + 1)]) { changeRecord($0) }
        let done = rows.count <= limit
        if !done { rows.removeLast() }
        return (rows, done)
    }

    /// The most recent change, or nil when the log is empty.
    public static func lastChange(on db: SQLiteConnection) throws -> ChangeRecord? {
        try db.statement("SELECT seq, change_type, resource_type, public_id, date FROM changes ORDER BY seq DESC LIMIT 1")
            .rows { changeRecord($0) }.first
    }

    // MARK: - SQL

    /// Selects one level's row `x` with its parent's public ID (and for studies the patient's
    /// main tags); column layout read by `summary`.
    static func selectSQL(_ level: ResourceLevel) -> String {
        switch level {
        case .patient:
            "SELECT x.id, x.public_id, x.main_dicom_tags, x.last_update, NULL, NULL FROM patients x"
        case .study:
            "SELECT x.id, x.public_id, x.main_dicom_tags, x.last_update, p.public_id, p.main_dicom_tags FROM studies x JOIN patients p ON p.id = x.patient"
        case .series:
            "SELECT x.id, x.public_id, x.main_dicom_tags, x.last_update, p.public_id, NULL FROM series x JOIN studies p ON p.id = x.study"
        case .instance:
            """
            SELECT x.id, x.public_id, x.main_dicom_tags, NULL, p.public_id, NULL, x.file_hash, x.file_size, x.instance_number,
                x.sop_instance_uid, x.sop_class_uid, x.transfer_syntax_uid, x.received_at, x.origin
            FROM instances x JOIN series p ON p.id = x.series
            """
        }
    }

    static func summary(_ level: ResourceLevel, _ row: SQLiteStatement) -> ResourceSummary {
        var file: InstanceFileInfo? = nil
        if level == .instance {
            file = InstanceFileInfo(fileHash: row.text(6) ?? "", fileSize: row.int(7),
                                    instanceNumber: row.isNull(8) ? nil : row.int(8),
                                    sopInstanceUID: row.text(9) ?? "", sopClassUID: row.text(10) ?? "",
                                    transferSyntaxUID: row.text(11) ?? "", receivedAt: row.text(12) ?? "",
                                    origin: row.text(13) ?? "")
        }
        return ResourceSummary(level: level, rowID: row.int64(0), publicID: row.text(1) ?? "",
                               mainDicomTags: row.text(2) ?? "{}", patientMainDicomTags: row.isNull(5) ? nil : row.text(5),
                               parentID: row.isNull(4) ? nil : row.text(4),
                               childIDs: [], lastUpdate: row.isNull(3) ? nil : row.text(3), file: file)
    }

    static func one(_ level: ResourceLevel, sql: String, _ key: SQLiteValue, on db: SQLiteConnection) throws -> ResourceSummary? {
        guard var result = try db.statement(sql).rows([key], { summary(level, $0) }).first else { return nil }
        result.childIDs = try childIDs(level, rowID: result.rowID, on: db)
        return result
    }

    /// Fills `childIDs` of resources of one level with one statement for all of them.
    static func attachChildIDs(_ resources: inout [ResourceSummary], on db: SQLiteConnection) throws {
        guard let level = resources.first?.level, let child = level.child else { return }
        var children: [Int64: [String]] = [:]
        children.reserveCapacity(resources.count)
        let statement = try db.statement(childrenSQL(child))
        try statement.bind([.text(jsonArray(resources.map(\.rowID)))])
        while try statement.step() {
            children[statement.int64(0), default: []].append(statement.text(1) ?? "")
        }
        for i in resources.indices { resources[i].childIDs = children[resources[i].rowID] ?? [] }
    }

    /// The children of a list of parents (row ids as a JSON array), each parent's in the order
    /// they came: read from the `<level>_children` covering index alone, without a sort.
    static func childrenSQL(_ child: ResourceLevel) -> String {
        """
        SELECT \(parentColumn(child)), public_id FROM \(child.table)
        WHERE \(parentColumn(child)) IN (SELECT value FROM json_each(?)) ORDER BY \(parentColumn(child)), id
        """
    }

    /// Row ids as a JSON array, bound as one argument and read with `json_each`: a list of any
    /// length in one statement.
    static func jsonArray(_ rowIDs: [Int64]) -> String {
        "[" + rowIDs.map(String.init).joined(separator: ",") + "]"
    }

    static func childIDs(_ level: ResourceLevel, rowID: Int64, on db: SQLiteConnection) throws -> [String] {
        guard let child = level.child else { return [] }
        return try db.statement("SELECT public_id FROM \(child.table) WHERE \(parentColumn(child)) = ? ORDER BY id")
            .rows([.integer(rowID)]) { $0.text(0) ?? "" }
    }

    static func rowID(_ level: ResourceLevel, publicID: String, on db: SQLiteConnection) throws -> Int64? {
        try db.statement("SELECT id FROM \(level.table) WHERE public_id = ?").rows([.text(publicID)]) { $0.int64(0) }.first
    }

    static func changeRecord(_ row: SQLiteStatement) -> ChangeRecord {
        ChangeRecord(seq: row.int64(0), changeType: row.text(1) ?? "",
                     level: ResourceLevel(rawValue: row.text(2) ?? "") ?? .instance,
                     publicID: row.text(3) ?? "", date: row.text(4) ?? "")
    }

    /// The column of `level`'s table holding its parent's row id.
    static func parentColumn(_ level: ResourceLevel) -> String {
        switch level {
        case .patient: "id"
        case .study: "patient"
        case .series: "study"
        case .instance: "series"
        }
    }
}

extension ResourceLevel {
    /// 0 for Patient ... 3 for Instance.
    var levelDepth: Int { ResourceLevel.allCases.firstIndex(of: self)! }
}

// MARK: - On the index, each in its own read snapshot

extension ArchiveIndex {
    public func publicIDs(_ level: ResourceLevel, since: Int = 0, limit: Int? = nil) throws -> [String] {
        try read { db in try ResourceQueries.publicIDs(level, since: since, limit: limit, on: db) }
    }

    public func resources(_ level: ResourceLevel, since: Int = 0, limit: Int? = nil) throws -> [ResourceSummary] {
        try read { db in try ResourceQueries.resources(level, since: since, limit: limit, on: db) }
    }

    public func resource(_ level: ResourceLevel, publicID: String) throws -> ResourceSummary? {
        try read { db in try ResourceQueries.resource(level, publicID: publicID, on: db) }
    }

    /// Resources by public ID, skipping those that no longer exist.
    public func resources(_ level: ResourceLevel, publicIDs: [String]) throws -> [ResourceSummary] {
        try read { db in try publicIDs.compactMap { try ResourceQueries.resource(level, publicID: $0, on: db) } }
    }

    public func descendantIDs(of level: ResourceLevel, publicID: String, at target: ResourceLevel) throws -> [String]? {
        try read { db in try ResourceQueries.descendantIDs(of: level, publicID: publicID, at: target, on: db) }
    }

    public func ancestorID(of level: ResourceLevel, publicID: String, at target: ResourceLevel) throws -> String? {
        try read { db in try ResourceQueries.ancestorID(of: level, publicID: publicID, at: target, on: db) }
    }

    public func instanceFile(publicID: String) throws -> InstanceFileInfo? {
        try read { db in try ResourceQueries.instanceFile(publicID: publicID, on: db) }
    }

    public func find(_ query: Query) throws -> [FoundResource] {
        try read { db in try ResourceQueries.find(query, on: db) }
    }

    /// Runs a query and returns the matching public IDs only.
    public func findIDs(_ query: Query) throws -> [String] {
        try read { db in try QueryMatcher.run(query, on: db).map(\.publicID) }
    }

    public func statistics() throws -> IndexStatistics {
        try read { db in try ResourceQueries.statistics(on: db) }
    }

    public func changes(since: Int64, limit: Int) throws -> (changes: [ChangeRecord], done: Bool) {
        try read { db in try ResourceQueries.changes(since: since, limit: limit, on: db) }
    }

    public func lastChange() throws -> ChangeRecord? {
        try read { db in try ResourceQueries.lastChange(on: db) }
    }
}
