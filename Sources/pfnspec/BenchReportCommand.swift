import ArgumentParser
import Foundation
import PfnReports
import PfnResults
import PfnSupport

/// `pfnspec bench report`: how fast each report format writes synthetic
/// verdicts, and how much memory it needs, at 10^4, 10^5 and 10^6 cases.
///
/// Each measurement runs in a child process of its own, so that its peak
/// resident set (`VmHWM`) is its own; the baseline is the same generator
/// feeding a sink that does nothing, measured in the same run. Rates are per
/// CPU-second of that process (user and system: the writes count), since
/// wall-clock time on a shared machine also counts the other processes.
/// JUnit is also compared with a plain C program that writes the same
/// elements with libxml2's xmlTextWriter (``JUnitWriterAnchor``), built and
/// timed in the same run.
struct BenchReport: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "report",
    abstract: "Time the reporters: cases per second written and peak memory per format.")

  @Option(help: "Case counts, comma-separated.")
  var sizes = "10000,100000,1000000"

  @Option(help: "Formats, comma-separated: junit, ant, surefire, tap, ktap, html, console.")
  var formats = ReportFormatList(ReportFormat.allCases)

  @Option(help: "Where the reports go (default: a temporary directory, removed afterwards).")
  var directory: String?

  @Option(
    help: ArgumentHelp(
      "Measurements per figure; the one with the least CPU time is shown.",
      discussion: "Short measurements repeat further, up to 20, until they took 0.25 s of CPU together: "
        + "one of 10 ms is mostly noise on a shared machine."))
  var repeats = 3

  /// Whether a figure measured `done` times, taking `spent` CPU seconds in
  /// all, is measured again: at least `minimum` times, then while the runs
  /// are short (as `timeit`'s autorange does), so that the least of them is
  /// the cost and not the machine's noise.
  static func measuresAgain(done: Int, minimum: Int, spent: Double) -> Bool {
    done < max(1, minimum) || (spent < 0.25 && done < 20)
  }

  @Option(help: .hidden) var child: String?
  @Option(help: .hidden) var cases: Int = 0

  func run() throws {
    if let child {
      let result = try Self.measure(format: child, cases: cases, directory: directory ?? "/tmp")
      print("\(result.seconds) \(result.peakKiB)")
      return
    }
    let sizeList = sizes.split(separator: ",").compactMap { Int($0) }
    let formatList = formats.formats.map(\.rawValue)
    let scratch = directory ?? NSTemporaryDirectory() + "pfnspec-bench-\(getpid())"
    try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
    defer { if directory == nil { try? FileManager.default.removeItem(atPath: scratch) } }

    print("pfnspec bench report: synthetic verdicts (90% pass, 5% fail, 3% skipped, 2% error; "
      + "\(Self.casesPerSuite) cases per suite), each figure from its own process")
    print("machine: \(ProcessInfo.processInfo.activeProcessorCount) cores; baseline = the generator into a sink that does nothing")
    print("cases/s = cases per CPU-second of the process (generator and reporter); "
      + "net/s = cases per CPU-second the reporter adds to the baseline")
    print("")
    print(Self.row(["format", "cases", "cases/s", "x base", "net/s", "peak RSS", "x base", "MB out"]))
    var baselines: [Int: (rate: Double, peak: Int)] = [:]
    var peaks: [String: [Int: Int]] = [:]
    var rates: [String: [Int: Double]] = [:]
    for format in ["baseline"] + formatList {
      for size in sizeList {
        let (seconds, peak) = try bestOf(repeats, format: format, cases: size, directory: scratch)
        let rate = Double(size) / max(seconds, 1e-9)
        if format == "baseline" { baselines[size] = (rate, peak) }
        peaks[format, default: [:]][size] = peak
        rates[format, default: [:]][size] = rate
        let base = baselines[size]!
        let added = seconds - Double(size) / base.rate
        // The report and its continuation parts (`junit.part2.xml`, …) or its directory.
        let outputs = ((try? FileManager.default.contentsOfDirectory(atPath: scratch)) ?? []).filter {
          $0 == format || $0.hasPrefix(format + ".")
        }
        let bytes = outputs.reduce(0) { $0 + Self.bytes(under: "\(scratch)/\($1)") }
        print(Self.row([
          format, String(size), String(format: "%.0f", rate), String(format: "%.2f", rate / base.rate),
          format == "baseline" ? "-" : added > 0 ? String(format: "%.0f", Double(size) / added) : "inf",
          "\(peak / 1024) MB", String(format: "%.2f", Double(peak) / Double(base.peak)),
          format == "baseline" || format == "console" ? "-" : String(format: "%.1f", Double(bytes) / 1_048_576),
        ]))
        for name in outputs { try? FileManager.default.removeItem(atPath: "\(scratch)/\(name)") }
      }
    }
    if sizeList.contains(100_000), sizeList.contains(1_000_000) {
      print("")
      print("peak memory, 10^6 cases / 10^5 cases (flat = about 1.0):")
      for format in ["baseline"] + formatList {
        let ratio = Double(peaks[format]![1_000_000]!) / Double(peaks[format]![100_000]!)
        print("  \(format): \(String(format: "%.2f", ratio))")
      }
    }
    if formatList.contains("junit") {
      print("")
      compareWithCWriter(
        sizes: sizeList, junitRates: rates["junit"] ?? [:], baselineRates: rates["baseline"] ?? [:], scratch: scratch)
    }
  }

  /// The JUnit rows beside the plain libxml2 C writer of the same elements.
  ///
  /// Both rates count making the cases' inputs: pfnspec's the generator's
  /// verdicts (the baseline), the C writer's its own `snprintf`s of the same
  /// values. Since the two inputs do not cost the same, the ratio is also
  /// given less each side's inputs: pfnspec's baseline, and the C writer's
  /// inputs alone (the same program making only those values, timed apart).
  private func compareWithCWriter(
    sizes: [Int], junitRates: [Int: Double], baselineRates: [Int: Double], scratch: String
  ) {
    let program: JUnitWriterAnchor.Program
    switch JUnitWriterAnchor.build(in: scratch) {
    case .success(let built): program = built
    case .failure(let error):
      print("junit against a plain libxml2 C writer: not measured (\(error))")
      return
    }
    print("junit against a plain libxml2 xmlTextWriter C program writing the same elements "
      + "(cc -O2, libxml2 \(program.libxml2Version), least CPU seconds of 3 or more runs, as for pfnspec's figures):")
    func rate(_ value: Double) -> String { String(format: "%.0f", value) }
    for size in sizes {
      var best: JUnitWriterAnchor.Figures?
      var inputs: JUnitWriterAnchor.Figures?
      var done = 0
      var spent = 0.0
      // As pfnspec's own figures are measured: at least three times, more while short.
      while Self.measuresAgain(done: done, minimum: 3, spent: spent) {
        done += 1
        switch JUnitWriterAnchor.measure(program, cases: size, output: scratch + "/junit-c.xml", version: PfnSpecVersion.current) {
        case .success(let figures):
          spent += figures.cpuSeconds
          if best == nil || figures.cpuSeconds < best!.cpuSeconds { best = figures }
        case .failure(let error):
          print("  \(size) cases: not measured (\(error))")
          spent = .infinity
        }
        let inputsOnly = JUnitWriterAnchor.measure(
          program, cases: size, output: scratch + "/junit-c.xml", version: PfnSpecVersion.current, inputsOnly: true)
        if case .success(let figures) = inputsOnly, inputs == nil || figures.cpuSeconds < inputs!.cpuSeconds {
          inputs = figures
        }
      }
      try? FileManager.default.removeItem(atPath: scratch + "/junit-c.xml")
      guard let best, let junit = junitRates[size] else { continue }
      print(
        "  \(size) cases: C writer \(rate(best.perSecond)) cases/s (\(String(format: "%.1f", Double(best.bytes) / 1_048_576)) MB), "
          + "junit \(rate(junit)) cases/s: junit = \(String(format: "%.2f", junit / best.perSecond))x the C writer")
      guard let inputs, let baseline = baselineRates[size] else { continue }
      let cNet = best.cpuSeconds - inputs.cpuSeconds
      let junitNet = Double(size) / junit - Double(size) / baseline
      guard cNet > 0, junitNet > 0 else { continue }
      print(
        "    less each side's inputs (C: \(rate(inputs.perSecond)) cases/s, pfnspec's generator: \(rate(baseline)) cases/s): "
          + "C writer \(rate(Double(size) / cNet)), junit \(rate(Double(size) / junitNet)): "
          + "junit = \(String(format: "%.2f", cNet / junitNet))x the C writer")
    }
  }

  static let casesPerSuite = 1000

  private static func row(_ cells: [String]) -> String {
    let widths = [9, 8, 10, 7, 10, 9, 7, 8]
    return zip(cells, widths).map { cell, width in
      cell.count >= width ? cell : String(repeating: " ", count: width - cell.count) + cell
    }.joined(separator: "  ")
  }

  /// The run with the least CPU time of `count` (each its own process), and its peak memory.
  private func bestOf(_ count: Int, format: String, cases: Int, directory: String) throws -> (Double, Int) {
    var best: (Double, Int)?
    var done = 0
    var spent = 0.0
    while Self.measuresAgain(done: done, minimum: count, spent: spent) {
      let figures = try spawn(format: format, cases: cases, directory: directory)
      done += 1
      spent += figures.0
      if best == nil || figures.0 < best!.0 { best = figures }
    }
    return best!
  }

  private func spawn(format: String, cases: Int, directory: String) throws -> (Double, Int) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/proc/self/exe")
    process.arguments = [
      "bench", "report", "--child", format, "--cases", String(cases), "--directory", directory,
    ]
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let words = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isWhitespace)
    guard process.terminationStatus == 0, words.count == 2, let seconds = Double(words[0]),
      let peak = Int(words[1])
    else {
      throw ValidationError("the \(format) measurement of \(cases) cases failed")
    }
    return (seconds, peak)
  }

  private static func bytes(under path: String) -> Int {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return 0 }
    guard isDirectory.boolValue else {
      return (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
    }
    let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
    return names.reduce(0) { $0 + bytes(under: "\(path)/\($1)") }
  }

  // MARK: - One measurement (in the child)

  static func measure(format: String, cases: Int, directory: String) throws -> (
    seconds: Double, peakKiB: Int
  ) {
    let target = "\(directory)/\(format)"
    let sink: any VerdictSink
    switch format {
    case "baseline": sink = NullSink()
    case "junit": sink = JUnitReporter(path: target, options: JUnitOptions())
    case "ant": sink = JUnitReporter(path: target, options: JUnitOptions(dialect: .ant))
    case "surefire": sink = JUnitReporter(path: target, options: JUnitOptions(dialect: .surefire))
    case "tap": sink = TAPReporter(path: target)
    case "ktap": sink = KTAPReporter(path: target)
    case "html": sink = HTMLReporter(path: target)
    case "console": sink = ConsoleReporter(color: .never, quiet: true, output: NullOutput(), progress: false)
    default: throw ValidationError("unknown format '\(format)'")
    }
    let clock = ContinuousClock()
    let began = clock.now
    let beganCPU = processCPUSeconds()
    var generator = SyntheticVerdicts()
    // The generator knows the run's size, as an engine that plans its cases first does.
    var info = generator.info
    info.plannedCases = cases
    info.plannedSuites = (cases + casesPerSuite - 1) / casesPerSuite
    sink.runStarted(info)
    var tally = Tally()
    var index = 0
    var suite = 0
    // A local value, lent to the sink as it is (no copy of the verdict per case).
    var verdict = SyntheticVerdicts.firstVerdict
    while index < cases {
      let key = SuiteKey(suite: "suite\(suite / 8)", walker: "walker\(suite % 4)", arch: suite % 8 < 4 ? "x86_64" : "arm64")
      sink.suiteStarted(key)
      for position in 0..<min(casesPerSuite, cases - index) {
        generator.makeVerdict(index, key: key, suite: suite, position: position, into: &verdict)
        sink.record(verdict)
        tally.add(verdict.outcome)
        index += 1
      }
      sink.suiteFinished(key)
      suite += 1
    }
    let elapsed = clock.now - began
    try sink.runFinished(tally, seconds: Double(elapsed.components.seconds))
    return (processCPUSeconds() - beganCPU, peakResidentKiB())
  }

  /// `VmHWM` from `/proc/self/status`, in KiB (0 where there is no such file).
  static func peakResidentKiB() -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
      return Int(line.split(whereSeparator: \.isWhitespace)[1]) ?? 0
    }
    return 0
  }
}

