import PfnResults

/// Writes a run as a TAP stream that Perl's `prove` (Debian's 3.44 included)
/// and other TAP harnesses accept: one test point per case.
///
/// ```
/// TAP version 13
/// 1..4
/// ok 1 - lifetime/reference/x86_64 LT-001[level=pmd] a successful start() holds the lock
/// not ok 2 - lifetime/reference/x86_64 LT-001[level=pud] …
///   ---
///   outcome: fail
///   message: "start() returned without holding the PTL"
///   …
///   ...
/// ok 3 - lifetime/reference/x86_64 LT-003 huge pages # SKIP no PUD leaves on this arch
/// ```
///
/// Version 13 by default (prove before 3.48 rejects 14); the plan comes first.
/// A failure carries a YAML block with its message, details, sources, rule
/// location and replay command; an error is a `not ok` point with
/// `severity: error` and a `# ERROR` comment line before it, since TAP has no
/// error directive. `#` and `\` in descriptions are escaped as TAP 14 says.
/// The points go to a spool while the run streams, so memory stays flat;
/// when the run says how many cases it plans (``RunInfo/plannedCases``), a
/// file report is written in place after its plan, and copied only if the
/// run ends with another count.
public final class TAPReporter: VerdictSink {
  /// The file, or `-` for standard output.
  public let path: String
  /// 13 or 14.
  public let version: Int

  /// How much of a case's details a YAML block keeps at its start and end.
  /// The longest YAML line written: prove 3.44 reads lines of about 65,000
  /// characters at most; longer values are cut with a note (JUnit keeps them whole).
  static let maxLineBytes = 32 * 1024
  static let detailsHeadBytes = 16 * 1024
  static let detailsTailBytes = 4 * 1024

