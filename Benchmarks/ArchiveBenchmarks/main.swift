// The archive scale benchmark: synthetic tiny instances ingested through the real `Ingestor`
// (hashed file store + SQLite index with group commit), then Study-level queries through
// `QueryMatcher` at checkpoints (20k ... 1M instances). No HTTP: this is the archive's own cost.
//
//   swift build -c release --product ArchiveBenchmarks --scratch-path .build-bench
//   .build-bench/release/ArchiveBenchmarks --instances 1000000 [--directory DIR] [--keep] [--sync]
//
// See `--help` and Benchmarks/run_archive_bench.sh.

import Archive
import DICOM
import Dispatch
import Foundation
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

struct Options {
    var instances = 1_000_000
    var directory: String? = nil
    var keep = false
    var reuse = false
    var sync = false
    var concurrency = 8
    var reportEvery = 100_000
    var chunk = 10_000
    var checkpoints: [Int] = [20_000, 100_000, 500_000]
    var queryN = 50
    var listN = 20
    var seed: UInt64 = 1
    var outJSON: String? = nil
    var exportManifest: String? = nil

    static let usage = """
        ArchiveBenchmarks: ingest N synthetic tiny instances (64×64, ~9.6 KB Part 10 objects; 5 per
        series, 2 series per study, 4 studies per patient) through the real Ingestor, reporting the
        ingest rate per block, then time Study queries through QueryMatcher at checkpoints.

          --instances N        instances to ingest (rounded down to a multiple of 40; default 1000000)
          --directory DIR      archive directory (default: a new /tmp/archive-bench-XXXXXX)
          --keep               keep the directory at the end (default: removed)
          --reuse              DIR holds an archive this benchmark filled: only run the queries
          --sync               SyncStorageArea true: fsync every file and every index commit
                               (default false: no fsync per file, SQLite synchronous=NORMAL)
          --concurrency K      ingests in flight (default 8)
          --report-every N     ingest rate per block of N instances (default 100000)
          --checkpoints A,B    also query at these counts (default 20000,100000,500000; the end always)
          --query-n N          iterations per key search, rotating targets (default 50)
          --list-n N           iterations of the 2,000-study listings (default 20)
          --seed S             attribute/UID seed (default 1)
          --out-json FILE      write the figures as JSON
          --export-manifest F  write a make_corpus.py-style manifest.json of the archive's instances
                               (from the generator), so Benchmarks/archive_bench.py can run its
                               /tools/find workload against a server opened on DIR (paths are empty)
        """

    static func parse(_ args: [String]) -> Options {
        var o = Options()
        var i = 0
        func value() -> String {
            i += 1
            guard i < args.count else { fail("missing value after \(args[i - 1])") }
            return args[i]
        }
        func int(_ s: String) -> Int {
            guard let n = Int(s.replacingOccurrences(of: "_", with: "")), n >= 0 else { fail("not a count: \(s)") }
            return n
        }
        while i < args.count {
            switch args[i] {
            case "--instances": o.instances = int(value())
            case "--directory": o.directory = value()
            case "--keep": o.keep = true
            case "--reuse": o.reuse = true
            case "--sync": o.sync = true
            case "--concurrency": o.concurrency = max(1, int(value()))
            case "--report-every": o.reportEvery = max(40, int(value()))
            case "--checkpoints": o.checkpoints = value().split(separator: ",").map { int(String($0)) }
            case "--query-n": o.queryN = max(1, int(value()))
            case "--list-n": o.listN = max(1, int(value()))
            case "--seed": o.seed = UInt64(int(value()))
            case "--out-json": o.outJSON = value()
            case "--export-manifest": o.exportManifest = value()
            case "-h", "--help": print(usage); exit(0)
            default: fail("unknown option \(args[i])\n\n\(usage)")
            }
            i += 1
        }
        o.instances -= o.instances % SyntheticArchive.instancesPerPatient
        if o.reuse && o.directory == nil { fail("--reuse needs --directory") }
        if o.reuse { o.keep = true }  // never delete an archive we did not create
        return o
    }
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("ArchiveBenchmarks: \(message)\n".utf8))
    exit(2)
}

let startTime = ContinuousClock.now

func log(_ s: String) {
    let t = (ContinuousClock.now - startTime).seconds
    print("[\(String(format: "%7.1f", t))s] " + s)
    fflush(nil)
}

// MARK: - Figures

