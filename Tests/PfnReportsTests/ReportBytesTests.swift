import Foundation
import PfnReports
import PfnResults
import PfnSupport
import Testing

/// The bytes every reporter writes for a large run of varied, hostile
/// verdicts, pinned by digest: a faster writer must write the very same
/// report. The digests were taken from the writers before they worked on
/// bytes (xmlTextWriter call per attribute, Character-level escaping);
/// `PFNSPEC_PRINT_REPORT_DIGESTS=1` prints the current ones.
@Suite struct ReportBytesTests {
  /// What each report of ``variedRun`` hashes to: FNV-1a 64 over the bytes of
  /// every file (Surefire's in name order), and the total byte count. Taken
  /// again when passes stopped by the schedule limit came to say so: with the
  /// `explored in part` lines (and HTML's section) taken out, every report
  /// hashed to its digest before. HTML's again when its run list came to sum
  /// the race cases' exploration: without that `races` line, the same digest.
  static let expected: [String: String] = [
    "ant": "8f55b3af82ec0904 5344435",
    "html": "ec94d9c12bee01ab 476884",
    "junit": "741b54776e7318ca 5376276",
    "junitDeterministic": "41f53300300fc34b 5375806",
    "junitFileLine": "5fb3106412af8335 5470985",
    "junitParts": "aa274ff2c0ce7dd0 2980013",
    "junitShard": "560dbc4b878646fe 5401146",
    "ktap": "d60ef687dc0819d2 1576775",
    "surefire": "f7214ce58f0cd136 5363795",
    "tap": "4e870c3edaa5bd56 2721351",
    "tap14": "884fae57ba3e5f1d 2721351",
  ]

  @Test(arguments: ReportCase.allCases)
  func reportBytesAreUnchanged(_ report: ReportCase) throws {
    // `PFNSPEC_REPORT_BYTES_DIR=DIR` keeps the reports in `DIR/<case>`, to compare two builds' files.
    let kept = ProcessInfo.processInfo.environment["PFNSPEC_REPORT_BYTES_DIR"].map { "\($0)/\(report.rawValue)" }
    let directory = kept ?? makeTemporaryDirectory()
    if let kept { try FileManager.default.createDirectory(atPath: kept, withIntermediateDirectories: true) }
    defer { if kept == nil { try? FileManager.default.removeItem(atPath: directory) } }
    let digest = try report.write(variedRun(), to: directory)
    if ProcessInfo.processInfo.environment["PFNSPEC_PRINT_REPORT_DIGESTS"] != nil {
      print("\"\(report.rawValue)\": \"\(digest)\",")
    }
    #expect(digest == Self.expected[report.rawValue], "report \(report.rawValue)")
  }

  /// A run that says its size up front has TAP and KTAP write the report in
  /// place after the plan instead of spooling it: the same bytes, and no
  /// file left beside the report, whether the planned count is right or not.
  @Test(arguments: [ReportCase.tap, .tap14, .ktap])
  func plannedCountsWriteTheSameBytes(_ report: ReportCase) throws {
    let run = variedRun()
    // The count the plan line gives (`1..N`, the second line).
    let directory = makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    _ = try report.write(run, to: directory)
    let planLine = readText("\(directory)/report").split(separator: "\n")[1]
    let count = try #require(Int(planLine.dropFirst(3)))
    for planned in [count, count + 1, count - 1, 0] {
      var info = makeRunInfo(startTime: 1_767_323_045.75, hostname: "ci-runner-<7>&\"é\"")
      if report == .ktap { info.plannedSuites = planned } else { info.plannedCases = planned }
      let plannedDirectory = makeTemporaryDirectory()
      defer { try? FileManager.default.removeItem(atPath: plannedDirectory) }
      let digest = try report.write(run, to: plannedDirectory, info: info)
      #expect(digest == Self.expected[report.rawValue], "report \(report.rawValue) planned \(planned) of \(count)")
    }
  }

  enum ReportCase: String, CaseIterable, CustomTestStringConvertible {
    case junit, junitDeterministic, junitFileLine, junitShard, junitParts, ant, surefire, tap, tap14, ktap, html

    var testDescription: String { rawValue }

