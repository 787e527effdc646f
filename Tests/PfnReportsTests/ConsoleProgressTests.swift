import PfnResults
import Testing

@testable import PfnReports

@Suite("Console progress and replay")
struct ConsoleProgressTests {
  @Test("each failure in the final list shows its replay command")
  func replayUnderFailures() throws {
    let output = StringOutputStream()
    let verdict = makeVerdict(
      lifetime, "LT-001", .fail, message: "boom", details: "expected: 1\nobserved: 2",
      replay: makeReplay(lifetime, "LT-001"))
    try feed(ConsoleReporter(color: .never, quiet: true, output: output), [(lifetime, [verdict])])
    let lines = output.text.split(separator: "\n").map(String.init)
    let title = try #require(lines.firstIndex { $0.hasPrefix("  FAIL  lifetime/reference/x86_64 LT-001") })
    #expect(
      lines[title + 3]
        == "        replay: pfnspec run Specs/lifetime.pfnspec --rule LT-001 --case LT-001 --walker reference --arch x86_64 --seed 42"
    )
  }

  @Test("a replay command names the walker as it was loaded, a race replay its token")
  func replayCommands() {
    var replay = Replay(
      spec: "Specs/a.pfnspec", rule: "LT-1", caseName: "LT-1[x=1]", walker: .builtin("reference"), arch: "arm64",
      seed: 7, kernel: "6.15")
    #expect(
      VerdictText.command(replay)
        == "pfnspec run Specs/a.pfnspec --rule LT-1 --case 'LT-1[x=1]' --walker reference --arch arm64 --seed 7 --kernel 6.15")
    replay.walker = .command("python3 walker.py")
    #expect(VerdictText.command(replay).contains(" --walker-cmd 'python3 walker.py' --arch arm64"))
    replay.walker = .sharedObject(path: "/lib/my walker.so")
    #expect(VerdictText.command(replay).contains(" --walker '/lib/my walker.so' --arch"))
    replay.token = "v1.abc"
    #expect(VerdictText.command(replay) == "pfnspec replay v1.abc --walker '/lib/my walker.so'")
    replay.walker = .builtin("reference")
    #expect(VerdictText.command(replay) == "pfnspec replay v1.abc")
  }

  @Test("a replay command's odd words: joined to their flag, made a path, quoted as each word alone")
  func replayCommandOddWords() {
    var replay = Replay(
      spec: "-it's.pfnspec", rule: "R 1", caseName: "-c d", walker: .command("-w 'x'"), arch: "x86_64", seed: 1,
      kernel: "-6.1", caller: "/lib/c.so")
    #expect(
      replay.arguments == [
        "run", "./-it's.pfnspec", "--rule", "R 1", "--case=-c d", "--walker-cmd=-w 'x'", "--caller", "/lib/c.so",
        "--arch", "x86_64", "--seed", "1", "--kernel=-6.1",
      ])
    #expect(
      VerdictText.command(replay)
        == #"pfnspec run './-it'\''s.pfnspec' --rule 'R 1' '--case=-c d' '--walker-cmd=-w '\''x'\''' "#
        + "--caller /lib/c.so --arch x86_64 --seed 1 --kernel=-6.1")
    // A dash with a combining mark after it is another Character: not a flag's value to join.
    replay = Replay(spec: nil, rule: "", caseName: "-\u{301}x", walker: .builtin("reference"), arch: "arm64", seed: 0)
    #expect(replay.arguments == ["run", "--rule", "", "--case", "-\u{301}x", "--walker", "reference", "--arch", "arm64", "--seed", "0"])
    #expect(VerdictText.command(replay) == "pfnspec run --rule '' --case '-\u{301}x' --walker reference --arch arm64 --seed 0")
    // A token names a built-in caller itself, and a caller from a shared object again.
    replay.token = "v1.t"
    replay.caller = "kvm-like"
    #expect(VerdictText.command(replay) == "pfnspec replay v1.t")
    replay.caller = "/lib/c.so"
    replay.walker = .sharedObject(path: "/w.so")
    #expect(replay.arguments == ["replay", "v1.t", "--walker", "/w.so", "--caller", "/lib/c.so"])
    #expect(VerdictText.command(replay) == "pfnspec replay v1.t --walker /w.so --caller /lib/c.so")
  }

  @Test(
    "a progress line only on a terminal and never in CI",
    arguments: [
      (true, nil as String?, true), (true, "", true), (true, "true", false), (false, nil, false),
      (false, "1", false),
    ])
  func progressPolicy(isTerminal: Bool, ci: String?, shows: Bool) {
    #expect(ConsoleReporter.showsProgress(isTerminal: isTerminal, ci: ci) == shows)
  }

  @Test("the progress line is redrawn in place and cleared before the summary")
  func progressLine() throws {
    let output = StringOutputStream(isTerminal: true)
    let reporter = ConsoleReporter(color: .never, quiet: false, output: output, progress: true)
    reporter.progressDelay = .zero
    reporter.progressInterval = .zero
    try feed(reporter, mixedRun)
    #expect(output.text.contains("\r\u{1B}[K1 cases: 1 passed"))
    #expect(output.text.contains("\r\u{1B}[K\nrule"))
    let closing = output.text.split(separator: "\n").last ?? ""
    #expect(closing == "pfnspec: 3 passed, 2 failed, 2 skipped")
  }

  @Test("no progress line when the output is not a terminal")
  func noProgressInLogs() throws {
    let output = StringOutputStream(isTerminal: false)
    let reporter = ConsoleReporter(color: .never, output: output)
    reporter.progressDelay = .zero
    reporter.progressInterval = .zero
    try feed(reporter, mixedRun)
    #expect(!output.text.contains("\r"))
  }
}