struct Figure: Codable {
    var section: String
    var metric: String
    var value: Double
    var unit: String
    var extra: [String: String] = [:]
}

final class Report: @unchecked Sendable {
    var figures: [Figure] = []
    var checks: [(String, Bool, String)] = []
    var plans: [String: [String]] = [:]

    func fig(_ section: String, _ metric: String, _ value: Double, _ unit: String, _ extra: [String: String] = [:]) {
        figures.append(Figure(section: section, metric: metric, value: value, unit: unit, extra: extra))
        let ex = extra.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        log("  \(section.padding(toLength: 14, withPad: " ", startingAt: 0)) \(metric.padding(toLength: 50, withPad: " ", startingAt: 0)) \(fmt(value).leftPadded(10)) \(unit.padding(toLength: 7, withPad: " ", startingAt: 0)) \(ex)")
    }

    func check(_ name: String, _ ok: Bool, _ detail: String = "") {
        checks.append((name, ok, detail))
        if !ok { log("  CHECK FAILED: \(name): \(detail)") }
    }
}

func fmt(_ v: Double) -> String {
    if v == v.rounded() && abs(v) < 1e9 { return String(Int(v)) }
    if abs(v) >= 100 { return String(format: "%.1f", v) }
    return String(format: "%.3f", v)
}

extension String {
    func leftPadded(_ n: Int) -> String { count >= n ? self : String(repeating: " ", count: n - count) + self }
}

extension Duration {
    var seconds: Double {
        let (s, atto) = components
        return Double(s) + Double(atto) / 1e18
    }
}

func median(_ xs: [Double]) -> Double {
    let s = xs.sorted()
    guard !s.isEmpty else { return .nan }
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

func percentile(_ xs: [Double], _ p: Double) -> Double {
    let s = xs.sorted()
    guard !s.isEmpty else { return .nan }
    return s[min(s.count - 1, max(0, Int((p / 100 * Double(s.count - 1)).rounded())))]
}

func residentMiB() -> (rss: Double, hwm: Double) {
    guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return (0, 0) }
    var rss = 0.0, hwm = 0.0
    for line in text.split(separator: "\n") {
        let parts = line.split(separator: " ", omittingEmptySubsequences: true)
        if line.hasPrefix("VmRSS:"), parts.count > 1 { rss = (Double(parts[1]) ?? 0) / 1024 }
        if line.hasPrefix("VmHWM:"), parts.count > 1 { hwm = (Double(parts[1]) ?? 0) / 1024 }
    }
    return (rss, hwm)
}

func processCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
        + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
}

/// The 1-minute load average (other work on the machine skews a block's rate).
func loadAverage() -> String {
    var load = [Double](repeating: 0, count: 3)
    return getloadavg(&load, 3) > 0 ? String(format: "%.2f", load[0]) : "?"
}

/// Allocated bytes under `path` (`du -s --block-size=1`).
func diskUsage(_ path: String) -> Int {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/du")
    p.arguments = ["-s", "--block-size=1", path]
    let pipe = Pipe()
    p.standardOutput = pipe
    do { try p.run() } catch { return 0 }
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return Int(String(decoding: data, as: UTF8.self).split(separator: "\t").first ?? "0") ?? 0
}

// MARK: - Queries

struct QueryCase {
    var name: String
    /// (query, expected number of matches)
    var runs: [(Query, Int)]
}

