import Foundation
import Testing
@testable import DICOM

// Shared helpers of the data-layer unit tests (DataSetReaderTests, CorruptInputTests,
// TransferSyntaxConversionTests, DICOMJSONTests, DumpCommandTests).

/// Hand-built byte streams. Each method appends one structural piece, so a fixture reads as the
/// list of its elements; the byte order follows `bigEndian` (item tags and lengths included).
struct ByteFixture {
    var bytes: [UInt8] = []
    var bigEndian = false

    init(bigEndian: Bool = false) { self.bigEndian = bigEndian }

    var count: Int { bytes.count }

    mutating func u16(_ v: UInt16) {
        let x = bigEndian ? v.bigEndian : v.littleEndian
        withUnsafeBytes(of: x) { bytes.append(contentsOf: $0) }
    }

    mutating func u32(_ v: UInt32) {
        let x = bigEndian ? v.bigEndian : v.littleEndian
        withUnsafeBytes(of: x) { bytes.append(contentsOf: $0) }
    }

    mutating func tag(_ tag: UInt32) {
        u16(UInt16(tag >> 16))
        u16(UInt16(tag & 0xFFFF))
    }

    mutating func raw(_ b: [UInt8]) { bytes.append(contentsOf: b) }

    /// Explicit VR header: tag, two VR letters, then a 16-bit length, or two reserved zero bytes
    /// and a 32-bit length for the long VRs (PS3.5 Table 7.1-1 and 7.1-2).
    mutating func explicitHeader(_ t: UInt32, _ vr: String, length: UInt32) {
        tag(t)
        raw(Array(vr.utf8))
        if VR(vr)?.hasLongExplicitLength ?? true {
            raw([0, 0])
            u32(length)
        } else {
            u16(UInt16(length))
        }
    }

    /// Implicit VR header: tag and a 32-bit length (PS3.5 Table 7.1-3).
    mutating func implicitHeader(_ t: UInt32, length: UInt32) {
        tag(t)
        u32(length)
    }

    mutating func explicitElement(_ t: UInt32, _ vr: String, _ value: [UInt8]) {
        explicitHeader(t, vr, length: UInt32(value.count))
        raw(value)
    }

    mutating func explicitElement(_ t: UInt32, _ vr: String, text: String) {
        explicitElement(t, vr, padded(text, vr: vr))
    }

    mutating func implicitElement(_ t: UInt32, _ value: [UInt8]) {
        implicitHeader(t, length: UInt32(value.count))
        raw(value)
    }

    mutating func implicitElement(_ t: UInt32, text: String, vr: String = "LO") {
        implicitElement(t, padded(text, vr: vr))
    }

    /// (FFFE,E000) with a length (0xFFFFFFFF for undefined).
    mutating func item(length: UInt32 = 0xFFFF_FFFF) { tag(0xFFFE_E000); u32(length) }
    /// (FFFE,E00D) Item Delimitation Item, length 0.
    mutating func itemDelimiter() { tag(0xFFFE_E00D); u32(0) }
    /// (FFFE,E0DD) Sequence Delimitation Item, length 0.
    mutating func sequenceDelimiter() { tag(0xFFFE_E0DD); u32(0) }

    /// A 16-bit value in this fixture's byte order.
    func us(_ values: UInt16...) -> [UInt8] {
        var f = ByteFixture(bigEndian: bigEndian)
        for v in values { f.u16(v) }
        return f.bytes
    }

    func ul(_ values: UInt32...) -> [UInt8] {
        var f = ByteFixture(bigEndian: bigEndian)
        for v in values { f.u32(v) }
        return f.bytes
    }

    /// Overwrites the 32-bit value at `at` (to patch a defined length once the content is known).
    mutating func patch32(at: Int, _ v: UInt32) {
        let x = bigEndian ? v.bigEndian : v.littleEndian
        withUnsafeBytes(of: x) { for i in 0..<4 { bytes[at + i] = $0[i] } }
    }
}

/// Text padded to even length with the VR's padding byte.
func padded(_ text: String, vr: String) -> [UInt8] {
    var b = Array(text.utf8)
    if b.count % 2 == 1 { b.append(vr == "UI" ? 0 : 0x20) }
    return b
}

/// pydicom's test data, located through the installed package.
enum PydicomData {
    static let root: String? = {
        guard let result = try? runProcess("/usr/bin/env", ["python3", "-c",
            "import pydicom, os; print(os.path.join(os.path.dirname(pydicom.__file__), 'data'))"]),
              result.status == 0 else { return nil }
        let path = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        return path.isEmpty ? nil : path
    }()

    static var isAvailable: Bool { root != nil }

    static func path(_ name: String) throws -> String {
        guard let root else { throw FixtureError("pydicom is not installed (run Scripts/setup.sh)") }
        return root + "/test_files/" + name
    }

    static func bytes(_ name: String) throws -> [UInt8] {
        try FileBytes(path: path(name)).readAll()
    }

    /// Every `.dcm` file in pydicom's `test_files`, sorted.
    static func allTestFiles() throws -> [String] {
        guard let root else { throw FixtureError("pydicom is not installed (run Scripts/setup.sh)") }
        return try FileManager.default.contentsOfDirectory(atPath: root + "/test_files")
            .filter { $0.hasSuffix(".dcm") }.sorted()
    }

