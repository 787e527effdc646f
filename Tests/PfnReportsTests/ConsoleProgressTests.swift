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