func queryCases(_ syn: SyntheticArchive, instances n: Int, options: Options, seed: UInt64) -> [QueryCase] {
    let patients = n / SyntheticArchive.instancesPerPatient
    let studies = n / SyntheticArchive.instancesPerStudy
    var rng = SplitMix(seed: seed &+ UInt64(n))
    let k = options.queryN
    let pick = { (count: Int, rng: inout SplitMix) -> Int in Int(rng.next() % UInt64(count)) }

    // Study by PatientID: 4 studies each.
    let byPatient = (0..<k).map { _ -> (Query, Int) in
        let p = pick(patients, &rng)
        return (Query(level: .study, keys: [QueryKey(.patientID, value: syn.patientID(p))]), SyntheticArchive.studiesPerPatient)
    }
    // Study by AccessionNumber: 1.
    let byAccession = (0..<k).map { _ -> (Query, Int) in
        let s = pick(studies, &rng)
        return (Query(level: .study, keys: [QueryKey(Tag(0x0008_0050), value: syn.accessionNumber(s))]), 1)
    }
    // PatientName prefixes: the first 3 letters (as pacs_bench.py / archive_bench.py do: 1/39 of
    // the patients) and the whole family name (about 1/1521).
    var familyCount: [String: Int] = [:]
    var prefixCount: [String: Int] = [:]
    for p in 0..<patients {
        let family = syn.familyName(p)
        familyCount[family, default: 0] += 1
        prefixCount[String(family.prefix(3)), default: 0] += 1
    }
    let byPrefix3 = (0..<k).map { _ -> (Query, Int) in
        let pre = String(syn.familyName(pick(patients, &rng)).prefix(3))
        return (Query(level: .study, keys: [QueryKey(.patientName, value: pre + "*")]),
                prefixCount[pre]! * SyntheticArchive.studiesPerPatient)
    }
    let families = familyCount.keys.sorted()
    let byFamily = (0..<k).map { _ -> (Query, Int) in
        let family = syn.familyName(pick(patients, &rng))
        // A prefix: "PEREZ-MARTIN*" matches PEREZ-MARTINEZ too.
        let expected = families.filter { $0.hasPrefix(family) }.reduce(0) { $0 + familyCount[$1]! }
        return (Query(level: .study, keys: [QueryKey(.patientName, value: family + "*")]),
                expected * SyntheticArchive.studiesPerPatient)
    }
    // StudyDate ranges holding about 200 studies (10 % of the studies at 20k instances, as in
    // the REST harness; a fortnight at 1M).
    var perDay = [Int](repeating: 0, count: SyntheticArchive.dateSpan)
    for s in 0..<studies { perDay[syn.studyDay(s) - SyntheticArchive.firstDay] += 1 }
    let window = max(1, Int((200.0 / (Double(studies) / Double(SyntheticArchive.dateSpan))).rounded()))
    let byDate = (0..<k).map { _ -> (Query, Int) in
        let start = pick(max(1, SyntheticArchive.dateSpan - window), &rng)
        let end = min(SyntheticArchive.dateSpan - 1, start + window - 1)
        let expected = perDay[start...end].reduce(0, +)
        let value = SyntheticArchive.civil(SyntheticArchive.firstDay + start) + "-" + SyntheticArchive.civil(SyntheticArchive.firstDay + end)
        return (Query(level: .study, keys: [QueryKey(.studyDate, value: value)]), expected)
    }
    let listN = options.listN
    let page = min(2000, studies)
    let list = (0..<listN).map { _ in (Query(level: .study, keys: [], limit: 2000), page) }
    let deep = (0..<listN).map { _ -> (Query, Int) in
        let offset = pick(max(1, studies - page + 1), &rng)
        return (Query(level: .study, keys: [], limit: 2000, offset: offset), page)
    }
    let qidoKeys = [QueryKey(Tag(0x0020_1206)), QueryKey(Tag(0x0020_1208)), QueryKey(Tag(0x0008_0061))]
    let listComputed = (0..<listN).map { _ in (Query(level: .study, keys: qidoKeys, limit: 2000), page) }
    return [
        QueryCase(name: "Study by PatientID", runs: byPatient),
        QueryCase(name: "Study by AccessionNumber", runs: byAccession),
        QueryCase(name: "Study by PatientName XXX* (3 letters)", runs: byPrefix3),
        QueryCase(name: "Study by PatientName FAMILY-NAME*", runs: byFamily),
        QueryCase(name: "Study by StudyDate range (~200 studies)", runs: byDate),
        QueryCase(name: "list 2,000 studies (limit 2000)", runs: list),
        QueryCase(name: "list 2,000 studies at a random offset", runs: deep),
        QueryCase(name: "list 2,000 studies + QIDO computed keys", runs: listComputed),
    ]
}

struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

