import Foundation

/// Decodes the DICOM JSON Model (PS3.18 Annex F) into data sets.
///
/// Text is encoded as UTF-8, and (0008,0005) is set to ISO_IR 192 when any text needs it, so
/// every JSON string survives; numbers become IS/DS text or binary values by VR.
public struct DICOMJSONDecoder: Sendable {
    /// Fetches the bytes behind a BulkDataURI; without one such elements are left empty.
    public var bulkData: (@Sendable (_ uri: String, _ tag: Tag, _ vr: VR) throws -> [UInt8])?

    public init(bulkData: (@Sendable (String, Tag, VR) throws -> [UInt8])? = nil) {
        self.bulkData = bulkData
    }

    public func decode(_ json: String) throws -> DataSet {
        try decode(data: Data(json.utf8))
    }

    public func decode(data: Data) throws -> DataSet {
        let object = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        guard let dict = object as? [String: Any] else { throw DICOMError.invalidJSON(path: "$", reason: "expected an object") }
        var needsUTF8 = false
        var dataSet = try decodeDataSet(dict, path: "$", needsUTF8: &needsUTF8)
        if needsUTF8 {
            dataSet.declareUTF8()
        }
        return dataSet
    }

    /// An array of data sets (QIDO-RS answers, WADO-RS metadata).
    public func decodeArray(data: Data) throws -> [DataSet] {
        guard let array = try JSONSerialization.jsonObject(with: data) as? [Any] else {
            throw DICOMError.invalidJSON(path: "$", reason: "expected an array")
        }
        return try array.enumerated().map { i, item in
            try decode(data: JSONSerialization.data(withJSONObject: item))
        }
    }

    func decodeDataSet(_ dict: [String: Any], path: String, needsUTF8: inout Bool) throws -> DataSet {
        var elements: [DataElement] = []
        elements.reserveCapacity(dict.count)
        for (key, value) in dict {
            let here = "\(path).\(key)"
            guard let tag = Tag(hexString: key), key.count == 8 else {
                throw DICOMError.invalidJSON(path: here, reason: "keys must be 8 hex digits")
            }
            guard let attribute = value as? [String: Any], let vrText = attribute["vr"] as? String,
                  let vr = VR(vrText) else {
                throw DICOMError.invalidJSON(path: here, reason: "missing or unknown \"vr\"")
            }
            elements.append(try decodeElement(tag: tag, vr: vr, attribute, path: here, needsUTF8: &needsUTF8))
        }
        return DataSet(elements: elements)
    }