  private var spool: TextSpool?
  private var count = 0
  /// The last suite seen, whose `suite/walker/arch ` is in ``plainPrefixStorage``.
  private var plainPrefixKey: SuiteKey?
  /// How many bytes of ``plainPrefixStorage`` the prefix fills, or -1 when it
  /// is not plain text (see ``PlainText``) or longer than a description may be.
  private var plainPrefixCount = -1
  /// `suite/walker/arch ` of ``plainPrefixKey``, in memory the reporter owns
  /// (no reference to count for each line).
  private let plainPrefixStorage = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: 1001)
  private var pendingError: (any Error)?
  /// Where a failing case's details are worded, kept for the next one.
  private var detailsBuffer: [UInt8] = []

  /// Creates a reporter writing to `path` (`-` for standard output) in TAP
  /// `version` 13 or 14.
  public init(path: String, version: Int = 13) {
    self.path = path
    self.version = version == 14 ? 14 : 13
  }

  public func runStarted(_ info: RunInfo) {
    count = 0
    pendingError = nil
    // A planned count lets the plan be written first, into the report itself.
    let expectedHeader = info.plannedCases.map(header(count:))
    do { spool = try TextReportTarget(path: path).makeSpool(expectedHeader: expectedHeader) } catch {
      pendingError = error
    }
  }

  /// The version line and the plan of a run of `count` cases.
  private func header(count: Int) -> String {
    // `1..0` alone is a skip-all; prove wants the reason after a bare SKIP.
    let plan = count == 0 ? "1..0 # SKIP no case matched" : "1..\(count)"
    return "TAP version \(version)\n\(plan)\n"
  }

  public func suiteStarted(_ key: SuiteKey) {}

  public func record(_ verdict: Verdict) {
    guard pendingError == nil, let spool else { return }
    count += 1
    do {
      let writer = spool.writer
      if verdict.outcome == .pass, !VerdictText.isExploredInPart(verdict),
        appendPlainPass(verdict, number: count, to: &writer.buffer)
      {
        try writer.flushIfFull()
      } else {
        Self.appendLines(for: verdict, number: count, to: &writer.buffer, detailsBuffer: &detailsBuffer)
        try writer.flushIfFull()
      }
    } catch {
      pendingError = error
    }
  }

  public func suiteFinished(_ key: SuiteKey) {}

  public func runFinished(_ tally: Tally, seconds: Double) throws {
    defer { spool = nil }
    if let pendingError { throw pendingError }
    guard let spool else { return }
    try TextReportTarget(path: path).write(header: header(count: count), spool: spool)
  }

  // MARK: - Lines

  /// `ok N - description` of a pass, appended as bytes without building a
  /// string, when its description has nothing to escape or cut (printable
  /// ASCII without `\` and `#`, at most 1,000 bytes): the same bytes as
  /// ``lines(for:number:)``. Returns false, leaving `bytes` as it was, otherwise.
  private func appendPlainPass(_ verdict: Verdict, number: Int, to bytes: inout [UInt8]) -> Bool {
    let identity = verdict.identity
    if plainPrefixKey != identity.key {
      var prefix: [UInt8] = []
      let plain = PlainText.append(identity.key.description, to: &prefix, allowing: Self.plainBytes)
      prefix.append(UInt8(ascii: " "))
      plainPrefixKey = identity.key
      // A prefix past 1,000 bytes makes every description too long for this path.
      plainPrefixCount = plain && prefix.count <= plainPrefixStorage.count ? prefix.count : -1
      if plainPrefixCount >= 0 { _ = plainPrefixStorage.initialize(from: prefix) }
    }
    guard plainPrefixCount >= 0 else { return false }
    // Assembled in `lineStorage`, which holds any line whose description fits in 1,000 bytes.
    var line = LineAssembly(lineStorage)
    _ = line.append("ok ")
    _ = line.appendDecimal(number)
    _ = line.append(" - ")
    let descriptionStart = line.count
    guard line.append(UnsafeBufferPointer(start: plainPrefixStorage.baseAddress, count: plainPrefixCount)),
      line.appendCaseTitle(identity, allowing: Self.plainBytes),
      line.count - descriptionStart <= 1000, line.append(UInt8(ascii: "\n"))
    else { return false }
    bytes.append(contentsOf: UnsafeBufferPointer(line.bytes))
    return true
  }

  /// Where ``appendPlainPass(_:number:to:)`` assembles a line: `ok `, a
  /// number, ` - `, a description of at most 1,000 bytes and a line feed.
  private let lineStorage = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: 1100)

  deinit {
    lineStorage.deallocate()
    plainPrefixStorage.deallocate()
  }

  /// The bytes TAP descriptions carry as they are (``isPlain(_:)``).
  static let plainBytes = PrintableExcept(UInt8(ascii: "\\"), UInt8(ascii: "#"))

  /// A byte TAP descriptions carry as it is.
  @inline(__always)
  static func isPlain(_ byte: UInt8) -> Bool {
    byte >= 0x20 && byte < 0x7F && byte != UInt8(ascii: "\\") && byte != UInt8(ascii: "#")
  }

  /// The test point for `verdict`, with its YAML block when it did not pass.
  static func lines(for verdict: Verdict, number: Int) -> String {
    var bytes: [UInt8] = []
    var detailsBuffer: [UInt8] = []
    appendLines(for: verdict, number: number, to: &bytes, detailsBuffer: &detailsBuffer)
    return String(decoding: bytes, as: UTF8.self)
  }

  /// ``lines(for:number:)``, appended to `bytes`: each text of the verdict
  /// (message, details, replay command) is worded once, the details in
  /// `detailsBuffer` (a reporter's, reused from case to case).
  static func appendLines(
    for verdict: Verdict, number: Int, to bytes: inout [UInt8], detailsBuffer: inout [UInt8]
  ) {
    switch verdict.outcome {
    case .pass:
      PlainText.append("ok ", to: &bytes)
      XMLMarkup.appendDecimal(number, to: &bytes)
      PlainText.append(" - ", to: &bytes)
      appendDescription(verdict.identity, to: &bytes)
      if let note = VerdictText.partialExploration(verdict) {
        PlainText.append("\n# ", to: &bytes)
        bytes.append(contentsOf: note.utf8)
      }
    case .skipped:
      let message = verdict.message
      PlainText.append("ok ", to: &bytes)
      XMLMarkup.appendDecimal(number, to: &bytes)
      PlainText.append(" - ", to: &bytes)
      appendDescription(verdict.identity, to: &bytes)
      PlainText.append(" # SKIP ", to: &bytes)
      bytes.append(contentsOf: escape(message.isEmpty ? "the rule does not apply" : message).utf8)
    case .fail, .error:
      let message = verdict.message
      if verdict.outcome == .error {
        PlainText.append("# ERROR: ", to: &bytes)
        bytes.append(
          contentsOf: ConsoleReporter.oneLine(message.isEmpty ? "the case could not be judged" : message).utf8)
        PlainText.append(" (the case could not be judged)\n", to: &bytes)
      }
      PlainText.append("not ok ", to: &bytes)
      XMLMarkup.appendDecimal(number, to: &bytes)
      PlainText.append(" - ", to: &bytes)
      appendDescription(verdict.identity, to: &bytes)
      bytes.append(UInt8(ascii: "\n"))
      appendYAML(
        verdict, message: message, severity: verdict.outcome == .fail ? "fail" : "error", to: &bytes,
        detailsBuffer: &detailsBuffer)
      return
    }
    bytes.append(UInt8(ascii: "\n"))
  }

  /// `suite/walker/arch case title`, escaped (``escape(_:)``); copied as it
  /// is when there is nothing to escape or cut.
  private static func appendDescription(_ identity: CaseIdentity, to bytes: inout [UInt8]) {
    let start = bytes.count
    if appendPlainKey(identity.key, to: &bytes) {
      bytes.append(UInt8(ascii: " "))
      if PlainText.appendCaseTitle(identity, to: &bytes, allowing: plainBytes), bytes.count - start <= 1000 { return }
    }
    bytes.removeSubrange(start...)
    var description = "\(identity.key.description) \(identity.caseName)"
    if !identity.ruleTitle.isEmpty { description += " " + identity.ruleTitle }
    bytes.append(contentsOf: escape(description).utf8)
  }

  /// `suite/walker/arch` (`key.description`) as it is, a field at a time
  /// without building it (`/` is plain); false when a byte is not plain.
  private static func appendPlainKey(_ key: SuiteKey, to bytes: inout [UInt8]) -> Bool {
    guard PlainText.append(key.suite, to: &bytes, allowing: plainBytes) else { return false }
    bytes.append(UInt8(ascii: "/"))
    guard PlainText.append(key.walker, to: &bytes, allowing: plainBytes) else { return false }
    bytes.append(UInt8(ascii: "/"))
    return PlainText.append(key.arch, to: &bytes, allowing: plainBytes)
  }

  /// One line, with `\` and `#` escaped so neither starts a directive.
  static func escape(_ text: String) -> String {
    let line = ConsoleReporter.oneLine(text, limit: 1000)
    // Byte by byte: `\` and `#` are ASCII, never inside a longer UTF-8 sequence.
    return ReportText.replacingASCII(
      ReportText.replacingASCII(line, UInt8(ascii: "\\"), with: Array("\\\\".utf8)), UInt8(ascii: "#"),
      with: Array("\\#".utf8))
  }

  private static func appendYAML(
    _ verdict: Verdict, message: String, severity: StaticString, to bytes: inout [UInt8],
    detailsBuffer: inout [UInt8]
  ) {
    let identity = verdict.identity
    PlainText.append("  ---\n  message: ", to: &bytes)
    let fallback = verdict.outcome == .fail ? "the walker broke the contract" : "the case could not be judged"
    appendQuoted(message.isEmpty ? fallback : message, to: &bytes)
    PlainText.append("\n  severity: ", to: &bytes)
    PlainText.append(severity, to: &bytes)
    PlainText.append("\n  suite: ", to: &bytes)
    appendQuotedSuite(identity.key, to: &bytes)
    PlainText.append("\n  rule: ", to: &bytes)
    appendQuoted(identity.ruleID, to: &bytes)
    bytes.append(UInt8(ascii: "\n"))
    if let location = identity.location {
      PlainText.append("  at: ", to: &bytes)
      appendQuotedLocation(location, to: &bytes)
      bytes.append(UInt8(ascii: "\n"))
    }
    if !verdict.sources.isEmpty {
      PlainText.append("  sources:\n", to: &bytes)
      for source in verdict.sources {
        PlainText.append("    - ", to: &bytes)
        appendQuoted(source, to: &bytes)
        bytes.append(UInt8(ascii: "\n"))
      }
    }
    if let schedule = VerdictText.pinnedSchedule(verdict) {
      PlainText.append("  schedule: ", to: &bytes)
      appendQuoted(schedule, to: &bytes)
      bytes.append(UInt8(ascii: "\n"))
    }
    // Worded once, as bytes: the details end with the replay command, and
    // details short enough to keep whole are quoted without becoming a String.
    let replayCommand = VerdictText.detailsBytes(verdict, into: &detailsBuffer)
    detailsBuffer.withUnsafeBufferPointer { details in
      if let replayCommand {
        PlainText.append("  replay: ", to: &bytes)
        appendQuoted(utf8: UnsafeBufferPointer(rebasing: details[replayCommand]), to: &bytes)
        bytes.append(UInt8(ascii: "\n"))
      }
      guard !details.isEmpty else { return }
      PlainText.append("  details: ", to: &bytes)
      if details.count <= detailsHeadBytes + detailsTailBytes {
        appendQuoted(utf8: details, to: &bytes)
      } else {
        appendQuoted(
          ReportText.truncated(
            String(decoding: details, as: UTF8.self), headBytes: detailsHeadBytes, tailBytes: detailsTailBytes),
          to: &bytes)
      }
      bytes.append(UInt8(ascii: "\n"))
    }
    PlainText.append("  ...\n", to: &bytes)
  }

  /// ``quoted(_:)``, appended to `bytes`.
  private static func appendQuoted(_ text: String, to bytes: inout [UInt8]) {
    let start = bytes.count
    appendQuotedWhole(text, to: &bytes)
    guard bytes.count - start > maxLineBytes else { return }
    bytes.removeSubrange(start...)
    bytes.append(contentsOf: quoted(text).utf8)
  }

  /// ``quoted(_:)`` of the text whose UTF-8 is `utf8`, appended to `bytes`.
  private static func appendQuoted(utf8: UnsafeBufferPointer<UInt8>, to bytes: inout [UInt8]) {
    let start = bytes.count
    bytes.append(UInt8(ascii: "\""))
    appendQuotedBody(utf8, to: &bytes)
    bytes.append(UInt8(ascii: "\""))
    guard bytes.count - start > maxLineBytes else { return }
    bytes.removeSubrange(start...)
    bytes.append(contentsOf: quoted(String(decoding: utf8, as: UTF8.self)).utf8)
  }

  /// ``quoted(_:)`` of `key.description` (`suite/walker/arch`), escaped a
  /// field at a time without building the string: escaping works byte by
  /// byte within each field's valid UTF-8, so the pieces join as the whole would.
  private static func appendQuotedSuite(_ key: SuiteKey, to bytes: inout [UInt8]) {
    let start = bytes.count
    bytes.append(UInt8(ascii: "\""))
    appendQuotedBody(key.suite, to: &bytes)
    bytes.append(UInt8(ascii: "/"))
    appendQuotedBody(key.walker, to: &bytes)
    bytes.append(UInt8(ascii: "/"))
    appendQuotedBody(key.arch, to: &bytes)
    bytes.append(UInt8(ascii: "\""))
    guard bytes.count - start > maxLineBytes else { return }
    bytes.removeSubrange(start...)
    bytes.append(contentsOf: quoted(key.description).utf8)
  }

  /// ``quoted(_:)`` of `location.description` (`file:line`), as ``appendQuotedSuite(_:to:)``.
  private static func appendQuotedLocation(_ location: SpecLocation, to bytes: inout [UInt8]) {
    let start = bytes.count
    bytes.append(UInt8(ascii: "\""))
    appendQuotedBody(location.file, to: &bytes)
    bytes.append(UInt8(ascii: ":"))
    XMLMarkup.appendDecimal(location.line, to: &bytes)
    bytes.append(UInt8(ascii: "\""))
    guard bytes.count - start > maxLineBytes else { return }
    bytes.removeSubrange(start...)
    bytes.append(contentsOf: quoted(location.description).utf8)
  }

  /// ``quoted(_:)`` within ``maxLineBytes``: a longer value keeps its head
  /// and tail and says where the whole text is.
  static func quoted(_ text: String) -> String {
    let line = quotedWhole(text)
    guard line.utf8.count > maxLineBytes else { return line }
    // Quoting at most quadruples a byte (`\xNN`), so this fits.
    let budget = maxLineBytes / 4 - 200
    return quotedWhole(
      ReportText.truncated(text, headBytes: budget * 4 / 5, tailBytes: budget / 5)
        + " [cut to fit a TAP line; the full text is in the JUnit report]")
  }

  /// A YAML double-quoted scalar on one line (`\n`, `\"`, `\\`, `\t`, `\xNN`, `\L`, `\P`),
  /// built over the UTF-8 bytes: every escaped character but U+2028, U+2029
  /// and the C1 controls is ASCII, and those three have fixed byte patterns.
  static func quotedWhole(_ text: String) -> String {
    var result: [UInt8] = []
    appendQuotedWhole(text, to: &result)
    return String(decoding: result, as: UTF8.self)
  }

  /// ``quotedWhole(_:)``, appended to `result`.
  static func appendQuotedWhole(_ text: String, to result: inout [UInt8]) {
    result.append(UInt8(ascii: "\""))
    appendQuotedBody(text, to: &result)
    result.append(UInt8(ascii: "\""))
  }

  /// ``appendQuotedWhole(_:to:)`` without the quotes.
  private static func appendQuotedBody(_ text: String, to result: inout [UInt8]) {
    var text = text
    text.withUTF8 { appendQuotedBody($0, to: &result) }
  }

  /// The escaped body of a YAML double-quoted scalar whose UTF-8 is `utf8`
  /// (valid UTF-8: a multi-byte sequence never ends it).
  private static func appendQuotedBody(_ utf8: UnsafeBufferPointer<UInt8>, to result: inout [UInt8]) {
    do {
      result.reserveCapacity(result.count + utf8.count + 16)
      var index = 0
      var runStart = 0
      while index < utf8.count {
        // Clean text a word at a time first.
        index += ByteWords.plainPrefix(
          utf8, from: index, excluding: UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "\""), UInt8(ascii: "\""))
        guard index < utf8.count else { break }
        let byte = utf8[index]
        // Runs of bytes that stay as they are are copied whole: printable ASCII
        // but `"` and `\`, and every non-ASCII byte that cannot begin a C1
        // control, U+2028 or U+2029.
        if (byte >= 0x20 && byte < 0x7F && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "\\"))
          || (byte >= 0x80 && byte != 0xC2 && byte != 0xE2)
        {
          index += 1
          continue
        }
        if runStart < index { result.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<index])) }
        index += 1
        defer { runStart = index }
        switch byte {
        case UInt8(ascii: "\""):
          result.append(UInt8(ascii: "\\"))
          result.append(UInt8(ascii: "\""))
        case UInt8(ascii: "\\"):
          result.append(UInt8(ascii: "\\"))
          result.append(UInt8(ascii: "\\"))
        case 0x0A:
          result.append(UInt8(ascii: "\\"))
          result.append(UInt8(ascii: "n"))
        case 0x09:
          result.append(UInt8(ascii: "\\"))
          result.append(UInt8(ascii: "t"))
        case 0x0D:
          result.append(UInt8(ascii: "\\"))
          result.append(UInt8(ascii: "r"))
        case 0x00..<0x20, 0x7F: appendHexEscape(byte, to: &result)
        // U+0080…U+009F: C2 80…C2 9F.
        case 0xC2 where index < utf8.count && (0x80...0x9F).contains(utf8[index]):
          appendHexEscape(utf8[index], to: &result)
          index += 1
        // U+2028 and U+2029: E2 80 A8 and E2 80 A9.
        case 0xE2 where index + 1 < utf8.count && utf8[index] == 0x80 && (utf8[index + 1] == 0xA8 || utf8[index + 1] == 0xA9):
          result.append(UInt8(ascii: "\\"))
          result.append(utf8[index + 1] == 0xA8 ? UInt8(ascii: "L") : UInt8(ascii: "P"))
          index += 2
        default: result.append(byte)
        }
      }
      if runStart < index { result.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<index])) }
    }
  }

  /// `\xNN` in uppercase hexadecimal.
  private static func appendHexEscape(_ value: UInt8, to bytes: inout [UInt8]) {
    let digits = Array("0123456789ABCDEF".utf8)
    bytes.append(UInt8(ascii: "\\"))
    bytes.append(UInt8(ascii: "x"))
    bytes.append(digits[Int(value >> 4)])
    bytes.append(digits[Int(value & 0xF)])
  }
}
