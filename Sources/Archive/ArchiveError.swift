import DICOM

/// Why the archive refused or failed an operation. Each case maps to the DICOM status a C-STORE
/// answer carries and the HTTP status a REST answer carries.
public enum ArchiveError: Error, CustomStringConvertible, Sendable {
    /// The object cannot be parsed.
    case unreadable(DICOMError)
    /// A required attribute is missing or empty (SOP Class/Instance, Study, Series UID).
    case missingAttribute(String)
    /// The object is not what its envelope said (C-STORE: SOP class or instance differs from the command).
    case mismatch(String)
    /// Storage is full, or the configured maximum would be exceeded.
    case storageFull(String)
    /// The file store or the index failed underneath.
    case storage(String)
    /// No such resource.
    case notFound(String)
    /// The index on disk was made by a newer SwiftPACS.
    case indexTooNew(found: Int, supported: Int)

    public var description: String {
        switch self {
        case .unreadable(let e): "cannot parse the DICOM object: \(e)"
        case .missingAttribute(let name): "missing required attribute \(name)"
        case .mismatch(let why): "data set does not match the request: \(why)"
        case .storageFull(let why): "storage full: \(why)"
        case .storage(let why): "storage failure: \(why)"
        case .notFound(let what): "not found: \(what)"
        case let .indexTooNew(found, supported):
            "the index has schema version \(found); this SwiftPACS supports up to \(supported)"
        }
    }

    /// PS3.4 C.4.2.1.5 / B.2.3 status for a C-STORE response.
    public var dimseStatus: UInt16 {
        switch self {
        case .storageFull: 0xA700
        case .mismatch: 0xA900
        case .unreadable, .missingAttribute: 0xC000
        case .storage, .notFound, .indexTooNew: 0xC001
        }
    }

    /// HTTP status for the REST and DICOMweb front ends.
    public var httpStatus: Int {
        switch self {
        case .unreadable, .missingAttribute, .mismatch: 400
        case .storageFull: 507
        case .notFound: 404
        case .storage, .indexTooNew: 500
        }
    }
}
