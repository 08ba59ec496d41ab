import Foundation
import Testing
import DICOM
@testable import Archive

// MARK: - Fixture

/// A small index filled with SQL: six patients' worth of studies, series and instances with
/// realistic values (names with `^` and component groups, mixed case, dates over three years,
/// several modalities, multi-valued attributes in the `tags` JSON). Public IDs are the fixture
/// names ("p1", "s1", "se1a", "i1a1"...), so results read as names.
private final class QueryFixture {
    let db: SQLiteConnection
    private var rowIDs: [String: Int64] = [:]

    static let ct = "1.2.840.10008.5.1.4.1.1.2", mr = "1.2.840.10008.5.1.4.1.1.4"
    static let sr = "1.2.840.10008.5.1.4.1.1.88.67", pr = "1.2.840.10008.5.1.4.1.1.11.1"
    static let cr = "1.2.840.10008.5.1.4.1.1.1", dx = "1.2.840.10008.5.1.4.1.1.1.1"
    static let ot = "1.2.840.10008.5.1.4.1.1.7", mg = "1.2.840.10008.5.1.4.1.1.1.2"

    init(path: String = ":memory:") throws {
        db = try SQLiteConnection(path: path)
        try Schema.migrate(db)
    }

    // JSON pieces of the DICOM JSON model.
    static func str(_ v: String) -> String {
        "\"" + v.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
    static func pn(_ v: String) -> String {
        let groups = v.split(separator: "=", omittingEmptySubsequences: false).map(String.init)
        let keys = ["Alphabetic", "Ideographic", "Phonetic"]
        return "{" + groups.enumerated().map { "\"\(keys[$0])\":" + str($1) }.joined(separator: ",") + "}"
    }
    static func element(_ tag: UInt32, _ vr: String, _ values: [String]) -> String {
        "\"\(Tag(tag).hexString)\":{\"vr\":\"\(vr)\"" + (values.isEmpty ? "" : ",\"Value\":[" + values.joined(separator: ",") + "]") + "}"
    }
    static func strings(_ tag: UInt32, _ vr: String, _ values: String?...) -> String? {
        let present = values.compactMap { $0 }
        return present.isEmpty ? nil : element(tag, vr, present.map(str))
    }
    static func names(_ tag: UInt32, _ values: String?...) -> String? {
        let present = values.compactMap { $0 }
        return present.isEmpty ? nil : element(tag, "PN", present.map(pn))
    }
    static func json(_ elements: [String?]) -> String { "{" + elements.compactMap { $0 }.joined(separator: ",") + "}" }

    func id(_ name: String) -> Int64 { rowIDs[name]! }

    func patient(_ name: String, id patientID: String, name patientName: String?, birth: String?, sex: String?,
                 extra: [String?] = []) throws {
        let tags = Self.json([Self.names(0x0010_0010, patientName), Self.strings(0x0010_0020, "LO", patientID),
                              Self.strings(0x0010_0030, "DA", birth), Self.strings(0x0010_0040, "CS", sex)] + extra)
        try db.prepare("""
            INSERT INTO patients (public_id, patient_id, patient_name, patient_birth_date, patient_sex, tags, last_update)
            VALUES (?, ?, ?, ?, ?, ?, '')
            """).run([.text(name), .text(patientID), SQLiteValue(patientName), SQLiteValue(birth), SQLiteValue(sex), .text(tags)])
        rowIDs[name] = db.lastInsertRowID
    }

    func study(_ name: String, patient: String, uid: String, date: String?, time: String?, accession: String?,
               studyID: String?, description: String?, referring: String?, extra: [String?] = []) throws {
        let tags = Self.json([Self.strings(0x0008_0020, "DA", date), Self.strings(0x0008_0030, "TM", time),
                              Self.strings(0x0008_0050, "SH", accession), Self.names(0x0008_0090, referring),
                              Self.strings(0x0008_1030, "LO", description), Self.strings(0x0020_000D, "UI", uid),
                              Self.strings(0x0020_0010, "SH", studyID)] + extra)
        try db.prepare("""
            INSERT INTO studies (public_id, patient, study_instance_uid, study_date, study_time, accession_number,
                                 study_id, study_description, referring_physician_name, tags, last_update)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '')
            """).run([.text(name), .integer(id(patient)), .text(uid), SQLiteValue(date), SQLiteValue(time),
                      SQLiteValue(accession), SQLiteValue(studyID), SQLiteValue(description), SQLiteValue(referring),
                      .text(tags)])
        rowIDs[name] = db.lastInsertRowID
    }

    func series(_ name: String, study: String, uid: String, modality: String?, number: Int?, description: String?,
                bodyPart: String?, extra: [String?] = []) throws {
        let tags = Self.json([Self.strings(0x0008_0060, "CS", modality), Self.strings(0x0008_103E, "LO", description),
                              Self.strings(0x0018_0015, "CS", bodyPart), Self.strings(0x0020_000E, "UI", uid),
                              number.map { Self.element(0x0020_0011, "IS", [String($0)]) }] + extra)
        try db.prepare("""
            INSERT INTO series (public_id, study, series_instance_uid, modality, series_number, series_date,
                                series_time, series_description, body_part_examined, tags, last_update)
            VALUES (?, ?, ?, ?, ?, NULL, NULL, ?, ?, ?, '')
            """).run([.text(name), .integer(id(study)), .text(uid), SQLiteValue(modality), SQLiteValue(number),
                      SQLiteValue(description), SQLiteValue(bodyPart), .text(tags)])
        rowIDs[name] = db.lastInsertRowID
    }

    func instance(_ name: String, series: String, uid: String, sopClass: String, number: Int?,
                  imageType: [String] = [], rows: Int? = nil) throws {
        let tags = Self.json([imageType.isEmpty ? nil : Self.element(0x0008_0008, "CS", imageType.map(Self.str)),
                              Self.strings(0x0008_0016, "UI", sopClass), Self.strings(0x0008_0018, "UI", uid),
                              number.map { Self.element(0x0020_0013, "IS", [String($0)]) },
                              rows.map { Self.element(0x0028_0010, "US", [String($0)]) }])
        try db.prepare("""
            INSERT INTO instances (public_id, series, sop_instance_uid, sop_class_uid, instance_number, file_hash,
                                   file_size, transfer_syntax_uid, received_at, origin, tags)
            VALUES (?, ?, ?, ?, ?, ?, 1000, '1.2.840.10008.1.2.1', '', 'test', ?)
            """).run([.text(name), .integer(id(series)), .text(uid), .text(sopClass), SQLiteValue(number),
                      .text("hash-" + name), .text(tags)])
        rowIDs[name] = db.lastInsertRowID
    }

    /// Adds `count` instances i<series-suffix><n> numbered from 1.
    func instances(_ count: Int, series: String, sopClass: String, imageType: [String] = [], rows: Int? = nil) throws {
        for n in 1...count {
            let name = "i" + series.dropFirst(2) + String(n)
            try instance(name, series: series, uid: "1.2.840.99.8.\(rowIDs.count).\(n)", sopClass: sopClass, number: n,
                         imageType: imageType, rows: rows)
        }
    }

    static func standard() throws -> QueryFixture {
        let f = try QueryFixture()
        try f.patient("p1", id: "PAT001", name: "Doe^John", birth: "19700101", sex: "M", extra: [
            names(0x0010_1001, "Smith^Johnny", "Doe^J"),
            strings(0x0010_4000, "LT", "Allergic to contrast\\not a list"),
        ])
        try f.patient("p2", id: "PAT002", name: "doe^jane", birth: "19851231", sex: "F", extra: [names(0x0010_1001, "Roe^Jane")])
        try f.patient("p3", id: "PAT003", name: "Yamada^Tarou=山田^太郎=やまだ^たろう", birth: "19600515", sex: "M")
        try f.patient("p4", id: "PAT_4", name: "O'Brien^Ann_Marie", birth: "19991010", sex: "F")
        try f.patient("p5", id: "PAT%5", name: "O'Brien^AnnXMarie", birth: nil, sex: "O")

        try f.study("s1", patient: "p1", uid: "1.2.840.99.1.1", date: "20190315", time: "093000", accession: "ACC001",
                    studyID: "1", description: "CT Chest", referring: "Smith^Adam", extra: [
                        names(0x0008_1060, "Brown^Bob", "White^Walter"), strings(0x0010_1010, "AS", "049Y"),
                    ])
        try f.study("s2", patient: "p1", uid: "1.2.840.99.1.2", date: "20200101", time: "1030", accession: "ACC002",
                    studyID: "2", description: "MR Brain", referring: "smith^adam", extra: [strings(0x0010_1010, "AS", "050Y")])
        try f.study("s3", patient: "p2", uid: "1.2.840.99.2.1", date: "20201231", time: "235959.5", accession: "acc003",
                    studyID: "3", description: "CT Abdomen", referring: nil)
        try f.study("s4", patient: "p3", uid: "1.2.840.99.3.1", date: "20210610", time: "10", accession: "ACC004",
                    studyID: "4", description: "Chest X-ray", referring: "Yamada^Hanako=山田^花子")
        try f.study("s5", patient: "p4", uid: "1.2.840.99.4.1", date: nil, time: nil, accession: "A%_1",
                    studyID: nil, description: "Follow-up [old]", referring: nil)
        try f.study("s6", patient: "p5", uid: "1.2.840.99.5.1", date: "20191231", time: "235959", accession: "AX%_1",
                    studyID: "6", description: "Cold", referring: nil)

        try f.series("se1a", study: "s1", uid: "1.2.840.99.1.1.1", modality: "CT", number: 1, description: "Axial 5mm", bodyPart: "CHEST")
        try f.series("se1b", study: "s1", uid: "1.2.840.99.1.1.2", modality: "CT", number: 2, description: "Coronal", bodyPart: "CHEST")
        try f.series("se1c", study: "s1", uid: "1.2.840.99.1.1.3", modality: "SR", number: 100, description: "Dose report", bodyPart: nil)
        try f.series("se2a", study: "s2", uid: "1.2.840.99.1.2.1", modality: "MR", number: 1, description: "T1 SAG", bodyPart: "HEAD",
                     extra: [names(0x0008_1070, "Tech^One", "Tech^Two")])
        try f.series("se2b", study: "s2", uid: "1.2.840.99.1.2.2", modality: "MR", number: 2, description: "T2 AX", bodyPart: "HEAD")
        try f.series("se3a", study: "s3", uid: "1.2.840.99.2.1.1", modality: "CT", number: 1, description: "Abdomen", bodyPart: "ABDOMEN")
        try f.series("se3b", study: "s3", uid: "1.2.840.99.2.1.2", modality: "PR", number: 2, description: nil, bodyPart: nil)
        try f.series("se4a", study: "s4", uid: "1.2.840.99.3.1.1", modality: "CR", number: 1, description: "PA", bodyPart: "CHEST")
        try f.series("se4b", study: "s4", uid: "1.2.840.99.3.1.2", modality: "DX", number: 2, description: "LAT", bodyPart: "CHEST")
        try f.series("se5a", study: "s5", uid: "1.2.840.99.4.1.1", modality: "OT", number: 1, description: "Scan", bodyPart: nil)
        try f.series("se6a", study: "s6", uid: "1.2.840.99.5.1.1", modality: "MG", number: 1, description: "CC", bodyPart: "BREAST")

        try f.instances(3, series: "se1a", sopClass: ct, imageType: ["ORIGINAL", "PRIMARY", "AXIAL"], rows: 512)
        try f.instances(2, series: "se1b", sopClass: ct, imageType: ["ORIGINAL", "PRIMARY", "REFORMATTED"], rows: 512)
        try f.instances(1, series: "se1c", sopClass: sr)
        try f.instances(2, series: "se2a", sopClass: mr, imageType: ["ORIGINAL", "PRIMARY"], rows: 256)
        try f.instances(2, series: "se2b", sopClass: mr, imageType: ["ORIGINAL", "PRIMARY"], rows: 256)
        try f.instance("i3a1", series: "se3a", uid: "1.2.840.99.2.1.1.1", sopClass: ct, number: 1,
                       imageType: ["ORIGINAL", "PRIMARY", "AXIAL"])
        try f.instance("i3a2", series: "se3a", uid: "1.2.840.99.2.1.1.2", sopClass: ct, number: 2,
                       imageType: ["DERIVED", "SECONDARY", "REFORMATTED"])
        try f.instances(1, series: "se3b", sopClass: pr)
        try f.instances(1, series: "se4a", sopClass: cr, imageType: ["ORIGINAL", "PRIMARY"])
        try f.instances(1, series: "se4b", sopClass: dx, imageType: ["ORIGINAL", "PRIMARY"])
        try f.instances(1, series: "se5a", sopClass: ot, imageType: ["DERIVED", "SECONDARY"])
        try f.instances(1, series: "se6a", sopClass: mg, imageType: ["ORIGINAL", "PRIMARY"])
        return f
    }
}

private func key(_ tag: UInt32, _ value: String = "") -> QueryKey { QueryKey(Tag(tag), value: value) }

// MARK: - Tests

@Suite("QueryMatcher")
struct QueryMatcherTests {
    private let f: QueryFixture

