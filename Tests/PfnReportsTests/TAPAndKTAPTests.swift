import PfnResults
import Testing

@testable import PfnReports

/// Writes `groups` with `sink` made for a path in a fresh directory; returns the text.
private func textReport(
  _ groups: [(SuiteKey, [Verdict])], _ make: (String) -> any VerdictSink
) throws -> String {
  let directory = makeTemporaryDirectory()
  defer { removeDirectory(directory) }
  try feed(make("\(directory)/report.txt"), groups)
  return readText("\(directory)/report.txt")
}

let proveAvailable = runProcess(["prove", "--version"]).status == 0

@Suite("TAP reporter")
struct TAPReporterTests {
  @Test("version 13, the plan first, one point per case, SKIP on ok lines, YAML for failures")
  func shape() throws {
    let text = try textReport(mixedRun) { TAPReporter(path: $0) }
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    #expect(lines[0] == "TAP version 13")
    #expect(lines[1] == "1..8")
    let points = lines.filter { $0.hasPrefix("ok ") || $0.hasPrefix("not ok ") }
    #expect(points.count == 8)
    for (index, point) in points.enumerated() {
      #expect(point.contains(" \(index + 1) - "))
    }
    #expect(points.filter { $0.hasPrefix("not ok") }.count == 3)
    #expect(points.filter { $0.contains(" # SKIP ") }.allSatisfy { $0.hasPrefix("ok ") })
    #expect(points.filter { $0.contains(" # SKIP ") }.count == 2)
    #expect(lines.contains("  ---") && lines.contains("  ..."))
    #expect(lines.contains(#"  message: "start() returned without holding the PTL""#))
    #expect(lines.contains("  severity: error"))
    #expect(lines.contains { $0.hasPrefix("# ERROR: walker crashed (signal 11)") })
    #expect(lines.contains(#"    - "contract#C14""#))
    #expect(text.hasSuffix("\n"))
  }

  @Test("the replay command and the details are in the YAML block")
  func replayInYAML() throws {
    let verdict = makeVerdict(
      lifetime, "LT-009", .fail, message: "boom", details: "expected: 1\nobserved: 2",
      replay: makeReplay(lifetime, "LT-009", caseName: "LT-009[x=\"1\"]"))
    let text = try textReport([(lifetime, [verdict])]) { TAPReporter(path: $0) }
    #expect(
      text.contains(
        #"  replay: "pfnspec run Specs/lifetime.pfnspec --rule LT-009 --case 'LT-009[x=\"1\"]' --walker reference --arch x86_64 --seed 42""#
      ))
    #expect(text.contains(#"  details: "Error: boom\nHost calls and other CPUs, in order:\n  expected: 1\n  observed: 2\nReplay: "#))
  }

  @Test("# and backslash in descriptions are escaped, line breaks and escapes cannot get through")
  func escaping() throws {
    let verdict = makeVerdict(
      lifetime, "LT-001", .skipped, title: "a # b \\ c\nnot ok 99 - fake", message: "why # not\u{1B}[31m")
    let text = try textReport([(lifetime, [verdict])]) { TAPReporter(path: $0) }
    let lines = text.split(separator: "\n").map(String.init)
    #expect(lines.count == 3)
    #expect(lines[2].contains(##"a \# b \\ c"##))
    #expect(lines[2].hasSuffix(##"# SKIP why \# not\\u{1B}[31m"##))
    #expect(!text.contains("\u{1B}"))
  }

  @Test("version 14 on request; an empty run is a skip-all plan")
  func versionAndEmpty() throws {
    let text = try textReport(mixedRun) { TAPReporter(path: $0, version: 14) }
    #expect(text.hasPrefix("TAP version 14\n1..8\n"))
    let empty = try textReport([]) { TAPReporter(path: $0) }
    #expect(empty == "TAP version 13\n1..0 # SKIP no case matched\n")
  }

  @Test(
    "prove accepts the stream: all-pass exits 0, failures are failures and nothing else",
    .enabled(if: proveAvailable, "needs prove"))
  func proveAccepts() throws {
    let directory = makeTemporaryDirectory()
    defer { removeDirectory(directory) }
    let passing = mixedRun.map { key, verdicts in (key, verdicts.filter { $0.outcome == .pass || $0.outcome == .skipped }) }
    try feed(TAPReporter(path: "\(directory)/pass.tap"), passing)
    let good = runProcess(["prove", "\(directory)/pass.tap"])
    #expect(good.status == 0, "\(good.output)")
    #expect(good.output.contains("Result: PASS"))

    try feed(TAPReporter(path: "\(directory)/mixed.tap"), mixedRun)
    let mixed = runProcess(["prove", "\(directory)/mixed.tap"])
    #expect(mixed.status == 1)
    #expect(mixed.output.contains("Failed 3/8 subtests"), "\(mixed.output)")
    #expect(!mixed.output.contains("Parse errors"), "\(mixed.output)")

    try feed(TAPReporter(path: "\(directory)/empty.tap"), [])
    #expect(runProcess(["prove", "\(directory)/empty.tap"]).status == 0)
  }
}

