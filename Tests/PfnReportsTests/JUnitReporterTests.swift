import PfnResults
import Testing

@testable import PfnReports

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

@Suite("JUnit reporter")
struct JUnitReporterTests {
  @Test("a report with passes, failures, errors and skips is valid against junit-10.xsd")
  func validAgainstJUnit10() throws {
    let report = try junitReport(mixedRun)
    #expect(schemaErrors(report) == [])
    #expect(report.starts(with: Array(#"<?xml version="1.0" encoding="UTF-8"?>"#.utf8) + [0x0A]))
    #expect(report.last == 0x0A)
    #expect(!report.contains(0x0D))
  }

  @Test("the schema check itself rejects what junit-10 rejects")
  func schemaCheckRejectsInvalidReports() {
    let invalid =
      #"<testsuites skipped="1"><testsuite name="a" tests="1" failures="0" errors="0" time="1.5000"/></testsuites>"#
    #expect(schemaErrors(Array(invalid.utf8)).count == 2)
  }

  @Test("counts on the root and on each suite are those of the testcases")
  func exactCounts() throws {
    let (root, errors) = parseXML(try junitReport(mixedRun))
    #expect(errors == [])
    let testsuites = try #require(root)
    #expect(testsuites.name == "testsuites")
    #expect(
      testsuites.attributes == [
        "name": "pfnspec", "tests": "8", "failures": "2", "errors": "1", "time": "1.500",
      ])
    let suites = testsuites.elements("testsuite")
    #expect(suites.map { $0["name"] } == ["lifetime.reference.x86_64", "locking.reference.arm64"])
    #expect(suites.map { $0["id"] } == ["0", "1"])
    for suite in suites {
      let cases = suite.elements("testcase")
      func count(_ result: String) -> String {
        String(cases.filter { !$0.elements(result).isEmpty }.count)
      }
      #expect(suite["tests"] == String(cases.count))
      #expect(suite["failures"] == count("failure"))
      #expect(suite["errors"] == count("error"))
      #expect(suite["skipped"] == count("skipped"))
      #expect(cases.allSatisfy { $0.children.count <= 1 })
      #expect(suite["package"] == "pfnspec")
      #expect(suite["hostname"] == "ci-runner-7")
      #expect(suite["timestamp"] == "2026-01-02T03:04:05")
    }
    #expect(suites[0]["time"] == "0.016")
    #expect(suites[0]["tests"] == "4" && suites[1]["tests"] == "4")
  }

  @Test(
    "testcases read well: dotted classname, case name with title, message in attribute and body")
  func testcaseShape() throws {
    let (root, _) = parseXML(try junitReport(mixedRun))
    let suite = try #require(root?.elements("testsuite").first)
    let cases = suite.elements("testcase")
    #expect(
      cases.map { $0["classname"] }
        == Array(repeating: "pfnspec.x86_64.reference.lifetime", count: 4))
    #expect(cases[0]["name"] == "LT-001[level=pmd] a successful start() holds the lock")
    #expect(cases[0]["time"] == "0.004")
    #expect(cases[0].children.isEmpty)

    let failure = try #require(cases[1].elements("failure").first)
    #expect(failure["type"] == "ContractViolation")
    #expect(failure["message"] == "start() returned without holding the PTL")
    #expect(
      failure.text == """
        start() returned without holding the PTL

        Error: start() returned without holding the PTL
        Host calls and other CPUs, in order:
          expected: lock held
          observed: lock released

        sources: contract#C14
        rule at Specs/lifetime.pfnspec:12
        """)
    let error = try #require(cases[2].elements("error").first)
    #expect(error["type"] == "CaseError")
    #expect(error.text.hasPrefix("walker crashed (signal 11)\n\n"))
    let skipped = try #require(cases[3].elements("skipped").first)
    #expect(skipped["message"] == "no PUD leaves on this arch")
    #expect(skipped.text.hasPrefix("no PUD leaves on this arch"))

    let properties = Dictionary(
      uniqueKeysWithValues: (suite.elements("properties").first?.elements("property") ?? []).map {
        ($0["name"] ?? "", $0["value"] ?? "")
      })
    #expect(properties["pfnspec.walker"] == "reference")
    #expect(properties["pfnspec.arch"] == "x86_64")
    #expect(properties["pfnspec.suite"] == "lifetime")
    #expect(properties["pfnspec.seed"] == "42")
    #expect(properties["pfnspec.version"] == "0.1.0")
    #expect(properties["pfnspec.profile"] == "6.12/strict")
    #expect(properties["rule.LT-001.sources"] == "contract#C14")
    #expect(properties["rule.LT-002.title"] == "end() releases")
    #expect(properties["rule.LT-003.location"] == "Specs/lifetime.pfnspec:12")
  }

  @Test("hostile text stays well-formed and the forbidden characters show as escapes")
  func hostileText() throws {
    let hostile =
      "esc \u{1B}[31mred nul \u{0} bel \u{7} ffff \u{FFFF} fffe \u{FFFE} cdata ]]> amp & lt < gt > quote \" apostrophe ' é 漢 🙂"
    let multiLine = "first line\nsecond\tline\r\nthird"
    let verdicts = [
      makeVerdict(
        lifetime, "LT-\u{1B}9", .fail, title: "title \u{1}", message: hostile,
        details: multiLine + "\n" + hostile),
      makeVerdict(lifetime, "LT-010", .error, message: multiLine),
      makeVerdict(
        lifetime, "LT-011", .skipped, message: "]]>]]>", sources: ["msg <20240101.\u{1B}@lkml>"]),
    ]
    let report = try junitReport([(lifetime, verdicts)])
    let (root, errors) = parseXML(report)
    #expect(errors == [])
    #expect(schemaErrors(report) == [])
    let cases = try #require(root?.elements("testsuite").first?.elements("testcase"))
    let failure = try #require(cases.first?.elements("failure").first)
    let visible =
      #"esc \u{1B}[31mred nul \u{0} bel \u{7} ffff \u{FFFF} fffe \u{FFFE} cdata ]]> amp & lt < gt > quote " apostrophe ' é 漢 🙂"#
    #expect(failure["message"] == visible)
    #expect(
      failure.text.hasPrefix(
        visible + "\n\nError: " + visible + "\nHost calls and other CPUs, in order:\n  first line\n  second\tline\r\nthird\n  "
          + visible))
    #expect(cases[0]["name"] == #"LT-\u{1B}9 title \u{1}"#)
    // Newlines in attributes survive as character references, not spaces.
    #expect(cases[1].elements("error").first?["message"] == multiLine)
    #expect(cases[2].elements("skipped").first?["message"] == "]]>]]>")

    let text = String(decoding: report, as: UTF8.self)
    #expect(text.contains("first line&#10;second&#9;line&#13;&#10;third"))
    #expect(!text.contains("]]>"))
    #expect(!report.contains(where: { $0 < 0x20 && $0 != 0x0A && $0 != 0x09 }))
  }

  @Test("a 1 MB message is cut to its head and tail with a note")
  func hugeMessage() throws {
    let huge = "HEAD" + String(repeating: "é漢x", count: 175_000) + "TAIL"
    #expect(huge.utf8.count > 1_000_000)
    let verdicts = (1...3).map {
      makeVerdict(lifetime, "LT-\($0)", .fail, message: huge, details: huge)
    }
    let report = try junitReport([(lifetime, verdicts)])
    #expect(report.count < 400_000)
    let (root, errors) = parseXML(report)
    #expect(errors == [])
    let failures = try #require(
      root?.elements("testsuite").first?.elements("testcase").compactMap {
        $0.elements("failure").first
      })
    #expect(failures.count == 3)
    for failure in failures {
      #expect(failure.text.hasPrefix("HEADé漢x"))
      #expect(failure.text.hasSuffix("rule at Specs/lifetime.pfnspec:12"))
      #expect(failure.text.contains("bytes truncated by pfnspec"))
      #expect(
        failure.text.utf8.count < JUnitReporter.bodyHeadBytes + JUnitReporter.bodyTailBytes + 100)
      let message = try #require(failure["message"])
      #expect(message.hasPrefix("HEAD") && message.hasSuffix("bytes truncated by pfnspec]"))
      #expect(message.utf8.count < JUnitReporter.attributeBytes + 100)
    }
  }

  @Test("deterministic mode writes the same bytes for different times and hosts")
  func deterministic() throws {
    let first = try junitReport(
      mixedRun, deterministic: true, info: makeRunInfo(startTime: 1_767_323_045, hostname: "a"))
    var slower = mixedRun
    slower[0].1[0].seconds = 12.5
    let second = try junitReport(
      slower, deterministic: true, info: makeRunInfo(startTime: 1_800_000_000, hostname: "b"))
    #expect(first == second)
    let text = String(decoding: first, as: UTF8.self)
    #expect(text.contains(#"time="0.000" timestamp="1970-01-01T00:00:00" hostname="localhost""#))
    #expect(!text.contains("1.500"))
  }

  @Test("the report appears by rename and no temporary file is left behind")
  func atomicWrite() throws {
    let directory = makeTemporaryDirectory()
    defer { removeDirectory(directory) }
    let reporter = JUnitReporter(path: "\(directory)/report.xml")
    reporter.runStarted(makeRunInfo())
    reporter.suiteStarted(lifetime)
    reporter.record(makeVerdict(lifetime, "LT-001", .pass))
    reporter.suiteFinished(lifetime)
    // Suites are spooled to an unlinked file, so nothing is visible mid-run.
    #expect(directoryEntries(directory) == [])
    try reporter.runFinished(Tally(), seconds: 0.1)
    #expect(directoryEntries(directory) == ["report.xml"])

    // A second run through the same reporter replaces the report.
    try feed(reporter, mixedRun)
    #expect(directoryEntries(directory) == ["report.xml"])
    #expect(parseXML(readBytes("\(directory)/report.xml")).root?["tests"] == "8")
  }

  @Test("a report that cannot be written throws a clear error and leaves nothing behind")
  func writeFailures() throws {
    let directory = makeTemporaryDirectory()
    defer { removeDirectory(directory) }
    let missing = JUnitReporter(path: "\(directory)/no/such/dir/report.xml")
    let error = #expect(throws: JUnitReportError.self) { try feed(missing, mixedRun) }
    #expect(
      error?.message.contains("cannot create a temporary file in '\(directory)/no/such/dir'")
        == true)

    // A directory in the way: rename(2) fails after the document is written.
    #expect(mkdir("\(directory)/report.xml", 0o755) == 0)
    let blocked = JUnitReporter(path: "\(directory)/report.xml")
    let renameError = #expect(throws: JUnitReportError.self) { try feed(blocked, mixedRun) }
    #expect(renameError?.message.contains("cannot move the report to") == true)
    #expect(directoryEntries(directory) == ["report.xml"])
    rmdir("\(directory)/report.xml")
  }

  @Test("names stay unique when cases repeat or a suite comes back")
  func uniqueNames() throws {
    let repeated = makeVerdict(lifetime, "LT-001", .pass)
    let report = try junitReport([(lifetime, [repeated, repeated]), (lifetime, [repeated])])
    #expect(schemaErrors(report) == [])
    let suites = try #require(parseXML(report).root?.elements("testsuite"))
    #expect(
      suites.map { $0["name"] } == ["lifetime.reference.x86_64", "lifetime.reference.x86_64-2"])
    let pairs = suites.flatMap {
      $0.elements("testcase").map { "\($0["classname"] ?? "")|\($0["name"] ?? "")" }
    }
    #expect(Set(pairs).count == 3)
    #expect(pairs[1].hasSuffix("holds the lock-2"))
  }

  @Test("a verdict outside its suite's brackets still lands in its own suite")
  func strayVerdict() throws {
    let directory = makeTemporaryDirectory()
    defer { removeDirectory(directory) }
    let reporter = JUnitReporter(path: "\(directory)/r.xml")
    reporter.runStarted(makeRunInfo())
    reporter.suiteStarted(lifetime)
    reporter.record(makeVerdict(lifetime, "LT-001", .pass))
    reporter.record(makeVerdict(lockingArm, "LK-001", .fail, message: "x"))
    reporter.suiteFinished(lifetime)
    try reporter.runFinished(Tally(), seconds: 0)
    let report = readBytes("\(directory)/r.xml")
    #expect(schemaErrors(report) == [])
    let suites = try #require(parseXML(report).root?.elements("testsuite"))
    #expect(suites.map { $0["tests"] } == ["1", "1"])
    #expect(suites[1].elements("testcase").first?["classname"] == "pfnspec.arm64.reference.locking")
  }

  @Test("an empty run is still a valid report")
  func emptyRun() throws {
    let report = try junitReport([])
    #expect(schemaErrors(report) == [])
    #expect(parseXML(report).root?.attributes["tests"] == "0")
  }

  @Test(
    "junitparser reads the same totals (.ci/check-junit.py)",
    .enabled(
      if: runProcess(["python3", "-c", "import junitparser"]).status == 0,
      "needs python3 with junitparser"))
  func junitparserAgrees() throws {
    let directory = makeTemporaryDirectory()
    defer { removeDirectory(directory) }
    try feed(JUnitReporter(path: "\(directory)/report.xml"), mixedRun)
    let script = "\(packageRoot)/.ci/check-junit.py"
    let good = runProcess([
      "python3", script, "\(directory)/report.xml", "--expect-tests", "8", "--expect-failures", "2",
      "--expect-errors", "1", "--expect-skipped", "2",
    ])
    #expect(good.status == 0, "\(good.output)")
    let bad = runProcess(["python3", script, "\(directory)/report.xml", "--expect-failures", "3"])
    #expect(bad.status == 1)
    #expect(bad.output.contains("expected 3 failures, the report has 2"))

    let console = StringOutputStream()
    try feed(ConsoleReporter(color: .never, output: console), mixedRun)
    let log = "\(directory)/console.log"
    let file = fopen(log, "w")
    fputs(console.text, file)
    fclose(file)
    let fromLog = runProcess(["python3", script, "\(directory)/report.xml", "--console-log", log])
    #expect(fromLog.status == 0, "\(fromLog.output)")
  }
}

