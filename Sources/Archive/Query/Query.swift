import DICOM

/// One query against the index, whatever asked it: C-FIND, QIDO-RS and Orthanc's `/tools/find`
/// each translate their request into this model, `QueryMatcher` turns it into one SQL statement,
/// and the front end encodes the `QueryMatch` rows it gets back. The matching rules of PS3.4
/// C.2.2.2 live in `QueryMatcher` only.
public struct Query: Sendable {
    /// The query/retrieve level: which entities are returned.
    public var level: ResourceLevel
    /// Matching keys (with a value) and return keys (empty value, universal matching). Keys of
    /// the level and of its ancestors constrain those entities; keys of lower levels (QIDO's
    /// `Modality` in a study search) match an entity when any of its descendants matches them
    /// all; computed keys (`ComputedKey`) are computed when present.
    public var keys: [QueryKey]
    /// At most this many results (nil: all). Applied in SQL, after `offset`.
    public var limit: Int?
    /// Skips this many results first.
    public var offset: Int
    /// Person names match case-sensitively (Orthanc's `CaseSensitivePN`, default false).
    public var caseSensitivePN: Bool

    public init(level: ResourceLevel, keys: [QueryKey] = [], limit: Int? = nil, offset: Int = 0,
                caseSensitivePN: Bool = false) {
        self.level = level
        self.keys = keys
        self.limit = limit
        self.offset = offset
        self.caseSensitivePN = caseSensitivePN
    }

    /// The key for `tag`, if the query holds one.
    public func key(_ tag: Tag) -> QueryKey? { keys.first { $0.tag == tag } }
}

/// One key of a query: the attribute, its VR and the value in its raw DICOM string form
/// (`DOE*`, `20200101-20201231`, `1.2\1.3`). An empty value (or `*` alone) is universal matching.
public struct QueryKey: Sendable, Hashable {
    public var tag: Tag
    public var vr: VR
    public var value: String

    /// `vr` defaults to the dictionary's (UN for unknown tags).
    public init(_ tag: Tag, vr: VR? = nil, value: String = "") {
        self.tag = tag
        self.vr = vr ?? DataDictionary.vr(for: tag) ?? .UN
        self.value = value
    }

    /// Universal matching: the key constrains nothing (PS3.4 C.2.2.2.3).
    public var isUniversal: Bool {
        let v = value.queryTrimmed
        return v.isEmpty || v == "*"
    }
}

/// The attributes an SCP computes rather than stores (PS3.4 C.6.1.1.x): returned when requested,
/// matchable where it makes sense (counts by exact integer values, the two lists by any value).
public enum ComputedKey: CaseIterable, Sendable {
    case numberOfPatientRelatedStudies, numberOfPatientRelatedSeries, numberOfPatientRelatedInstances
    case numberOfStudyRelatedSeries, numberOfStudyRelatedInstances
    case numberOfSeriesRelatedInstances
    case modalitiesInStudy, sopClassesInStudy

    public var tag: Tag {
        switch self {
        case .numberOfPatientRelatedStudies: Tag(0x0020_1200)
        case .numberOfPatientRelatedSeries: Tag(0x0020_1202)
        case .numberOfPatientRelatedInstances: Tag(0x0020_1204)
        case .numberOfStudyRelatedSeries: Tag(0x0020_1206)
        case .numberOfStudyRelatedInstances: Tag(0x0020_1208)
        case .numberOfSeriesRelatedInstances: Tag(0x0020_1209)
        case .modalitiesInStudy: Tag(0x0008_0061)
        case .sopClassesInStudy: Tag(0x0008_0062)
        }
    }

    /// The entity the value describes: a Study-level query can return the patient's counts, a
    /// Series-level query the study's, but a Study-level query has no "series related" count.
    public var level: ResourceLevel {
        switch self {
        case .numberOfPatientRelatedStudies, .numberOfPatientRelatedSeries, .numberOfPatientRelatedInstances: .patient
        case .numberOfStudyRelatedSeries, .numberOfStudyRelatedInstances, .modalitiesInStudy, .sopClassesInStudy: .study
        case .numberOfSeriesRelatedInstances: .series
        }
    }

    public init?(tag: Tag) {
        guard let key = Self.allCases.first(where: { $0.tag == tag }) else { return nil }
        self = key
    }
}

/// One answer: the entity at the query level, the DICOM JSON (PS3.18 F) of its own attributes
/// and of each ancestor's, and the computed keys that were asked for.
public struct QueryMatch: Sendable, Hashable {
    public var level: ResourceLevel
    public var publicID: String
    public var rowID: Int64
    /// The `tags` JSON of this level and of its ancestors.
    public var tags: [ResourceLevel: String]
    /// Requested computed keys as DICOM strings: counts as decimal integers, the lists
    /// backslash-separated and sorted; "" when there is nothing to list.
    public var computed: [Tag: String]
}

/// A query the index refuses: a malformed key value (C-FIND answers 0xA900, QIDO-RS 400).
public enum QueryError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The value of `tag` cannot be used for matching, for `reason`.
    case invalidValue(tag: Tag, value: String, reason: String)
    /// A negative limit or offset.
    case invalidPaging(String)

    public var description: String {
        switch self {
        case let .invalidValue(tag, value, reason):
            let name = DataDictionary.keyword(for: tag).map { "\($0) \(tag)" } ?? "\(tag)"
            return "invalid matching value \"\(value)\" for \(name): \(reason)"
        case .invalidPaging(let why):
            return "invalid paging: \(why)"
        }
    }

    /// The attribute at fault, if any (for C-FIND's Offending Element).
    public var tag: Tag? {
        if case .invalidValue(let tag, _, _) = self { return tag }
        return nil
    }

    /// PS3.4 C.4.1.1.4: "Identifier does not match SOP Class".
    public var dimseStatus: UInt16 { 0xA900 }
    public var httpStatus: Int { 400 }
}

extension String {
    /// Without leading and trailing spaces (the padding of DICOM string values).
    var queryTrimmed: String {
        let scalars = unicodeScalars
        guard let start = scalars.firstIndex(where: { $0 != " " }) else { return "" }
        let end = scalars.lastIndex(where: { $0 != " " })!
        return String(scalars[start...end])
    }
}
