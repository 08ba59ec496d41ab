import Testing
@testable import DICOM

@Suite struct DataDictionaryTests {
    // MARK: Exact entries

    @Test func patientName() throws {
        let entry = try #require(DataDictionary.entry(for: Tag(0x0010_0010)))
        #expect(entry.tag == Tag(0x0010_0010))
        #expect(entry.vr == .PN)
        #expect(entry.ambiguousVRs.isEmpty)
        #expect(entry.vm == "1")
        #expect(entry.name == "Patient's Name")
        #expect(entry.keyword == "PatientName")
        #expect(!entry.isRetired)
    }

    @Test func commandAndFileMetaElements() throws {
        let status = try #require(DataDictionary.entry(for: Tag(0x0000_0900)))
        #expect(status.vr == .US)
        #expect(status.keyword == "Status")
        let commandGroupLength = try #require(DataDictionary.entry(for: Tag(0x0000_0000)))
        #expect(commandGroupLength.vr == .UL)
        #expect(commandGroupLength.keyword == "CommandGroupLength")
        #expect(!commandGroupLength.isRetired)
        let affected = try #require(DataDictionary.entry(for: Tag(0x0000_1000)))
        #expect(affected.vr == .UI)
        #expect(affected.keyword == "AffectedSOPInstanceUID")

        let transferSyntax = try #require(DataDictionary.entry(for: .transferSyntaxUID))
        #expect(transferSyntax.vr == .UI)
        #expect(transferSyntax.keyword == "TransferSyntaxUID")
        #expect(transferSyntax.name == "Transfer Syntax UID")
        let metaLength = try #require(DataDictionary.entry(for: .fileMetaInformationGroupLength))
        #expect(metaLength.keyword == "FileMetaInformationGroupLength")
        #expect(metaLength.vr == .UL)
    }

    @Test func multiValuedAndRetiredEntries() throws {
        let imageType = try #require(DataDictionary.entry(for: Tag(0x0008_0008)))
        #expect(imageType.vr == .CS)
        #expect(imageType.vm == "2-n")
        let pixelSpacing = try #require(DataDictionary.entry(for: Tag(0x0028_0030)))
        #expect(pixelSpacing.vr == .DS)
        #expect(pixelSpacing.vm == "2")
        let sequence = try #require(DataDictionary.entry(for: Tag(0x0008_1115)))
        #expect(sequence.vr == .SQ)
        #expect(sequence.keyword == "ReferencedSeriesSequence")
        let retired = try #require(DataDictionary.entry(for: Tag(0x0008_0040)))  // Data Set Type
        #expect(retired.isRetired)
    }

    @Test func newerVRs() throws {
        #expect(DataDictionary.entry(for: .extendedOffsetTable)?.vr == .OV)
        #expect(DataDictionary.entry(for: .extendedOffsetTableLengths)?.vr == .OV)
        #expect(DataDictionary.entry(for: .floatPixelData)?.vr == .OF)
        #expect(DataDictionary.entry(for: .doubleFloatPixelData)?.vr == .OD)
        #expect(DataDictionary.allEntries.contains { $0.vr == .SV })
        #expect(DataDictionary.allEntries.contains { $0.vr == .UV })
    }

    @Test func itemsAndDelimitersHaveNoVR() throws {
        for tag in [Tag.item, .itemDelimitationItem, .sequenceDelimitationItem] {
            let entry = try #require(DataDictionary.entry(for: tag))
            #expect(entry.vr == nil)
            #expect(entry.ambiguousVRs.isEmpty)
            #expect(DataDictionary.vr(for: tag) == nil)
        }
        #expect(DataDictionary.keyword(for: .item) == "Item")
    }

    // MARK: Ambiguous VRs

    @Test func ambiguousVRs() throws {
        let smallest = try #require(DataDictionary.entry(for: Tag(0x0028_0106)))
        #expect(smallest.vr == .US)
        #expect(smallest.ambiguousVRs == [.US, .SS])
        #expect(smallest.keyword == "SmallestImagePixelValue")

        let pixelData = try #require(DataDictionary.entry(for: .pixelData))
        #expect(pixelData.vr == .OB)
        #expect(pixelData.ambiguousVRs == [.OB, .OW])
        #expect(pixelData.keyword == "PixelData")

        let lutData = try #require(DataDictionary.entry(for: Tag(0x0028_3006)))
        #expect(lutData.ambiguousVRs == [.US, .OW])
        let grayLUT = try #require(DataDictionary.entry(for: Tag(0x0028_1200)))
        #expect(grayLUT.ambiguousVRs == [.US, .SS, .OW])
        #expect(grayLUT.isRetired)
    }

