import PfnResults
import Testing

@testable import PfnReports

@Suite("Console reporter")
struct ConsoleReporterTests {
  /// `mixedRun` plus the legacy walker on the lifetime suite, so that a rule
  /// spans two columns.
  let run =
    mixedRun + [
      (
        legacyLifetime,
        [
          makeVerdict(
            legacyLifetime, "LT-001", .pass,
            parameters: [CaseParameter(name: "level", value: "pmd")]),
          makeVerdict(
            legacyLifetime, "LT-001", .skipped,
            parameters: [CaseParameter(name: "level", value: "pud")]),
          makeVerdict(legacyLifetime, "LT-002", .pass, title: "end() releases"),
        ]
      )
    ]

  func render(
    _ groups: [(SuiteKey, [Verdict])], color: ColorMode = .never, quiet: Bool = false,
    configure: (ConsoleReporter) -> Void = { _ in }
  ) throws -> String {
    let output = StringOutputStream()
    let reporter = ConsoleReporter(color: color, quiet: quiet, output: output)
    configure(reporter)
    try feed(reporter, groups, seconds: 0.53)
    return output.text
  }

  @Test("failures as they happen, the rule matrix, the failure list and the closing line")
  func golden() throws {
    #expect(
      try render(run) == """
        pfnspec 0.1.0: seed 42; walkers reference, legacy; arches x86_64, arm64
        FAIL  lifetime/reference/x86_64 LT-001[level=pud]: start() returned without holding the PTL (Specs/lifetime.pfnspec:12)
        ERROR lifetime/reference/x86_64 LT-002: walker crashed (signal 11) (Specs/lifetime.pfnspec:12)
        FAIL  locking/reference/arm64 LK-003: wrote an entry (Specs/locking.pfnspec:12)

        rule    reference/x86_64  reference/arm64  legacy/x86_64
        LT-001  ✗                 ·                ✓
        LT-002  E                 ·                ✓
        LT-003  -                 ·                ·
        LK-001  ·                 ✓                ·
        LK-002  ·                 ✓                ·
        LK-003  ·                 ✗                ·
        LK-004  ·                 -                ·
        (✓ pass, ✗ fail, E error, - skipped, · not run)

        failures and errors (3):
          FAIL  lifetime/reference/x86_64 LT-001[level=pud] a successful start() holds the lock
                start() returned without holding the PTL
                at Specs/lifetime.pfnspec:12
          ERROR lifetime/reference/x86_64 LT-002 end() releases
                walker crashed (signal 11)
                at Specs/lifetime.pfnspec:12
          FAIL  locking/reference/arm64 LK-003 no write
                wrote an entry
                at Specs/locking.pfnspec:12

        ran 11 cases in 0.530 s
        errors: 1
        pfnspec: 5 passed, 2 failed, 3 skipped

        """)
  }

  @Test("quiet mode prints nothing per verdict but keeps the summary")
  func quiet() throws {
    let text = try render(run, quiet: true)
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    #expect(lines[1] == "")
    #expect(lines[2].hasPrefix("rule "))
    #expect(text.hasSuffix("errors: 1\npfnspec: 5 passed, 2 failed, 3 skipped\n"))
  }

  @Test("with more rules than the limit the matrix shows suites")
  func suiteMatrix() throws {
    let text = try render(run) { $0.matrixRuleLimit = 5 }
    #expect(
      text.contains(
        """

        7 rules: one row per suite
        suite     reference/x86_64  reference/arm64  legacy/x86_64
        lifetime  ✗                 ·                ✓
        locking   ·                 ✗                ·
        (✓ pass, ✗ fail, E error, - skipped, · not run)

        """))
  }

  @Test("the failure list is capped and counts the rest")
  func cappedFailures() throws {
    let failures = (1...5).map { makeVerdict(lifetime, "LT-\($0)", .fail, message: "broke \($0)") }
    let text = try render([(lifetime, failures)]) { $0.failureListLimit = 2 }
    #expect(text.contains("failures and errors (5):"))
    #expect(text.contains("        broke 2\n"))
    #expect(!text.contains("        broke 3\n"))
    #expect(text.contains("  … and 3 more (see the JUnit report)\n"))
    #expect(text.hasSuffix("errors: 0\npfnspec: 0 passed, 5 failed, 0 skipped\n"))
  }

  @Test("wide matrices number their columns")
  func numberedColumns() throws {
    let keys = (1...8).map {
      SuiteKey(suite: "lifetime", walker: "mutant-number-\($0)", arch: "x86_64")
    }
    let text = try render(keys.map { ($0, [makeVerdict($0, "LT-001", .pass)]) })
    #expect(text.contains("rule    1  2  3  4  5  6  7  8\nLT-001  ✓  ✓  ✓  ✓  ✓  ✓  ✓  ✓\n"))
    #expect(text.contains("  8 = mutant-number-8/x86_64\n"))
  }

  @Test("an empty run says so and still closes")
  func emptyRun() throws {
    #expect(
      try render([]).hasSuffix(
        "\nno cases were run\n\nran 0 cases in 0.530 s\nerrors: 0\npfnspec: 0 passed, 0 failed, 0 skipped\n"
      ))
  }

  @Test("colour only when asked, and never on the closing line")
  func colour() throws {
    #expect(!(try render(run, color: .never)).contains("\u{1B}"))
    let coloured = try render(run, color: .always)
    #expect(coloured.contains("\u{1B}[31m✗\u{1B}[0m"))
    #expect(coloured.contains("\u{1B}[1;31mFAIL \u{1B}[0m lifetime/reference/x86_64"))
    #expect(coloured.hasSuffix("\npfnspec: 5 passed, 2 failed, 3 skipped\n"))
    // `.auto` on a stream that is not a terminal stays plain.
    #expect(!(try render(run, color: .auto)).contains("\u{1B}"))
  }

  @Test(
    "auto colour needs a terminal and no NO_COLOR",
    arguments: [
      (true, nil, true), (true, "", true), (true, "1", false), (false, nil, false),
    ] as [(Bool, String?, Bool)])
  func autoColour(isTerminal: Bool, noColor: String?, expected: Bool) {
    #expect(ColorMode.auto.enablesColor(isTerminal: isTerminal, noColor: noColor) == expected)
    #expect(ColorMode.always.enablesColor(isTerminal: isTerminal, noColor: noColor))
    #expect(!ColorMode.never.enablesColor(isTerminal: isTerminal, noColor: noColor))
  }

  @Test("escape sequences and line breaks from verdicts cannot reach the terminal")
  func hostileText() throws {
    let verdict = makeVerdict(
      lifetime, "LT-\u{1B}[2J", .fail, message: "bad\u{1B}]0;title\u{7}\nsecond line")
    let text = try render([(lifetime, [verdict])], color: .never)
    #expect(!text.contains("\u{1B}") && !text.contains("\u{7}"))
    #expect(
      text.contains(
        #"LT-\u{1B}[2J: bad\u{1B}]0;title\u{7}\u{A}second line (Specs/lifetime.pfnspec:12)"#))
    // Line and paragraph separators are escaped on the console too, as in every format.
    let separators = makeVerdict(lifetime, "LT-001", .fail, message: "one\u{2028}two\u{2029}three")
    let separated = try render([(lifetime, [separators])], color: .never)
    #expect(!separated.contains("\u{2028}") && !separated.contains("\u{2029}"))
    #expect(separated.contains(#"one\u{2028}two\u{2029}three"#))
  }

  @Test("race cases' exploration is summed above the closing lines; a run without races says nothing of it")
  func raceTotals() throws {
    let races = SuiteKey(suite: "races", walker: "reference", arch: "x86_64")
    func raceCase(_ level: String, schedules: Int, pruned: Int, states: Int, bound: Int, random: Int) -> Verdict {
      var verdict = makeVerdict(races, "RC-001", .pass, parameters: [CaseParameter(name: "level", value: level)])
      var statistics = ExplorationStatistics()
      statistics.schedules = schedules
      statistics.pruned = pruned
      statistics.distinctStates = states
      statistics.bound = bound
      statistics.random = random
      verdict.story.exploration = statistics
      return verdict
    }
    let raceCases = [
      raceCase("pmd", schedules: 40, pruned: 7, states: 9, bound: 2, random: 16),
      raceCase("pte", schedules: 60, pruned: 0, states: 11, bound: 3, random: 0),
    ]
    let text = try render([(races, raceCases), (lifetime, [makeVerdict(lifetime, "LT-001", .pass)])], quiet: true)
    let lines = text.split(separator: "\n").map(String.init)
    #expect(
      lines.suffix(4).first
        == "races: 2 cases, 100 schedules run (bounds 2 to 3, 16 of them random beyond it), 20 distinct end states, "
        + "7 runs stopped at a state explored before")
    #expect(!(try render([(lifetime, [makeVerdict(lifetime, "LT-001", .pass)])], quiet: true)).contains("races:"))

    var one = RaceTotals()
    one.add(raceCase("pud", schedules: 1, pruned: 0, states: 1, bound: 1, random: 0).story.exploration!)
    #expect(one.summary == "races: 1 case, 1 schedule run (bound 1), 1 distinct end state")
  }
}
