import DICOM

// Benchmark inputs, built in memory with the library's own API, deterministically (no clock,
// no randomness: the same bytes on every run and every machine).

/// Builds a data set by keyword, taking the VR from the data dictionary unless given.
struct DataSetBuilder {
    var elements: [DataElement] = []

    static func tag(_ keyword: String) -> Tag {
        guard let tag = DataDictionary.tag(forKeyword: keyword) else { fatalError("unknown keyword \(keyword)") }
        return tag
    }

    static func vr(_ tag: Tag) -> VR {
        guard let vr = DataDictionary.entry(for: tag)?.vr else { fatalError("no VR for \(tag)") }
        return vr
    }

    mutating func text(_ keyword: String, _ value: String, vr: VR? = nil) {
        let tag = Self.tag(keyword)
        elements.append(DataElement(tag: tag, vr: vr ?? Self.vr(tag), string: value))
    }

    mutating func text(_ tag: Tag, _ vr: VR, _ value: String) {
        elements.append(DataElement(tag: tag, vr: vr, string: value))
    }

    mutating func us(_ keyword: String, _ values: UInt16...) {
        elements.append(DataElement(tag: Self.tag(keyword), vr: .US, bytes: littleEndian(values)))
    }

    mutating func fd(_ keyword: String, _ values: Double...) {
        elements.append(DataElement(tag: Self.tag(keyword), vr: .FD, bytes: littleEndian(values.map(\.bitPattern))))
    }

    mutating func sequence(_ keyword: String, undefinedLength: Bool, items: [DataSet]) {
        elements.append(DataElement(tag: Self.tag(keyword), vr: .SQ,
                                    value: .sequence(.init(items: items, hasUndefinedLength: undefinedLength))))
    }

    mutating func append(_ element: DataElement) { elements.append(element) }

    func dataSet(undefinedLength: Bool = true) -> DataSet {
        DataSet(elements: elements, hasUndefinedLength: undefinedLength)  // sorts by tag
    }
}

func littleEndian<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(values.count * MemoryLayout<T>.size)
    for v in values { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
    return out
}

enum Inputs {
    static let uidRoot = "1.2.826.0.1.3680043.10.1234"
    static let studyUID = uidRoot + ".1.20240315.100512.4711"
    static let seriesUID = studyUID + ".3"
    static let frameOfReferenceUID = studyUID + ".9000"
    static let ctImageStorage = "1.2.840.10008.5.1.4.1.1.2"