/// Verdicts that look like a real run's: rules with parameters, failures with
/// several lines of details ending in a replay command. What does not change
/// from case to case (rule ids, titles, locations, sources, causes) is made
/// once, as an engine holds it once, and the verdict is one value whose
/// fields are set case after case (as the C writer of ``JUnitWriterAnchor``
/// reuses its buffers), so that the baseline is mostly the reporters' time.
/// Each case's own values (its address, a failure's host calls and replay)
/// are made for each case.
private struct SyntheticVerdicts {
  let info = RunInfo(
    toolVersion: PfnSpecVersion.current, seed: 7, specPaths: ["Specs/bench.pfnspec"],
    walkers: ["walker0", "walker1", "walker2", "walker3"], arches: ["x86_64", "arm64"],
    startTime: 0, hostname: "localhost")
  private let rules = (0..<20).map { "BN-\(100 + $0)" }
  private let titles = (0..<20).map { "synthetic rule \($0) keeps its promise" }
  private let locations = (0..<20).map { SpecLocation(file: "Specs/bench.pfnspec", line: 10 + $0 * 8) }
  private let levels = ["pte", "pmd", "pud"].map { CaseParameter(name: "level", value: $0) }
  private let sources = (0..<33).map { ["contract#C\($0 + 1)"] }
  private let emptyStory = CaseStory()
  /// A failure's host calls, up to the address each reads (`host call 3: read pmd entry 0x`).
  private let traceLinePrefixes = (0..<12).map { Array("host call \($0): read pmd entry 0x".utf8) }
  private let skippedCause = VerdictCause.notApplicable(reason: "no PUD leaves on this architecture")
  private let failedCause = VerdictCause.broken(
    expectations: [
      FailedExpectation(
        location: SourcePoint(file: "Specs/bench.pfnspec", line: 12, column: 3), text: "pfn == 0x200123",
        explanation: "expected pfn == 0x200123, got 0x200000")
    ], fault: nil)
  private let errorCause = VerdictCause.worldNotBuilt(reason: "the world could not be built")