    // MARK: Repeating groups

    @Test func overlayGroups() throws {
        let overlay = try #require(DataDictionary.entry(for: Tag(0x6002_3000)))
        #expect(overlay.tag == Tag(0x6002_3000))
        #expect(overlay.keyword == "OverlayData")
        #expect(overlay.vr == .OB)
        #expect(overlay.ambiguousVRs == [.OB, .OW])
        #expect(!overlay.isRetired)
        for group in stride(from: UInt16(0x6000), through: 0x601E, by: 2) {
            #expect(DataDictionary.keyword(for: Tag(group: group, element: 0x0010)) == "OverlayRows")
            #expect(DataDictionary.vr(for: Tag(group: group, element: 0x0050)) == .SS)
        }
    }

    @Test func curveAndVariablePixelDataGroups() throws {
        let points = try #require(DataDictionary.entry(for: Tag(0x5004_0010)))
        #expect(points.keyword == "NumberOfPoints")
        #expect(points.vr == .US)
        #expect(points.isRetired)
        #expect(DataDictionary.keyword(for: Tag(0x5004_3000)) == "CurveData")

        let variable = try #require(DataDictionary.entry(for: Tag(0x7F02_0010)))
        #expect(variable.tag == Tag(0x7F02_0010))
        #expect(variable.keyword == "VariablePixelData")
        #expect(variable.ambiguousVRs == [.OB, .OW])
        // (7FE0,0010) is an exact entry and must not be taken for a 7Fxx repeating one.
        #expect(DataDictionary.keyword(for: .pixelData) == "PixelData")
    }

    @Test func elementRepeatingGroups() {
        #expect(DataDictionary.keyword(for: Tag(0x0020_3105)) == "SourceImageIDs")
        #expect(DataDictionary.keyword(for: Tag(0x0028_0410)) == "RowsForNthOrderCoefficients")
        #expect(DataDictionary.keyword(for: Tag(0x0028_0431)) == "ColumnsForNthOrderCoefficients")
        #expect(DataDictionary.keyword(for: Tag(0x0028_0880)) == "CodeLabel")
        #expect(DataDictionary.keyword(for: Tag(0x1000_0121)) == "RunLengthTriplet")
        #expect(DataDictionary.keyword(for: Tag(0x1000_0125)) == "ShiftTableTriplet")
        #expect(DataDictionary.keyword(for: Tag(0x1010_1234)) == "ZonalMap")
        #expect(DataDictionary.entry(for: Tag(0x1000_0126)) == nil)
        #expect(DataDictionary.keyword(for: Tag(0x1000_0010)) == "EscapeTriplet")
        // Exact entries shadow the pattern: (0028,0400) is Transform Label, not (0028,04x0).
        #expect(DataDictionary.keyword(for: Tag(0x0028_0400)) == "TransformLabel")
        #expect(DataDictionary.tag(forKeyword: "RowsForNthOrderCoefficients") == Tag(0x0028_0410))
        // (gggg,0000) is a group length even where a pattern such as (1000,xxx0) would fit.
        #expect(DataDictionary.keyword(for: Tag(0x1000_0000)) == "GenericGroupLength")
        #expect(DataDictionary.keyword(for: Tag(0x1010_0000)) == "GenericGroupLength")
    }

    @Test func privateGroupsNeverMatchRepeatingGroups() {
        #expect(DataDictionary.entry(for: Tag(0x6001_3000)) == nil)
        #expect(DataDictionary.entry(for: Tag(0x5003_0010))?.keyword == "PrivateCreator")
        #expect(DataDictionary.entry(for: Tag(0x7F01_0010))?.keyword == "PrivateCreator")
    }

    // MARK: Group length and private creators

    @Test func genericGroupLength() throws {
        let entry = try #require(DataDictionary.entry(for: Tag(0x0008_0000)))
        #expect(entry.tag == Tag(0x0008_0000))
        #expect(entry.vr == .UL)
        #expect(entry.vm == "1")
        #expect(entry.name == "Group Length")
        #expect(entry.keyword == "GenericGroupLength")
        #expect(entry.isRetired)
        #expect(DataDictionary.entry(for: Tag(0x0029_0000))?.keyword == "GenericGroupLength")
        #expect(DataDictionary.vr(for: Tag(0x0010_0000)) == .UL)
    }

