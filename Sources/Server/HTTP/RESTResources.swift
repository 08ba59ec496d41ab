import Archive
import DICOM
import Foundation

/// Orthanc's JSON shapes for resources (`ServerContext::SerializeExpandedResource`) and for an
/// instance's tags (`FromDcmtkBridge::ElementToJson`), built from the index and the stored files.
struct RESTFormatter: Sendable {
    /// Seconds without a new instance after which a resource is "stable" (Orthanc's `StableAge`).
    var stableAge: Int

    // MARK: Resources

    /// The resource object of `GET /{level}/{id}` and of `?expand`:
    ///
    /// - Patient: `ID`, `IsStable`, `Labels`, `LastUpdate`, `MainDicomTags`, `Studies`, `Type`
    /// - Study: adds `ParentPatient`, `PatientMainDicomTags`, `Series` (instead of `Studies`)
    /// - Series: `Instances`, `ParentStudy`, `Status`, `ExpectedNumberOfInstances`
    /// - Instance: `FileSize`, `FileUuid`, `IndexInSeries`, `ParentSeries` (no stability)
    func resource(_ r: ResourceSummary, now: Int = Int(time(nil))) -> RESTJSON {
        var o: [String: RESTJSON] = [:]
        o.reserveCapacity(12)
        o["ID"] = .string(r.publicID)
        o["Type"] = .string(r.level.rawValue)
        o["MainDicomTags"] = .compactObject(r.mainDicomTags)
        o["Labels"] = .array([])
        switch r.level {
        case .patient:
            o["Studies"] = .strings(r.childIDs)
        case .study:
            o["ParentPatient"] = .optional(r.parentID)
            o["PatientMainDicomTags"] = .compactObject(r.patientMainDicomTags ?? "{}")
            o["Series"] = .strings(r.childIDs)
        case .series:
            o["ParentStudy"] = .optional(r.parentID)
            o["Instances"] = .strings(r.childIDs)
            // Orthanc derives the expected count from attributes such as ImagesInAcquisition,
            // which modalities fill unreliably; without it the status is "Unknown".
            o["ExpectedNumberOfInstances"] = .null
            o["Status"] = .string("Unknown")
        case .instance:
            o["ParentSeries"] = .optional(r.parentID)
            o["FileSize"] = .int(r.file?.fileSize ?? 0)
            o["FileUuid"] = .string(r.file?.fileHash ?? "")
            o["IndexInSeries"] = r.file?.instanceNumber.map { .int($0) } ?? .null
        }
        if r.level != .instance {
            if let lastUpdate = r.lastUpdate {
                o["LastUpdate"] = .string(lastUpdate)
                o["IsStable"] = .bool(Self.seconds(since: lastUpdate, now: now).map { $0 >= stableAge } ?? true)
            } else {
                o["IsStable"] = .bool(true)
            }
        }
        return .object(o)
    }

    /// Seconds from a `Timestamp` (UTC, `20240131T235959`) to `now`.
    static func seconds(since timestamp: String, now: Int) -> Int? {
        let digits = Array(timestamp.utf8)
        guard digits.count == 15, digits[8] == 0x54 else { return nil }
        func number(_ range: Range<Int>) -> Int32? {
            var v: Int32 = 0
            for i in range {
                guard (0x30...0x39).contains(digits[i]) else { return nil }
                v = v * 10 + Int32(digits[i] - 0x30)
            }
            return v
        }
        guard let year = number(0..<4), let month = number(4..<6), let day = number(6..<8),
              let hour = number(9..<11), let minute = number(11..<13), let second = number(13..<15) else { return nil }
        var t = tm()
        t.tm_year = year - 1900
        t.tm_mon = month - 1
        t.tm_mday = day
        t.tm_hour = hour
        t.tm_min = minute
        t.tm_sec = second
        return now - Int(timegm(&t))
    }

