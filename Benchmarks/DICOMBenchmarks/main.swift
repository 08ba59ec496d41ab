import DICOM
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Speed benchmark of the DICOM data layer (not a test): header-only parse, full parse, full
// parse + re-encode, encode and DICOM JSON, on inputs built in memory (see Inputs.swift).
//
//   Benchmarks/run.sh                 # ≥ 1 s per case
//   Benchmarks/run.sh --quick         # ~0.1 s per case
//   Benchmarks/run.sh --filter ct-explicit --iterations 2000   # fixed work, for profilers
//
// Goals (issue): header parse of a 0.5 MB CT under 20 µs; full parse above 1 GB/s, pixel data
// referenced, not copied.

let usage = """
    usage: DICOMBenchmarks [--quick] [--time SECONDS] [--iterations N] [--filter TEXT]... [--no-json]
      --quick          short run (0.1 s per case, 20 ms warm-up)
      --time S         minimum measuring time per case in seconds (default 1)
      --iterations N   run each case exactly N times, no warm-up (for callgrind / dhat / perf)
      --filter TEXT    only cases whose name contains TEXT (repeatable); a trailing $ anchors
                       the end: --filter 'ct-explicit/full$' leaves out ct-explicit/full+encode
      --json-file PATH DICOM file for the json-header / json-ingest cases (repeatable; default: a
                       file of /tmp/corpus-ct and of /tmp/corpus-tiny when present)
      --no-json        no JSON lines
    """

var options = BenchmarkOptions()
/// DICOM files for the JSON cases: a CT and a tiny CT of the shared corpora by default (skipped
/// when absent), or those given with --json-file.
var jsonFiles: [(name: String, path: String)] = [
    ("corpus-ct", "/tmp/corpus-ct/dicom/PAT000001/S01/SE01/I0001.dcm"),
    ("corpus-tiny", "/tmp/corpus-tiny/dicom/TNY000001/S01/SE01/I0001.dcm"),
]
var jsonFilesGiven = false
var arguments = CommandLine.arguments.dropFirst()
@MainActor func nextValue(_ flag: String) -> String {
    guard let v = arguments.popFirst() else { print("missing value for \(flag)\n\(usage)"); exit(2) }
    return v
}
while let arg = arguments.popFirst() {
    switch arg {
    case "--quick":
        options.minTime = BenchmarkOptions.quick.minTime
        options.warmUp = BenchmarkOptions.quick.warmUp
        options.minSamples = BenchmarkOptions.quick.minSamples
    case "--time":
        guard let s = Double(nextValue(arg)), s > 0 else { print(usage); exit(2) }
        options.minTime = .nanoseconds(Int64(s * 1e9))
    case "--iterations":
        guard let n = Int(nextValue(arg)), n > 0 else { print(usage); exit(2) }
        options.fixedIterations = n
    case "--filter":
        options.filters.append(nextValue(arg))
    case "--json-file":
        let path = nextValue(arg)
        if !jsonFilesGiven { jsonFiles = []; jsonFilesGiven = true }
        jsonFiles.append((String(path.split(separator: "/").last ?? "file"), path))
    case "--no-json":
        options.printJSON = false
    case "-h", "--help":
        print(usage); exit(0)
    default:
        print("unknown argument \(arg)\n\(usage)"); exit(2)
    }
}

#if DEBUG
print("warning: debug build; figures are meaningless (use Benchmarks/run.sh, which builds -c release)")
#endif

// MARK: - Inputs

struct Input {
    var name: String
    var bytes: [UInt8]
    var hasPixelData: Bool
}

func part10(_ dataSet: DataSet, _ syntax: TransferSyntax) -> [UInt8] {
    DICOMFile(dataSet: dataSet, transferSyntax: syntax).encoded()
}

let ct = Inputs.ctDataSet()
let inputs: [Input] = [
    Input(name: "ct-explicit", bytes: part10(ct, .explicitVRLittleEndian), hasPixelData: true),
    Input(name: "ct-implicit", bytes: part10(ct, .implicitVRLittleEndian), hasPixelData: true),
    Input(name: "small1000", bytes: part10(Inputs.manySmallElements(), .explicitVRLittleEndian), hasPixelData: false),
    Input(name: "seq1000", bytes: part10(Inputs.sequenceOfSmallItems(), .explicitVRLittleEndian), hasPixelData: false),
]

// MARK: - Sanity checks (once, untimed): the inputs parse, round-trip, and pixels are not copied

func countElements(_ ds: DataSet) -> Int {
    ds.elements.reduce(0) { n, e in n + 1 + (e.items ?? []).reduce(0) { $0 + countElements($1) } }
}

print("DICOM data layer benchmark\(options.fixedIterations.map { " (\($0) iterations per case)" } ?? "")")
for input in inputs {
    let file: DICOMFile
    let header: DICOMFile
    do {
        file = try DICOMFile(bytes: input.bytes)
        header = try DICOMFile(bytes: input.bytes, stopAt: .pixelData)
    } catch {
        print("error: \(input.name) does not parse: \(error)"); exit(1)
    }
    var notes: [String] = []
    notes.append("\(input.bytes.count) bytes")
    notes.append("\(countElements(file.dataSet)) elements (\(file.dataSet.count) top-level)")
    notes.append("header ends at byte \(header.dataSetEndOffset)")
    notes.append(file.encoded() == input.bytes ? "re-encodes identically" : "RE-ENCODING DIFFERS")
    if input.hasPixelData, let pixels = file.dataSet[.pixelData]?.bytes {
        let inPlace = input.bytes.withUnsafeBufferPointer { whole in
            pixels.withUnsafeBufferPointer { $0.baseAddress == whole.baseAddress! + pixels.startIndex }
        }
        notes.append(inPlace ? "pixel data referenced in place" : "PIXEL DATA COPIED")
    }
    print("  \(pad(input.name, 12, right: false)) " + notes.joined(separator: ", "))
}
print("")

