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
/// The points go to a spool while the run streams, so memory stays flat.
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
  private var pendingError: (any Error)?

  /// Creates a reporter writing to `path` (`-` for standard output) in TAP
  /// `version` 13 or 14.
  public init(path: String, version: Int = 13) {
    self.path = path
    self.version = version == 14 ? 14 : 13
  }

  public func runStarted(_ info: RunInfo) {
    count = 0
    pendingError = nil
    do { spool = try TextReportTarget(path: path).makeSpool() } catch { pendingError = error }
  }

  public func suiteStarted(_ key: SuiteKey) {}

  public func record(_ verdict: Verdict) {
    guard pendingError == nil, let spool else { return }
    count += 1
    do { try spool.writer.write(Self.lines(for: verdict, number: count)) } catch {
      pendingError = error
    }
  }

  public func suiteFinished(_ key: SuiteKey) {}

  public func runFinished(_ tally: Tally, seconds: Double) throws {
    defer { spool = nil }
    if let pendingError { throw pendingError }
    guard let spool else { return }
    // `1..0` alone is a skip-all; prove wants the reason after a bare SKIP.
    let plan = count == 0 ? "1..0 # SKIP no case matched" : "1..\(count)"
    try TextReportTarget(path: path).write(
      header: "TAP version \(version)\n\(plan)\n", spool: spool)
  }

  // MARK: - Lines

  /// The test point for `verdict`, with its YAML block when it did not pass.
  static func lines(for verdict: Verdict, number: Int) -> String {
    let identity = verdict.identity
    var description = "\(identity.key.description) \(identity.caseName)"
    if !identity.ruleTitle.isEmpty { description += " " + identity.ruleTitle }
    let escaped = escape(description)
    switch verdict.outcome {
    case .pass:
      return "ok \(number) - \(escaped)\n"
    case .skipped:
      let reason = verdict.message.isEmpty ? "the rule does not apply" : verdict.message
      return "ok \(number) - \(escaped) # SKIP \(escape(reason))\n"
    case .fail:
      return "not ok \(number) - \(escaped)\n" + yaml(verdict, severity: "fail")
    case .error:
      let message = verdict.message.isEmpty ? "the case could not be judged" : verdict.message
      return "# ERROR: \(ConsoleReporter.oneLine(message)) (the case could not be judged)\n"
        + "not ok \(number) - \(escaped)\n" + yaml(verdict, severity: "error")
    }
  }

  /// One line, with `\` and `#` escaped so neither starts a directive.
  static func escape(_ text: String) -> String {
    let line = ConsoleReporter.oneLine(text, limit: 1000)
    // Byte by byte: `\` and `#` are ASCII, never inside a longer UTF-8 sequence.
    return ReportText.replacingASCII(
      ReportText.replacingASCII(line, UInt8(ascii: "\\"), with: Array("\\\\".utf8)), UInt8(ascii: "#"),
      with: Array("\\#".utf8))
  }

  private static func yaml(_ verdict: Verdict, severity: String) -> String {
    let identity = verdict.identity
    var lines = ["  ---"]
    let fallback = severity == "fail" ? "the walker broke the contract" : "the case could not be judged"
    lines.append("  message: " + quoted(verdict.message.isEmpty ? fallback : verdict.message))
    lines.append("  severity: \(severity)")
    lines.append("  suite: " + quoted(identity.key.description))
    lines.append("  rule: " + quoted(identity.ruleID))
    if let location = identity.location { lines.append("  at: " + quoted(location.description)) }
    if !verdict.sources.isEmpty {
      lines.append("  sources:")
      for source in verdict.sources { lines.append("    - " + quoted(source)) }
    }
    if let schedule = VerdictText.pinnedSchedule(verdict) {
      lines.append("  schedule: " + quoted(schedule))
    }
    if let replay = verdict.replayCommand {
      lines.append("  replay: " + quoted(replay))
    }
    if !verdict.details.isEmpty {
      let details = ReportText.truncated(
        verdict.details, headBytes: detailsHeadBytes, tailBytes: detailsTailBytes)
      lines.append("  details: " + quoted(details))
    }
    lines.append("  ...")
    return lines.joined(separator: "\n") + "\n"
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

  /// A YAML double-quoted scalar on one line (`\n`, `\"`, `\\`, `\t`, `\xNN`, `\L`, `\P`).
  static func quotedWhole(_ text: String) -> String {
    var result = "\""
    for scalar in text.unicodeScalars {
      switch scalar {
      case "\"": result += "\\\""
      case "\\": result += "\\\\"
      case "\n": result += "\\n"
      case "\t": result += "\\t"
      case "\r": result += "\\r"
      case "\u{2028}": result += "\\L"
      case "\u{2029}": result += "\\P"
      default:
        if scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) {
          let hex = String(scalar.value, radix: 16, uppercase: true)
          result += "\\x" + (hex.count < 2 ? "0" : "") + hex
        } else {
          result.unicodeScalars.append(scalar)
        }
      }
    }
    return result + "\""
  }
}