    @Test func privateCreator() throws {
        for element: UInt16 in [0x0010, 0x0011, 0x00FF] {
            let entry = try #require(DataDictionary.entry(for: Tag(group: 0x0029, element: element)))
            #expect(entry.vr == .LO)
            #expect(entry.vm == "1")
            #expect(entry.name == "Private Creator")
            #expect(!entry.isRetired)
            #expect(DataDictionary.vr(for: entry.tag) == .LO)
        }
        #expect(DataDictionary.entry(for: Tag(0x0029_000F)) == nil)
        #expect(DataDictionary.entry(for: Tag(0x0029_0100)) == nil)
        #expect(DataDictionary.entry(for: Tag(0x0029_1010)) == nil)  // private data element
        #expect(DataDictionary.keyword(for: Tag(0x0029_1010)) == nil)
        #expect(DataDictionary.vr(for: Tag(0x0029_1010)) == nil)
    }

    @Test func unknownTags() {
        #expect(DataDictionary.entry(for: Tag(0x0008_FFF0)) == nil)
        #expect(DataDictionary.entry(for: Tag(0xFFFF_FFFF)) == nil)
        #expect(DataDictionary.vr(for: Tag(0x0008_FFF0)) == nil)
    }

    // MARK: Whole table

    @Test func tableIsSortedAndUnique() {
        let table = DataDictionary.elements
        #expect(table.tags.count > 5000)
        #expect(table.tags.count == table.rows.count)
        #expect(zip(table.tags, table.tags.dropFirst()).allSatisfy { $0 < $1 })
        #expect(table.repeatingRows.count > 80)
        #expect(DataDictionary.repeatingPatterns.contains("60xx3000"))
    }

    @Test func everyEntryRoundTrips() throws {
        let entries = DataDictionary.allEntries
        var keywords = Set<String>()
        for entry in entries {
            let found = try #require(DataDictionary.entry(for: entry.tag), "\(entry.tag)")
            #expect(found == entry, "\(entry.tag)")
            #expect(DataDictionary.vr(for: entry.tag) == entry.vr, "\(entry.tag)")
            if !entry.ambiguousVRs.isEmpty {
                #expect(entry.ambiguousVRs.count > 1 && entry.ambiguousVRs.first == entry.vr, "\(entry.tag)")
            }
            #expect(!entry.name.isEmpty || entry.isRetired, "\(entry.tag)")
            #expect(!entry.vm.isEmpty, "\(entry.tag)")
            guard !entry.keyword.isEmpty else {
                #expect(entry.isRetired, "\(entry.tag) has no keyword")
                #expect(DataDictionary.keyword(for: entry.tag) == nil)
                continue
            }
            #expect(keywords.insert(entry.keyword).inserted, "duplicate keyword \(entry.keyword)")
            #expect(DataDictionary.tag(forKeyword: entry.keyword) == entry.tag, "\(entry.keyword)")
            #expect(DataDictionary.keyword(for: entry.tag) == entry.keyword, "\(entry.tag)")
        }
        #expect(keywords.count > 5000)
    }

    @Test func keywordLookups() {
        #expect(DataDictionary.tag(forKeyword: "PatientName") == .patientName)
        #expect(DataDictionary.tag(forKeyword: "PixelData") == .pixelData)
        #expect(DataDictionary.tag(forKeyword: "Status") == Tag(0x0000_0900))
        #expect(DataDictionary.tag(forKeyword: "OverlayData") == Tag(0x6000_3000))
        #expect(DataDictionary.tag(forKeyword: "patientname") == nil)
        #expect(DataDictionary.tag(forKeyword: "") == nil)
        #expect(DataDictionary.tag(forKeyword: "NoSuchKeyword") == nil)
        #expect(DataDictionary.keyword(for: .studyInstanceUID) == "StudyInstanceUID")
    }

    // MARK: UIDs