// MARK: - Cases

var results: [Measurement] = []

@MainActor func run(_ name: String, inputBytes: Int = 0, _ body: () -> Int) {
    guard options.selects(name) else { return }
    let m = measure(name, inputBytes: inputBytes, options: options, body)
    results.append(m)
    let gbps = m.throughputGBps.map { fixed($0, 2) } ?? ""
    print(pad(name, 26, right: false) + pad(micros(m.medianNs), 11) + pad(micros(m.bestNs), 11)
          + pad(micros(m.p90Ns), 11) + pad(gbps, 8) + pad(String(m.iterations), 10))
}

print(pad("case", 26, right: false) + pad("median µs", 11) + pad("best µs", 11) + pad("p90 µs", 11)
      + pad("GB/s", 8) + pad("iters", 10))
print(String(repeating: "-", count: 77))

for input in inputs {
    let bytes = input.bytes
    let name = input.name
    // No throughput for a header parse: most of a CT's input is skipped. (Without pixel data,
    // as in small1000 and seq1000, it reads everything, like the full parse.)
    run("\(name)/header") {
        let f = try! DICOMFile(bytes: bytes, stopAt: .pixelData)
        return f.dataSet.count &+ f.dataSetEndOffset
    }
    run("\(name)/full", inputBytes: bytes.count) {
        let f = try! DICOMFile(bytes: bytes)
        return f.dataSet.count &+ f.dataSetEndOffset
    }
    run("\(name)/full+encode", inputBytes: bytes.count) {
        try! DICOMFile(bytes: bytes).encoded().count
    }
    let parsed = try! DICOMFile(bytes: bytes)
    run("\(name)/encode", inputBytes: bytes.count) {
        parsed.encoded().count
    }
}

let ctHeader = try! DICOMFile(bytes: inputs[0].bytes, stopAt: .pixelData).dataSet
let encoder = DICOMJSONEncoder()
run("ct-explicit/json-header") {
    encoder.encode(ctHeader).utf8.count
}
let small = try! DICOMFile(bytes: inputs[2].bytes).dataSet
run("small1000/json") {
    encoder.encode(small).utf8.count
}

// DICOM JSON as ingest does it (`InstanceRecord.init`): the four per-level subsets (no bulk data
// threshold, everything inline), then the whole header (before Pixel Data) with binary values
// over 1 KiB left out, as bytes for deflate. `json-header` is the plain `encode` of the header.
let levelEncoder = DICOMJSONEncoder(bulkDataThreshold: 0, bulkDataURI: nil)
let headerEncoder = DICOMJSONEncoder(bulkDataThreshold: 1024) { _, _ in "" }
@MainActor func jsonCases(_ name: String, _ header: DataSet) {
    let subsets = Inputs.levelSubsets(header)
    run("\(name)/json-header") {
        encoder.encode(header).utf8.count
    }
    run("\(name)/json-ingest") {
        var n = 0
        for subset in subsets { n &+= levelEncoder.encode(subset).utf8.count }
        return n &+ headerEncoder.encodeBytes(header).count
    }
}
let corpusLike = part10(Inputs.corpusLikeCTDataSet(), .explicitVRLittleEndian)
jsonCases("corpus-like", try! DICOMFile(bytes: corpusLike).dataSet.prefix(before: .pixelData))
// Files of the shared corpora when present (or given with --json-file), parsed as ingest does.
for (name, path) in jsonFiles {
    guard let file = try? DICOMFile(contentsOf: path) else {
        if jsonFilesGiven { print("note: \(path) not readable, \(name) cases skipped") }
        continue
    }
    jsonCases(name, file.dataSet.prefix(before: .pixelData))
}

// MARK: - Goals and machine-readable output

@MainActor func result(_ name: String) -> Measurement? { results.first { $0.name == name } }
print("")
if let h = result("ct-explicit/header") {
    let ok = h.medianNs < 20_000
    print("goal: header parse of 0.5 MB CT < 20 µs: \(micros(h.medianNs)) µs median -> \(ok ? "met" : "MISSED")")
}
if let f = result("ct-explicit/full"), let gbps = f.throughputGBps {
    let ok = gbps > 1
    print("goal: full parse > 1 GB/s: \(fixed(gbps, 2)) GB/s median -> \(ok ? "met" : "MISSED")")
}

if options.printJSON {
    print("")
    for m in results {
        var fields = [
            "\"case\":\(jsonString(m.name))",
            "\"median_us\":\(fixed(m.medianNs / 1000, 3))",
            "\"best_us\":\(fixed(m.bestNs / 1000, 3))",
            "\"p90_us\":\(fixed(m.p90Ns / 1000, 3))",
            "\"iterations\":\(m.iterations)",
            "\"samples\":\(m.samples)",
        ]
        if m.inputBytes > 0 { fields.append("\"input_bytes\":\(m.inputBytes)") }
        if let g = m.throughputGBps { fields.append("\"gb_per_s\":\(fixed(g, 3))") }
        print("{" + fields.joined(separator: ",") + "}")
    }
}
// Keeps every timed result observable, so no work can be optimised away.
let checksum = results.reduce(0) { $0 &+ $1.checksum }
if checksum == 42 { print("") }
