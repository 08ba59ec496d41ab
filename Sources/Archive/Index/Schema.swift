import Logging

/// The index schema and its migrations. `PRAGMA user_version` holds the applied version; each
/// migration runs in its own transaction, so an interrupted upgrade leaves the previous version.
///
/// One table per level with the main attributes as real, indexed columns (the query keys of
/// PS3.4 C.6 and QIDO-RS); each level also keeps the DICOM JSON of its own attributes (`tags`)
/// to answer queries and REST calls without opening files, and each instance its whole header as
/// deflated DICOM JSON without bulk data (version 4: in `instance_headers`).
///
/// Version 2 adds `main_dicom_tags` to every level: Orthanc's `MainDicomTags` as compact JSON
/// (`MainDicomTags`), derived from `tags` at ingest so REST answers need no conversion.
enum Schema {
    struct Migration: Sendable {
        let version: Int
        let sql: String
        /// Runs after `sql`, in the same transaction: fills what SQL alone cannot compute.
        var fill: (@Sendable (SQLiteConnection) throws -> Void)? = nil
    }

    static let migrations: [Migration] = [
        Migration(version: 1, sql: """
            CREATE TABLE patients (
                id INTEGER PRIMARY KEY,
                public_id TEXT NOT NULL UNIQUE,
                patient_id TEXT NOT NULL,
                patient_name TEXT,
                patient_birth_date TEXT,
                patient_sex TEXT,
                tags TEXT NOT NULL,
                last_update TEXT NOT NULL
            );
            CREATE INDEX patients_patient_id ON patients(patient_id);
            CREATE INDEX patients_patient_name ON patients(patient_name COLLATE NOCASE);

            CREATE TABLE studies (
                id INTEGER PRIMARY KEY,
                public_id TEXT NOT NULL UNIQUE,
                patient INTEGER NOT NULL REFERENCES patients(id) ON DELETE CASCADE,
                study_instance_uid TEXT NOT NULL,
                study_date TEXT,
                study_time TEXT,
                accession_number TEXT,
                study_id TEXT,
                study_description TEXT,
                referring_physician_name TEXT,
                tags TEXT NOT NULL,
                last_update TEXT NOT NULL
            );
            CREATE INDEX studies_patient ON studies(patient);
            CREATE INDEX studies_uid ON studies(study_instance_uid);
            CREATE INDEX studies_date ON studies(study_date);
            CREATE INDEX studies_accession ON studies(accession_number);

            CREATE TABLE series (
                id INTEGER PRIMARY KEY,
                public_id TEXT NOT NULL UNIQUE,
                study INTEGER NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
                series_instance_uid TEXT NOT NULL,
                modality TEXT,
                series_number INTEGER,
                series_date TEXT,
                series_time TEXT,
                series_description TEXT,
                body_part_examined TEXT,
                tags TEXT NOT NULL,
                last_update TEXT NOT NULL
            );
            CREATE INDEX series_study ON series(study);
            CREATE INDEX series_uid ON series(series_instance_uid);
            CREATE INDEX series_modality ON series(modality, study);

            CREATE TABLE instances (
                id INTEGER PRIMARY KEY,
                public_id TEXT NOT NULL UNIQUE,
                series INTEGER NOT NULL REFERENCES series(id) ON DELETE CASCADE,
                sop_instance_uid TEXT NOT NULL UNIQUE,
                sop_class_uid TEXT NOT NULL,
                instance_number INTEGER,
                file_hash TEXT NOT NULL,
                file_size INTEGER NOT NULL,
                transfer_syntax_uid TEXT NOT NULL,
                received_at TEXT NOT NULL,
                origin TEXT NOT NULL,
                tags TEXT NOT NULL,
                header BLOB NOT NULL
            );
            CREATE INDEX instances_series ON instances(series);
            CREATE INDEX instances_file_hash ON instances(file_hash);
            CREATE INDEX instances_sop_class ON instances(sop_class_uid);

            CREATE TABLE changes (
                seq INTEGER PRIMARY KEY AUTOINCREMENT,
                change_type TEXT NOT NULL,
                resource_type TEXT NOT NULL,
                public_id TEXT NOT NULL,
                date TEXT NOT NULL
            );
            """),
        Migration(version: 2, sql: ResourceLevel.allCases.map {
            "ALTER TABLE \($0.table) ADD COLUMN main_dicom_tags TEXT NOT NULL DEFAULT '{}';"
        }.joined(separator: "\n"), fill: fillMainDicomTags),
        // Version 3: a resource's children listed from the index alone, in the order they came.
        // Listings with children (`expand`, a series' Instances) read (parent, id, public_id)
        // from these covering indexes instead of visiting every child's row, whose header blob
        // spreads a series' instances over hundreds of pages. Each replaces the index on the
        // parent column alone, which it also serves (foreign keys, cascading deletes).
        Migration(version: 3, sql: """
            CREATE INDEX studies_children ON studies(patient, id, public_id);
            DROP INDEX studies_patient;
            CREATE INDEX series_children ON series(study, id, public_id);
            DROP INDEX series_study;
            CREATE INDEX instances_children ON instances(series, id, public_id);
            DROP INDEX instances_series;
            """),
        // Version 4: each instance's deflated header in a table of its own. With it, an instance
        // row was about 2 KB for ordinary CT headers, just over half a 4 KiB page, so every row
        // took a page to itself and half the table was free space; without it, three rows share
        // a page. The header is read only to serve metadata, never to search.
        Migration(version: 4, sql: """
            CREATE TABLE instance_headers (
                instance INTEGER PRIMARY KEY REFERENCES instances(id) ON DELETE CASCADE,
                header BLOB NOT NULL
            );
            INSERT INTO instance_headers (instance, header) SELECT id, header FROM instances;
            ALTER TABLE instances DROP COLUMN header;
            """),
    ]

