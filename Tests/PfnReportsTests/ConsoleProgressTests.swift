import PfnResults
import Testing

@testable import PfnReports

@Suite("Console progress and replay")
struct ConsoleProgressTests {
  @Test("each failure in the final list shows its replay command")
  func replayUnderFailures() throws {
    let output = StringOutputStream()
    let verdict = makeVerdict(
      lifetime, "LT-001", .fail, message: "boom",
      details: "expected: 1\nobserved: 2\nReplay: pfnspec run Specs/lifetime.pfnspec --rule LT-001 --case LT-001")
    try feed(ConsoleReporter(color: .never, quiet: true, output: output), [(lifetime, [verdict])])
    let lines = output.text.split(separator: "\n").map(String.init)
    let title = try #require(lines.firstIndex { $0.hasPrefix("  FAIL  lifetime/reference/x86_64 LT-001") })
    #expect(lines[title + 3] == "        replay: pfnspec run Specs/lifetime.pfnspec --rule LT-001 --case LT-001")
  }

  @Test("the replay command is the last Replay: line of the details")
  func replayExtraction() {
    #expect(ConsoleReporter.replayCommand(in: "a\nReplay: x y\n") == "x y")
    #expect(ConsoleReporter.replayCommand(in: "Replay: a\nmore\nReplay: b") == "b")
    #expect(ConsoleReporter.replayCommand(in: "no replay here") == nil)
    #expect(ConsoleReporter.replayCommand(in: "") == nil)
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
