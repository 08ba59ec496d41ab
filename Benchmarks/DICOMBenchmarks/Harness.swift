// A small timing harness: monotonic clock (ContinuousClock), warm-up, batches calibrated so one
// sample is long enough for the clock's resolution not to matter, then median / best / p90 of the
// per-iteration time over the samples.

struct BenchmarkOptions {
    /// Minimum measuring time per case (after warm-up).
    var minTime: Duration = .seconds(1)
    var warmUp: Duration = .milliseconds(200)
    /// At least this many samples per case, whatever the time.
    var minSamples = 30
    /// Target length of one sample (a batch of iterations).
    var sampleTarget: Duration = .microseconds(50)
    /// When set, run each case exactly this many iterations (no warm-up, one sample): for
    /// profilers (callgrind, dhat), where a fixed amount of work is wanted.
    var fixedIterations: Int? = nil
    /// Only cases whose name contains one of these (all when empty); a trailing "$" anchors the
    /// match to the end of the name.
    var filters: [String] = []
    var printJSON = true

    static let quick = BenchmarkOptions(minTime: .milliseconds(100), warmUp: .milliseconds(20), minSamples: 10)

    func selects(_ name: String) -> Bool {
        filters.isEmpty || filters.contains { f in
            f.hasSuffix("$") ? name.hasSuffix(f.dropLast()) : name.contains(f)
        }
    }
}

struct Measurement {
    var name: String
    /// Bytes of input per iteration (for throughput); 0 when throughput means nothing for the case.
    var inputBytes: Int
    var iterations: Int
    var samples: Int
    /// Per-iteration times in nanoseconds.
    var medianNs: Double
    var bestNs: Double
    var p90Ns: Double
    /// Sum of the values the body returned, so the optimiser cannot drop the work.
    var checksum: Int

    /// Input bytes per second at the median, in GB/s (10^9 bytes).
    var throughputGBps: Double? {
        inputBytes > 0 && medianNs > 0 ? Double(inputBytes) / medianNs : nil
    }
}

extension Duration {
    var nanoseconds: Double {
        let (s, atto) = components
        return Double(s) * 1e9 + Double(atto) / 1e9
    }
}

/// Times `body`, which must return something derived from its work (it is summed into a checksum).
func measure(_ name: String, inputBytes: Int, options: BenchmarkOptions, _ body: () -> Int) -> Measurement {
    let clock = ContinuousClock()
    var checksum = 0

    if let fixed = options.fixedIterations {
        let start = clock.now
        for _ in 0..<fixed { checksum &+= body() }
        let per = (clock.now - start).nanoseconds / Double(max(fixed, 1))
        return Measurement(name: name, inputBytes: inputBytes, iterations: fixed, samples: 1,
                           medianNs: per, bestNs: per, p90Ns: per, checksum: checksum)
    }

    // Warm-up (caches, lazily built tables such as the data dictionary, allocator pools), which
    // also gives a first estimate of the cost of one iteration.
    var warmIterations = 0
    let warmStart = clock.now
    repeat {
        checksum &+= body()
        warmIterations += 1
    } while clock.now - warmStart < options.warmUp || warmIterations < 3
    let estimate = max((clock.now - warmStart).nanoseconds / Double(warmIterations), 1)
    let batch = max(1, Int((options.sampleTarget.nanoseconds / estimate).rounded(.up)))

    var perIteration: [Double] = []
    perIteration.reserveCapacity(4096)
    var iterations = 0
    let measureStart = clock.now
    repeat {
        let start = clock.now
        for _ in 0..<batch { checksum &+= body() }
        let elapsed = clock.now - start
        perIteration.append(elapsed.nanoseconds / Double(batch))
        iterations += batch
    } while clock.now - measureStart < options.minTime || perIteration.count < options.minSamples

    perIteration.sort()
    let median = perIteration.count % 2 == 1
        ? perIteration[perIteration.count / 2]
        : (perIteration[perIteration.count / 2 - 1] + perIteration[perIteration.count / 2]) / 2
    let p90 = perIteration[min(perIteration.count - 1, Int(Double(perIteration.count) * 0.9))]
    return Measurement(name: name, inputBytes: inputBytes, iterations: iterations, samples: perIteration.count,
                       medianNs: median, bestNs: perIteration[0], p90Ns: p90, checksum: checksum)
}

// MARK: - Formatting (no Foundation: fixed-point by hand)

func fixed(_ value: Double, _ decimals: Int) -> String {
    guard value.isFinite else { return "-" }
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    let scaled = (abs(value) * scale).rounded()
    let whole = Int(scaled / scale)
    var text = (value < 0 && scaled != 0 ? "-" : "") + String(whole)
    if decimals > 0 {
        let frac = Int(scaled - Double(whole) * scale)
        let digits = String(frac)
        text += "." + String(repeating: "0", count: decimals - digits.count) + digits
    }
    return text
}

func pad(_ s: String, _ width: Int, right: Bool = true) -> String {
    let n = s.count
    guard n < width else { return s }
    let fill = String(repeating: " ", count: width - n)
    return right ? fill + s : s + fill
}

/// Microseconds with a sensible number of decimals.
func micros(_ ns: Double) -> String {
    let us = ns / 1000
    return fixed(us, us < 10 ? 3 : us < 1000 ? 2 : 1)
}

func jsonString(_ s: String) -> String {
    var out = "\""
    for c in s.unicodeScalars {
        switch c {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        default: out.unicodeScalars.append(c)
        }
    }
    return out + "\""
}
