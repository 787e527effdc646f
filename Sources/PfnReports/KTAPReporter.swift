#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif
import PfnResults

/// Writes a run in the kernel's KTAP v1 format
/// (`Documentation/dev-tools/ktap.rst`), one nested test per suite, as
/// kunit_tool and kselftest readers expect:
///
/// ```
/// KTAP version 1
/// 1..2
///   KTAP version 1
///   # Subtest: lifetime.reference.x86_64
///   1..3
///   ok 1 LT-001[level=pmd] a successful start() holds the lock
///   # LT-001[level=pud]: start() returned without holding the PTL
///   not ok 2 LT-001[level=pud] a successful start() holds the lock
///   not ok 3 LT-002 end() releases # ERROR walker crashed (signal 11)
/// not ok 1 lifetime.reference.x86_64
/// ```
///
/// Children are indented by two spaces and open with their own version line
/// and a `# Subtest:` header; the parent's result line carries the same name.
/// Directives are uppercase: `# SKIP reason` on `ok` lines (so that `prove`
/// reads the file too), `# ERROR message` on `not ok` lines for cases that
/// could not be judged, `# TIMEOUT message` when such a case hung. Names never
/// contain `#`. A suite whose cases all skipped is itself `ok … # SKIP`; one
/// with a failure or error is `not ok`. Diagnostic lines (`# …`) come before
/// the result line they are about. Memory holds one suite's lines. As with
/// ``TAPReporter``, a planned suite count (``RunInfo/plannedSuites``) lets a
/// file report be written in place after its plan instead of spooled.
public final class KTAPReporter: VerdictSink {
  /// The file, or `-` for standard output.
  public let path: String

  /// How many lines of a case's details are repeated as diagnostics.
  static let detailLines = 40

  private var spool: TextSpool?
  private var suiteCount = 0
  private var suite: OpenSuite?
  private var pendingError: (any Error)?

  private struct OpenSuite {
    var key: SuiteKey
    /// The suite's case lines so far, indented, as bytes.
    var lines: [UInt8] = []
    var count = 0
    var tally = Tally()
  }

  /// Where a failing case's details are worded, kept for the next one.
  private var detailsBuffer: [UInt8] = []

  /// The last suite's line buffer, kept for the next suite's lines.
  private var spareLines: [UInt8] = []

  /// Creates a reporter writing to `path` (`-` for standard output).
  public init(path: String) { self.path = path }

  public func runStarted(_ info: RunInfo) {
    suiteCount = 0
    suite = nil
    pendingError = nil
    // A planned suite count lets the plan be written first, into the report itself.
    let expectedHeader = info.plannedSuites.map(Self.header(suiteCount:))
    do { spool = try TextReportTarget(path: path).makeSpool(expectedHeader: expectedHeader) } catch {
      pendingError = error
    }
  }

  public func suiteStarted(_ key: SuiteKey) {
    if suite?.key == key { return }
    closeSuite()
    openSuite(key)
  }

  private func openSuite(_ key: SuiteKey) {
    var lines = spareLines
    spareLines = []
    lines.removeAll(keepingCapacity: true)
    suite = OpenSuite(key: key, lines: lines)
  }

  public func record(_ verdict: Verdict) {
    if suite?.key != verdict.identity.key {
      closeSuite()
      openSuite(verdict.identity.key)
    }
    // Worked on out of the property and put back, so that each change is
    // not one more checked access to it (its line buffer moves, uncopied).
    var open = suite!
    suite = nil
    defer { suite = open }
    open.count += 1
    open.tally.add(verdict.outcome)
    switch verdict.outcome {
    case .pass:
      if !VerdictText.isExploredInPart(verdict),
        appendPlainResult(verdict, number: open.count, skipReason: nil, to: &open.lines)
      {
        return
      }
    case .skipped:
      let worded = verdict.message
      let reason = ConsoleReporter.oneLine(worded.isEmpty ? "the rule does not apply" : worded)
      if appendPlainResult(verdict, number: open.count, skipReason: reason, to: &open.lines) { return }
    case .fail, .error:
      Self.appendFailureLines(for: verdict, number: open.count, to: &open.lines, detailsBuffer: &detailsBuffer)
      return
    }
    for line in Self.lines(for: verdict, number: open.count) {
      PlainText.append("  ", to: &open.lines)
      open.lines.append(contentsOf: line.utf8)
      open.lines.append(UInt8(ascii: "\n"))
    }
  }