    init() throws { f = try QueryFixture.standard() }

    /// Public IDs of the matches, in result order.
    private func find(_ level: ResourceLevel, _ keys: [(UInt32, String)], caseSensitivePN: Bool = false,
                      limit: Int? = nil, offset: Int = 0) throws -> [String] {
        let query = Query(level: level, keys: keys.map { key($0.0, $0.1) }, limit: limit, offset: offset,
                          caseSensitivePN: caseSensitivePN)
        return try QueryMatcher.run(query, on: f.db).map(\.publicID)
    }

    private func error(_ level: ResourceLevel, _ keys: [(UInt32, String)]) -> QueryError? {
        do {
            _ = try QueryMatcher.plan(for: Query(level: level, keys: keys.map { key($0.0, $0.1) }))
            return nil
        } catch {
            return error
        }
    }

    private func plan(_ level: ResourceLevel, _ keys: [(UInt32, String)], caseSensitivePN: Bool = false) throws -> String {
        let query = Query(level: level, keys: keys.map { key($0.0, $0.1) }, caseSensitivePN: caseSensitivePN)
        return try QueryMatcher.explain(query, on: f.db).joined(separator: "\n")
    }

    // MARK: Universal matching and answers

    @Test func universalMatchingReturnsEverythingInRowOrder() throws {
        #expect(try find(.patient, []) == ["p1", "p2", "p3", "p4", "p5"])
        #expect(try find(.study, [(0x0010_0010, ""), (0x0008_0020, "*"), (0x0020_000D, "")])
                == ["s1", "s2", "s3", "s4", "s5", "s6"])
        #expect(try find(.series, [(0x0008_0060, "*")]).count == 11)
        #expect(try find(.instance, []).count == 17)
        // `*` as one of several values is universal too.
        #expect(try find(.series, [(0x0008_0060, "CT\\*")]).count == 11)
    }