    @Test func transferSyntaxUIDs() throws {
        let explicit = try #require(UIDDictionary.entry(for: "1.2.840.10008.1.2.1"))
        #expect(explicit.uid == "1.2.840.10008.1.2.1")
        #expect(explicit.name == "Explicit VR Little Endian")
        #expect(explicit.type == "Transfer Syntax")
        #expect(explicit.keyword == "ExplicitVRLittleEndian")
        #expect(!explicit.isRetired)
        let implicit = try #require(UIDDictionary.entry(for: "1.2.840.10008.1.2"))
        #expect(implicit.info == "Default Transfer Syntax for DICOM")
        #expect(UIDDictionary.entry(for: "1.2.840.10008.1.2.2")?.isRetired == true)  // big endian

        let syntaxes = UIDDictionary.entries(ofType: "Transfer Syntax")
        #expect(syntaxes.count > 30)
        #expect(syntaxes.allSatisfy { $0.type == "Transfer Syntax" })
        #expect(syntaxes.contains { $0.keyword == "JPEG2000Lossless" })
        #expect(UIDDictionary.entries(ofType: "No Such Type").isEmpty)
    }

    @Test func sopClassUIDs() throws {
        let ct = try #require(UIDDictionary.entry(for: "1.2.840.10008.5.1.4.1.1.2"))
        #expect(ct.name == "CT Image Storage")
        #expect(ct.type == "SOP Class")
        #expect(ct.keyword == "CTImageStorage")
        #expect(UIDDictionary.uid(forKeyword: "CTImageStorage") == "1.2.840.10008.5.1.4.1.1.2")
        #expect(UIDDictionary.uid(forKeyword: "Verification") == "1.2.840.10008.1.1")
        #expect(UIDDictionary.uid(forKeyword: "NoSuchKeyword") == nil)
        #expect(UIDDictionary.uid(forKeyword: "") == nil)
        #expect(UIDDictionary.entry(for: "1.2.3.4") == nil)
        #expect(UIDDictionary.entry(for: "1.2.840.10008.5.1.4.1.1.2 ") == nil)
    }

    @Test func everyUIDRoundTrips() throws {
        let all = UIDDictionary.allEntries
        #expect(all.count > 400)
        #expect(Set(all.map(\.uid)).count == all.count)
        for entry in all {
            #expect(UIDDictionary.entry(for: entry.uid) == entry)
            #expect(!entry.type.isEmpty)
            #expect(entry.uid.allSatisfy { $0 == "." || $0.isASCII && $0.isNumber }, "\(entry.uid)")
            if !entry.keyword.isEmpty {
                #expect(UIDDictionary.uid(forKeyword: entry.keyword) == entry.uid, "\(entry.keyword)")
            }
        }
    }

    @Test func storageSOPClasses() {
        let storage = UIDDictionary.storageSOPClasses
        let uids = Set(storage.map(\.uid))
        #expect(storage.count > 150)
        #expect(uids.count == storage.count)
        #expect(storage.allSatisfy { $0.type == "SOP Class" })
        #expect(uids.contains("1.2.840.10008.5.1.4.1.1.2"))  // CT Image Storage
        #expect(uids.contains("1.2.840.10008.5.1.4.1.1.4"))  // MR Image Storage
        #expect(uids.contains("1.2.840.10008.5.1.4.1.1.1.1"))  // Digital X-Ray Image Storage - For Presentation
        #expect(uids.contains("1.2.840.10008.5.1.4.1.1.88.11"))  // Basic Text SR Storage
        #expect(uids.contains("1.2.840.10008.5.1.4.1.1.104.1"))  // Encapsulated PDF Storage
        #expect(uids.contains("1.2.840.10008.5.1.4.1.1.6"))  // Ultrasound Image Storage (retired)
        #expect(uids.contains("1.2.840.10008.5.1.4.38.1"))  // Hanging Protocol Storage
        #expect(!uids.contains("1.2.840.10008.1.20.1"))  // Storage Commitment Push Model
        #expect(!uids.contains("1.2.840.10008.1.20.2"))  // Storage Commitment Pull Model
        #expect(!uids.contains("1.2.840.10008.1.1"))  // Verification
        #expect(!uids.contains("1.2.840.10008.1.3.10"))  // Media Storage Directory Storage
        #expect(!uids.contains("1.2.840.10008.5.1.4.1.2.2.1"))  // Study Root Q/R FIND
        #expect(!uids.contains("1.2.840.10008.1.2.1"))  // a transfer syntax
        #expect(!storage.contains { $0.name.contains("Commitment") })
        #expect(UIDDictionary.isStorageSOPClass("1.2.840.10008.5.1.4.1.1.2"))
        #expect(!UIDDictionary.isStorageSOPClass("1.2.840.10008.1.20.1"))
        #expect(!UIDDictionary.isStorageSOPClass("1.2.3"))
    }
}