  /// The verdict the generator's cases are written into, case after case.
  static let firstVerdict = Verdict(
    identity: CaseIdentity(key: SuiteKey(suite: "", walker: "", arch: ""), ruleID: "", ruleTitle: ""),
    outcome: .pass, profile: "6.12/strict", seed: 7, seconds: 0.0001)

  /// A failing case's story and replay, held here while passing cases carry
  /// the empty ones, so that the next failing case sets its own host calls
  /// and replay in the same story, array and replay (as the C writer formats
  /// into static buffers): each case's values, each host call's line a new
  /// string, are still made for each case.
  private var spareStory = CaseStory(trace: Array(repeating: "", count: 12))
  private var spareReplay: PfnResults.Replay? = PfnResults.Replay(
    spec: "Specs/bench.pfnspec", rule: "", caseName: "", walker: .builtin(""), arch: "", seed: 7)
  /// Whether the verdict holds the failure's story and replay (not the spares).
  private var verdictHoldsFailure = false

  /// `prefix` and `value` in lowercase hexadecimal, as `prefix + String(value, radix: 16)`
  /// spells it, written straight into the string (a small one needs no allocation).
  static func hex(_ value: Int, prefix: StaticString) -> String {
    hex(value, prefix: UnsafeBufferPointer(start: prefix.utf8Start, count: prefix.utf8CodeUnitCount))
  }