    @Test func answersCarryTheTagsOfTheLevelAndItsAncestors() throws {
        let matches = try QueryMatcher.run(Query(level: .series, keys: [key(0x0020_000E, "1.2.840.99.2.1.2")]), on: f.db)
        #expect(matches.count == 1)
        let m = try #require(matches.first)
        #expect(m.level == .series && m.publicID == "se3b" && m.rowID == f.id("se3b"))
        #expect(Set(m.tags.keys) == [.patient, .study, .series])
        #expect(m.tags[.patient]?.contains("\"00100020\":{\"vr\":\"LO\",\"Value\":[\"PAT002\"]}") == true)
        #expect(m.tags[.study]?.contains("1.2.840.99.2.1\"") == true)
        #expect(m.tags[.series]?.contains("\"PR\"") == true)
        #expect(m.computed.isEmpty)
    }

    // MARK: Single value matching

    @Test func singleValueMatchingIsExactAndCaseSensitiveForNonPN() throws {
        #expect(try find(.patient, [(0x0010_0020, "PAT001")]) == ["p1"])
        #expect(try find(.patient, [(0x0010_0020, "pat001")]) == [])
        #expect(try find(.patient, [(0x0010_0020, "PAT00")]) == [])
        #expect(try find(.study, [(0x0008_0050, "ACC003")]) == [])
        #expect(try find(.study, [(0x0008_0050, "acc003")]) == ["s3"])
        #expect(try find(.study, [(0x0008_1030, "CT Chest")]) == ["s1"])
        #expect(try find(.patient, [(0x0010_0040, "F")]) == ["p2", "p4"])
        #expect(try find(.series, [(0x0018_0015, "CHEST")]) == ["se1a", "se1b", "se4a", "se4b"])
        // Padding in the key is not significant.
        #expect(try find(.study, [(0x0008_0050, "ACC001 ")]) == ["s1"])
        // Several values: any matches (PS3.4 C.2.2.2.8).
        #expect(try find(.series, [(0x0008_0060, "MR\\PR")]) == ["se2a", "se2b", "se3b"])
    }

    @Test func personNamesMatchCaseInsensitivelyByDefault() throws {
        #expect(try find(.patient, [(0x0010_0010, "doe^john")]) == ["p1"])
        #expect(try find(.patient, [(0x0010_0010, "DOE^JANE")]) == ["p2"])
        #expect(try find(.patient, [(0x0010_0010, "DOE*")]) == ["p1", "p2"])
        #expect(try find(.patient, [(0x0010_0010, "*JOHN")]) == ["p1"])
        #expect(try find(.patient, [(0x0010_0010, "d?e^j*")]) == ["p1", "p2"])
        #expect(try find(.patient, [(0x0010_0010, "Doe^John\\doe^jane")]) == ["p1", "p2"])
        #expect(try find(.study, [(0x0008_0090, "SMITH^ADAM")]) == ["s1", "s2"])
    }

    /// Case-insensitive beyond ASCII: names with accented, Greek or Cyrillic letters.
    @Test func personNamesMatchCaseInsensitivelyBeyondASCII() throws {
        let f = try QueryFixture()
        try f.patient("m1", id: "M1", name: "MÜLLER^JÜRGEN", birth: nil, sex: nil)
        try f.patient("m2", id: "M2", name: "Müller^Anna", birth: nil, sex: nil)
        try f.patient("m3", id: "M3", name: "ΠΑΠΑΔΟΠΟΥΛΟΣ^ΝΙΚΟΣ", birth: nil, sex: nil)
        try f.patient("m4", id: "M4", name: "Иванов^Иван=Ivanov^Ivan", birth: nil, sex: nil)
        func find(_ value: String, caseSensitive: Bool = false) throws -> [String] {
            try QueryMatcher.run(Query(level: .patient, keys: [key(0x0010_0010, value)], caseSensitivePN: caseSensitive), on: f.db)
                .map(\.publicID)
        }
        #expect(try find("müller^jürgen") == ["m1"])
        #expect(try find("müller*") == ["m1", "m2"])
        #expect(try find("MÜLLER^A*") == ["m2"])
        #expect(try find("*^jürgen") == ["m1"])
        #expect(try find("m?ller^anna") == ["m2"], "ASCII values keep SQLite's matching")
        #expect(try find("παπαδοπουλος^νικος") == ["m3"])
        #expect(try find("иванов^иван") == ["m4"], "the alphabetic group alone matches")
        #expect(try find("Müller\\ΠΑΠΑΔΟΠΟΥΛΟΣ*") == ["m3"], "several values, one exact, one wildcard")
        #expect(try find("müller^jürgen", caseSensitive: true) == [], "case-sensitive when configured")
        #expect(try find("MÜLLER^JÜRGEN", caseSensitive: true) == ["m1"])
        #expect(try find("mÜ*") == ["m1", "m2"])
        // Leading ASCII letters still narrow through the name index.
        let plan = try QueryMatcher.explain(Query(level: .patient, keys: [key(0x0010_0010, "MÜLLER*")]), on: f.db).joined(separator: "\n")
        #expect(plan.contains("USING INDEX patients_patient_name"), "\(plan)")
    }

    @Test func personNamesMatchCaseSensitivelyWhenConfigured() throws {
        #expect(try find(.patient, [(0x0010_0010, "doe^john")], caseSensitivePN: true) == [])
        #expect(try find(.patient, [(0x0010_0010, "Doe^John")], caseSensitivePN: true) == ["p1"])
        #expect(try find(.patient, [(0x0010_0010, "Doe*")], caseSensitivePN: true) == ["p1"])
        #expect(try find(.patient, [(0x0010_0010, "doe*")], caseSensitivePN: true) == ["p2"])
        #expect(try find(.study, [(0x0008_0090, "Smith^Adam")], caseSensitivePN: true) == ["s1"])
        #expect(try find(.patient, [(0x0010_0010, "Yamada^Tarou")], caseSensitivePN: true) == ["p3"])
    }

    @Test func personNamesMatchTheWholeNameOrItsAlphabeticGroup() throws {
        #expect(try find(.patient, [(0x0010_0010, "Yamada^Tarou")]) == ["p3"])
        #expect(try find(.patient, [(0x0010_0010, "yamada^tarou=山田^太郎=やまだ^たろう")]) == ["p3"])
        #expect(try find(.patient, [(0x0010_0010, "*=山田^太郎=*")]) == ["p3"])
        #expect(try find(.patient, [(0x0010_0010, "Yamada^Tarou=山田^太郎")]) == ["p3"])
        #expect(try find(.patient, [(0x0010_0010, "*Tarou")]) == ["p3"])
        #expect(try find(.study, [(0x0008_0090, "yamada^hanako")]) == ["s4"])
        #expect(try find(.patient, [(0x0010_0010, "Yamada")]) == [])
    }

