import Foundation
import Testing
@testable import DICOM

/// pydicom's reading of its own test files, produced once per test run by
/// `Oracle/pydicom_oracle.py` (pydicom is installed by the test setup, never committed).
struct PydicomOracle: Sendable {
    /// Raw values above this many bytes become BulkDataURI on both sides.
    static let bulkDataThreshold = 768

    let root: String
    let version: String
    /// Relative path → pydicom's DICOM JSON (as parsed JSON) or its error text.
    let files: [String: Entry]

    enum Entry: @unchecked Sendable {
        case json(Any, patientName: String)
        case error(String)
    }

    static let shared: Result<PydicomOracle, OracleError> = load()

    struct OracleError: Error, CustomStringConvertible { let description: String }

    static func load() -> Result<PydicomOracle, OracleError> {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Oracle/pydicom_oracle.py").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script, String(bulkDataThreshold)]
        let pipe = Pipe()
        process.standardOutput = pipe
        do { try process.run() } catch { return .failure(.init(description: "cannot run python3: \(error)")) }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0,
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let root = object["root"] as? String, let files = object["files"] as? [String: [String: Any]] else {
            return .failure(.init(description: "pydicom oracle failed (is pydicom installed? run Scripts/test.sh)"))
        }
        var entries: [String: Entry] = [:]
        for (name, entry) in files {
            if let json = entry["json"] {
                entries[name] = .json(json, patientName: entry["patientName"] as? String ?? "")
            } else {
                entries[name] = .error(entry["error"] as? String ?? "?")
            }
        }
        return .success(PydicomOracle(root: root, version: object["version"] as? String ?? "?", files: entries))
    }

    static func get() throws -> PydicomOracle {
        switch shared {
        case .success(let o): return o
        case .failure(let e): throw e
        }
    }

    func path(_ relative: String) -> String { root + "/" + relative }
}

/// Compares two parsed JSON values and lists the differences with their paths. The rules that
/// make ours and pydicom's equal where they legitimately differ are spelled out in `equal`.
struct JSONComparison {
    var differences: [String] = []

    /// pydicom writes OW/OF/OD/OL/OV values of big-endian files in the file's byte order; DICOM
    /// JSON carries little endian (PS3.18 §8.7.3.3.2), as we write. Set for big-endian files.
    var theirBinaryIsBigEndian = false

    mutating func compare(_ ours: Any?, _ theirs: Any?, path: String) {
        switch (ours, theirs) {
        case let (a as [String: Any], b as [String: Any]) where theirBinaryIsBigEndian && b["InlineBinary"] is String:
            var swapped = b
            let width = ["OW": 2, "OF": 4, "OL": 4, "OD": 8, "OV": 8][b["vr"] as? String ?? ""] ?? 1
            if let text = b["InlineBinary"] as? String, let data = Data(base64Encoded: text) {
                var bytes = [UInt8](data)
                for i in stride(from: 0, to: bytes.count - bytes.count % width, by: width) { bytes[i..<i + width].reverse() }
                swapped["InlineBinary"] = Data(bytes).base64EncodedString()
            }
            theirBinaryIsBigEndian = false
            compare(a, swapped, path: path)
            theirBinaryIsBigEndian = true
        case let (a as [String: Any], b as [String: Any]):
            for key in Set(a.keys).union(b.keys).sorted() {
                // pydicom knows the VRs of many private elements from its private dictionary; we
                // keep private elements of implicit-VR files as UN (PS3.5 §6.2.2), bytes untouched.
                if let tag = Tag(hexString: key), tag.isPrivate, let ours = a[key] as? [String: Any],
                   ours["vr"] as? String == "UN", let theirs = b[key] as? [String: Any],
                   theirs["vr"] as? String != "UN" { continue }
                compare(a[key], b[key], path: path + "/" + key)
            }
        case let (a as [Any], b as [Any]):
            guard a.count == b.count else {
                differences.append("\(path): \(a.count) values vs pydicom's \(b.count): \(short(a)) vs \(short(b))")
                return
            }
            for i in a.indices { compare(a[i], b[i], path: "\(path)[\(i)]") }
        default:
            if !Self.equal(ours, theirs) {
                differences.append("\(path): \(short(ours)) vs pydicom's \(short(theirs))")
            }
        }
    }

    static func equal(_ a: Any?, _ b: Any?) -> Bool {
        switch (a, b) {
        case (nil, nil): return true
        case let (x as NSNumber, y as NSNumber):
            let dx = x.doubleValue, dy = y.doubleValue
            return dx == dy || abs(dx - dy) <= 1e-9 * max(abs(dx), abs(dy))
        // Trailing spaces are padding, not value (PS3.5 §6.2); pydicom keeps them on all but the
        // last value of a multi-valued string ("DERIVED \\SECONDARY" → "DERIVED ").
        case let (x as String, y as String): return x == y || x == y.trimmingCharacters(in: .whitespaces)
        // PS3.18 F.2.5: an empty value inside a multi-valued attribute is null; pydicom writes "".
        case (is NSNull, let y as String): return y.isEmpty
        case (is NSNull, is NSNull): return true
        default: return false
        }
    }

    func short(_ v: Any?) -> String {
        guard let v else { return "absent" }
        let s = "\(v)"
        return s.count > 120 ? String(s.prefix(120)) + "…" : s
    }
}