// MARK: - KTAP

/// Checks a KTAP v1 document against the rules of reports.md §3.1 and the
/// way kunit_tool's parser reads it; returns the problems and the leaf counts.
struct KTAPValidator {
  var problems: [String] = []
  var leaves = Tally()

  private var lines: [Substring]
  private var position = 0

  init(_ text: String) {
    lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    if lines.last == "" { lines.removeLast() }
    _ = document(depth: 0, name: nil)
    if position != lines.count { problems.append("line \(position + 1): text after the document") }
  }

  /// Reads one document at `depth`; returns whether any child failed and whether all skipped.
  private mutating func document(depth: Int, name: String?) -> (failed: Bool, allSkipped: Bool) {
    let indent = String(repeating: "  ", count: depth)
    guard expect(indent + "KTAP version 1", "a version line") else { return (true, false) }
    if let name {
      guard expect(indent + "# Subtest: \(name)", "a '# Subtest: \(name)' header") else { return (true, false) }
    }
    guard position < lines.count, lines[position].hasPrefix(indent + "1.."),
      let planned = Int(lines[position].dropFirst(indent.count + 3))
    else {
      problems.append("line \(position + 1): expected a plan at indentation \(indent.count)")
      return (true, false)
    }
    position += 1
    var number = 0
    var failed = false
    var allSkipped = planned > 0
    while number < planned, position < lines.count {
      let line = lines[position]
      if line.hasPrefix(indent + "  KTAP version 1") {
        // A nested test: its name is on the header that follows.
        guard position + 1 < lines.count, lines[position + 1].hasPrefix(indent + "  # Subtest: ") else {
          problems.append("line \(position + 2): nested document without '# Subtest:'")
          return (true, false)
        }
        let childName = String(lines[position + 1].dropFirst(indent.count + 2 + "# Subtest: ".count))
        let child = document(depth: depth + 1, name: childName)
        number += 1
        while position < lines.count, lines[position].hasPrefix(indent + "# ") { position += 1 }
        guard let result = resultLine(indent: indent, number: number) else { return (true, false) }
        if result.name != childName {
          problems.append("result '\(result.name)' closes subtest '\(childName)'")
        }
        if child.failed != !result.ok { problems.append("parent '\(childName)' ok=\(result.ok) disagrees with its children") }
        if child.allSkipped != (result.directive == "SKIP") {
          problems.append("parent '\(childName)' SKIP=\(result.directive == "SKIP") disagrees with its children")
        }
        failed = failed || !result.ok
        allSkipped = allSkipped && result.directive == "SKIP"
        continue
      }
      if line.hasPrefix(indent + "#") && !line.hasPrefix(indent + "# Subtest:") {
        position += 1
        continue
      }
      number += 1
      guard let result = resultLine(indent: indent, number: number) else { return (true, false) }
      switch (result.ok, result.directive) {
      case (true, nil): leaves.passed += 1
      case (true, "SKIP"): leaves.skipped += 1
      case (false, nil): leaves.failed += 1
      case (false, "ERROR"), (false, "TIMEOUT"): leaves.errors += 1
      default: problems.append("'\(result.ok ? "ok" : "not ok") … # \(result.directive!)' is not used")
      }
      failed = failed || !result.ok
      allSkipped = allSkipped && result.directive == "SKIP"
    }
    if number != planned { problems.append("plan 1..\(planned) at depth \(depth) but \(number) results") }
    return (failed, allSkipped)
  }

  private mutating func expect(_ text: String, _ what: String) -> Bool {
    guard position < lines.count, lines[position] == text else {
      problems.append("line \(position + 1): expected \(what), found '\(position < lines.count ? lines[position] : "end")'")
      return false
    }
    position += 1
    return true
  }