    // MARK: Wildcards

    @Test func wildcardsMatchAndMetacharactersAreEscaped() throws {
        #expect(try find(.study, [(0x0008_1030, "CT*")]) == ["s1", "s3"])
        #expect(try find(.study, [(0x0008_1030, "ct*")]) == [])
        #expect(try find(.study, [(0x0008_1030, "?R Brain")]) == ["s2"])
        #expect(try find(.study, [(0x0008_1030, "*st*")]) == ["s1", "s4"])
        // GLOB's `[` is literal in DICOM.
        #expect(try find(.study, [(0x0008_1030, "*[old]")]) == ["s5"])
        // LIKE's `%` and `_` are literal in DICOM (PN goes through LIKE).
        #expect(try find(.patient, [(0x0010_0010, "O'Brien^Ann_*")]) == ["p4"])
        #expect(try find(.patient, [(0x0010_0010, "o'brien^ann?marie")]) == ["p4", "p5"])
        #expect(try find(.patient, [(0x0010_0010, "*%*")]) == [])
        #expect(try find(.study, [(0x0008_0050, "A%_*")]) == ["s5"])
        #expect(try find(.patient, [(0x0010_0020, "PAT_*")]) == ["p4"])
        #expect(try find(.patient, [(0x0010_0020, "PAT?5")]) == ["p5"])
        // Wildcards never match a missing value.
        #expect(try find(.series, [(0x0008_103E, "*")]).count == 11)
        #expect(try find(.series, [(0x0008_103E, "**")]).count == 10)
    }

    // MARK: UIDs