  /// `  ok N name` of a pass, or `  ok N name # SKIP reason` of a skip
  /// (`reason` already made one line), appended as bytes without building a
  /// string, when the name is printable ASCII of at most 500 bytes (`#`
  /// becomes `_`): the same bytes as ``lines(for:number:)``. Returns false,
  /// leaving `bytes` as it was, otherwise.
  private func appendPlainResult(_ verdict: Verdict, number: Int, skipReason: String?, to bytes: inout [UInt8]) -> Bool {
    // Assembled in `lineStorage`, which holds any pass whose name fits in 500 bytes.
    var line = LineAssembly(lineStorage)
    _ = line.append("  ok ")
    _ = line.appendDecimal(number)
    _ = line.append(UInt8(ascii: " "))
    let nameStart = line.count
    guard line.appendCaseTitle(verdict.identity, allowing: PrintableExcept.printable),
      line.count > nameStart, line.count - nameStart <= 500
    else { return false }
    line.replaceAll(UInt8(ascii: "#"), with: UInt8(ascii: "_"), from: nameStart)
    if let skipReason {
      guard line.append(" # SKIP "), line.append(skipReason) else { return false }
    }
    guard line.append(UInt8(ascii: "\n")) else { return false }
    bytes.append(contentsOf: UnsafeBufferPointer(line.bytes))
    return true
  }

