/// The index schema and its migrations. `PRAGMA user_version` holds the applied version; each
/// migration runs in its own transaction, so an interrupted upgrade leaves the previous version.
///
/// One table per level with the main attributes as real, indexed columns (the query keys of
/// PS3.4 C.6 and QIDO-RS); each level also keeps the DICOM JSON of its own attributes (`tags`)
/// to answer queries and REST calls without opening files, and each instance its whole header as
/// deflated DICOM JSON without bulk data.
enum Schema {
    struct Migration {
        let version: Int
        let sql: String
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
    ]

    static var currentVersion: Int { migrations.last!.version }

    /// Brings the database to the current version. A database newer than this program is
    /// refused rather than touched.
    static func migrate(_ db: SQLiteConnection) throws {
        let version = Int(try db.scalarInt("PRAGMA user_version") ?? 0)
        guard version <= currentVersion else {
            throw ArchiveError.indexTooNew(found: version, supported: currentVersion)
        }
        for migration in migrations where migration.version > version {
            try db.transaction {
                try db.execute(migration.sql)
                try db.execute("PRAGMA user_version = \(migration.version)")
            }
        }
    }
}
