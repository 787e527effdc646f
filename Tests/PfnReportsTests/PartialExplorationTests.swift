import PfnResults
import Testing

@testable import PfnReports

/// Two passing race cases: one whose exploration the schedule limit stopped
/// (RC-001[level=pmd]), one explored to its bound (RC-001[level=pud]).
private let races = SuiteKey(suite: "races", walker: "reference", arch: "x86_64")

private let raceRun: [(SuiteKey, [Verdict])] = {
  var statistics = ExplorationStatistics()
  statistics.schedules = 300
  statistics.bound = 4
  statistics.truncated = true
  var partial = makeVerdict(races, "RC-001", .pass, parameters: [CaseParameter(name: "level", value: "pmd")])
  partial.story.exploration = statistics
  statistics.truncated = false
  var whole = makeVerdict(races, "RC-001", .pass, parameters: [CaseParameter(name: "level", value: "pud")])
  whole.story.exploration = statistics
  return [(races, [partial, whole])]
}()

@Suite("A race case that passed what ran before a limit stopped it says so in every report")
struct PartialExplorationTests {
  @Test("console: a section after the matrix names it, with what to change")
  func console() throws {
    let output = StringOutputStream()
    try feed(ConsoleReporter(color: .never, quiet: true, output: output), raceRun)
    let lines = output.text.split(separator: "\n").map(String.init)
    let heading = try #require(lines.firstIndex { $0.hasPrefix("explored in part (1):") })
    #expect(lines[heading + 1].contains("races/reference/x86_64 RC-001[level=pmd]: explored in part"))
    #expect(lines[heading + 1].contains("after 300 schedule(s)") && lines[heading + 1].contains("--race-limit"))
    #expect(!output.text.contains("RC-001[level=pud]:"))
    #expect(lines.last == "pfnspec: 2 passed, 0 failed, 0 skipped")
  }

  @Test("JUnit: the stopped case holds it in <system-out>, valid against junit-10; Ant's schema has no room")
  func junit() throws {
    let report = try junitReport(raceRun)
    #expect(schemaErrors(report) == [])
    let suite = try #require(parseXML(report).root?.elements("testsuite").first)
    let cases = suite.elements("testcase")
    #expect(cases.count == 2)
    let out = cases[0].elements("system-out")
    #expect(out.count == 1 && out.first?.text.hasPrefix("explored in part: a limit stopped exploring") == true)
    #expect(cases[1].children.isEmpty)

    let directory = makeTemporaryDirectory()
    defer { removeDirectory(directory) }
    _ = try junitFiles(raceRun, options: JUnitOptions(dialect: .ant), in: directory)
    let ant = readBytes("\(directory)/report.xml")
    if let windyroadSchema { #expect(schemaErrors(ant, schema: windyroadSchema) == []) }
    let antCases = try #require(parseXML(ant).root?.elements("testsuite").first).elements("testcase")
    #expect(antCases.allSatisfy { $0.children.isEmpty })
  }

  @Test("TAP: a comment after its ok line; KTAP: a diagnostic before it")
  func tapAndKTAP() throws {
    let directory = makeTemporaryDirectory()
    defer { removeDirectory(directory) }
    try feed(TAPReporter(path: "\(directory)/report.tap"), raceRun)
    let tap = readText("\(directory)/report.tap").split(separator: "\n").map(String.init)
    let stopped = try #require(tap.firstIndex { $0.hasPrefix("ok 1 - ") && $0.contains("RC-001[level=pmd]") })
    #expect(tap[stopped + 1].hasPrefix("# explored in part: a limit stopped exploring after 300 schedule(s)"))
    #expect(tap[stopped + 2].hasPrefix("ok 2 - "))

    try feed(KTAPReporter(path: "\(directory)/report.ktap"), raceRun)
    let ktap = readText("\(directory)/report.ktap").split(separator: "\n").map(String.init)
    let result = try #require(ktap.firstIndex { $0.hasPrefix("  ok 1 ") && $0.contains("RC-001[level=pmd]") })
    #expect(ktap[result - 1].hasPrefix("  # explored in part: a limit stopped exploring"))
    #expect(ktap.filter { $0.contains("explored in part") }.count == 1)
  }

  @Test("HTML: a section after the failures lists it; the page stays well-formed")
  func html() throws {
    let directory = makeTemporaryDirectory()
    defer { removeDirectory(directory) }
    try feed(HTMLReporter(path: "\(directory)/report.html", deterministic: true), raceRun)
    let page = readBytes("\(directory)/report.html")
    #expect(parseXML(page).errors.isEmpty)
    let text = String(decoding: page, as: UTF8.self)
    #expect(text.contains("<section id=\"partial\">\n<h2>Explored in part (1)</h2>"))
    #expect(text.contains("<li>races/reference/x86_64 RC-001[level=pmd]: explored in part: a limit stopped"))
    #expect(!text.contains("RC-001[level=pud]: explored"))
    // The run's list says what the race cases explored together.
    #expect(text.contains("<dt>races</dt><dd>2 cases, 600 schedules run (bound 4), 0 distinct end states</dd>"))
  }
}