    @Test func listOfUIDMatching() throws {
        #expect(try find(.study, [(0x0020_000D, "1.2.840.99.1.2")]) == ["s2"])
        #expect(try find(.study, [(0x0020_000D, "1.2.840.99.1.1\\1.2.840.99.2.1")]) == ["s1", "s3"])
        #expect(try find(.study, [(0x0020_000D, "1.2.840.99.1.1\\1.2.840.99.9.9")]) == ["s1"])
        #expect(try find(.study, [(0x0020_000D, "1.2.840.99.1")]) == [])
        // Trailing NUL padding of a UI value is not significant.
        #expect(try find(.study, [(0x0020_000D, "1.2.840.99.1.2\0")]) == ["s2"])
        // A single value may carry wildcards (Orthanc does the same).
        #expect(try find(.study, [(0x0020_000D, "1.2.840.99.1.*")]) == ["s1", "s2"])
        #expect(try find(.instance, [(0x0008_0016, "\(QueryFixture.ct)\\\(QueryFixture.pr)")])
                == ["i1a1", "i1a2", "i1a3", "i1b1", "i1b2", "i3a1", "i3a2", "i3b1"])
        #expect(try find(.instance, [(0x0008_0018, "1.2.840.99.2.1.1.2")]) == ["i3a2"])
    }

    @Test func wildcardsAndEmptyEntriesInUIDListsAreRefused() {
        let e = error(.study, [(0x0020_000D, "1.2.840.99.1.1\\1.2.*")])
        #expect(e == .invalidValue(tag: Tag(0x0020_000D), value: "1.2.840.99.1.1\\1.2.*",
                                   reason: "wildcards are not allowed in a list of UIDs"))
        #expect(e?.description.contains("StudyInstanceUID (0020,000D)") == true)
        #expect(e?.dimseStatus == 0xA900 && e?.httpStatus == 400)
        #expect(error(.series, [(0x0020_000E, "1.2\\\\1.3")])?.tag == Tag(0x0020_000E))
    }

    // MARK: Dates and times

    @Test func dateRangeMatching() throws {
        #expect(try find(.study, [(0x0008_0020, "20200101")]) == ["s2"])
        #expect(try find(.study, [(0x0008_0020, "2020.01.01")]) == ["s2"])
        #expect(try find(.study, [(0x0008_0020, "20200101-20201231")]) == ["s2", "s3"])
        #expect(try find(.study, [(0x0008_0020, "-20191231")]) == ["s1", "s6"])
        #expect(try find(.study, [(0x0008_0020, "20201231-")]) == ["s3", "s4"])
        #expect(try find(.study, [(0x0008_0020, "20190101-20191231\\20210101-")]) == ["s1", "s4", "s6"])
        #expect(try find(.study, [(0x0008_0020, "20211231-20200101")]) == [])
        #expect(try find(.study, [(0x0008_0020, "-")]).count == 6)
        #expect(try find(.patient, [(0x0010_0030, "19600101-19751231")]) == ["p1", "p3"])
    }

    @Test func malformedDatesAreRefused() {
        for bad in ["2020-01-01", "20201301", "2020*", "20200101-20201231-", "2020", "2020010", "20200132", "abc"] {
            let e = error(.study, [(0x0008_0020, bad)])
            #expect(e?.tag == Tag(0x0008_0020), "\(bad)")
        }
        #expect(error(.study, [(0x0008_0020, "20200101-2020123")])?.description.contains("malformed date range") == true)
        #expect(error(.study, [(0x0008_0020, "2020*")])?.description.contains("wildcard") == true)
    }

    @Test func timeMatchingUsesPrefixSemantics() throws {
        // Stored: s1 093000, s2 1030, s3 235959.5, s4 10, s6 235959.
        #expect(try find(.study, [(0x0008_0030, "10")]) == ["s2", "s4"])
        #expect(try find(.study, [(0x0008_0030, "1030")]) == ["s2"])
        #expect(try find(.study, [(0x0008_0030, "093000")]) == ["s1"])
        #expect(try find(.study, [(0x0008_0030, "0930-1030")]) == ["s1", "s2", "s4"])
        #expect(try find(.study, [(0x0008_0030, "-0959")]) == ["s1"])
        #expect(try find(.study, [(0x0008_0030, "2359-")]) == ["s3", "s6"])
        #expect(try find(.study, [(0x0008_0030, "235959.4-")]) == ["s3"])
        #expect(try find(.study, [(0x0008_0030, "23:59-")]) == ["s3", "s6"])
        for bad in ["25", "1060", "10*", "1-2", "103", "1030.5"] {
            #expect(error(.study, [(0x0008_0030, bad)])?.tag == Tag(0x0008_0030), "\(bad)")
        }
    }

    @Test func dateTimeMatching() throws {
        let db = try SQLiteConnection(path: ":memory:")
        try db.execute("CREATE TABLE t (v TEXT)")
        let stored = ["2020", "202001", "20200115", "20200115103000", "20200115103000.5", "20200115103000+0100",
                      "20210101000000", "20191231235959"]
        for v in stored { try db.prepare("INSERT INTO t VALUES (?)").run([.text(v)]) }
        func match(_ value: String) throws -> [String] {
            let k = QueryKey(Tag(0x0008_002A), value: value)
            guard let c = try ValueMatching.condition("v", kind: .dateTime, key: k, options: .init(caseSensitivePN: false))
            else { return stored }
            return try db.prepare("SELECT v FROM t WHERE \(c.sql) ORDER BY rowid").rows(c.arguments) { $0.text(0)! }
        }
        #expect(try match("2020") == Array(stored[0...5]))
        #expect(try match("20200115") == ["20200115", "20200115103000", "20200115103000.5", "20200115103000+0100"])
        #expect(try match("20200115-20200115") == ["20200115", "20200115103000", "20200115103000.5", "20200115103000+0100"])
        #expect(try match("20200115103000-0500") == ["20200115103000", "20200115103000.5", "20200115103000+0100"])
        #expect(try match("-2019") == ["20191231235959"])
        #expect(try match("2019-2020") == Array(stored[0...5]) + ["20191231235959"])
        #expect(try match("20200115103000-0500-2021") == ["20200115103000", "20200115103000.5", "20200115103000+0100",
                                                           "20210101000000"])
        #expect(try match("20210101-") == ["20210101000000"])
        for bad in ["2020-13", "202013", "2020*", "20200115103000.1234567", "20200115+2500"] {
            #expect(throws: QueryError.self, "\(bad)") { try match(bad) }
        }
    }

    // MARK: Numbers

    @Test func integerMatching() throws {
        #expect(try find(.series, [(0x0020_0011, "2")]) == ["se1b", "se2b", "se3b", "se4b"])
        #expect(try find(.series, [(0x0020_0011, "100\\2")]) == ["se1b", "se1c", "se2b", "se3b", "se4b"])
        #expect(try find(.instance, [(0x0020_0013, "3")]) == ["i1a3"])
        #expect(error(.series, [(0x0020_0011, "x")])?.description.contains("not an integer") == true)
        #expect(error(.series, [(0x0020_0011, "1*")])?.description.contains("wildcard") == true)
    }

    // MARK: Attributes without a column: DICOM JSON

    @Test func attributesWithoutAColumnMatchInTheTagsJSON() throws {
        // Single-valued (AS).
        #expect(try find(.study, [(0x0010_1010, "049Y")]) == ["s1"])
        #expect(try find(.study, [(0x0010_1010, "0?0Y")]) == ["s2"])
        // Multi-valued PN: any value matches, case-insensitively.
        #expect(try find(.patient, [(0x0010_1001, "Roe^Jane")]) == ["p2"])
        #expect(try find(.patient, [(0x0010_1001, "doe^j")]) == ["p1"])
        #expect(try find(.patient, [(0x0010_1001, "smith*")]) == ["p1"])
        #expect(try find(.patient, [(0x0010_1001, "smith*")], caseSensitivePN: true) == [])
        #expect(try find(.study, [(0x0008_1060, "WHITE^WALTER")]) == ["s1"])
        #expect(try find(.series, [(0x0008_1070, "tech^two")]) == ["se2a"])
        // Multi-valued CS.
        #expect(try find(.instance, [(0x0008_0008, "AXIAL")]) == ["i1a1", "i1a2", "i1a3", "i3a1"])
        #expect(try find(.instance, [(0x0008_0008, "DERIVED\\REFORMATTED")]) == ["i1b1", "i1b2", "i3a2", "i5a1"])
        #expect(try find(.instance, [(0x0008_0008, "ORIG*")]).count == 13)
        // LT is single-valued text: a backslash is part of the value.
        #expect(try find(.patient, [(0x0010_4000, "Allergic to contrast\\not a list")]) == ["p1"])
        #expect(try find(.patient, [(0x0010_4000, "Allergic*")]) == ["p1"])
        // Numbers in the JSON (US is a JSON number).
        #expect(try find(.instance, [(0x0028_0010, "256")]) == ["i2a1", "i2a2", "i2b1", "i2b2"])
        #expect(try find(.series, [(0x0028_0010, "512\\1024")]) == ["se1a", "se1b"])
        #expect(error(.instance, [(0x0028_0010, "5*")])?.tag == Tag(0x0028_0010))
    }

    // MARK: Hierarchy

    @Test func ancestorKeysConstrainThroughTheJoins() throws {
        #expect(try find(.study, [(0x0010_0020, "PAT001")]) == ["s1", "s2"])
        #expect(try find(.study, [(0x0010_0010, "doe*")]) == ["s1", "s2", "s3"])
        #expect(try find(.series, [(0x0010_0010, "DOE^JOHN"), (0x0008_0060, "MR")]) == ["se2a", "se2b"])
        #expect(try find(.series, [(0x0020_000D, "1.2.840.99.1.1")]) == ["se1a", "se1b", "se1c"])
        #expect(try find(.instance, [(0x0020_000D, "1.2.840.99.1.1"), (0x0020_000E, "1.2.840.99.1.1.2")])
                == ["i1b1", "i1b2"])
        #expect(try find(.instance, [(0x0010_0020, "PAT003")]) == ["i4a1", "i4b1"])
        #expect(try find(.series, [(0x0010_0010, "DOE^JOHN"), (0x0008_0060, "PR")]) == [])
    }

    @Test func lowerLevelKeysMatchWhenAnyDescendantMatches() throws {
        #expect(try find(.study, [(0x0008_0060, "CT")]) == ["s1", "s3"])
        #expect(try find(.study, [(0x0008_0060, "SR\\MG")]) == ["s1", "s6"])
        #expect(try find(.study, [(0x0010_0020, "PAT001"), (0x0008_0060, "CT")]) == ["s1"])
        #expect(try find(.patient, [(0x0008_0060, "CT")]) == ["p1", "p2"])
        #expect(try find(.patient, [(0x0008_0020, "20200101-20201231")]) == ["p1", "p2"])
        #expect(try find(.study, [(0x0008_0018, "1.2.840.99.2.1.1.2")]) == ["s3"])
        #expect(try find(.series, [(0x0008_0008, "DERIVED")]) == ["se3a", "se5a"])
        #expect(try find(.study, [(0x0008_0016, QueryFixture.mr)]) == ["s2"])
        // One descendant must match all lower-level keys: s1 has a CT series and a series #100,
        // but no CT series #100.
        #expect(try find(.study, [(0x0008_0060, "CT"), (0x0020_0011, "100")]) == [])
        #expect(try find(.study, [(0x0008_0060, "SR"), (0x0020_0011, "100")]) == ["s1"])
        #expect(try find(.patient, [(0x0008_0060, "CT"), (0x0008_0008, "DERIVED")]) == ["p2"])
    }

    @Test func lowerLevelKeysUseACorrelatedSubqueryWhenAnIndexOrALimitNarrowsTheOuterRows() throws {
        let alone = try QueryMatcher.sql(for: Query(level: .study, keys: [key(0x0008_0060, "CT")]))
        #expect(alone.sql.contains("st.id IN (SELECT"))
        #expect(alone.arguments == [.text("CT")])
        let narrowed = try QueryMatcher.sql(for: Query(level: .study, keys: [key(0x0010_0020, "PAT001"), key(0x0008_0060, "CT")]))
        #expect(narrowed.sql.contains("EXISTS (SELECT 1 FROM series"))
        #expect(narrowed.arguments == [.text("PAT001"), .text("CT")])
        // With a limit, the level's rows are scanned in order and probed until the page is full.
        let paged = try QueryMatcher.sql(for: Query(level: .study, keys: [key(0x0008_0060, "CT"), key(0x0008_0061, "SR")],
                                                    limit: 10))
        #expect(paged.sql.contains("EXISTS (SELECT 1 FROM series") && !paged.sql.contains("IN (SELECT"))
        #expect(paged.arguments == [.text("SR"), .text("CT"), .integer(10), .integer(0)])
        #expect(try find(.study, [(0x0008_0060, "CT"), (0x0008_0061, "SR")], limit: 10) == ["s1"])
        // A pattern starting with a wildcard cannot use the name index: the descendants lead.
        let unanchored = try QueryMatcher.sql(for: Query(level: .study, keys: [key(0x0010_0010, "*john"), key(0x0008_0060, "CT")]))
        #expect(unanchored.sql.contains("st.id IN (SELECT"))
        #expect(try find(.study, [(0x0010_0010, "*john"), (0x0008_0060, "CT")]) == ["s1"])
    }

    // MARK: Computed keys

    @Test func computedKeysAreReturnedWhenRequested() throws {
        let all = ComputedKey.allCases.map { key($0.tag.rawValue) }
        let studies = try QueryMatcher.run(Query(level: .study, keys: all), on: f.db)
        #expect(studies.map(\.publicID) == ["s1", "s2", "s3", "s4", "s5", "s6"])
        let s1 = try #require(studies.first)
        #expect(s1.computed == [
            Tag(0x0020_1200): "2", Tag(0x0020_1202): "5", Tag(0x0020_1204): "10",
            Tag(0x0020_1206): "3", Tag(0x0020_1208): "6",
            Tag(0x0008_0061): "CT\\SR", Tag(0x0008_0062): "\(QueryFixture.ct)\\\(QueryFixture.sr)",
        ])
        #expect(studies[3].computed[Tag(0x0008_0061)] == "CR\\DX")
        #expect(studies.map { $0.computed[Tag(0x0020_1208)]! } == ["6", "4", "3", "2", "1", "1"])

        let patients = try QueryMatcher.run(Query(level: .patient, keys: all), on: f.db)
        #expect(patients.map { $0.computed[Tag(0x0020_1200)]! } == ["2", "1", "1", "1", "1"])
        #expect(patients.map { $0.computed[Tag(0x0020_1204)]! } == ["10", "3", "2", "1", "1"])
        #expect(patients[0].computed.count == 3)

        let series = try QueryMatcher.run(Query(level: .series, keys: [key(0x0020_000D, "1.2.840.99.1.1"),
                                                                       key(0x0020_1209), key(0x0008_0061)]), on: f.db)
        #expect(series.map { $0.computed[Tag(0x0020_1209)]! } == ["3", "2", "1"])
        #expect(series.allSatisfy { $0.computed[Tag(0x0008_0061)] == "CT\\SR" })

        // Not requested: not computed.
        let plain = try QueryMatcher.sql(for: Query(level: .study, keys: [key(0x0020_000D)]))
        #expect(!plain.sql.contains("count("))
        #expect(try QueryMatcher.run(Query(level: .study), on: f.db).allSatisfy { $0.computed.isEmpty })
    }

    @Test func computedKeysAsMatchingKeys() throws {
        #expect(try find(.study, [(0x0008_0061, "MR\\PR")]) == ["s2", "s3"])
        #expect(try find(.study, [(0x0008_0061, "C*")]) == ["s1", "s3", "s4"])
        #expect(try find(.study, [(0x0010_0020, "PAT001"), (0x0008_0061, "SR")]) == ["s1"])
        #expect(try find(.series, [(0x0008_0061, "SR")]) == ["se1a", "se1b", "se1c"])
        #expect(try find(.patient, [(0x0008_0061, "DX")]) == ["p3"])
        // Modality and ModalitiesInStudy are independent: a study with CT and SR series.
        #expect(try find(.study, [(0x0008_0060, "CT"), (0x0008_0061, "SR")]) == ["s1"])
        #expect(try find(.study, [(0x0008_0062, "\(QueryFixture.mr)\\\(QueryFixture.dx)")]) == ["s2", "s4"])
        #expect(try find(.study, [(0x0020_1208, "1")]) == ["s5", "s6"])
        #expect(try find(.study, [(0x0020_1206, "2\\3")]) == ["s1", "s2", "s3", "s4"])
        #expect(try find(.patient, [(0x0020_1200, "2")]) == ["p1"])
        #expect(try find(.series, [(0x0020_1209, "3")]) == ["se1a"])
        #expect(try find(.study, [(0x0020_1209, "3")]) == ["s1"])
        #expect(error(.study, [(0x0020_1208, "many")])?.tag == Tag(0x0020_1208))
        #expect(error(.study, [(0x0008_0062, "1.2\\1.*")])?.tag == Tag(0x0008_0062))
    }

    // MARK: Paging, ignored keys, errors

    @Test func limitAndOffsetApplyInSQL() throws {
        #expect(try find(.study, [], limit: 2) == ["s1", "s2"])
        #expect(try find(.study, [], limit: 2, offset: 2) == ["s3", "s4"])
        #expect(try find(.study, [], offset: 5) == ["s6"])
        #expect(try find(.study, [], limit: 0) == [])
        #expect(try find(.study, [(0x0008_0060, "CT")], limit: 1, offset: 1) == ["s3"])
        #expect(throws: QueryError.invalidPaging("negative limit -1")) {
            try QueryMatcher.plan(for: Query(level: .study, limit: -1))
        }
        #expect(throws: QueryError.self) { try QueryMatcher.plan(for: Query(level: .study, offset: -3)) }
    }

    @Test func keysTheIndexCannotMatchAreIgnoredAndReported() throws {
        let query = Query(level: .study, keys: [
            key(0x0008_0052, "STUDY"),           // Query/Retrieve Level: control, not reported
            key(0x0008_0005, "ISO_IR 100"),      // Specific Character Set: control
            key(0x0010_2180, "Engineer"),        // Occupation: not recorded
            key(0x0008_1110, "x"),               // Referenced Study Sequence: SQ
            key(0x0010_2180),                    // return key: not reported
            key(0x0010_0020, "PAT001"),
        ])
        let plan = try QueryMatcher.plan(for: query)
        #expect(plan.ignoredKeys.map(\.tag) == [Tag(0x0010_2180), Tag(0x0008_1110)])
        #expect(plan.arguments == [.text("PAT001")])
        #expect(try QueryMatcher.run(plan, on: f.db).map(\.publicID) == ["s1", "s2"])
    }

    @Test func everyValueIsABoundArgument() throws {
        let hostile = "x' OR 1=1; DROP TABLE studies; --"
        let (sql, arguments) = try QueryMatcher.sql(for: Query(level: .study, keys: [
            key(0x0008_1030, hostile), key(0x0010_0010, hostile + "*"), key(0x0010_1010, hostile),
        ]))
        #expect(!sql.contains("DROP"))
        #expect(arguments.contains(.text(hostile)))
        #expect(try find(.study, [(0x0008_1030, hostile)]) == [])
        #expect(try find(.study, []).count == 6)
    }

    // MARK: Query plans

    @Test func keySearchesUseTheIndexes() throws {
        let uid = try plan(.study, [(0x0020_000D, "1.2.840.99.1.2")])
        #expect(uid.contains("SEARCH st USING INDEX studies_uid (study_instance_uid=?)"), "\(uid)")
        #expect(!uid.contains("SCAN"), "\(uid)")

        let accession = try plan(.study, [(0x0008_0050, "ACC002")])
        #expect(accession.contains("SEARCH st USING INDEX studies_accession (accession_number=?)"), "\(accession)")

        let date = try plan(.study, [(0x0008_0020, "20200101-20201231")])
        #expect(date.contains("SEARCH st USING INDEX studies_date (study_date>? AND study_date<?)"), "\(date)")

        let patientID = try plan(.study, [(0x0010_0020, "PAT001")])
        #expect(patientID.contains("SEARCH pa USING INDEX patients_patient_id (patient_id=?)"), "\(patientID)")
        #expect(patientID.contains("SEARCH st USING INDEX studies_children (patient=?)"), "\(patientID)")

        let name = try plan(.patient, [(0x0010_0010, "DOE*")])
        #expect(name.contains("SEARCH pa USING INDEX patients_patient_name (patient_name>? AND patient_name<?)"), "\(name)")
        let exactName = try plan(.study, [(0x0010_0010, "Doe^John")])
        #expect(exactName.contains("SEARCH pa USING INDEX patients_patient_name"), "\(exactName)")
        #expect(!exactName.contains("SCAN pa"), "\(exactName)")
        let sensitiveName = try plan(.patient, [(0x0010_0010, "Doe*")], caseSensitivePN: true)
        #expect(sensitiveName.contains("SEARCH pa USING INDEX patients_patient_name"), "\(sensitiveName)")

        let series = try plan(.series, [(0x0020_000D, "1.2.840.99.1.1")])
        #expect(series.contains("SEARCH st USING INDEX studies_uid (study_instance_uid=?)"), "\(series)")
        #expect(series.contains("SEARCH se USING INDEX series_children (study=?)"), "\(series)")

        let seriesUID = try plan(.series, [(0x0020_000E, "1.2.840.99.1.1.1\\1.2.840.99.1.1.2")])
        #expect(seriesUID.contains("SEARCH se USING INDEX series_uid (series_instance_uid=?)"), "\(seriesUID)")

        let sop = try plan(.instance, [(0x0008_0018, "1.2.840.99.2.1.1.2")])
        #expect(sop.contains("SEARCH ins USING INDEX sqlite_autoindex_instances_2 (sop_instance_uid=?)"), "\(sop)")

        let modality = try plan(.study, [(0x0008_0060, "CT")])
        #expect(modality.contains("INDEX series_modality (modality=?)"), "\(modality)")
        #expect(modality.contains("SEARCH st USING INTEGER PRIMARY KEY (rowid=?)"), "\(modality)")

        let narrowed = try plan(.study, [(0x0010_0020, "PAT001"), (0x0008_0060, "CT")])
        #expect(narrowed.contains("SEARCH pa USING INDEX patients_patient_id (patient_id=?)"), "\(narrowed)")
        #expect(narrowed.contains("CORRELATED SCALAR SUBQUERY") || narrowed.contains("SEARCH d"), "\(narrowed)")

        // Listing: the level table in row id order, ancestors by primary key, no sort.
        let list = try plan(.study, [(0x0020_1208, ""), (0x0008_0061, "")])
        #expect(list.contains("SCAN st"), "\(list)")
        #expect(list.contains("SEARCH pa USING INTEGER PRIMARY KEY (rowid=?)"), "\(list)")
        #expect(!list.contains("TEMP B-TREE FOR ORDER BY"), "\(list)")
        #expect(list.contains("USING COVERING INDEX instances_children (series=?)"), "\(list)")
    }

    @Test func childrenAreListedFromCoveringIndexesWithoutASort() throws {
        for child in [ResourceLevel.study, .series, .instance] {
            let plan = try f.db.prepare("EXPLAIN QUERY PLAN " + ResourceQueries.childrenSQL(child))
                .rows([.text("[1,2]")]) { $0.text(3) ?? "" }.joined(separator: "\n")
            #expect(plan.contains("USING COVERING INDEX \(child.table)_children"), "\(plan)")
            #expect(!plan.contains("TEMP B-TREE"), "\(plan)")
        }
        // Each parent's children in the order they were indexed.
        var series = [ResourceSummary(level: .series, rowID: f.id("se1a"), publicID: "se1a", mainDicomTags: "{}",
                                      patientMainDicomTags: nil, parentID: nil, childIDs: [], lastUpdate: nil, file: nil)]
        try ResourceQueries.attachChildIDs(&series, on: f.db)
        #expect(series[0].childIDs == (try f.db.statement("SELECT public_id FROM instances WHERE series = ? ORDER BY id")
            .rows([.integer(f.id("se1a"))]) { $0.text(0) ?? "" }))
        #expect(series[0].childIDs.count > 1)
    }

    // MARK: Real files

    /// pydicom's test files ingested through the archive, then queried: the index the ingest
    /// path fills and the queries agree (columns, tags JSON, computed keys).
    @Test(.enabled(if: FileManager.default.fileExists(atPath: pydicomTestFiles + "/CT_small.dcm")))
    func queriesWhatTheIngestorIndexed() async throws {
        try await withTemporaryArchive { archive, _ in
            for name in ["CT_small.dcm", "MR_small.dcm", "rtplan.dcm", "JPEG2000.dcm"] {
                _ = try await archive.ingestor.ingest(bytes: try testFile(name), origin: "test")
            }
            func run(_ level: ResourceLevel, _ keys: [QueryKey]) throws -> [QueryMatch] {
                try archive.index.read { db in try QueryMatcher.run(Query(level: level, keys: keys), on: db) }
            }
            let compressed = try run(.patient, [key(0x0010_0010, "compressedsamples*"), key(0x0020_1200)])
            #expect(compressed.map(\.publicID) == ["1CT1", "4MR1", "8NM1"].map { ResourceID.patient(patientID: $0) })
            #expect(compressed.allSatisfy { $0.computed[Tag(0x0020_1200)] == "1" })
            #expect(try run(.patient, [key(0x0010_0010, "LAST^FIRST^MID^PRE")]).count == 1)

            #expect(try run(.study, [key(0x0008_0020, "20040101-20041231")]).count == 3)
            #expect(try run(.study, [key(0x0008_0020, "20040826"), key(0x0008_0030, "1850")]).count == 2)

            let mr = try run(.study, [key(0x0008_0060, "MR"), key(0x0008_0061), key(0x0020_1208)])
            #expect(mr.count == 1)
            let study = try #require(mr.first)
            #expect(study.computed == [Tag(0x0008_0061): "MR", Tag(0x0020_1208): "1"])
            #expect(study.tags[.patient]?.contains("\"4MR1\"") == true)
            #expect(study.tags[.study]?.contains("\"1.3.6.1.4.1.5962.1.2.4.20040826185059.5457\"") == true)

            let ct = try run(.instance, [key(0x0008_0016, "1.2.840.10008.5.1.4.1.1.2"), key(0x0020_0013, "1")])
            #expect(ct.count == 1 && ct.first?.tags.count == 4)
        }
    }

    // MARK: Scale

    /// 2,000 studies and 20,000 instances: listing every study with computed keys, and key
    /// searches. Bounds are loose (debug builds, shared machines); the timings are printed.
    @Test func scalesToThousandsOfStudies() throws {
        let f = try QueryFixture()
        try Self.populate(f.db, patients: 500, studiesPerPatient: 4, seriesPerStudy: 2, instancesPerSeries: 5)
        let clock = ContinuousClock()

        let listQuery = Query(level: .study, keys: [key(0x0010_0010), key(0x0010_0020), key(0x0020_000D),
                                                    key(0x0020_1208), key(0x0020_1206), key(0x0008_0061)])
        _ = try QueryMatcher.run(listQuery, on: f.db)
        var list: [QueryMatch] = []
        let listTime = try clock.measure { list = try QueryMatcher.run(listQuery, on: f.db) }
        #expect(list.count == 2000)
        #expect(list[0].computed[Tag(0x0020_1208)] == "10" && list[0].computed[Tag(0x0008_0061)] == "CT\\MR")

        let keyQuery = Query(level: .study, keys: [key(0x0008_0050, "ACC1234"), key(0x0020_1208)])
        var found: [QueryMatch] = []
        let keyTime = try clock.measure { for _ in 0..<100 { found = try QueryMatcher.run(keyQuery, on: f.db) } } / 100
        #expect(found.map(\.publicID) == ["s1234"])

        let nameQuery = Query(level: .study, keys: [key(0x0010_0010, "name12*")])
        let nameTime = try clock.measure { for _ in 0..<100 { found = try QueryMatcher.run(nameQuery, on: f.db) } } / 100
        #expect(found.count == 11 * 4)  // name12, name120...name129

        print("QueryMatcher at 20,000 instances: list 2,000 studies \(listTime), accession search \(keyTime), name prefix \(nameTime)")
        #expect(listTime < .milliseconds(1000))
        #expect(keyTime < .milliseconds(20))
    }

    /// 1,000,000 instances (set SWIFTPACS_QUERY_BENCH=1; takes a while to build the index).
    @Test(.enabled(if: ProcessInfo.processInfo.environment["SWIFTPACS_QUERY_BENCH"] != nil))
    func scalesToAMillionInstances() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("query-bench-\(UUID()).sqlite").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let f = try QueryFixture(path: path)
        try Self.populate(f.db, patients: 25_000, studiesPerPatient: 2, seriesPerStudy: 4, instancesPerSeries: 5)
        let clock = ContinuousClock()
        func time(_ keys: [QueryKey], level: ResourceLevel = .study, limit: Int? = nil,
                  expect count: Int) throws -> Duration {
            let query = Query(level: level, keys: keys, limit: limit)
            _ = try QueryMatcher.run(query, on: f.db)
            var n = 0
            let t = try clock.measure { for _ in 0..<20 { n = try QueryMatcher.run(query, on: f.db).count } } / 20
            #expect(n == count, "\(keys)")
            return t
        }
        let accession = try time([key(0x0008_0050, "ACC31415"), key(0x0020_1208), key(0x0008_0061)], expect: 1)
        let patientID = try time([key(0x0010_0020, "PID4242")], expect: 2)
        let uid = try time([key(0x0020_000D, "1.2.826.0.1.3680043.2.1125.33333")], expect: 1)
        let name = try time([key(0x0010_0010, "NAME4242*")], level: .patient, expect: 1)
        let sop = try time([key(0x0008_0018, "1.2.826.0.1.3680043.2.1125.1.654321")], level: .instance, expect: 1)
        let seriesOfStudy = try time([key(0x0020_000D, "1.2.826.0.1.3680043.2.1125.33333"), key(0x0020_1209)],
                                     level: .series, expect: 4)
        let month = try time([key(0x0008_0020, "20050601-20050630")], expect: 834)
        let modalityPage = try time([key(0x0008_0060, "MR"), key(0x0020_1208), key(0x0008_0061)], limit: 50, expect: 50)
        print("QueryMatcher at 1M instances: accession \(accession), patient ID \(patientID), study UID \(uid), "
              + "name prefix \(name), SOP instance UID \(sop), series of a study \(seriesOfStudy), "
              + "a month of studies (834) \(month), first 50 MR studies \(modalityPage)")
        for t in [accession, patientID, uid, name, sop, seriesOfStudy] { #expect(t < .milliseconds(20)) }
    }

    /// Bulk rows with recursive CTEs: patient n has studies, studies series (CT, MR alternating),
    /// series instances; names NAME<n>^GIVEN, accession ACC<n>, UIDs under 1.2.826.0.1.3680043.2.1125.
    static func populate(_ db: SQLiteConnection, patients: Int, studiesPerPatient: Int, seriesPerStudy: Int,
                         instancesPerSeries: Int) throws {
        let studies = patients * studiesPerPatient, series = studies * seriesPerStudy
        let instances = series * instancesPerSeries
        let root = "1.2.826.0.1.3680043.2.1125"
        try db.transaction {
            try db.execute("""
                WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < \(patients))
                INSERT INTO patients (id, public_id, patient_id, patient_name, patient_birth_date, patient_sex, tags, last_update)
                SELECT x, 'p' || x, 'PID' || x, 'Name' || x || '^Given', '19700101', 'M',
                       '{"00100010":{"vr":"PN","Value":[{"Alphabetic":"Name' || x || '^Given"}]},"00100020":{"vr":"LO","Value":["PID' || x || '"]}}', ''
                FROM n;
                WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < \(studies))
                INSERT INTO studies (id, public_id, patient, study_instance_uid, study_date, study_time, accession_number,
                                     study_id, study_description, referring_physician_name, tags, last_update)
                SELECT x, 's' || x, (x - 1) / \(studiesPerPatient) + 1, '\(root).' || x,
                       printf('%04d%02d%02d', 2000 + x % 20, 1 + x % 12, 1 + x % 28), '101500', 'ACC' || x, x, 'Study ' || x,
                       'Ref^Doc', '{"00080050":{"vr":"SH","Value":["ACC' || x || '"]},"0020000D":{"vr":"UI","Value":["\(root).' || x || '"]}}', ''
                FROM n;
                WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < \(series))
                INSERT INTO series (id, public_id, study, series_instance_uid, modality, series_number, series_date,
                                    series_time, series_description, body_part_examined, tags, last_update)
                SELECT x, 'se' || x, (x - 1) / \(seriesPerStudy) + 1, '\(root).0.' || x, CASE x % 2 WHEN 1 THEN 'CT' ELSE 'MR' END,
                       x % \(seriesPerStudy), NULL, NULL, 'Series', 'CHEST', '{"0020000E":{"vr":"UI","Value":["\(root).0.' || x || '"]}}', ''
                FROM n;
                WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < \(instances))
                INSERT INTO instances (id, public_id, series, sop_instance_uid, sop_class_uid, instance_number, file_hash,
                                       file_size, transfer_syntax_uid, received_at, origin, tags)
                SELECT x, 'i' || x, (x - 1) / \(instancesPerSeries) + 1, '\(root).1.' || x, '1.2.840.10008.5.1.4.1.1.2',
                       x % \(instancesPerSeries), 'h' || x, 1000, '1.2.840.10008.1.2.1', '', 'test',
                       '{"00080018":{"vr":"UI","Value":["\(root).1.' || x || '"]}}'
                FROM n;
                """)
        }
    }
}