    static var currentVersion: Int { migrations.last!.version }

    /// Brings the database to the current version. A database newer than this program is
    /// refused rather than touched.
    /// An existing index being upgraded is logged before and after each step: on a large index
    /// a step rewrites tables and can take a minute, and start-up waits for it.
    static func migrate(_ db: SQLiteConnection, logger: Logger = Logger(label: "swiftpacs.index")) throws {
        let version = Int(try db.scalarInt("PRAGMA user_version") ?? 0)
        guard version <= currentVersion else {
            throw ArchiveError.indexTooNew(found: version, supported: currentVersion)
        }
        for migration in migrations where migration.version > version {
            let start = ContinuousClock.now
            if version > 0 {
                let instances = try db.scalarInt("SELECT count(*) FROM instances") ?? 0
                logger.notice("upgrading the index \(db.path) to schema version \(migration.version) (\(instances) instances)")
            }
            try db.transaction {
                try db.execute(migration.sql)
                try migration.fill?(db)
                try db.execute("PRAGMA user_version = \(migration.version)")
            }
            if version > 0 {
                logger.notice("index schema version \(migration.version) ready after \(ContinuousClock.now - start)")
            }
        }
    }

    /// Version 2: every row's `main_dicom_tags` from its `tags`, a thousand rows at a time (a
    /// large index does not fit in memory at once).
    static func fillMainDicomTags(_ db: SQLiteConnection) throws {
        for level in ResourceLevel.allCases {
            let select = try db.prepare("SELECT id, tags FROM \(level.table) WHERE id > ? ORDER BY id LIMIT 1000")
            let update = try db.prepare("UPDATE \(level.table) SET main_dicom_tags = ? WHERE id = ?")
            var last: Int64 = 0
            while true {
                let rows = try select.rows([.integer(last)]) { ($0.int64(0), $0.text(1) ?? "{}") }
                guard let end = rows.last?.0 else { break }
                for (id, tags) in rows {
                    try update.run([.text(MainDicomTags.json(fromDICOMJSON: tags)), .integer(id)])
                }
                last = end
            }
        }
    }
}