  /// `ok N name[ # DIRECTIVE text]` at `indent`, numbered `number`.
  private mutating func resultLine(indent: String, number: Int) -> (ok: Bool, name: String, directive: String?)? {
    guard position < lines.count else {
      problems.append("missing result line \(number)")
      return nil
    }
    let line = lines[position]
    position += 1
    guard line.hasPrefix(indent), line.dropFirst(indent.count).first != " " else {
      problems.append("line \(position): wrong indentation: '\(line)'")
      return nil
    }
    var rest = line.dropFirst(indent.count)
    let ok: Bool
    if rest.hasPrefix("ok ") { ok = true; rest = rest.dropFirst(3) }
    else if rest.hasPrefix("not ok ") { ok = false; rest = rest.dropFirst(7) }
    else {
      problems.append("line \(position): not a result line: '\(line)'")
      return nil
    }
    guard rest.hasPrefix("\(number) ") else {
      problems.append("line \(position): expected test number \(number): '\(line)'")
      return nil
    }
    rest = rest.dropFirst("\(number) ".count)
    let parts = rest.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)
    var name = String(parts[0])
    var directive: String?
    if parts.count == 2 {
      guard name.hasSuffix(" "), parts[1].hasPrefix(" ") else {
        problems.append("line \(position): '#' inside a name: '\(line)'")
        return nil
      }
      name.removeLast()
      let word = parts[1].dropFirst().prefix { $0 != " " }
      directive = String(word)
      if directive != directive!.uppercased() { problems.append("line \(position): lowercase directive") }
    }
    if name.isEmpty { problems.append("line \(position): a result without a name") }
    return (ok, name, directive)
  }
}

@Suite("text report targets")
struct TextReportTargetTests {
  @Test("a header known up front is written first and the file named in place; another header is copied in front")
  func headerKnownUpFront() throws {
    for header in ["H 1..2\n", "H 1..3\n"] {
      let directory = makeTemporaryDirectory()
      defer { removeDirectory(directory) }
      let target = TextReportTarget(path: "\(directory)/report.txt")
      let spool = try target.makeSpool(expectedHeader: "H 1..2\n")
      // Unnamed files exist on the file systems the tests run on (ext4, tmpfs).
      #expect(spool.writtenHeader == Array("H 1..2\n".utf8))
      try spool.writer.write("ok 1\nok 2\n")
      #expect(directoryEntries(directory).isEmpty, "nothing named before the end")
      try target.write(header: header, spool: spool)
      #expect(readText("\(directory)/report.txt") == header + "ok 1\nok 2\n")
      #expect(directoryEntries(directory) == ["report.txt"])
    }
  }

  @Test("without a header known up front the lines are spooled")
  func spooledWithoutHeader() throws {
    let directory = makeTemporaryDirectory()
    defer { removeDirectory(directory) }
    let target = TextReportTarget(path: "\(directory)/report.txt")
    let spool = try target.makeSpool()
    #expect(spool.writtenHeader == nil)
    try spool.writer.write("ok 1\n")
    try target.write(header: "H 1..1\n", spool: spool)
    #expect(readText("\(directory)/report.txt") == "H 1..1\nok 1\n")
    #expect(directoryEntries(directory) == ["report.txt"])
  }
}

@Suite("KTAP reporter")
struct KTAPReporterTests {
  @Test("follows KTAP v1: versions, plans, two-space nesting, subtest names, uppercase directives")
  func validates() throws {
    let text = try textReport(mixedRun + orderedRun(suites: 2)) { KTAPReporter(path: $0) }
    let validator = KTAPValidator(text)
    #expect(validator.problems == [])
    var expected = Tally()
    for (_, verdicts) in mixedRun + orderedRun(suites: 2) { verdicts.forEach { expected.add($0.outcome) } }
    #expect(validator.leaves == expected)
  }

  @Test("the exact shape of a small run")
  func golden() throws {
    let text = try textReport(mixedRun) { KTAPReporter(path: $0) }
    let expected = """
      KTAP version 1
      1..2
        KTAP version 1
        # Subtest: lifetime.reference.x86_64
        1..4
        ok 1 LT-001[level=pmd] a successful start() holds the lock
        # LT-001[level=pud]: start() returned without holding the PTL
        # Error: start() returned without holding the PTL
        # Host calls and other CPUs, in order:
        #   expected: lock held
        #   observed: lock released
        not ok 2 LT-001[level=pud] a successful start() holds the lock
        # LT-002: walker crashed (signal 11)
        # Error: walker crashed (signal 11)
        not ok 3 LT-002 end() releases # ERROR walker crashed (signal 11)
        ok 4 LT-003 huge pages # SKIP no PUD leaves on this arch
      # lifetime.reference.x86_64: 1 failed, 1 errors of 4
      not ok 1 lifetime.reference.x86_64
        KTAP version 1
        # Subtest: locking.reference.arm64
        1..4
        ok 1 LK-001 takes the PTL
        ok 2 LK-002 drops the PTL
        # LK-003: wrote an entry
        # Error: wrote an entry
        not ok 3 LK-003 no write
        ok 4 LK-004 pfnmap only # SKIP not a pfnmap
      # locking.reference.arm64: 1 failed, 0 errors of 4
      not ok 2 locking.reference.arm64

      """
    #expect(text == expected)
  }