    /// Orthanc's `MainDicomTags` from a level's DICOM JSON (the conversion the index applies at
    /// ingest), for `RequestedTags`.
    static func mainDicomTags(_ dicomJSON: String) -> [String: RESTJSON] {
        MainDicomTags.values(fromDICOMJSON: dicomJSON).mapValues { .string($0) }
    }

    /// The dictionary keyword (DCMTK's tag name, which Orthanc shows), nil for private and
    /// unknown tags.
    static func tagName(_ tag: Tag) -> String? {
        if tag.isPrivate && !tag.isPrivateCreator { return nil }
        return DataDictionary.keyword(for: tag)
    }

    // MARK: Tags of an instance

    enum TagsFormat: Sendable {
        /// `{"0010,0010": {"Name": "PatientName", "Type": "String", "Value": "..."}}`
        case full
        /// `{"PatientName": "..."}`, sequences as arrays of objects
        case simplified
        /// `{"0010,0010": "..."}`
        case short
    }

    /// Longer values are reported as `TooLong` (Orthanc's `ORTHANC_MAXIMUM_TAG_LENGTH`).
    static let maximumTagLength = 256

    /// An instance's tags as Orthanc's `/instances/{id}/tags` shows them: the data set (no File
    /// Meta Information, no group lengths) up to Pixel Data, which is reported as a null value;
    /// binary values are null; values over 256 bytes are `TooLong` unless listed in `ignoreLength`.
    static func tags(_ dataSet: DataSet, format: TagsFormat, pixelData: Bool, ignoreLength: Set<Tag> = [],
                     topLevel: Bool = true) -> RESTJSON {
        var out: [String: RESTJSON] = [:]
        for element in dataSet.elements where !element.tag.isGroupLength && element.tag.group != 0x0002 {
            // Orthanc stops after Pixel Data (elements after it, such as signatures, are left out).
            if topLevel, element.tag >= .pixelData { break }
            let (key, value) = entry(element, in: dataSet, format: format, ignoreLength: ignoreLength)
            out[key] = value
        }
        if pixelData {
            let (key, value) = nullEntry(.pixelData, name: "PixelData", type: "Null", format: format)
            out[key] = value
        }
        return .object(out)
    }

    private static func key(_ tag: Tag, format: TagsFormat) -> String {
        switch format {
        case .full, .short: tag.orthancFormat
        // Private and unknown tags have no name; Orthanc calls them all "Unknown Tag & Data" (so
        // they overwrite each other in this format): we key them by number instead.
        case .simplified: tagName(tag) ?? tag.orthancFormat
        }
    }

    private static func nullEntry(_ tag: Tag, name: String, type: String, format: TagsFormat,
                                  privateCreator: String? = nil) -> (String, RESTJSON) {
        switch format {
        case .full:
            var node: [String: RESTJSON] = ["Name": .string(name), "Type": .string(type), "Value": .null]
            if let privateCreator { node["PrivateCreator"] = .string(privateCreator) }
            return (key(tag, format: format), .object(node))
        case .simplified, .short:
            return (key(tag, format: format), .null)
        }
    }

    private static func entry(_ element: DataElement, in dataSet: DataSet, format: TagsFormat,
                              ignoreLength: Set<Tag>) -> (String, RESTJSON) {
        let tag = element.tag
        let name = tagName(tag) ?? "Unknown Tag & Data"
        var privateCreator: String? = nil
        if tag.isPrivate, !tag.isPrivateCreator, let creatorTag = tag.privateCreatorTag {
            privateCreator = dataSet.string(creatorTag)
        }
        switch element.value {
        case .sequence(let sequence):
            let items = RESTJSON.array(sequence.items.map { item in
                tags(item, format: format, pixelData: false, ignoreLength: ignoreLength, topLevel: false)
            })
            switch format {
            case .full:
                return (key(tag, format: format), .object(["Name": .string(name), "Type": .string("Sequence"), "Value": items]))
            case .simplified, .short:
                return (key(tag, format: format), items)
            }
        case .fragments:
            return nullEntry(tag, name: name, type: "Null", format: format, privateCreator: privateCreator)
        case .bytes(let bytes):
            guard let text = stringValue(element, bytes: bytes, characterSet: dataSet.characterSet) else {
                return nullEntry(tag, name: name, type: "Null", format: format, privateCreator: privateCreator)
            }
            if text.utf8.count > maximumTagLength, !ignoreLength.contains(tag) {
                return nullEntry(tag, name: name, type: "TooLong", format: format, privateCreator: privateCreator)
            }
            switch format {
            case .full:
                var node: [String: RESTJSON] = ["Name": .string(name), "Type": .string("String"), "Value": .string(text)]
                if let privateCreator { node["PrivateCreator"] = .string(privateCreator) }
                return (key(tag, format: format), .object(node))
            case .simplified, .short:
                return (key(tag, format: format), .string(text))
            }
        }
    }