  /// ``hex(_:prefix:)`` after the bytes of `prefix`: one allocation for a
  /// string too long to be small.
  static func hex(_ value: Int, prefix: UnsafeBufferPointer<UInt8>) -> String {
    precondition(value >= 0)
    var digits = 1
    while value >> (4 * digits) != 0 { digits += 1 }
    let count = prefix.count + digits
    return String(unsafeUninitializedCapacity: count) { buffer in
      if let start = prefix.baseAddress {
        UnsafeMutableRawPointer(buffer.baseAddress!).copyMemory(from: start, byteCount: prefix.count)
      }
      var rest = value
      for offset in stride(from: count - 1, through: prefix.count, by: -1) {
        let digit = UInt8(rest & 0xF)
        buffer[offset] = digit < 10 ? UInt8(ascii: "0") + digit : UInt8(ascii: "a") + digit - 10
        rest >>= 4
      }
      return count
    }
  }

  /// Makes `verdict`, the previous case's, case `index`.
  mutating func makeVerdict(_ index: Int, key: SuiteKey, suite: Int, position: Int, into verdict: inout Verdict) {
    let rule = position % 20
    if verdict.identity.key != key { verdict.identity.key = key }
    verdict.identity.ruleID = rules[rule]
    verdict.identity.ruleTitle = titles[rule]
    verdict.identity.location = locations[rule]
    let address = CaseParameter(name: "addr", value: Self.hex(index, prefix: "0x7f00"))
    if verdict.identity.parameters.count == 2 {
      // Changed in place: no new array for each case.
      verdict.identity.parameters[0] = levels[position % 3]
      verdict.identity.parameters[1] = address
    } else {
      verdict.identity.parameters = [levels[position % 3], address]
    }
    verdict.sources = sources[position % 33]
    verdict.ordinal = CaseOrdinal(suite: suite, rule: rule, index: position)
    let roll = (index &* 2_654_435_761) % 100
    let outcome: Outcome = roll < 90 ? .pass : roll < 95 ? .fail : roll < 98 ? .skipped : .error
    verdict.outcome = outcome
    switch outcome {
    case .pass, .skipped:
      verdict.cause = outcome == .pass ? nil : skippedCause
      if verdictHoldsFailure {
        // The empty story and no replay, the failure's kept for the next failing case.
        swap(&verdict.story, &spareStory)
        swap(&verdict.replay, &spareReplay)
        verdictHoldsFailure = false
      }
    case .fail, .error:
      verdict.cause = outcome == .fail ? failedCause : errorCause
      if !verdictHoldsFailure {
        swap(&verdict.story, &spareStory)
        swap(&verdict.replay, &spareReplay)
        verdictHoldsFailure = true
      }
      // Each host call's line made anew, into the same array (a new story if
      // a sink kept the last: it is a value).
      for line in 0..<traceLinePrefixes.count {
        verdict.story.trace[line] = traceLinePrefixes[line].withUnsafeBufferPointer {
          Self.hex(index &* 31 + line, prefix: $0)
        }
      }
      verdict.replay!.rule = rules[rule]
      verdict.replay!.caseName = verdict.identity.caseName
      verdict.replay!.walker = .builtin(key.walker)
      verdict.replay!.arch = key.arch
    }
  }
}