    /// Broken on purpose (see PydicomConformanceTests.brokenOnPurpose).
    static let broken: Set<String> = ["MR_truncated.dcm", "rtplan_truncated.dcm", "no_meta.dcm"]
}

struct FixtureError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

struct ProcessResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs a program to completion, collecting both output streams (read concurrently, so a
/// chatty child cannot block on a full pipe).
func runProcess(_ executable: String, _ arguments: [String]) throws -> ProcessResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let errData = LockedData()
    let errReader = Thread { errData.set(err.fileHandleForReading.readDataToEndOfFile()) }
    errReader.start()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    while !errData.isSet { usleep(1000) }
    return ProcessResult(status: process.terminationStatus,
                         stdout: String(decoding: outData, as: UTF8.self),
                         stderr: String(decoding: errData.get(), as: UTF8.self))
}

final class LockedData: @unchecked Sendable {
    private let lock = NSLock()
    private var data: Data?
    func set(_ d: Data) { lock.lock(); data = d; lock.unlock() }
    func get() -> Data { lock.lock(); defer { lock.unlock() }; return data ?? Data() }
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return data != nil }
}

/// A temporary file that lives until `remove()`; names are unique per process and call.
struct TemporaryFile {
    let path: String

    init(_ bytes: [UInt8], suffix: String = ".dcm") throws {
        path = NSTemporaryDirectory() + "swiftpacs-test-\(getpid())-\(UUID().uuidString)\(suffix)"
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
            throw FixtureError("cannot create \(path)")
        }
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// Our DICOM JSON of a data set, parsed back into Foundation objects (a canonical form for
/// comparing data sets: key order and number spelling do not matter).
func canonicalJSON(_ dataSet: DataSet, encoder: DICOMJSONEncoder = DICOMJSONEncoder()) throws -> NSDictionary {
    let text = encoder.encode(dataSet)
    guard let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? NSDictionary else {
        throw FixtureError("encoder output is not a JSON object")
    }
    return object
}

/// The first path where two parsed JSON values differ (nil when equal). Numbers compare by value
/// (within `tolerance`, relative), everything else exactly.
func firstJSONDifference(_ a: Any?, _ b: Any?, path: String = "$", tolerance: Double = 0) -> String? {
    switch (a, b) {
    case let (x as [String: Any], y as [String: Any]):
        for key in Set(x.keys).union(y.keys).sorted() {
            if let d = firstJSONDifference(x[key], y[key], path: path + "." + key, tolerance: tolerance) { return d }
        }
        return nil
    case let (x as [Any], y as [Any]):
        guard x.count == y.count else { return "\(path): \(x.count) vs \(y.count) values" }
        for i in x.indices {
            if let d = firstJSONDifference(x[i], y[i], path: "\(path)[\(i)]", tolerance: tolerance) { return d }
        }
        return nil
    case let (x as String, y as String):
        return x == y ? nil : "\(path): \"\(x)\" vs \"\(y)\""
    case let (x as NSNumber, y as NSNumber):
        let (p, q) = (x.doubleValue, y.doubleValue)
        return p == q || abs(p - q) <= tolerance * max(abs(p), abs(q)) ? nil : "\(path): \(x) vs \(y)"
    case (is NSNull, is NSNull), (nil, nil):
        return nil
    default:
        return "\(path): \(String(describing: a)) vs \(String(describing: b))"
    }
}

/// The value at a path of object keys and array indexes in parsed JSON.
func jsonValue(_ json: Any, _ path: [String]) -> Any? {
    guard let key = path.first else { return json }
    if let dict = json as? [String: Any], let next = dict[key] { return jsonValue(next, Array(path.dropFirst())) }
    if let array = json as? [Any], let i = Int(key), array.indices.contains(i) { return jsonValue(array[i], Array(path.dropFirst())) }
    return nil
}

/// A copy of parsed JSON without the value at `path`.
func jsonRemoving(_ path: [String], from json: Any) -> Any {
    guard let key = path.first else { return json }
    let rest = Array(path.dropFirst())
    if var dict = json as? [String: Any] {
        if rest.isEmpty { dict[key] = nil } else if let next = dict[key] { dict[key] = jsonRemoving(rest, from: next) }
        return dict
    }
    if var array = json as? [Any], let i = Int(key), array.indices.contains(i) {
        if rest.isEmpty { array.remove(at: i) } else { array[i] = jsonRemoving(rest, from: array[i]) }
        return array
    }
    return json
}


/// The offset where the data set starts in a Part 10 file (after preamble, "DICM" and meta).
func dataSetStart(of bytes: [UInt8]) throws -> Int {
    guard bytes.count >= 132, Array(bytes[128..<132]) == Array("DICM".utf8) else { return 0 }
    return try DICOMFile.readMeta(bytes, at: 132).1
}

extension DICOMError {
    /// The tag the error names, if any.
    var tag: DICOM.Tag? {
        switch self {
        case .truncated(let tag, _, _, _): tag
        case .invalidVR(let tag, _, _), .lengthPastEnd(let tag, _, _, _), .undefinedLengthNotAllowed(let tag, _),
             .invalidLength(let tag, _, _), .unexpectedTag(let tag, _, _), .cannotEncode(let tag, _): tag
        default: nil
        }
    }
}