    /// The value as Orthanc's string: text values decoded (values joined with `\`), numbers
    /// written out, tags as `gggg,eeee`; nil (a null value) for binary data and empty binary
    /// numbers.
    static func stringValue(_ element: DataElement, bytes: ValueBytes, characterSet: SpecificCharacterSet) -> String? {
        let vr = element.vr
        if vr.isString {
            return element.strings(characterSet: characterSet).joined(separator: "\\")
        }
        if bytes.isEmpty { return nil }
        switch vr {
        case .US, .SS, .UL, .SL, .SV, .UV:
            return element.ints.map(String.init).joined(separator: "\\")
        case .FL:
            return element.doubles.map { formatNumber(Double(Float($0)), float: true) }.joined(separator: "\\")
        case .FD:
            return element.doubles.map { formatNumber($0, float: false) }.joined(separator: "\\")
        case .AT:
            return element.tags.map(\.orthancFormat).joined(separator: "\\")
        default:
            return nil  // OB, OW, OD, OF, OL, OV, UN: Orthanc's ConvertBinaryToNull
        }
    }

    static func formatNumber(_ value: Double, float: Bool) -> String {
        if value.isNaN { return "nan" }
        if value.isInfinite { return value < 0 ? "-inf" : "inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return float ? "\(Float(value))" : "\(value)"
    }
}

extension Tag {
    /// Parses `0010,0010`, `0010-0010`, `(0010,0010)` or `00100010`.
    init?(orthancFormat text: String) {
        var t = Substring(text)
        if t.hasPrefix("("), t.hasSuffix(")") { t = t.dropFirst().dropLast() }
        let parts = t.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "," || $0 == "-" })
        let digits: String
        if parts.count == 2, parts[0].count == 4, parts[1].count == 4 {
            digits = String(parts[0] + parts[1])
        } else if parts.count == 1, t.count == 8 {
            digits = String(t)
        } else {
            return nil
        }
        guard digits.allSatisfy(\.isHexDigit) else { return nil }
        self.init(hexString: digits)
    }
}

/// An instance's header read from its stored file, up to Pixel Data.
struct RESTStoredHeader {
    var dataSet: DataSet
    /// True when the file continues with a Pixel Data element.
    var hasPixelData: Bool

    init(path: String) throws {
        let file = try DICOMFile(contentsOf: path, stopAt: .pixelData)
        dataSet = file.dataSet
        if !file.isPartial {
            hasPixelData = false
        } else if file.transferSyntax.isDeflated {
            hasPixelData = true
        } else {
            // The parse stopped at the first element at or after (7FE0,0010): look at its tag.
            hasPixelData = false
            if let handle = FileHandle(forReadingAtPath: path) {
                defer { try? handle.close() }
                if (try? handle.seek(toOffset: UInt64(file.dataSetEndOffset))) != nil,
                   let head = try? handle.read(upToCount: 4), head.count == 4 {
                    let b = Array(head)
                    hasPixelData = b == [0xE0, 0x7F, 0x10, 0x00] || b == [0x7F, 0xE0, 0x00, 0x10]
                }
            }
        }
    }
}