    /// A CT slice as a modern scanner writes it: ~85 header elements (patient, study, series,
    /// equipment, acquisition, image plane and pixel module attributes, window values, three
    /// short sequences, a private block) and 512×512 16-bit native Pixel Data (OW).
    static func ctDataSet(rows: Int = 512, columns: Int = 512) -> DataSet {
        var b = DataSetBuilder()
        // SOP Common, General Study / Series / Equipment / Image
        b.text("SpecificCharacterSet", "ISO_IR 100")
        b.text("ImageType", "ORIGINAL\\PRIMARY\\AXIAL")
        b.text("InstanceCreationDate", "20240315")
        b.text("InstanceCreationTime", "101530.123456")
        b.text("SOPClassUID", ctImageStorage)
        b.text("SOPInstanceUID", seriesUID + ".42")
        b.text("StudyDate", "20240315")
        b.text("SeriesDate", "20240315")
        b.text("AcquisitionDate", "20240315")
        b.text("ContentDate", "20240315")
        b.text("StudyTime", "100512")
        b.text("SeriesTime", "101455")
        b.text("AcquisitionTime", "101507.442000")
        b.text("ContentTime", "101507.442000")
        b.text("AccessionNumber", "A20240315-0042")
        b.text("Modality", "CT")
        b.text("Manufacturer", "ACME Medical Systems")
        b.text("InstitutionName", "General Hospital")
        b.text("InstitutionAddress", "1 Hospital Road, Springfield")
        b.text("ReferringPhysicianName", "SMITH^ANNA^^DR")
        b.text("StationName", "CT01")
        b.text("StudyDescription", "CT CHEST ABDOMEN PELVIS W CONTRAST")
        b.sequence("ProcedureCodeSequence", undefinedLength: true, items: [
            code("CTCAP", "L", "CT chest abdomen pelvis with contrast"),
        ])
        b.text("SeriesDescription", "AXIAL 1.25 SOFT TISSUE")
        b.text("InstitutionalDepartmentName", "Radiology")
        b.text("OperatorsName", "TECH^JANE")
        b.text("ManufacturerModelName", "Scanner 9000")
        b.sequence("ReferencedImageSequence", undefinedLength: true, items: (1...2).map { i in
            var item = DataSetBuilder()
            item.text("ReferencedSOPClassUID", ctImageStorage)
            item.text("ReferencedSOPInstanceUID", studyUID + ".2.\(i)")
            return item.dataSet()
        })
        // Private block, as most vendors add one.
        b.text(Tag(group: 0x0009, element: 0x0010), .LO, "ACME_CT_PRIVATE")
        b.text(Tag(group: 0x0009, element: 0x1001), .LO, "HELICAL-7")
        b.text(Tag(group: 0x0009, element: 0x1002), .DS, "2.5")
        b.append(DataElement(tag: Tag(group: 0x0009, element: 0x1003), vr: .UL, bytes: littleEndian([UInt32(123_456)])))
        // Patient
        b.text("PatientName", "DOE^JOHN^Q")
        b.text("PatientID", "PAT0012345")
        b.text("IssuerOfPatientID", "HOSP")
        b.text("PatientBirthDate", "19610704")
        b.text("PatientSex", "M")
        b.text("PatientAge", "062Y")
        b.text("PatientSize", "1.78")
        b.text("PatientWeight", "82.5")
        // CT acquisition
        b.text("ContrastBolusAgent", "OMNIPAQUE 350")
        b.text("BodyPartExamined", "CHEST")
        b.text("ScanOptions", "HELICAL MODE")
        b.text("SliceThickness", "1.25")
        b.text("KVP", "120")
        b.text("DataCollectionDiameter", "500.0")
        b.text("SoftwareVersions", "VX.2.1.4")
        b.text("ProtocolName", "CHEST ABD PELVIS")
        b.text("ReconstructionDiameter", "380.0")
        b.text("DistanceSourceToDetector", "946.746")
        b.text("DistanceSourceToPatient", "541.0")
        b.text("GantryDetectorTilt", "0.0")
        b.text("TableHeight", "165.5")
        b.text("RotationDirection", "CW")
        b.text("ExposureTime", "570")
        b.text("XRayTubeCurrent", "285")
        b.text("Exposure", "162")
        b.text("FilterType", "BODY FILTER")
        b.text("GeneratorPower", "34200")
        b.text("FocalSpots", "0.7")
        b.text("ConvolutionKernel", "STANDARD")
        b.text("PatientPosition", "FFS")
        b.fd("RevolutionTime", 0.5)
        b.fd("SingleCollimationWidth", 0.625)
        b.fd("TotalCollimationWidth", 40.0)
        b.fd("TableSpeed", 78.75)
        b.fd("TableFeedPerRotation", 39.375)
        b.fd("SpiralPitchFactor", 0.984375)
        b.fd("CTDIvol", 12.34)
        // Study / series / instance identification, image plane
        b.text("StudyInstanceUID", studyUID)
        b.text("SeriesInstanceUID", seriesUID)
        b.text("StudyID", "4711")
        b.text("SeriesNumber", "3")
        b.text("AcquisitionNumber", "1")
        b.text("InstanceNumber", "42")
        b.text("ImagePositionPatient", "-189.628906\\-179.628906\\-52.500000")
        b.text("ImageOrientationPatient", "1.000000\\0.000000\\0.000000\\0.000000\\1.000000\\0.000000")
        b.text("FrameOfReferenceUID", frameOfReferenceUID)
        b.text("PositionReferenceIndicator", "SN")
        b.text("SliceLocation", "-52.500000")
        b.text("ImagesInAcquisition", "240")
        // Image pixel, CT image, VOI LUT
        b.us("SamplesPerPixel", 1)
        b.text("PhotometricInterpretation", "MONOCHROME2")
        b.us("Rows", UInt16(rows))
        b.us("Columns", UInt16(columns))
        b.text("PixelSpacing", "0.742188\\0.742188")
        b.us("BitsAllocated", 16)
        b.us("BitsStored", 12)
        b.us("HighBit", 11)
        b.us("PixelRepresentation", 0)
        b.us("SmallestImagePixelValue", 0)
        b.us("LargestImagePixelValue", 4095)
        b.text("WindowCenter", "40\\400")
        b.text("WindowWidth", "400\\1500")
        b.text("RescaleIntercept", "-1024")
        b.text("RescaleSlope", "1")
        b.text("RescaleType", "HU")
        b.text("WindowCenterWidthExplanation", "WINDOW1\\WINDOW2")
        b.text("LossyImageCompression", "00")
        // Request / performed procedure step
        b.text("RequestedProcedureDescription", "CT CHEST ABDOMEN PELVIS")
        b.text("PerformedProcedureStepStartDate", "20240315")
        b.text("PerformedProcedureStepStartTime", "100512")
        b.text("PerformedProcedureStepID", "PPS0042")
        b.sequence("RequestAttributesSequence", undefinedLength: false, items: [{
            var item = DataSetBuilder()
            item.text("RequestedProcedureID", "RP0042")
            item.text("ScheduledProcedureStepID", "SPS0042")
            return item.dataSet(undefinedLength: false)
        }()])
        b.append(DataElement(tag: .pixelData, vr: .OW, bytes: pixels(count: rows * columns)))
        return b.dataSet()
    }