@Suite("Report text")
struct ReportTextTests {
  @Test(
    "times are fixed-point with three decimals",
    arguments: [
      (0.0, "0.000"), (1e-5, "0.000"), (0.004, "0.004"), (0.0456, "0.046"), (1.5, "1.500"),
      (12, "12.000"), (3725.25, "3725.250"), (-1, "0.000"), (.nan, "0.000"), (.infinity, "0.000"),
    ])
  func seconds(value: Double, expected: String) {
    #expect(ReportText.seconds(value) == expected)
  }

  @Test(
    "timestamps are UTC without zone or fraction",
    arguments: [
      (0.0, "1970-01-01T00:00:00"), (1_767_323_045.75, "2026-01-02T03:04:05"),
      (951_782_400, "2000-02-29T00:00:00"), (-5, "1970-01-01T00:00:00"),
    ])
  func timestamps(value: Double, expected: String) {
    #expect(ReportText.utcTimestamp(secondsSince1970: value) == expected)
  }

  @Test("forbidden characters become visible escapes")
  func visible() {
    #expect(
      ReportText.visible("a\u{0}b\u{1B}c\u{7F}d\u{85}e\u{FFFE}\u{FFFF}\tok\n")
        == #"a\u{0}b\u{1B}c\u{7F}d\u{85}e\u{FFFE}\u{FFFF}"# + "\tok\n")
    #expect(ReportText.visible("a\nb", keepingLineBreaks: false) == #"a\u{A}b"#)
    #expect(ReportText.visible("plain é 🙂") == "plain é 🙂")
  }

  @Test("invalid UTF-8 decodes to replacement characters")
  func lossyDecoding() {
    // A stray byte, an encoded lone surrogate and a cut-off sequence.
    let bytes: [UInt8] = [0x61, 0xFF, 0xED, 0xA0, 0x80, 0x62, 0xC3]
    let text = ReportText.decodingLossily(bytes)
    #expect(text.hasPrefix("a\u{FFFD}") && text.contains("b"))
    #expect(!text.unicodeScalars.contains { (0xD800...0xDFFF).contains($0.value) })
  }

  @Test("truncation keeps whole scalars at both ends")
  func truncation() {
    let text = String(repeating: "é", count: 100)  // 200 bytes
    let cut = ReportText.truncated(text, headBytes: 11, tailBytes: 7)
    #expect(cut.hasPrefix(String(repeating: "é", count: 5) + "\n\n[… "))
    #expect(cut.hasSuffix("]\n\n" + String(repeating: "é", count: 3)))
    #expect(cut.contains("[… 184 bytes truncated by pfnspec …]"))
    #expect(ReportText.truncated("short", headBytes: 3, tailBytes: 2) == "short")
  }
}