private final class NullSink: VerdictSink {
  func runStarted(_ info: RunInfo) {}
  func suiteStarted(_ key: SuiteKey) {}
  func record(_ verdict: Verdict) {}
  func suiteFinished(_ key: SuiteKey) {}
  func runFinished(_ tally: Tally, seconds: Double) throws {}
}

private final class NullOutput: ConsoleOutputStream {
  var isTerminal: Bool { false }
  func write(_ string: String) {}
}

/// A report format `bench report` can time.
enum ReportFormat: String, CaseIterable, ExpressibleByArgument {
  case junit, ant, surefire, tap, ktap, html, console
}

/// Report formats, comma-separated on the command line (`junit,tap`).
struct ReportFormatList: ExpressibleByArgument {
  var formats: [ReportFormat]

  init(_ formats: [ReportFormat]) { self.formats = formats }

  init?(argument: String) {
    let formats = argument.split(separator: ",").map { ReportFormat(rawValue: String($0)) }
    guard !formats.isEmpty, formats.allSatisfy({ $0 != nil }) else { return nil }
    self.formats = formats.compactMap { $0 }
  }

  var defaultValueDescription: String { formats.map(\.rawValue).joined(separator: ",") }

  static var allValueStrings: [String] { ReportFormat.allCases.map(\.rawValue) }
}
