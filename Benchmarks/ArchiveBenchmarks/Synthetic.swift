import DICOM

/// A deterministic synthetic archive: instance `i` belongs to patient `i / 40`, study `i / 10`,
/// series `i / 5` (5 instances per series, 2 series per study, 4 studies per patient), and every
/// attribute is a pure function of those indices, so expected query answers are computed without
/// storing anything.
struct SyntheticArchive: Sendable {
    static let instancesPerSeries = 5
    static let seriesPerStudy = 2
    static let studiesPerPatient = 4
    static let instancesPerStudy = instancesPerSeries * seriesPerStudy
    static let instancesPerPatient = instancesPerStudy * studiesPerPatient

    let seed: UInt64
    /// 64×64 16-bit pixels, as `make_corpus.py --tiny`.
    let rows = 64, columns = 64

    static let last = ["SMITH", "JOHNSON", "WILLIAMS", "BROWN", "JONES", "GARCIA", "MILLER", "DAVIS",
                       "RODRIGUEZ", "MARTINEZ", "HERNANDEZ", "LOPEZ", "GONZALEZ", "WILSON", "ANDERSON",
                       "THOMAS", "TAYLOR", "MOORE", "JACKSON", "MARTIN", "LEE", "PEREZ", "THOMPSON",
                       "WHITE", "HARRIS", "SANCHEZ", "CLARK", "RAMIREZ", "LEWIS", "ROBINSON", "SMYTHE",
                       "MULLER", "SCHMIDT", "DUBOIS", "ROSSI", "SILVA", "NOVAK", "KOWALSKI", "NIELSEN"]
    static let first = ["JAMES", "MARY", "ROBERT", "PATRICIA", "JOHN", "JENNIFER", "MICHAEL", "LINDA",
                        "DAVID", "ELIZABETH", "WILLIAM", "BARBARA", "RICHARD", "SUSAN", "JOSEPH", "JESSICA",
                        "THOMAS", "SARAH", "CHARLES", "KAREN", "ANNA", "LUCAS", "EMMA", "NOAH", "MIA"]
    static let studyDescriptions = [("CHEST W CONTRAST", "CHEST"), ("ABDOMEN PELVIS", "ABDOMEN"),
                                    ("HEAD WO CONTRAST", "HEAD"), ("CHEST WO CONTRAST", "CHEST"),
                                    ("ANGIO CHEST", "CHEST"), ("SPINE LUMBAR", "LSPINE"),
                                    ("SINUS", "HEAD"), ("KNEE RIGHT", "KNEE")]
    static let seriesDescriptions = ["AXIAL 5MM", "AXIAL 1MM", "CORONAL MPR", "SAGITTAL MPR", "SCOUT", "BONE KERNEL"]
    /// Modality and its storage SOP class.
    static let modalities: [(String, String)] = [
        ("CT", "1.2.840.10008.5.1.4.1.1.2"), ("MR", "1.2.840.10008.5.1.4.1.1.4"),
        ("CR", "1.2.840.10008.5.1.4.1.1.1"), ("DX", "1.2.840.10008.5.1.4.1.1.1.1"),
        ("US", "1.2.840.10008.5.1.4.1.1.6.1"), ("PT", "1.2.840.10008.5.1.4.1.1.128"),
        ("NM", "1.2.840.10008.5.1.4.1.1.20"), ("MG", "1.2.840.10008.5.1.4.1.1.1.2"),
    ]
    /// Study dates are spread uniformly over 2005-01-01 ... 2024-12-31.
    static let firstDay = daysFromCivil(2005, 1, 1)
    static let dateSpan = daysFromCivil(2024, 12, 31) - firstDay + 1

