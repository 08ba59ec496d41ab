import Foundation
import Logging
import Testing
@testable import Archive
@testable import DICOM

/// Orthanc's MainDicomTags as the index derives and stores them (`main_dicom_tags`, schema v2).
@Suite struct MainDicomTagsTests {
    @Test func valuesFromDICOMJSON() {
        let json = """
            {"00100010":{"vr":"PN","Value":[{"Alphabetic":"Yamada^Tarou","Ideographic":"山田^太郎","Phonetic":"やまだ^たろう"}]},
             "00080090":{"vr":"PN","Value":[{"Alphabetic":"DOE^JOHN"},null,{"Ideographic":"洪^吉洞"}]},
             "00081030":{"vr":"LO","Value":["say \\"hi\\"\\\\ \\n\\t\\u0001 é"]},
             "00080008":{"vr":"CS","Value":["ORIGINAL",null,"AXIAL"]},
             "00101030":{"vr":"DS","Value":[1.50,-2e3,70]},
             "00200011":{"vr":"IS","Value":[7]},
             "00080020":{"vr":"DA"},
             "00081110":{"vr":"SQ","Value":[{"00081150":{"vr":"UI","Value":["1.2"]}}]},
             "00091010":{"vr":"LO","Value":["private"]},
             "00090010":{"vr":"LO","Value":["CREATOR"]},
             "00111234":{"vr":"OB","InlineBinary":"AAE="},
             "7FE00010":{"vr":"OW","BulkDataURI":"http://x"},
             "00280030": {"Value": ["1"]},
             "0020000d" : { "vr" : "UI" , "Value" : [ "1.2.3" ] }}
            """
        let values = MainDicomTags.values(fromDICOMJSON: json)
        #expect(values == [
            "PatientName": "Yamada^Tarou=山田^太郎=やまだ^たろう",
            "ReferringPhysicianName": "DOE^JOHN\\\\=洪^吉洞",
            "StudyDescription": "say \"hi\"\\ \n\t\u{01} é",
            "ImageType": "ORIGINAL\\\\AXIAL",
            "PatientWeight": "1.50\\-2e3\\70",
            "SeriesNumber": "7",
            "StudyDate": "",
            "0009,1010": "private",
            "PrivateCreator": "CREATOR",  // (gggg,0010-00FF) in the dictionary, as DCMTK names it
            "StudyInstanceUID": "1.2.3",
        ])
    }

    @Test func storedFormIsCompactSortedJSON() {
        let json = #"{"00100020":{"vr":"LO","Value":["ID \"1\""]},"00100010":{"vr":"PN","Value":[{"Alphabetic":"A^B"}]},"00100040":{"vr":"CS","Value":["O\u0002"]}}"#
        #expect(MainDicomTags.json(fromDICOMJSON: json) == #"{"PatientID":"ID \"1\"","PatientName":"A^B","PatientSex":"O\u0002"}"#)
        #expect(MainDicomTags.json(fromDICOMJSON: "{}") == "{}")
    }

    @Test func unreadableJSONGivesNoTags() {
        for bad in ["", "[]", "{", #"{"00100010":{"vr":"PN","Value":[}"#, #"{"00100020":{"vr":"LO","Value":["x"]}} x"#,
                    #"{"00100020":{"vr":"LO","Value":["\ud800"]}}"#, #"{"00100020":{"vr":"IS","Value":[01]}}"#] {
            #expect(MainDicomTags.values(fromDICOMJSON: bad).isEmpty, "\(bad)")
        }
    }

    /// Ingest stores each level's MainDicomTags, derived from the level's DICOM JSON.
    @Test func ingestStoresMainDicomTags() async throws {
        try await withTemporaryArchive { archive, _ in
            _ = try await archive.ingestor.ingest(bytes: try testFile("CT_small.dcm"), origin: "test")
            let study = try #require(try archive.index.resources(.study).first)
            let tags = try JSONSerialization.jsonObject(with: Data(study.mainDicomTags.utf8)) as? [String: String]
            #expect(tags?["StudyDate"] == "20040119")
            let patient = try JSONSerialization.jsonObject(with: Data((study.patientMainDicomTags ?? "").utf8)) as? [String: String]
            #expect(patient?["PatientName"] == "CompressedSamples^CT1")
            try archive.index.read { db in try expectStoredMainDicomTagsMatchTags(db) }
        }
    }

    /// A version 1 index (no `main_dicom_tags`) is migrated on opening: every row gets its
    /// MainDicomTags, and every resource reads back as from a fresh index.
    @Test func version1IndexMigrates() async throws {
        try await withTemporaryArchive { archive, _ in
            for name in ["CT_small.dcm", "MR_small.dcm", "JPEG2000.dcm", "rtplan.dcm", "rtdose.dcm", "SC_rgb_small_odd.dcm", "liver_1frame.dcm", "reportsi.dcm"] {
                _ = try await archive.ingestor.ingest(bytes: try testFile(name), origin: "test")
            }
            let expected = try ResourceLevel.allCases.map { try archive.index.resources($0) }
            #expect(expected.allSatisfy { !$0.isEmpty })

            let headers = try archive.index.read { db in
                try db.statement("SELECT instance, header FROM instance_headers ORDER BY instance").rows { Array("\($0.int64(0)):".utf8) + ($0.blob(1) ?? []) }
            }
            #expect(headers.count == expected[3].count)

            // Back to version 1: the same rows without the column, the parent indexes of version 1
            // instead of version 3's covering ones, and the headers in the instances table.
            let v1 = try SQLiteConnection(path: archive.index.path)
            try v1.execute("""
                ALTER TABLE instances ADD COLUMN header BLOB NOT NULL DEFAULT x'';
                UPDATE instances SET header = (SELECT header FROM instance_headers WHERE instance = instances.id);
                DROP TABLE instance_headers;
                """)
            for level in ResourceLevel.allCases {
                try v1.execute("ALTER TABLE \(level.table) DROP COLUMN main_dicom_tags")
            }
            try v1.execute("""
                DROP INDEX studies_children; CREATE INDEX studies_patient ON studies(patient);
                DROP INDEX series_children; CREATE INDEX series_study ON series(study);
                DROP INDEX instances_children; CREATE INDEX instances_series ON instances(series);
                """)
            try v1.execute("PRAGMA user_version = 1")

            let migrated = try ArchiveIndex(path: archive.index.path)
            #expect(try migrated.read { try $0.scalarInt("PRAGMA user_version") } == Int64(Schema.currentVersion))
            #expect(try ResourceLevel.allCases.map { try migrated.resources($0) } == expected)
            try migrated.read { db in try expectStoredMainDicomTagsMatchTags(db) }
            let indexes = try migrated.read { db in
                try db.statement("SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%'").rows { $0.text(0) ?? "" }
            }
            #expect(Set(indexes).isSuperset(of: ["studies_children", "series_children", "instances_children"]), "\(indexes)")
            #expect(Set(indexes).isDisjoint(with: ["studies_patient", "series_study", "instances_series"]), "\(indexes)")
            let migratedHeaders = try migrated.read { db in
                try db.statement("SELECT instance, header FROM instance_headers ORDER BY instance").rows { Array("\($0.int64(0)):".utf8) + ($0.blob(1) ?? []) }
            }
            #expect(migratedHeaders == headers, "every header moved to instance_headers unchanged")
            let columns = try migrated.read { db in try db.statement("SELECT name FROM pragma_table_info('instances')").rows { $0.text(0) ?? "" } }
            #expect(!columns.contains("header"))
        }
    }

    func expectStoredMainDicomTagsMatchTags(_ db: SQLiteConnection) throws {
        for level in ResourceLevel.allCases {
            let rows = try db.statement("SELECT tags, main_dicom_tags FROM \(level.table)").rows { ($0.text(0) ?? "", $0.text(1) ?? "") }
            #expect(!rows.isEmpty)
            for (tags, stored) in rows {
                #expect(stored == MainDicomTags.json(fromDICOMJSON: tags), "\(level): \(tags)")
                #expect(stored != "{}", "\(level): \(tags)")
            }
        }
    }
}
