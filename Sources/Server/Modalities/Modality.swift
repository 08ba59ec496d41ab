import DICOMNetwork
import Foundation

/// A remote DICOM node of `DicomModalities`: who may associate with us (by AE title, and IP when
/// `DicomCheckModalityHost`), what it may do, and where we reach it (C-MOVE destinations, C-STORE SCU).
public struct Modality: Sendable, Equatable {
    public var aet: String
    public var host: String
    public var port: Int
    public var manufacturer = "Generic"
    public var allowEcho = true
    public var allowStore = true
    public var allowFind = true
    public var allowMove = true
    public var allowGet = true

    public init(aet: String, host: String, port: Int) {
        self.aet = aet
        self.host = host
        self.port = port
    }

    public func allows(_ service: DIMSEService) -> Bool {
        switch service {
        case .echo: allowEcho
        case .store: allowStore
        case .find: allowFind
        case .move: allowMove
        case .get: allowGet
        }
    }

    /// Both of Orthanc's forms: `[AET, host, port(, manufacturer)]` or an object with `AET`,
    /// `Host`, `Port`, `Manufacturer`, `AllowEcho`, `AllowStore`, `AllowFind`, `AllowMove`, `AllowGet`.
    public init(json value: Any, name: String) throws {
        func fail(_ why: String) -> Configuration.Error {
            Configuration.Error(description: "invalid DicomModalities entry \"\(name)\": \(why)")
        }
        func port(_ v: Any?) throws -> Int {
            if let n = v as? NSNumber, let p = Int(exactly: n.doubleValue), (1...65535).contains(p) { return p }
            if let s = v as? String, let p = Int(s), (1...65535).contains(p) { return p }
            throw fail("the port must be an integer in 1...65535")
        }
        if let array = value as? [Any] {
            guard array.count >= 3, let aet = array[0] as? String, let host = array[1] as? String else {
                throw fail("expected [AET, host, port] or an object")
            }
            self.init(aet: aet, host: host, port: try port(array[2]))
            if array.count > 3, let m = array[3] as? String { manufacturer = m }
        } else if let object = value as? [String: Any] {
            guard let aet = object["AET"] as? String, let host = object["Host"] as? String else {
                throw fail("\"AET\" and \"Host\" are required")
            }
            self.init(aet: aet, host: host, port: try port(object["Port"]))
            if let m = object["Manufacturer"] as? String { manufacturer = m }
            for (key, path) in [("AllowEcho", \Modality.allowEcho), ("AllowStore", \.allowStore), ("AllowFind", \.allowFind),
                                ("AllowMove", \.allowMove), ("AllowGet", \.allowGet)] as [(String, WritableKeyPath<Modality, Bool>)] {
                if let v = object[key] {
                    guard let b = v as? Bool else { throw fail("\"\(key)\" must be true or false") }
                    self[keyPath: path] = b
                }
            }
        } else {
            throw fail("expected [AET, host, port] or an object")
        }
        guard !aet.isEmpty, aet.count <= 16 else { throw fail("the AE title must have 1 to 16 characters") }
        guard !host.isEmpty else { throw fail("the host is empty") }
    }

    /// The object form, as `GET /modalities?expand` and `/modalities/{id}/configuration` answer.
    public var json: [String: Any] {
        ["AET": aet, "Host": host, "Port": port, "Manufacturer": manufacturer, "AllowEcho": allowEcho,
         "AllowStore": allowStore, "AllowFind": allowFind, "AllowMove": allowMove, "AllowGet": allowGet]
    }
}