    func write(
      _ run: [(SuiteKey, [Verdict])], to directory: String,
      info: RunInfo = makeRunInfo(startTime: 1_767_323_045.75, hostname: "ci-runner-<7>&\"é\"")
    ) throws -> String {
      let path = "\(directory)/report"
      var options = JUnitOptions()
      let sink: any VerdictSink
      switch self {
      case .junit: sink = JUnitReporter(path: path, options: options)
      case .junitDeterministic: sink = JUnitReporter(path: path, deterministic: true)
      case .junitFileLine:
        options.fileAndLine = true
        sink = JUnitReporter(path: path, options: options)
      case .junitShard:
        options.shard = Shard(index: 1, count: 3)!
        sink = JUnitReporter(path: path, options: options)
      case .junitParts:
        // Small limits: continuation files, and bodies cut once a suite passes its budget.
        options.maxFileBytes = 300_000
        options.suiteBodyBudget = 100_000
        sink = JUnitReporter(path: path + ".xml", options: options)
      case .ant: sink = JUnitReporter(path: path, options: JUnitOptions(dialect: .ant))
      case .surefire: sink = JUnitReporter(path: path, options: JUnitOptions(dialect: .surefire))
      case .tap: sink = TAPReporter(path: path)
      case .tap14: sink = TAPReporter(path: path, version: 14)
      case .ktap: sink = KTAPReporter(path: path)
      case .html: sink = HTMLReporter(path: path)
      }
      try feed(sink, run, info: info)
      var hash: UInt64 = 0xcbf2_9ce4_8422_2325
      var total = 0
      for name in try FileManager.default.contentsOfDirectory(atPath: directory).sorted() {
        var files = ["\(directory)/\(name)"]
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: files[0], isDirectory: &isDirectory), isDirectory.boolValue {
          files = try FileManager.default.contentsOfDirectory(atPath: files[0]).sorted().map { "\(files[0])/\($0)" }
        }
        for file in files {
          let data = try Data(contentsOf: URL(fileURLWithPath: file))
          for byte in Array(file.dropFirst(directory.count).utf8) + Array(data) {
            hash ^= UInt64(byte)
            hash &*= 0x100_0000_01b3
          }
          total += data.count
        }
      }
      return "\(String(hash, radix: 16)) \(total)"
    }
  }

  /// About 2,900 verdicts over 14 suites: every outcome and cause kind, names and
  /// texts with control characters, NUL, DEL, C1 controls, U+2028/2029,
  /// U+FFFE, non-ASCII, XML and TAP metacharacters, long messages and bodies
  /// (past the 64 + 16 KiB cut), many detail lines, repeated case names, keys
  /// with dots and slashes, a suite that strays in the middle of another, an
  /// empty suite, a suite that only skips, and a repeated suite key.
  func variedRun() -> [(SuiteKey, [Verdict])] {
    var random = SplitMix(seed: 12)
    let hostile = [
      "plain", "tab\there", "line\nbreak", "cr\r", "esc\u{1B}[31mred", "nul\u{0}byte", "del\u{7F}", "c1\u{85}next",
      "ls\u{2028}ps\u{2029}", "bad\u{FFFE}\u{FFFF}", "é日本語", "<tag> & \"quote\" 'apos'", "hash # and \\ backslash",
      "]]> cdata end", "Subtest: fake", "emoji 🦀 ok", "  spaced  ", "",
    ]
    func text(_ limit: Int) -> String {
      (0..<(1 + random.next(limit))).map { _ in hostile[random.next(hostile.count)] }.joined(separator: " ")
    }
    let keys = [
      SuiteKey(suite: "lifetime", walker: "reference", arch: "x86_64"),
      SuiteKey(suite: "races.mutant:stale-huge-entry", walker: "example-c", arch: "arm64"),
      SuiteKey(suite: "dots.in.name", walker: "w/slash", arch: "x86_64"),
      SuiteKey(suite: "hostile\u{1B}\u{2028}é", walker: "ref<>&\"", arch: "riscv64"),
      SuiteKey(suite: "only-skips", walker: "reference", arch: "x86_64"),
      SuiteKey(suite: "empty", walker: "reference", arch: "x86_64"),
      SuiteKey(suite: "hash#suite", walker: "back\\slash", arch: "arm64"),
    ]
    var run: [(SuiteKey, [Verdict])] = []
    for (index, key) in (keys + keys).enumerated() {
      let count = key.suite == "empty" ? 0 : 100 + random.next(250)
      var verdicts: [Verdict] = []
      for position in 0..<count {
        // A verdict of another suite in the middle of this one.
        let stray = position == count / 2 && index == 2
        let verdictKey = stray ? keys[0] : key
        let rule = "R-\(random.next(12))"
        let outcomeRoll = key.suite == "only-skips" ? 95 : random.next(100)
        let outcome: Outcome = outcomeRoll < 70 ? .pass : outcomeRoll < 82 ? .fail : outcomeRoll < 92 ? .skipped : .error
        var parameters: [CaseParameter] = []
        if random.next(4) > 0 {
          parameters.append(CaseParameter(name: "level", value: ["pte", "pmd", "pud"][random.next(3)]))
        }
        if random.next(3) == 0 { parameters.append(CaseParameter(name: "text", value: text(3))) }
        // Repeats of a few names, so that `-2`, `-3`… are claimed.
        if random.next(10) > 2 {
          parameters.append(CaseParameter(name: "addr", value: "0x" + String(position * 4096 + 0x7f00, radix: 16)))
        }
        let title = random.next(6) == 0 ? "" : random.next(3) == 0 ? text(4) : "a successful start() holds the lock"
        var story = CaseStory()
        var cause: VerdictCause?
        var replay: Replay?
        switch outcome {
        case .pass:
          if random.next(5) == 0 {
            var statistics = ExplorationStatistics()
            statistics.schedules = random.next(5000)
            statistics.distinctStates = random.next(40)
            statistics.bound = 2
            statistics.random = random.next(2) * 10
            statistics.truncated = random.next(2) == 0
            story.exploration = statistics
          }
        case .skipped:
          cause = random.next(4) == 0 ? nil : .notApplicable(reason: text(3))
        case .fail, .error:
          let long = random.next(25) == 0
          let lines = long ? 3000 : random.next(60)
          story.trace = (0..<lines).map { "host call \($0): " + (long ? String(repeating: "x", count: 40) : text(2)) }
          story.world = random.next(3) == 0 ? ["pgd[0] -> pud table", "pmd[1] = huge " + text(1)] : nil
          replay = Replay(
            spec: "Specs/\(key.suite).pfnspec", rule: rule, caseName: rule, walker: .builtin(key.walker),
            arch: key.arch, seed: 7)
          switch random.next(8) {
          case 0: cause = .walkerError(message: random.next(10) == 0 ? String(repeating: "long ", count: 30_000) : text(5))
          case 1: cause = .timeout(seconds: 2.5, phase: "in start()", process: .worker)
          case 2: cause = .crash(signal: 11, signalName: "SIGSEGV", address: UInt64(random.next(8192)))
          case 3: cause = .evaluation(message: text(3), location: SourcePoint(file: "Specs/x.pfnspec", line: 3, column: 9))
          case 4: cause = .garbage(output: text(6))
          case 5: cause = .timeout(seconds: 0.5, phase: nil, process: .command)
          default:
            cause = .broken(
              expectations: (0..<(1 + random.next(3))).map { _ in
                FailedExpectation(
                  location: SourcePoint(file: "Specs/\(key.suite).pfnspec", line: 12, column: 3),
                  text: "pfn == 0x200123 " + text(1), explanation: "expected pfn == 0x200123, got " + text(2))
              }, fault: random.next(5) == 0 ? "page fault at " + text(1) : nil)
          }
        }
        verdicts.append(
          Verdict(
            identity: CaseIdentity(
              key: verdictKey, ruleID: rule, ruleTitle: title, parameters: parameters,
              location: random.next(5) == 0 ? nil : SpecLocation(file: "Specs/\(key.suite).pfnspec", line: 10 + random.next(90))),
            outcome: outcome, cause: cause, story: story, replay: replay,
            sources: (0..<random.next(3)).map { "contract#C\($0 + 1)" } + (random.next(8) == 0 ? [text(2)] : []),
            profile: random.next(7) == 0 ? "6.6/legacy" : "6.12/strict", seed: 7,
            seconds: Double(random.next(100_000)) / 1_000_000,
            ordinal: CaseOrdinal(suite: index, rule: random.next(12), index: position)))
      }
      run.append((key, verdicts))
    }
    return run
  }
}

/// A small deterministic generator (SplitMix64), so the run is the same everywhere.
private struct SplitMix {
  var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next(_ bound: Int) -> Int {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return Int((z ^ (z >> 31)) % UInt64(bound))
  }
}