func runQueries(_ archive: Archive, _ syn: SyntheticArchive, instances n: Int, options: Options, report: Report) {
    let section = "query@\(n >= 1_000_000 && n % 1_000_000 == 0 ? "\(n / 1_000_000)M" : n % 1000 == 0 ? "\(n / 1000)k" : "\(n)")"
    log("== queries at \(n) instances (\(n / SyntheticArchive.instancesPerStudy) studies, \(n / SyntheticArchive.instancesPerPatient) patients)")
    let clock = ContinuousClock()
    for c in queryCases(syn, instances: n, options: options, seed: options.seed) {
        // The plan SQLite chose, once per case.
        if let plan = try? archive.index.read({ db in try QueryMatcher.explain(c.runs[0].0, on: db) }) {
            report.plans["\(section) \(c.name)"] = plan
            log("  plan \(c.name): " + plan.joined(separator: " | "))
        }
        _ = try? archive.index.read { db in try QueryMatcher.run(c.runs[0].0, on: db) }  // warm-up
        var samples: [Double] = []
        var wrong: [String] = []
        let cpu0 = processCPUSeconds()
        for (query, expected) in c.runs {
            let t0 = clock.now
            let matches: [QueryMatch]
            do {
                matches = try archive.index.read { db in try QueryMatcher.run(query, on: db) }
            } catch {
                wrong.append("\(error)")
                continue
            }
            samples.append((clock.now - t0).seconds * 1000)
            if matches.count != expected {
                wrong.append("got \(matches.count) expected \(expected) for \(query.keys.map { "\($0.tag)=\($0.value)" }) offset \(query.offset)")
            }
        }
        let cpu = (processCPUSeconds() - cpu0) * 1000 / Double(max(1, c.runs.count))
        report.check("\(section) \(c.name): result counts", wrong.isEmpty, "\(wrong.count) wrong; " + wrong.prefix(3).joined(separator: "; "))
        report.fig(section, c.name, median(samples), "ms",
                   ["p90": fmt(percentile(samples, 90)), "min": fmt(samples.min() ?? .nan), "max": fmt(samples.max() ?? .nan),
                    "n": String(samples.count), "matches": String(c.runs[0].1), "cpu_ms": fmt(cpu)])
    }
}

// MARK: - Manifest

/// The manifest `make_corpus.py` writes, for the synthetic archive's first `n` instances.
func exportManifest(_ syn: SyntheticArchive, instances n: Int, seed: UInt64, to path: String) {
    var out = "{\"generator\":\"ArchiveBenchmarks\",\"version\":1,\"params\":{\"patients\":\(n / SyntheticArchive.instancesPerPatient),"
        + "\"studies\":\(SyntheticArchive.studiesPerPatient),\"series\":\(SyntheticArchive.seriesPerStudy),"
        + "\"instances\":\(SyntheticArchive.instancesPerSeries),\"rows\":64,\"cols\":64,\"seed\":\(seed),\"id_prefix\":\"SYN\"},"
        + "\"n_instances\":\(n),\"total_bytes\":0,\"patients\":["
    for p in 0..<(n / SyntheticArchive.instancesPerPatient) {
        if p > 0 { out += "," }
        out += "{\"PatientID\":\"\(syn.patientID(p))\",\"PatientName\":\"\(syn.patientName(p))\",\"studies\":["
        for ls in 0..<SyntheticArchive.studiesPerPatient {
            let s = p * SyntheticArchive.studiesPerPatient + ls
            if ls > 0 { out += "," }
            out += "{\"StudyInstanceUID\":\"\(syn.studyUID(s))\",\"StudyDate\":\"\(syn.studyDate(s))\","
                + "\"AccessionNumber\":\"\(syn.accessionNumber(s))\",\"series\":["
            for lr in 0..<SyntheticArchive.seriesPerStudy {
                let r = s * SyntheticArchive.seriesPerStudy + lr
                if lr > 0 { out += "," }
                out += "{\"SeriesInstanceUID\":\"\(syn.seriesUID(r))\",\"instances\":["
                for k in 0..<SyntheticArchive.instancesPerSeries {
                    let i = r * SyntheticArchive.instancesPerSeries + k
                    if k > 0 { out += "," }
                    out += "{\"SOPInstanceUID\":\"\(syn.sopUID(i))\",\"InstanceNumber\":\(k + 1),\"path\":\"\"}"
                }
                out += "]}"
            }
            out += "]}"
        }
        out += "]}"
    }
    out += "]}"
    if FileManager.default.createFile(atPath: path, contents: Data(out.utf8)) {
        log("manifest: \(path) (\(out.utf8.count / 1_000_000) MB)")
    } else {
        log("cannot write \(path)")
    }
}

// MARK: - Main

func instanceCount(_ archive: Archive) -> Int {
    (try? archive.index.read { db in try db.scalarInt("SELECT count(*) FROM instances") }).flatMap { $0 }.map(Int.init) ?? 0
}