    static func code(_ value: String, _ scheme: String, _ meaning: String) -> DataSet {
        var item = DataSetBuilder()
        item.text("CodeValue", value)
        item.text("CodingSchemeDesignator", scheme)
        item.text("CodeMeaning", meaning)
        return item.dataSet()
    }

    /// 12-bit samples: a smooth pattern plus a little deterministic noise (xorshift).
    static func pixels(count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count * 2)
        var state: UInt32 = 0x2545_F491
        for i in 0..<count {
            state ^= state << 13; state ^= state >> 17; state ^= state << 5
            let x = i % 512, y = i / 512
            let v = UInt16(truncatingIfNeeded: (x * 3 + y * 5) % 2048 + 1000 + Int(state & 0x3F)) & 0x0FFF
            out[2 * i] = UInt8(truncatingIfNeeded: v)
            out[2 * i + 1] = UInt8(truncatingIfNeeded: v >> 8)
        }
        return out
    }

    /// 1,000 small top-level elements: four standard ones, then four private blocks of a creator
    /// and 248 short values each, cycling through text and binary VRs.
    static func manySmallElements() -> DataSet {
        var b = DataSetBuilder()
        b.text("SOPClassUID", "1.2.840.10008.5.1.4.1.1.7")  // Secondary Capture
        b.text("SOPInstanceUID", uidRoot + ".5.1000")
        b.text("Modality", "OT")
        b.text("PatientID", "PAT0001000")
        let vrs: [VR] = [.LO, .SH, .CS, .US, .DS, .IS, .UL, .DA, .TM, .FD, .SS, .UI]
        var n = 0
        for group: UInt16 in [0x0009, 0x0011, 0x0013, 0x0015] {
            b.text(Tag(group: group, element: 0x0010), .LO, "BENCH CREATOR \(group)")
            for e in 0..<248 {
                let tag = Tag(group: group, element: 0x1000 + UInt16(e))
                let vr = vrs[n % vrs.count]
                switch vr {
                case .US: b.append(DataElement(tag: tag, vr: vr, bytes: littleEndian([UInt16(n)])))
                case .SS: b.append(DataElement(tag: tag, vr: vr, bytes: littleEndian([Int16(-n)])))
                case .UL: b.append(DataElement(tag: tag, vr: vr, bytes: littleEndian([UInt32(n * 1000)])))
                case .FD: b.append(DataElement(tag: tag, vr: vr, bytes: littleEndian([(Double(n) / 8).bitPattern])))
                case .DS: b.text(tag, vr, "\(n).25")
                case .IS: b.text(tag, vr, "\(n)")
                case .DA: b.text(tag, vr, "2024031\(n % 10)")
                case .TM: b.text(tag, vr, "1015\(10 + n % 50)")
                case .UI: b.text(tag, vr, uidRoot + ".6.\(n)")
                case .CS: b.text(tag, vr, "CODE_\(n % 7)")
                default: b.text(tag, vr, "value \(n)")
                }
                n += 1
            }
        }
        let ds = b.dataSet()
        precondition(ds.count == 1000)
        return ds
    }

    /// 1,000 small elements inside one sequence: 100 undefined-length items of 10 elements, as
    /// in SR content trees or per-frame functional groups, where per-item costs dominate.
    static func sequenceOfSmallItems() -> DataSet {
        var b = DataSetBuilder()
        b.text("SOPClassUID", "1.2.840.10008.5.1.4.1.1.7")
        b.text("SOPInstanceUID", uidRoot + ".5.1001")
        b.text("Modality", "OT")
        b.text("PatientID", "PAT0001001")
        b.sequence("ReferencedSeriesSequence", undefinedLength: true, items: (0..<100).map { i in
            var item = DataSetBuilder()
            item.text("CodeValue", "C\(i)")
            item.text("CodingSchemeDesignator", "99BENCH")
            item.text("CodeMeaning", "Item number \(i)")
            item.text("ReferencedSOPClassUID", ctImageStorage)
            item.text("ReferencedSOPInstanceUID", seriesUID + ".\(i)")
            item.text("SliceThickness", "1.25")
            item.text("InstanceNumber", "\(i + 1)")
            item.text("SliceLocation", "\(-100 + i).5")
            item.us("Rows", 512)
            item.us("Columns", 512)
            return item.dataSet()
        })
        return b.dataSet()
    }
}