    func hash(_ a: Int, _ salt: UInt64) -> UInt64 {
        var z = UInt64(truncatingIfNeeded: a) &* 0x9E37_79B9_7F4A_7C15 &+ seed &+ salt &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    // MARK: attributes, by entity index

    func patientID(_ p: Int) -> String { "SYN" + pad(p, 7) }
    /// "LAST1-LAST2^FIRST": 39 × 39 double-barrelled family names, so a 3-letter prefix selects
    /// 1/39 of the patients and a whole family name about 1/1521.
    func patientName(_ p: Int) -> String {
        let l = Self.last
        return l[p % l.count] + "-" + l[(p / l.count) % l.count] + "^" + Self.first[(p * 7 + p / l.count) % Self.first.count]
    }
    func familyName(_ p: Int) -> String { String(patientName(p).split(separator: "^")[0]) }
    func birthDate(_ p: Int) -> String { Self.civil(Self.daysFromCivil(1930, 1, 1) + Int(hash(p, 1) % (80 * 365))) }
    func sex(_ p: Int) -> String { ["M", "F", "F", "M", "O"][Int(hash(p, 2) % 5)] }

    func studyUID(_ s: Int) -> String { "1.2.826.0.1.3680043.8.498.77.\(seed).1.\(s)" }
    func studyDate(_ s: Int) -> String { Self.civil(Self.firstDay + Int(hash(s, 3) % UInt64(Self.dateSpan))) }
    func studyDay(_ s: Int) -> Int { Self.firstDay + Int(hash(s, 3) % UInt64(Self.dateSpan)) }
    func studyTime(_ s: Int) -> String {
        let h = hash(s, 4)
        return pad(7 + Int(h % 13), 2) + pad(Int(h / 13 % 60), 2) + pad(Int(h / 780 % 60), 2)
    }
    func accessionNumber(_ s: Int) -> String { "A" + pad(s, 9) }

    func seriesUID(_ r: Int) -> String { "1.2.826.0.1.3680043.8.498.77.\(seed).2.\(r)" }
    func modality(_ r: Int) -> (String, String) { Self.modalities[Int(hash(r, 5) % UInt64(Self.modalities.count))] }
    func sopUID(_ i: Int) -> String { "1.2.826.0.1.3680043.8.498.77.\(seed).3.\(i)" }

    /// The Part 10 bytes of instance `i` (Explicit VR Little Endian, 64×64×16-bit pixel data).
    func instance(_ i: Int, pixels: ValueBytes) -> [UInt8] {
        let r = i / Self.instancesPerSeries, s = i / Self.instancesPerStudy, p = i / Self.instancesPerPatient
        let k = i % Self.instancesPerSeries + 1
        let (modality, sopClass) = modality(r)
        let (studyDescription, bodyPart) = Self.studyDescriptions[Int(hash(s, 6) % UInt64(Self.studyDescriptions.count))]
        let date = studyDate(s), time = studyTime(s)
        var e: [DataElement] = []
        func t(_ tag: UInt32, _ vr: VR, _ value: String) { e.append(DataElement(tag: Tag(tag), vr: vr, string: value)) }
        func us(_ tag: UInt32, _ value: UInt16) { e.append(DataElement(tag: Tag(tag), vr: .US, bytes: [UInt8(value & 0xFF), UInt8(value >> 8)])) }
        t(0x0008_0005, .CS, "ISO_IR 100")
        t(0x0008_0008, .CS, "ORIGINAL\\PRIMARY\\AXIAL")
        t(0x0008_0016, .UI, sopClass)
        t(0x0008_0018, .UI, sopUID(i))
        t(0x0008_0020, .DA, date)
        t(0x0008_0021, .DA, date)
        t(0x0008_0023, .DA, date)
        t(0x0008_0030, .TM, time)
        t(0x0008_0031, .TM, time)
        t(0x0008_0033, .TM, time)
        t(0x0008_0050, .SH, accessionNumber(s))
        t(0x0008_0060, .CS, modality)
        t(0x0008_0070, .LO, "BENCH")
        t(0x0008_0080, .LO, "SYNTHETIC GENERAL HOSPITAL")
        t(0x0008_0090, .PN, "REF^DOCTOR")
        t(0x0008_1030, .LO, modality + " " + studyDescription)
        t(0x0008_103E, .LO, Self.seriesDescriptions[(s + r) % Self.seriesDescriptions.count])
        t(0x0008_1090, .LO, "SYNTH-" + modality)
        t(0x0010_0010, .PN, patientName(p))
        t(0x0010_0020, .LO, patientID(p))
        t(0x0010_0030, .DA, birthDate(p))
        t(0x0010_0040, .CS, sex(p))
        t(0x0018_0015, .CS, bodyPart)
        t(0x0018_0050, .DS, "5.0")
        t(0x0018_0060, .DS, "120")
        t(0x0018_5100, .CS, "HFS")
        t(0x0020_000D, .UI, studyUID(s))
        t(0x0020_000E, .UI, seriesUID(r))
        t(0x0020_0010, .SH, String(s % Self.studiesPerPatient + 1))
        t(0x0020_0011, .IS, String(r % Self.seriesPerStudy + 1))
        t(0x0020_0013, .IS, String(k))
        t(0x0020_0032, .DS, "-22.40\\-22.40\\\(-5 * k).00")
        t(0x0020_0037, .DS, "1\\0\\0\\0\\1\\0")
        t(0x0020_0052, .UI, "1.2.826.0.1.3680043.8.498.77.\(seed).4.\(s)")
        t(0x0020_1041, .DS, "\(-5 * k).00")
        us(0x0028_0002, 1)
        t(0x0028_0004, .CS, "MONOCHROME2")
        us(0x0028_0010, UInt16(rows))
        us(0x0028_0011, UInt16(columns))
        t(0x0028_0030, .DS, "0.7\\0.7")
        us(0x0028_0100, 16)
        us(0x0028_0101, 12)
        us(0x0028_0102, 11)
        us(0x0028_0103, 0)
        t(0x0028_1050, .DS, "40")
        t(0x0028_1051, .DS, "400")
        t(0x0028_1052, .DS, "-1024")
        t(0x0028_1053, .DS, "1")
        e.append(DataElement(tag: .pixelData, vr: .OW, value: .bytes(pixels)))
        let file = DICOMFile(dataSet: DataSet(elements: e), transferSyntax: .explicitVRLittleEndian)
        return file.encoded()
    }

    /// A smooth phantom, the same for every instance (the header makes every file unique).
    func pixels() -> ValueBytes {
        var out = [UInt8]()
        out.reserveCapacity(rows * columns * 2)
        for y in 0..<rows {
            for x in 0..<columns {
                let dx = Double(x - columns / 2) / (0.42 * Double(columns)), dy = Double(y - rows / 2) / (0.34 * Double(rows))
                let v: UInt16 = dx * dx + dy * dy <= 1 ? 1064 + UInt16((x * 7 + y * 3) % 25) : 0
                out.append(UInt8(v & 0xFF))
                out.append(UInt8(v >> 8))
            }
        }
        return out[...]
    }

    // MARK: dates

    /// Days since 1970-01-01 (proleptic Gregorian), H. Hinnant's algorithm.
    static func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// `YYYYMMDD` of a day number.
    static func civil(_ z0: Int) -> String {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        return pad(y, 4) + pad(m, 2) + pad(d, 2)
    }
}

func pad(_ n: Int, _ width: Int) -> String {
    let s = String(n)
    return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
}