  @Test("a suite of skips is skipped, hangs are TIMEOUT, '#' never reaches a name, an empty run is 1..0")
  func edges() throws {
    let skips = [(lockingArm, [makeVerdict(lockingArm, "LK-9", .skipped, title: "a # title", message: "n/a")])]
    let hang = [
      (
        lifetime,
        [
          makeVerdict(lifetime, "LT-7", .error, cause: .timeout(seconds: 5, phase: nil, process: .worker)),
          makeVerdict(lifetime, "LT-8", .error, cause: .timeout(seconds: 2, phase: "start()", process: .command)),
          // Words about hanging in a message do not make a timeout; only the cause does.
          makeVerdict(lifetime, "LT-9", .error, message: "the walker command said: hang on, timed out"),
          makeVerdict(lifetime, "LT-10", .error, cause: .crash(signal: 11, signalName: "SIGSEGV", address: 0)),
        ]
      )
    ]
    let text = try textReport(skips + hang) { KTAPReporter(path: $0) }
    #expect(KTAPValidator(text).problems == [])
    #expect(text.contains("  ok 1 LK-9 a _ title # SKIP n/a\nok 1 locking.reference.arm64 # SKIP"))
    #expect(
      text.contains(
        "not ok 1 LT-7 a successful start() holds the lock # TIMEOUT the walker did not finish within 5s (the worker was killed)"
      ))
    #expect(
      text.contains(
        "not ok 2 LT-8 a successful start() holds the lock # TIMEOUT the walker command did not finish start() within 2s (it was killed)"
      ))
    #expect(text.contains("not ok 3 LT-9 a successful start() holds the lock # ERROR the walker command said: hang on"))
    #expect(
      text.contains(
        "not ok 4 LT-10 a successful start() holds the lock # ERROR the walker crashed the worker: SIGSEGV at address 0x0 (a NULL pointer dereference)"
      ))
    #expect(try textReport([]) { KTAPReporter(path: $0) } == "KTAP version 1\n1..0\n")
  }

  @Test("the validator itself catches broken documents")
  func validatorCatches() {
    #expect(!KTAPValidator("KTAP version 1\n1..2\nok 1 a\n").problems.isEmpty)
    #expect(!KTAPValidator("KTAP version 1\n1..1\nok 2 a\n").problems.isEmpty)
    #expect(!KTAPValidator("KTAP version 1\n1..1\n  KTAP version 1\n  # Subtest: s\n  1..1\n  not ok 1 x\nok 1 s\n").problems.isEmpty)
    #expect(!KTAPValidator("KTAP version 1\n1..1\nok 1 a # skip\n").problems.isEmpty)
    #expect(KTAPValidator("KTAP version 1\n1..1\nok 1 a # SKIP why\n").problems.isEmpty)
  }
}

@Suite("bounded report lines")
struct BoundedReportLineTests {
  @Test("U+2028 and U+2029 never pass raw into TAP, KTAP or JUnit XML")
  func lineSeparatorsEscaped() throws {
    let verdict = makeVerdict(
      lifetime, "LT-001", .fail, title: "a\u{2028}b", message: "one\u{2028}two\u{2029}three", details: "x\u{2028}y")
    let tap = try textReport([(lifetime, [verdict])]) { TAPReporter(path: $0) }
    let ktap = try textReport([(lifetime, [verdict])]) { KTAPReporter(path: $0) }
    let directory = makeTemporaryDirectory()
    defer { removeDirectory(directory) }
    try feed(JUnitReporter(path: "\(directory)/r.xml"), [(lifetime, [verdict])])
    let xml = readText("\(directory)/r.xml")
    for text in [tap, ktap, xml] {
      #expect(!text.unicodeScalars.contains("\u{2028}") && !text.unicodeScalars.contains("\u{2029}"))
    }
    #expect(tap.contains(#"message: "one\Ltwo\Pthree""#))
    #expect(xml.contains("one\\u{2028}two"))
  }

  @Test("a huge failure message is cut to a TAP line prove reads, with a note; JUnit keeps it whole")
  func longMessagesCut() throws {
    let message = String(repeating: "\u{1}ab", count: 40_000)
    let verdict = makeVerdict(lifetime, "LT-001", .fail, message: message)
    let tap = try textReport([(lifetime, [verdict])]) { TAPReporter(path: $0) }
    let longest = tap.split(separator: "\n").map(\.utf8.count).max() ?? 0
    #expect(longest <= TAPReporter.maxLineBytes, "longest TAP line: \(longest)")
    #expect(tap.contains("[cut to fit a TAP line; the full text is in the JUnit report]"))
    if proveAvailable {
      let directory = makeTemporaryDirectory()
      defer { removeDirectory(directory) }
      writeText(tap, to: "\(directory)/r.tap")
      let prove = runProcess(["prove", "-e", "cat", "\(directory)/r.tap"])
      #expect(!prove.output.contains("Parse errors") && !prove.output.contains("Bad plan"), "\(prove.output)")
      #expect(prove.output.contains("Failed 1/1 subtests"), "\(prove.output)")
    }
  }
}