func run() async {
    let options = Options.parse(Array(CommandLine.arguments.dropFirst()))
    let report = Report()
    let syn = SyntheticArchive(seed: options.seed)
    let directory: String
    if let d = options.directory {
        directory = d
    } else {
        var template = Array("/tmp/archive-bench-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { fail("mkdtemp failed") }
        directory = String(cString: made)
    }
    if !options.reuse, let existing = try? FileManager.default.contentsOfDirectory(atPath: directory), !existing.isEmpty {
        fail("\(directory) is not empty (use --reuse to query an archive this benchmark filled, or another directory)")
    }
    var configuration = ArchiveConfiguration(storageDirectory: directory + "/storage", indexDirectory: directory + "/index")
    configuration.syncStorageArea = options.sync
    let archive: Archive
    do {
        archive = try Archive(configuration: configuration)
    } catch {
        fail("cannot open the archive in \(directory): \(error)")
    }
    log("ArchiveBenchmarks: \(options.reuse ? "reusing" : "ingesting \(options.instances) instances into") \(directory); "
        + "SyncStorageArea \(options.sync) (\(options.sync ? "fsync per file + SQLite synchronous=FULL" : "no fsync per file, SQLite synchronous=NORMAL")), "
        + "\(options.concurrency) ingests in flight, \(ProcessInfo.processInfo.activeProcessorCount) cores")
    report.fig("setup", "SyncStorageArea", options.sync ? 1 : 0, "bool")
    report.fig("setup", "ingests in flight", Double(options.concurrency), "")

    var total = options.reuse ? instanceCount(archive) : 0
    if options.reuse {
        total -= total % SyntheticArchive.instancesPerPatient
        log("found \(total) instances")
    } else {
        let pixels = syn.pixels()
        let clock = ContinuousClock()
        let checkpoints = Set(options.checkpoints.filter { $0 > 0 && $0 < options.instances }.map { $0 - $0 % SyntheticArchive.instancesPerPatient })
        var blockStart = 0
        var blockIngest = Duration.zero
        var blockBytes = 0
        var blockCPU = 0.0
        var totalIngest = Duration.zero
        var totalGenerate = Duration.zero
        var totalBytes = 0
        var rates: [Double] = []
        var failures = 0
        var firstFailure = ""
        log("== ingest (rate per \(options.reportEvery) instances, ingest time only: generation and queries excluded)")
        while total < options.instances {
            // The next chunk ends at the chunk size, a report boundary, a checkpoint or the end.
            var end = min(options.instances, total + options.chunk)
            end = min(end, (total / options.reportEvery + 1) * options.reportEvery)
            if let next = checkpoints.filter({ $0 > total }).min() { end = min(end, next) }
            let t0 = clock.now
            let start = total
            let blobs = (start..<end).map { syn.instance($0, pixels: pixels) }
            totalGenerate += clock.now - t0
            let bytes = blobs.reduce(0) { $0 + $1.count }

            let cpu0 = processCPUSeconds()
            let t1 = clock.now
            let ingestor = archive.ingestor
            let (ok, failed, failure) = await withTaskGroup(of: (Bool, String).self) { group -> (Int, Int, String) in
                var next = 0
                func add() {
                    let bytes = blobs[next]
                    next += 1
                    group.addTask {
                        do {
                            let r = try await ingestor.ingest(bytes: bytes, origin: "bench")
                            return (r.status == .success, r.status == .success ? "" : "status \(r.status.rawValue)")
                        } catch {
                            return (false, "\(error)")
                        }
                    }
                }
                for _ in 0..<min(options.concurrency, blobs.count) { add() }
                var ok = 0, failed = 0, first = ""
                while let (success, why) = await group.next() {
                    if success { ok += 1 } else { failed += 1; if first.isEmpty { first = why } }
                    if next < blobs.count { add() }
                }
                return (ok, failed, first)
            }
            let elapsed = clock.now - t1
            _ = ok
            failures += failed
            if firstFailure.isEmpty { firstFailure = failure }
            blockIngest += elapsed
            totalIngest += elapsed
            blockCPU += processCPUSeconds() - cpu0
            blockBytes += bytes
            totalBytes += bytes
            total = end

            if total % options.reportEvery == 0 || total == options.instances {
                let n = total - blockStart
                let rate = Double(n) / blockIngest.seconds
                rates.append(rate)
                let mem = residentMiB()
                report.fig("ingest", "instances \(blockStart + 1)...\(total)", rate, "inst/s",
                           ["MB/s": fmt(Double(blockBytes) / 1e6 / blockIngest.seconds),
                            "cpu_ms_per_inst": fmt(blockCPU * 1000 / Double(n)),
                            "cores_busy": fmt(blockCPU / blockIngest.seconds),
                            "rss_MiB": fmt(mem.rss), "loadavg": loadAverage()])
                blockStart = total
                blockIngest = .zero
                blockBytes = 0
                blockCPU = 0
            }
            if checkpoints.contains(total) {
                runQueries(archive, syn, instances: total, options: options, report: report)
            }
        }
        report.check("ingest: every instance stored (Success)", failures == 0, "\(failures) failed; first: \(firstFailure)")
        report.fig("ingest", "overall", Double(total) / totalIngest.seconds, "inst/s",
                   ["MB/s": fmt(Double(totalBytes) / 1e6 / totalIngest.seconds), "ingest_s": fmt(totalIngest.seconds),
                    "generate_s": fmt(totalGenerate.seconds), "bytes_per_instance": String(totalBytes / max(1, total))])
        if rates.count > 1 {
            let steady = Array(rates.dropFirst())
            report.fig("ingest", "flatness: last block / first block", rates.last! / rates.first!, "ratio",
                       ["min_block": fmt(rates.min()!), "max_block": fmt(rates.max()!),
                        "median_block": fmt(median(rates)), "last_vs_median_after_first": fmt(rates.last! / median(steady))])
        }
        report.fig("ingest", "stored instances (index count)", Double(instanceCount(archive)), "")
        report.check("ingest: index counts every instance", instanceCount(archive) == total, "")
    }

    if total > 0 {
        runQueries(archive, syn, instances: total, options: options, report: report)
    }
    if let path = options.exportManifest, total > 0 {
        exportManifest(syn, instances: total, seed: options.seed, to: path)
    }

    // Disk usage per instance.
    if total > 0 {
        log("== disk usage (sync, du)")
        sync()
        let storage = diskUsage(configuration.storageDirectory)
        let index = diskUsage(configuration.indexDirectory)
        report.fig("disk", "storage area per instance (allocated)", Double(storage) / Double(total) / 1024, "KiB",
                   ["total_MB": fmt(Double(storage) / 1e6)])
        report.fig("disk", "index per instance (allocated)", Double(index) / Double(total) / 1024, "KiB",
                   ["total_MB": fmt(Double(index) / 1e6)])
        report.fig("disk", "total per instance", Double(storage + index) / Double(total) / 1024, "KiB",
                   ["total_MB": fmt(Double(storage + index) / 1e6)])
        if let tables = try? archive.index.read({ db in
            try db.prepare("SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC LIMIT 12").rows { ($0.text(0) ?? "", $0.int64(1)) }
        }) {
            for (name, size) in tables {
                report.fig("disk", "index object \(name)", Double(size) / Double(total), "B/inst", ["MB": fmt(Double(size) / 1e6)])
            }
        }
    }
    let mem = residentMiB()
    report.fig("process", "VmRSS / VmHWM at the end", mem.rss, "MiB", ["VmHWM": fmt(mem.hwm)])

    let failed = report.checks.filter { !$0.1 }
    log("\nchecks: \(report.checks.count - failed.count) ok, \(failed.count) failed")
    for c in failed { log("  FAILED \(c.0): \(c.2)") }

    if let path = options.outJSON {
        let object: [String: Any] = [
            "label": "swiftpacs-archive",
            "options": ["instances": options.instances, "directory": directory, "sync": options.sync,
                        "concurrency": options.concurrency, "reportEvery": options.reportEvery,
                        "queryN": options.queryN, "listN": options.listN, "seed": Int(options.seed)],
            "figures": report.figures.map { ["section": $0.section, "metric": $0.metric, "value": $0.value, "unit": $0.unit, "extra": $0.extra] as [String: Any] },
            "checks": report.checks.map { ["name": $0.0, "ok": $0.1, "detail": $0.2] as [String: Any] },
            "plans": report.plans,
        ]
        if let data = try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys]) {
            _ = FileManager.default.createFile(atPath: path, contents: data)
            log("json: \(path)")
        }
    }
    archive.close()
    if !options.keep {
        log("removing \(directory)")
        let rm = Process()
        rm.executableURL = URL(fileURLWithPath: "/bin/rm")
        rm.arguments = ["-rf", directory]
        try? rm.run()
        rm.waitUntilExit()
    } else {
        log("kept \(directory)")
    }
    exit(failed.isEmpty ? 0 : 1)
}

await run()
