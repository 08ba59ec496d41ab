import Crypto
import DICOM

/// The four levels of the DICOM information model (PS3.4 C.6.1), as the index stores them.
public enum ResourceLevel: String, Sendable, CaseIterable, Codable {
    case patient = "Patient", study = "Study", series = "Series", instance = "Instance"

    /// The REST collection name (`/patients`, ...).
    public var collection: String {
        switch self {
        case .patient: "patients"
        case .study: "studies"
        case .series: "series"
        case .instance: "instances"
        }
    }

    public init?(collection: String) {
        guard let level = Self.allCases.first(where: { $0.collection == collection }) else { return nil }
        self = level
    }

    /// The table holding this level.
    var table: String { collection }

    public var parent: ResourceLevel? {
        switch self {
        case .patient: nil
        case .study: .patient
        case .series: .study
        case .instance: .series
        }
    }

    public var child: ResourceLevel? {
        switch self {
        case .patient: .study
        case .study: .series
        case .series: .instance
        case .instance: nil
        }
    }

    /// The attributes recorded at this level (PS3.4 C.6.1.1 keys, Orthanc's main DICOM tags and
    /// the QIDO-RS default return attributes): what the level's `tags` JSON holds.
    public var attributes: [Tag] {
        switch self {
        case .patient:
            [0x0010_0010, 0x0010_0020, 0x0010_0021, 0x0010_0030, 0x0010_0032, 0x0010_0040, 0x0010_1000,
             0x0010_1001, 0x0010_2160, 0x0010_4000].map(Tag.init)
        case .study:
            [0x0008_0020, 0x0008_0030, 0x0008_0050, 0x0008_0080, 0x0008_0090, 0x0008_0201, 0x0008_1030,
             0x0008_1048, 0x0008_1060, 0x0010_1010, 0x0010_1020, 0x0010_1030, 0x0020_000D, 0x0020_0010,
             0x0032_1032, 0x0032_1060].map(Tag.init)
        case .series:
            [0x0008_0021, 0x0008_0031, 0x0008_0060, 0x0008_0070, 0x0008_103E, 0x0008_1010, 0x0008_1070,
             0x0018_0010, 0x0018_0015, 0x0018_0024, 0x0018_1030, 0x0018_1090, 0x0018_1400, 0x0020_000E,
             0x0020_0011, 0x0020_0060, 0x0020_0105, 0x0020_1002, 0x0040_0244, 0x0040_0245, 0x0040_0254,
             0x0054_0081, 0x0054_0101].map(Tag.init)
        case .instance:
            [0x0008_0008, 0x0008_0012, 0x0008_0013, 0x0008_0016, 0x0008_0018, 0x0008_0022, 0x0008_0023,
             0x0008_0032, 0x0008_0033, 0x0020_0012, 0x0020_0013, 0x0020_0032, 0x0020_0037, 0x0020_0100,
             0x0020_4000, 0x0028_0002, 0x0028_0004, 0x0028_0008, 0x0028_0010, 0x0028_0011, 0x0028_0100,
             0x0054_1330].map(Tag.init)
        }
    }

    /// Which level an attribute belongs to, if any of the four lists holds it.
    public static func level(of tag: Tag) -> ResourceLevel? {
        allCases.first { $0.attributes.contains(tag) }
    }
}

/// Orthanc's resource identifiers (OrthancFramework DicomInstanceHasher): SHA-1 of the UID chain
/// joined by "|", printed as five dash-separated groups of 8 hex digits, so the same data gets
/// the same IDs in SwiftPACS and Orthanc.
public enum ResourceID {
    public static func patient(patientID: String) -> String { hash(patientID) }
    public static func study(patientID: String, studyUID: String) -> String { hash(patientID + "|" + studyUID) }
    public static func series(patientID: String, studyUID: String, seriesUID: String) -> String {
        hash(patientID + "|" + studyUID + "|" + seriesUID)
    }
    public static func instance(patientID: String, studyUID: String, seriesUID: String, sopInstanceUID: String) -> String {
        hash(patientID + "|" + studyUID + "|" + seriesUID + "|" + sopInstanceUID)
    }

    static func hash(_ text: String) -> String {
        // Five dash-separated groups of eight hex digits. Formatted by hand: this runs four
        // times per stored instance.
        let digits: StaticString = "0123456789abcdef"
        return String(unsafeUninitializedCapacity: 44) { out in
            var n = 0
            for (i, byte) in Insecure.SHA1.hash(data: Array(text.utf8)).enumerated() {
                if i > 0 && i % 4 == 0 { out[n] = UInt8(ascii: "-"); n += 1 }
                out[n] = digits.utf8Start[Int(byte >> 4)]
                out[n + 1] = digits.utf8Start[Int(byte & 15)]
                n += 2
            }
            return n
        }
    }
}
