import DICOM

/// What the index stores about one instance, extracted from its header once at ingest.
public struct InstanceRecord: Sendable {
    public var patientID: String
    public var studyInstanceUID: String
    public var seriesInstanceUID: String
    public var sopInstanceUID: String
    public var sopClassUID: String
    public var transferSyntaxUID: String
    public var fileHash: String
    public var fileSize: Int
    /// Who sent it: "AET@ip" for DICOM, "http:user" for REST, "import" for the CLI.
    public var origin: String
    public var receivedAt: String

    /// DICOM JSON of each level's attributes (`ResourceLevel.attributes`).
    public var levelTags: [ResourceLevel: String]
    /// Orthanc's `MainDicomTags` of each level, as the index stores them (`MainDicomTags.json`).
    public var mainDicomTags: [ResourceLevel: String]
    /// The header (everything before Pixel Data) as DICOM JSON without bulk data, deflated.
    public var compressedHeader: [UInt8]
    /// Column values of the main keys, decoded.
    public var columns: [String: SQLiteValue]

    /// Orthanc's public IDs (SHA-1 of the UID chain), computed once at init: every store uses
    /// each of them several times.
    public let patientPublicID: String
    public let studyPublicID: String
    public let seriesPublicID: String
    public let instancePublicID: String

    public func publicID(_ level: ResourceLevel) -> String {
        switch level {
        case .patient: patientPublicID
        case .study: studyPublicID
        case .series: seriesPublicID
        case .instance: instancePublicID
        }
    }

    /// Validates and extracts. `header` is the data set up to (not including) Pixel Data.
    public init(header: DataSet, transferSyntaxUID: String, fileHash: String, fileSize: Int,
                origin: String, receivedAt: String) throws(ArchiveError) {
        func required(_ tag: Tag, _ name: String) throws(ArchiveError) -> String {
            guard let v = header.string(tag), !v.isEmpty else { throw .missingAttribute("\(name) \(tag)") }
            return v
        }
        sopClassUID = try required(.sopClassUID, "SOPClassUID")
        sopInstanceUID = try required(.sopInstanceUID, "SOPInstanceUID")
        studyInstanceUID = try required(.studyInstanceUID, "StudyInstanceUID")
        seriesInstanceUID = try required(.seriesInstanceUID, "SeriesInstanceUID")
        patientID = header.string(.patientID) ?? ""
        self.transferSyntaxUID = transferSyntaxUID
        self.fileHash = fileHash
        self.fileSize = fileSize
        self.origin = origin
        self.receivedAt = receivedAt
        patientPublicID = ResourceID.patient(patientID: patientID)
        studyPublicID = ResourceID.study(patientID: patientID, studyUID: studyInstanceUID)
        seriesPublicID = ResourceID.series(patientID: patientID, studyUID: studyInstanceUID, seriesUID: seriesInstanceUID)
        instancePublicID = ResourceID.instance(patientID: patientID, studyUID: studyInstanceUID, seriesUID: seriesInstanceUID,
                                               sopInstanceUID: sopInstanceUID)

        let encoder = DICOMJSONEncoder(bulkDataThreshold: 0, bulkDataURI: nil)
        var tags: [ResourceLevel: String] = [:]
        for level in ResourceLevel.allCases {
            var subset = DataSet(characterSet: header.characterSet)
            for tag in level.attributes { if let e = header[tag] { subset.set(e) } }
            tags[level] = encoder.encode(subset)
        }
        levelTags = tags
        mainDicomTags = tags.mapValues { MainDicomTags.json(fromDICOMJSON: $0) }
        // Bulk values (binary data over 1 KiB) are left out of the stored header: metadata
        // answers point to them with BulkDataURIs built from the instance.
        let headerEncoder = DICOMJSONEncoder(bulkDataThreshold: 1024) { _, _ in "" }
        compressedHeader = Deflate.deflate(headerEncoder.encodeBytes(header), level: 1)

        func text(_ tag: Tag) -> SQLiteValue { SQLiteValue(header.string(tag).flatMap { $0.isEmpty ? nil : $0 }) }
        columns = [
            "patient_name": text(.patientName),
            "patient_birth_date": text(Tag(0x0010_0030)),
            "patient_sex": text(Tag(0x0010_0040)),
            "study_date": text(.studyDate),
            "study_time": text(Tag(0x0008_0030)),
            "accession_number": text(Tag(0x0008_0050)),
            "study_id": text(Tag(0x0020_0010)),
            "study_description": text(Tag(0x0008_1030)),
            "referring_physician_name": text(Tag(0x0008_0090)),
            "modality": text(.modality),
            "series_number": SQLiteValue(header.int(Tag(0x0020_0011))),
            "series_date": text(Tag(0x0008_0021)),
            "series_time": text(Tag(0x0008_0031)),
            "series_description": text(Tag(0x0008_103E)),
            "body_part_examined": text(Tag(0x0018_0015)),
            "instance_number": SQLiteValue(header.int(Tag(0x0020_0013))),
        ]
    }
}