extension Inputs {
    /// A CT image header with the attributes (and value shapes) of the shared benchmark corpora
    /// (`make_corpus.py`: /tmp/corpus-ct 512×512, /tmp/corpus-tiny 64×64), so the DICOM JSON
    /// cases measure what ingest encodes per instance even where the corpora are not present.
    static func corpusLikeCTDataSet(rows: Int = 64, columns: Int = 64) -> DataSet {
        let root = "1.2.826.0.1.3680043.8.498."
        var b = DataSetBuilder()
        b.text("SpecificCharacterSet", "ISO_IR 100")
        b.text("ImageType", "ORIGINAL\\PRIMARY\\AXIAL")
        b.text("SOPClassUID", ctImageStorage)
        b.text("SOPInstanceUID", root + "50195467755051582694622629042719537255")
        b.text("StudyDate", "20070103")
        b.text("SeriesDate", "20070103")
        b.text("ContentDate", "20070103")
        b.text("StudyTime", "145513")
        b.text("SeriesTime", "145513")
        b.text("ContentTime", "145513")
        b.text("AccessionNumber", "ACC00001070")
        b.text("Modality", "CT")
        b.text("Manufacturer", "BENCH")
        b.text("InstitutionName", "SYNTHETIC GENERAL HOSPITAL")
        b.text("ReferringPhysicianName", "REF^DOCTOR")
        b.text("StudyDescription", "CT SPINE LUMBAR")
        b.text("SeriesDescription", "CORONAL MPR")
        b.text("ManufacturerModelName", "SYNTH-CT")
        b.text("PatientName", "DUBOIS^JAMES")
        b.text("PatientID", "TNY000268")
        b.text("PatientBirthDate", "19390713")
        b.text("PatientSex", "M")
        b.text("BodyPartExamined", "LSPINE")
        b.text("SliceThickness", "5.0")
        b.text("KVP", "120")
        b.text("PatientPosition", "HFS")
        b.text("StudyInstanceUID", root + "24237658615315019185567345574063784549")
        b.text("SeriesInstanceUID", root + "70818759730797163526159337247350702216")
        b.text("StudyID", "2")
        b.text("SeriesNumber", "2")
        b.text("InstanceNumber", "5")
        b.text("ImagePositionPatient", "-22.40\\-22.40\\-25.00")
        b.text("ImageOrientationPatient", "1\\0\\0\\0\\1\\0")
        b.text("FrameOfReferenceUID", root + "56675514373975546390893669229762190203")
        b.text("SliceLocation", "-25.00")
        b.us("SamplesPerPixel", 1)
        b.text("PhotometricInterpretation", "MONOCHROME2")
        b.us("Rows", UInt16(rows))
        b.us("Columns", UInt16(columns))
        b.text("PixelSpacing", "0.7\\0.7")
        b.us("BitsAllocated", 16)
        b.us("BitsStored", 12)
        b.us("HighBit", 11)
        b.us("PixelRepresentation", 0)
        b.text("WindowCenter", "40")
        b.text("WindowWidth", "400")
        b.text("RescaleIntercept", "-1024")
        b.text("RescaleSlope", "1")
        b.text("RescaleType", "HU")
        b.append(DataElement(tag: .pixelData, vr: .OW, bytes: pixels(count: rows * columns)))
        return b.dataSet()
    }