    func decodeElement(tag: Tag, vr: VR, _ attribute: [String: Any], path: String,
                       needsUTF8: inout Bool) throws -> DataElement {
        if let inline = attribute["InlineBinary"] {
            let text = (inline as? String) ?? ((inline as? [Any])?.first as? String)
            guard let text, let data = Data(base64Encoded: text, options: .ignoreUnknownCharacters) else {
                throw DICOMError.invalidJSON(path: path, reason: "InlineBinary is not base64")
            }
            var bytes = [UInt8](data)
            if bytes.count % 2 == 1 { bytes.append(0) }
            return DataElement(tag: tag, vr: vr, bytes: bytes)
        }
        if let uriValue = attribute["BulkDataURI"] {
            let uri = (uriValue as? String) ?? ((uriValue as? [Any])?.first as? String) ?? ""
            var bytes = try bulkData?(uri, tag, vr) ?? []
            if bytes.count % 2 == 1 { bytes.append(vr.paddingByte) }
            return DataElement(tag: tag, vr: vr, bytes: bytes)
        }
        let values = attribute["Value"] as? [Any] ?? []
        if attribute["Value"] != nil, !(attribute["Value"] is [Any]) {
            throw DICOMError.invalidJSON(path: path, reason: "\"Value\" must be an array")
        }

        switch vr {
        case .SQ:
            let items = try values.enumerated().map { i, item -> DataSet in
                guard let dict = item as? [String: Any] else {
                    throw DICOMError.invalidJSON(path: "\(path)[\(i)]", reason: "sequence items must be objects")
                }
                return try decodeDataSet(dict, path: "\(path)[\(i)]", needsUTF8: &needsUTF8)
            }
            return DataElement(tag: tag, vr: .SQ, value: .sequence(.init(items: items)))
        case .US, .SS, .UL, .SL, .SV, .UV, .FL, .FD:
            var bytes: [UInt8] = []
            // A binary value cannot be empty: a null (as in pydicom's test1.json) is dropped.
            for (i, v) in values.enumerated() where !(v is NSNull) {
                guard let n = v as? NSNumber else {
                    throw DICOMError.invalidJSON(path: "\(path)[\(i)]", reason: "\(vr) values must be numbers")
                }
                switch vr {
                case .US: append(&bytes, n.uint16Value)
                case .SS: append(&bytes, n.int16Value)
                case .UL: append(&bytes, n.uint32Value)
                case .SL: append(&bytes, n.int32Value)
                case .SV: append(&bytes, n.int64Value)
                case .UV: append(&bytes, n.uint64Value)
                case .FL: append(&bytes, Float(Self.double(n)).bitPattern)
                default: append(&bytes, Self.double(n).bitPattern)
                }
            }
            return DataElement(tag: tag, vr: vr, bytes: bytes)
        case .AT:
            var bytes: [UInt8] = []
            for (i, v) in values.enumerated() {
                guard let s = v as? String, let t = Tag(hexString: s) else {
                    throw DICOMError.invalidJSON(path: "\(path)[\(i)]", reason: "AT values must be 8 hex digits")
                }
                append(&bytes, t.group)
                append(&bytes, t.element)
            }
            return DataElement(tag: tag, vr: vr, bytes: bytes)
        default:
            var texts: [String] = []
            for (i, v) in values.enumerated() {
                switch v {
                case is NSNull: texts.append("")
                case let s as String: texts.append(s)
                case let n as NSNumber where vr == .IS || vr == .DS: texts.append(Self.format(n, vr: vr))
                case let pn as [String: Any] where vr == .PN:
                    let groups = ["Alphabetic", "Ideographic", "Phonetic"].map { pn[$0] as? String }
                    var parts = groups.map { $0 ?? "" }
                    while parts.count > 1, groups[parts.count - 1] == nil { parts.removeLast() }
                    texts.append(parts.joined(separator: "="))
                default:
                    throw DICOMError.invalidJSON(path: "\(path)[\(i)]", reason: "unexpected value for \(vr)")
                }
            }
            let joined = texts.joined(separator: "\\")
            if joined.utf8.contains(where: { $0 >= 0x80 }) { needsUTF8 = true }
            return DataElement(tag: tag, vr: vr, string: joined, characterSet: SpecificCharacterSet(terms: ["ISO_IR 192"]))
        }
    }

    func append<T: FixedWidthInteger>(_ bytes: inout [UInt8], _ v: T) {
        withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// The nearest double. JSONSerialization gives long numbers as NSDecimalNumber, whose
    /// `doubleValue` is not correctly rounded (0.009642736608649534 becomes ...527 on Linux):
    /// those are read from their exact decimal text.
    static func double(_ n: NSNumber) -> Double {
        if n is NSDecimalNumber, let d = Double(n.description) { return d }
        return n.doubleValue
    }

    /// IS as an integer; DS in at most 16 characters (PS3.5 Table 6.2-1).
    static func format(_ n: NSNumber, vr: VR) -> String {
        if vr == .IS { return String(n.int64Value) }
        let d = double(n)
        if d == d.rounded(), abs(d) < 1e15 { return String(Int64(d)) }
        var s = String(d)
        if s.count > 16 {
            for precision in stride(from: 15, through: 1, by: -1) {
                s = String(format: "%.\(precision)g", d)
                if s.count <= 16 { break }
            }
        }
        return s
    }
}

extension DataSet {
    /// Text decoded from JSON is stored as UTF-8: says so in (0008,0005), here and in every item
    /// that has its own, and sets the character set of every item.
    fileprivate mutating func declareUTF8(isItem: Bool = false) {
        if !isItem || contains(.specificCharacterSet) {
            set(DataElement(tag: .specificCharacterSet, vr: .CS, string: "ISO_IR 192"))
        }
        characterSet = SpecificCharacterSet(terms: ["ISO_IR 192"])
        for i in elements.indices {
            guard case .sequence(var sequence) = elements[i].value else { continue }
            for j in sequence.items.indices { sequence.items[j].declareUTF8(isItem: true) }
            elements[i].value = .sequence(sequence)
        }
    }
}
