import Foundation
import DICOM

/// The outcome of indexing one instance.
public enum StoreStatus: String, Sendable {
    case success = "Success"
    case alreadyStored = "AlreadyStored"
}

public struct StoreOutcome: Sendable {
    public var status: StoreStatus
    public var instancePublicID: String
    public var seriesPublicID: String
    public var studyPublicID: String
    public var patientPublicID: String
    /// The hash of a file no longer referenced after an overwrite (to remove from the store).
    public var releasedFileHash: String?
    /// The hash of the file the index refers to (the existing one for AlreadyStored).
    public var fileHash: String
}

public struct DeleteOutcome: Sendable {
    /// Files no index row refers to any more: the caller removes them from the store.
    public var releasedFileHashes: [String]
    /// The nearest ancestor that still exists, as Orthanc reports it.
    public var remainingAncestor: (level: ResourceLevel, publicID: String)?
}

/// The index's write operations: each runs inside one `IndexWriter` job (a savepoint of a group
/// commit), so it is all-or-nothing.
enum IndexStore {
    static func store(_ r: InstanceRecord, overwrite: Bool, on db: SQLiteConnection) throws -> StoreOutcome {
        var released: String? = nil
        let existing = try db.statement("SELECT id, public_id, file_hash FROM instances WHERE sop_instance_uid = ?")
        try existing.bind([.text(r.sopInstanceUID)])
        if try existing.step() {
            let id = existing.int64(0), hash = existing.text(2) ?? ""
            if !overwrite {
                let ids = try ancestorIDs(ofInstanceRow: id, on: db)
                return StoreOutcome(status: .alreadyStored, instancePublicID: existing.text(1) ?? "",
                                    seriesPublicID: ids.series, studyPublicID: ids.study, patientPublicID: ids.patient,
                                    releasedFileHash: nil, fileHash: hash)
            }
            let outcome = try delete(level: .instance, rowID: id, on: db)
            released = outcome.releasedFileHashes.first(where: { $0 != r.fileHash })
        }

        let now = r.receivedAt
        let patient = try upsert(
            "INSERT INTO patients (public_id, patient_id, patient_name, patient_birth_date, patient_sex, tags, main_dicom_tags, last_update) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [.text(r.patientPublicID), .text(r.patientID), r.columns["patient_name"] ?? .null,
             r.columns["patient_birth_date"] ?? .null, r.columns["patient_sex"] ?? .null,
             .text(r.levelTags[.patient] ?? "{}"), .text(r.mainDicomTags[.patient] ?? "{}"), .text(now)],
            level: .patient, publicID: r.patientPublicID, now: now, on: db)
        let study = try upsert(
            "INSERT INTO studies (public_id, patient, study_instance_uid, study_date, study_time, accession_number, study_id, study_description, referring_physician_name, tags, main_dicom_tags, last_update) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [.text(r.studyPublicID), .integer(patient), .text(r.studyInstanceUID), r.columns["study_date"] ?? .null,
             r.columns["study_time"] ?? .null, r.columns["accession_number"] ?? .null, r.columns["study_id"] ?? .null,
             r.columns["study_description"] ?? .null, r.columns["referring_physician_name"] ?? .null,
             .text(r.levelTags[.study] ?? "{}"), .text(r.mainDicomTags[.study] ?? "{}"), .text(now)],
            level: .study, publicID: r.studyPublicID, now: now, on: db)
        let series = try upsert(
            "INSERT INTO series (public_id, study, series_instance_uid, modality, series_number, series_date, series_time, series_description, body_part_examined, tags, main_dicom_tags, last_update) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [.text(r.seriesPublicID), .integer(study), .text(r.seriesInstanceUID), r.columns["modality"] ?? .null,
             r.columns["series_number"] ?? .null, r.columns["series_date"] ?? .null, r.columns["series_time"] ?? .null,
             r.columns["series_description"] ?? .null, r.columns["body_part_examined"] ?? .null,
             .text(r.levelTags[.series] ?? "{}"), .text(r.mainDicomTags[.series] ?? "{}"), .text(now)],
            level: .series, publicID: r.seriesPublicID, now: now, on: db)
        try db.statement("""
            INSERT INTO instances (public_id, series, sop_instance_uid, sop_class_uid, instance_number, file_hash,
                file_size, transfer_syntax_uid, received_at, origin, tags, main_dicom_tags)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).run([.text(r.instancePublicID), .integer(series), .text(r.sopInstanceUID), .text(r.sopClassUID),
                      r.columns["instance_number"] ?? .null, .text(r.fileHash), .integer(Int64(r.fileSize)),
                      .text(r.transferSyntaxUID), .text(now), .text(r.origin), .text(r.levelTags[.instance] ?? "{}"),
                      .text(r.mainDicomTags[.instance] ?? "{}")])
        try db.statement("INSERT INTO instance_headers (instance, header) VALUES (?, ?)")
            .run([.integer(db.lastInsertRowID), .blob(r.compressedHeader)])
        try logChange("NewInstance", .instance, r.instancePublicID, now, on: db)
        return StoreOutcome(status: .success, instancePublicID: r.instancePublicID, seriesPublicID: r.seriesPublicID,
                            studyPublicID: r.studyPublicID, patientPublicID: r.patientPublicID,
                            releasedFileHash: released, fileHash: r.fileHash)
    }

    /// Inserts a level row unless it exists (its attributes are those of the first instance, as
    /// in Orthanc); returns the row id and logs a change when new.
    private static func upsert(_ insert: String, _ values: [SQLiteValue], level: ResourceLevel, publicID: String,
                               now: String, on db: SQLiteConnection) throws -> Int64 {
        let find = try db.statement("SELECT id FROM \(level.table) WHERE public_id = ?")
        try find.bind([.text(publicID)])
        if try find.step() {
            let id = find.int64(0)
            // Timestamps have a resolution of a second: most instances of a series arrive within
            // the same one, and then the row (and its page in the WAL) stays untouched.
            try db.statement("UPDATE \(level.table) SET last_update = ?1 WHERE id = ?2 AND last_update <> ?1")
                .run([.text(now), .integer(id)])
            return id
        }
        try db.statement(insert).run(values)
        let id = db.lastInsertRowID
        try logChange("New\(level.rawValue)", level, publicID, now, on: db)
        return id
    }

    static func logChange(_ type: String, _ level: ResourceLevel, _ publicID: String, _ now: String,
                          on db: SQLiteConnection) throws {
        try db.statement("INSERT INTO changes (change_type, resource_type, public_id, date) VALUES (?, ?, ?, ?)")
            .run([.text(type), .text(level.rawValue), .text(publicID), .text(now)])
    }

    static func ancestorIDs(ofInstanceRow id: Int64, on db: SQLiteConnection) throws -> (series: String, study: String, patient: String) {
        let s = try db.statement("""
            SELECT se.public_id, st.public_id, p.public_id FROM instances i
            JOIN series se ON se.id = i.series JOIN studies st ON st.id = se.study JOIN patients p ON p.id = st.patient
            WHERE i.id = ?
            """)
        try s.bind([.integer(id)])
        guard try s.step() else { return ("", "", "") }
        return (s.text(0) ?? "", s.text(1) ?? "", s.text(2) ?? "")
    }

    /// Deletes a resource and its descendants, then each ancestor left empty (Orthanc does the
    /// same). Returns the file hashes nothing refers to any more.
    static func delete(level: ResourceLevel, publicID: String, on db: SQLiteConnection) throws -> DeleteOutcome? {
        let find = try db.statement("SELECT id FROM \(level.table) WHERE public_id = ?")
        try find.bind([.text(publicID)])
        guard try find.step() else { return nil }
        return try delete(level: level, rowID: find.int64(0), on: db)
    }

    static func delete(level: ResourceLevel, rowID: Int64, on db: SQLiteConnection) throws -> DeleteOutcome {
        let hashes = try db.prepare("SELECT DISTINCT i.file_hash FROM instances i \(joinDown(from: level)) WHERE x.id = ?")
            .rows([.integer(rowID)]) { $0.text(0) ?? "" }
        let publicIDs = try db.prepare("SELECT public_id FROM \(level.table) WHERE id = ?").rows([.integer(rowID)]) { $0.text(0) ?? "" }
        var parent: (ResourceLevel, Int64)? = nil
        if let parentLevel = level.parent {
            let column = parentColumn(level)
            if let pid = try db.scalarInt("SELECT \(column) FROM \(level.table) WHERE id = ?", [.integer(rowID)]) {
                parent = (parentLevel, pid)
            }
        }
        try db.statement("DELETE FROM \(level.table) WHERE id = ?").run([.integer(rowID)])
        let now = Timestamp.now()
        for id in publicIDs { try logChange("Deleted", level, id, now, on: db) }

        // Remove ancestors left without children.
        var remaining: (level: ResourceLevel, publicID: String)? = nil
        while let (parentLevel, pid) = parent, let childLevel = parentLevel.child {
            let children = try db.scalarInt("SELECT count(*) FROM \(childLevel.table) WHERE \(parentColumn(childLevel)) = ?", [.integer(pid)]) ?? 0
            let parentPublic = try db.prepare("SELECT public_id FROM \(parentLevel.table) WHERE id = ?").rows([.integer(pid)]) { $0.text(0) ?? "" }.first ?? ""
            if children > 0 {
                remaining = (parentLevel, parentPublic)
                break
            }
            var next: (ResourceLevel, Int64)? = nil
            if let grand = parentLevel.parent,
               let gid = try db.scalarInt("SELECT \(parentColumn(parentLevel)) FROM \(parentLevel.table) WHERE id = ?", [.integer(pid)]) {
                next = (grand, gid)
            }
            try db.statement("DELETE FROM \(parentLevel.table) WHERE id = ?").run([.integer(pid)])
            try logChange("Deleted", parentLevel, parentPublic, now, on: db)
            parent = next
        }

        var released: [String] = []
        for hash in hashes where try (db.scalarInt("SELECT count(*) FROM instances WHERE file_hash = ?", [.text(hash)]) ?? 0) == 0 {
            released.append(hash)
        }
        return DeleteOutcome(releasedFileHashes: released, remainingAncestor: remaining)
    }

    /// The column of `level`'s table that points to its parent row.
    static func parentColumn(_ level: ResourceLevel) -> String {
        switch level {
        case .patient: "id"
        case .study: "patient"
        case .series: "study"
        case .instance: "series"
        }
    }

    /// Joins from `instances i` up to the row `x` of `level`.
    static func joinDown(from level: ResourceLevel) -> String {
        switch level {
        case .instance: "JOIN instances x ON x.id = i.id"
        case .series: "JOIN series x ON x.id = i.series"
        case .study: "JOIN series se ON se.id = i.series JOIN studies x ON x.id = se.study"
        case .patient: "JOIN series se ON se.id = i.series JOIN studies st ON st.id = se.study JOIN patients x ON x.id = st.patient"
        }
    }
}

/// Timestamps as Orthanc writes them: `20240131T235959`, UTC.
public enum Timestamp {
    public static func now() -> String {
        var t = time(nil)
        var tm = tm()
        gmtime_r(&t, &tm)
        // strftime rather than String(format:): this runs for every stored instance.
        var buffer = [CChar](repeating: 0, count: 20)
        let count = strftime(&buffer, buffer.count, "%Y%m%dT%H%M%S", &tm)
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