    /// The attributes the archive index keeps per level (Archive's `ResourceLevel.attributes`,
    /// copied: this target depends on DICOM only), for the ingest-shaped JSON case.
    static let levelAttributes: [[Tag]] = [
        [0x0010_0010, 0x0010_0020, 0x0010_0021, 0x0010_0030, 0x0010_0032, 0x0010_0040, 0x0010_1000,
         0x0010_1001, 0x0010_2160, 0x0010_4000],
        [0x0008_0020, 0x0008_0030, 0x0008_0050, 0x0008_0080, 0x0008_0090, 0x0008_0201, 0x0008_1030,
         0x0008_1048, 0x0008_1060, 0x0010_1010, 0x0010_1020, 0x0010_1030, 0x0020_000D, 0x0020_0010,
         0x0032_1032, 0x0032_1060],
        [0x0008_0021, 0x0008_0031, 0x0008_0060, 0x0008_0070, 0x0008_103E, 0x0008_1010, 0x0008_1070,
         0x0018_0010, 0x0018_0015, 0x0018_0024, 0x0018_1030, 0x0018_1090, 0x0018_1400, 0x0020_000E,
         0x0020_0011, 0x0020_0060, 0x0020_0105, 0x0020_1002, 0x0040_0244, 0x0040_0245, 0x0040_0254,
         0x0054_0081, 0x0054_0101],
        [0x0008_0008, 0x0008_0012, 0x0008_0013, 0x0008_0016, 0x0008_0018, 0x0008_0022, 0x0008_0023,
         0x0008_0032, 0x0008_0033, 0x0020_0012, 0x0020_0013, 0x0020_0032, 0x0020_0037, 0x0020_0100,
         0x0020_4000, 0x0028_0002, 0x0028_0004, 0x0028_0008, 0x0028_0010, 0x0028_0011, 0x0028_0100,
         0x0054_1330],
    ].map { $0.map(Tag.init) }

    /// The four per-level subsets of a header, as `InstanceRecord` builds them.
    static func levelSubsets(_ header: DataSet) -> [DataSet] {
        levelAttributes.map { tags in
            var subset = DataSet(characterSet: header.characterSet)
            for tag in tags { if let e = header[tag] { subset.set(e) } }
            return subset
        }
    }
}