  /// Where ``appendPlainResult(_:number:skipReason:to:)`` assembles a line:
  /// `  ok `, a number, a space, a name of at most 500 bytes, a skip's
  /// directive when it fits, and a line feed.
  private let lineStorage = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: 1100)

  deinit { lineStorage.deallocate() }

  public func suiteFinished(_ key: SuiteKey) { closeSuite() }

  public func runFinished(_ tally: Tally, seconds: Double) throws {
    closeSuite()
    defer { spool = nil }
    if let pendingError { throw pendingError }
    guard let spool else { return }
    try TextReportTarget(path: path).write(header: Self.header(suiteCount: suiteCount), spool: spool)
  }

  /// The version line and the plan of a run of `suiteCount` suites.
  private static func header(suiteCount: Int) -> String { "KTAP version 1\n1..\(suiteCount)\n" }

  private func closeSuite() {
    guard let open = suite else { return }
    suite = nil
    guard pendingError == nil, let spool else { return }
    suiteCount += 1
    let name = Self.name(open.key.description.replacingSlashes)
    let header = "  KTAP version 1\n  # Subtest: \(name)\n  1..\(open.count)\n"
    var text = ""
    let tally = open.tally
    if tally.failed + tally.errors > 0 {
      text += "# \(name): \(tally.failed) failed, \(tally.errors) errors of \(tally.total)\n"
      text += "not ok \(suiteCount) \(name)\n"
    } else if tally.skipped == tally.total {
      text += "ok \(suiteCount) \(name) # SKIP every case was skipped\n"
    } else {
      text += "ok \(suiteCount) \(name)\n"
    }
    do {
      try spool.writer.write(header)
      // Straight from the suite's buffer to the spool, not copied into the writer's first.
      try open.lines.withUnsafeBytes { try spool.writer.write($0) }
      try spool.writer.write(text)
    } catch { pendingError = error }
    spareLines = open.lines
  }

  /// The diagnostic lines and the result line of one case, unindented.
  static func lines(for verdict: Verdict, number: Int) -> [String] {
    let identity = verdict.identity
    var title = identity.caseName
    if !identity.ruleTitle.isEmpty { title += " " + identity.ruleTitle }
    let name = Self.name(title)
    switch verdict.outcome {
    case .pass:
      // A diagnostic before the result, as a failure's are.
      if let note = VerdictText.partialExploration(verdict) { return ["# \(note)", "ok \(number) \(name)"] }
      return ["ok \(number) \(name)"]
    case .skipped:
      let worded = verdict.message
      let reason = worded.isEmpty ? "the rule does not apply" : worded
      return ["ok \(number) \(name) # SKIP \(ConsoleReporter.oneLine(reason))"]
    case .fail, .error:
      let fallback =
        verdict.outcome == .fail ? "the walker broke the contract" : "the case could not be judged"
      let worded = verdict.message
      let message = ConsoleReporter.oneLine(worded.isEmpty ? fallback : worded)
      var lines = ["# \(identity.caseName.oneLineName): \(message)"]
      // Worded once: the details end with it too.
      let replayCommand = verdict.replayCommand
      let text = VerdictText.details(verdict, replayCommand: replayCommand)
      let details = text.isEmpty ? (lines: [], count: 0) : Self.lines(of: text, keeping: detailLines)
      for line in details.lines { lines.append(diagnostic(line)) }
      if details.count > detailLines {
        lines.append("# … \(details.count - detailLines) more lines of details")
        if let replay = replayCommand {
          lines.append(diagnostic("Replay: " + replay))
        }
      }
      if verdict.outcome == .fail { return lines + ["not ok \(number) \(name)"] }
      let directive = VerdictText.isTimeout(verdict) ? "TIMEOUT" : "ERROR"
      return lines + ["not ok \(number) \(name) # \(directive) \(message)"]
    }
  }

  /// ``lines(for:number:)`` of a failure or an error, indented and appended
  /// as bytes: a line of details that is printable ASCII of at most 300
  /// bytes (what ``diagnostic(_:)`` keeps as it is) is copied without
  /// becoming a String.
  static func appendFailureLines(
    for verdict: Verdict, number: Int, to bytes: inout [UInt8], detailsBuffer: inout [UInt8]
  ) {
    let identity = verdict.identity
    // The names, as bytes, when the case's name and title are printable
    // ASCII of at most 500 bytes: what `name(_:)` gives then (`#` becomes
    // `_`), the case's name being the title's first bytes.
    var plainName: [UInt8] = []
    plainName.reserveCapacity(128)
    var caseNameCount = 0
    if PlainText.appendCaseTitle(identity, to: &plainName, allowing: PrintableExcept.printable),
      !plainName.isEmpty, plainName.count <= 500
    {
      caseNameCount = identity.ruleTitle.isEmpty ? plainName.count : plainName.count - 1 - identity.ruleTitle.utf8.count
      for index in plainName.indices where plainName[index] == UInt8(ascii: "#") { plainName[index] = UInt8(ascii: "_") }
    } else {
      plainName.removeAll()
    }
    let fallback = verdict.outcome == .fail ? "the walker broke the contract" : "the case could not be judged"
    let worded = verdict.message
    let message = ConsoleReporter.oneLine(worded.isEmpty ? fallback : worded)
    func appendLine(_ line: String) {
      PlainText.append("  ", to: &bytes)
      bytes.append(contentsOf: line.utf8)
      bytes.append(UInt8(ascii: "\n"))
    }
    if plainName.isEmpty {
      appendLine("# \(identity.caseName.oneLineName): \(message)")
    } else {
      PlainText.append("  # ", to: &bytes)
      if caseNameCount == 0 {
        bytes.append(UInt8(ascii: "_"))
      } else {
        plainName.withUnsafeBufferPointer { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: $0[..<caseNameCount])) }
      }
      PlainText.append(": ", to: &bytes)
      bytes.append(contentsOf: message.utf8)
      bytes.append(UInt8(ascii: "\n"))
    }
    // Worded once: the details end with the replay command.
    let replayCommand = VerdictText.detailsBytes(verdict, into: &detailsBuffer)
    let text = detailsBuffer
    var count = 0
    if !text.isEmpty {
      text.withUnsafeBufferPointer { utf8 in
        // The pieces `lines(of:keeping:)` gives: split at LF, but not after CR.
        var start = 0
        func piece(_ end: Int) {
          defer { count += 1 }
          guard count < detailLines else { return }
          let line = UnsafeBufferPointer(rebasing: utf8[start..<end])
          if line.count <= 300, PrintableExcept.printable.allowsAll(line), !Self.startsWithSubtest(line) {
            PlainText.append(line.isEmpty ? "  #\n" : "  # ", to: &bytes)
            if !line.isEmpty {
              bytes.append(contentsOf: line)
              bytes.append(UInt8(ascii: "\n"))
            }
          } else {
            appendLine(diagnostic(String(decoding: line, as: UTF8.self)))
          }
        }
        // Each line feed found by `memchr`, not a byte at a time.
        guard let base = utf8.baseAddress else { return piece(0) }
        var searched = 0
        while searched < utf8.count, let found = memchr(base + searched, 0x0A, utf8.count - searched) {
          let index = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
          searched = index + 1
          if index > 0 && utf8[index - 1] == 0x0D { continue }
          piece(index)
          start = index + 1
        }
        piece(utf8.count)
      }
    }
    if count > detailLines {
      appendLine("# … \(count - detailLines) more lines of details")
      if let replayCommand {
        appendLine(diagnostic("Replay: " + String(decoding: text[replayCommand], as: UTF8.self)))
      }
    }
    PlainText.append("  not ok ", to: &bytes)
    XMLMarkup.appendDecimal(number, to: &bytes)
    bytes.append(UInt8(ascii: " "))
    if plainName.isEmpty {
      var title = identity.caseName
      if !identity.ruleTitle.isEmpty { title += " " + identity.ruleTitle }
      bytes.append(contentsOf: Self.name(title).utf8)
    } else {
      bytes.append(contentsOf: plainName)
    }
    if verdict.outcome != .fail {
      PlainText.append(VerdictText.isTimeout(verdict) ? " # TIMEOUT " : " # ERROR ", to: &bytes)
      bytes.append(contentsOf: message.utf8)
    }
    bytes.append(UInt8(ascii: "\n"))
  }

  /// The first `limit` lines of `text` and how many there are: the pieces
  /// `text.split(separator: "\n", omittingEmptySubsequences: false)` gives,
  /// found over the bytes. A line feed after a carriage return is no split
  /// there (CR LF is one Character), so it is none here either.
  static func lines(of text: String, keeping limit: Int) -> (lines: [String], count: Int) {
    var lines: [String] = []
    var count = 0
    var text = text
    text.withUTF8 { utf8 in
      var start = 0
      for index in 0..<utf8.count where utf8[index] == 0x0A && !(index > 0 && utf8[index - 1] == 0x0D) {
        if count < limit {
          lines.append(String(decoding: UnsafeBufferPointer(rebasing: utf8[start..<index]), as: UTF8.self))
        }
        count += 1
        start = index + 1
      }
      if count < limit { lines.append(String(decoding: UnsafeBufferPointer(rebasing: utf8[start...]), as: UTF8.self)) }
      count += 1
    }
    return (lines, count)
  }

  /// Whether a line of details starts with `Subtest` (``diagnostic(_:)``
  /// puts such a line in parentheses).
  @inline(__always)
  private static func startsWithSubtest(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
    let subtest: StaticString = "Subtest"
    return line.count >= subtest.utf8CodeUnitCount
      && memcmp(line.baseAddress!, subtest.utf8Start, subtest.utf8CodeUnitCount) == 0
  }

  /// A name as KTAP allows it: one line, no `#`.
  static func name(_ text: String) -> String {
    let line = ConsoleReporter.oneLine(text, limit: 500)
    let cleaned = ReportText.replacingASCII(line, UInt8(ascii: "#"), with: [UInt8(ascii: "_")])
    return cleaned.isEmpty ? "_" : cleaned
  }

  /// `# text`, never mistaken for a `# Subtest:` header.
  private static func diagnostic(_ text: String) -> String {
    let line = ConsoleReporter.oneLine(text)
    return line.hasPrefix("Subtest") ? "# (\(line))" : line.isEmpty ? "#" : "# " + line
  }
}

extension String {
  fileprivate var replacingSlashes: String { String(map { $0 == "/" ? "." : $0 }) }
  fileprivate var oneLineName: String { KTAPReporter.name(self) }
}
