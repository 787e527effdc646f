import PfnResults

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// When the console reporter uses ANSI colours.
public enum ColorMode: String, Sendable, CaseIterable {
  /// Colour when the output is a terminal and `NO_COLOR` is not set to a
  /// non-empty value (the no-color.org convention).
  case auto
  /// Always colour, for CI logs that render ANSI codes.
  case always
  /// Never colour.
  case never

  /// Whether this mode colours an output, given the value of `NO_COLOR`.
  func enablesColor(isTerminal: Bool, noColor: String?) -> Bool {
    switch self {
    case .always: return true
    case .never: return false
    case .auto: return isTerminal && (noColor ?? "").isEmpty
    }
  }
}

/// Prints a run for people: failures as they happen, then a matrix of rules
/// against walker/architecture, the failing cases, and a closing line that CI
/// can match.
///
/// The last two lines are always
///
///     errors: 1
///     pfnspec: 40 passed, 2 failed, 3 skipped
///
/// Memory stays bounded: the matrix keeps one mark per (rule, column), and
/// only the failures that will be printed are kept.
public final class ConsoleReporter: VerdictSink {
  /// Above this many rules the matrix shows one row per suite instead.
  public var matrixRuleLimit = 60
  /// How many failures and errors the final list prints; the rest are counted.
  public var failureListLimit = 200

  private var output: any ConsoleOutputStream
  private let quiet: Bool
  private let colored: Bool
  /// Print the host calls (start() and end() marked) under each failure as it happens.
  public var verbose = false

  private var counts = Tally()
  private var ruleRows = OrderedNames()
  private var suiteRows = OrderedNames()
  private var columns = OrderedNames()
  private var ruleMarks: [Cell: Mark] = [:]
  private var suiteMarks: [Cell: Mark] = [:]
  private var problems: [Problem] = []
  private var problemCount = 0
  /// Passing race cases whose exploration a limit stopped: the first ones, and how many.
  private var partial: [String] = []
  private var partialCount = 0
  /// What the race cases explored, summed: how much a pass stands on.
  private var races = RaceTotals()
  private let progress: Bool
  private var progressShown = false
  private var runBegan = ContinuousClock.now
  private var lastProgress = ContinuousClock.now
  /// How long a run goes before the progress line appears, and how often it changes.
  public var progressDelay: Duration = .seconds(1)
  public var progressInterval: Duration = .milliseconds(200)

  /// Creates a console reporter.
  ///
  /// - Parameters:
  ///   - color: When to use ANSI colours; `.auto` asks the output and `NO_COLOR`.
  ///   - quiet: Print only the header and the summary, not failures as they happen.
  ///   - output: Where the text goes; standard output by default.
  ///   - progress: Whether to keep a progress line at the bottom of long runs;
  ///     `nil` decides by ``showsProgress(isTerminal:ci:)``.
  public init(
    color: ColorMode = .auto, quiet: Bool = false,
    output: any ConsoleOutputStream = FileDescriptorOutputStream(), progress: Bool? = nil
  ) {
    self.output = output
    self.quiet = quiet
    let noColor = getenv("NO_COLOR").map { String(cString: $0) }
    self.colored = color.enablesColor(isTerminal: output.isTerminal, noColor: noColor)
    let ci = getenv("CI").map { String(cString: $0) }
    self.progress = progress ?? Self.showsProgress(isTerminal: output.isTerminal, ci: ci)
  }

  /// Whether a run shows a progress line: only on a terminal, and never when
  /// the `CI` variable is set (CI logs keep every carriage return).
  public static func showsProgress(isTerminal: Bool, ci: String?) -> Bool {
    isTerminal && (ci ?? "").isEmpty
  }

  public func runStarted(_ info: RunInfo) {
    counts = Tally()
    ruleRows = OrderedNames()
    suiteRows = OrderedNames()
    columns = OrderedNames()
    ruleMarks = [:]
    suiteMarks = [:]
    problems = []
    problemCount = 0
    partial = []
    partialCount = 0
    races = RaceTotals()
    progressShown = false
    runBegan = ContinuousClock.now
    lastProgress = runBegan
    var header = "pfnspec \(info.toolVersion): seed \(info.seed)"
    if !info.walkers.isEmpty { header += "; walkers " + info.walkers.joined(separator: ", ") }
    if !info.callers.isEmpty { header += "; callers " + info.callers.joined(separator: ", ") }
    if !info.arches.isEmpty { header += "; arches " + info.arches.joined(separator: ", ") }
    print(Self.oneLine(header))
  }

  public func suiteStarted(_ key: SuiteKey) {}

  public func record(_ verdict: Verdict) {
    let identity = verdict.identity
    counts.add(verdict.outcome)
    if let exploration = verdict.story.exploration { races.add(exploration) }
    let column = columns.index(of: "\(identity.key.walker)/\(identity.key.arch)")
    let mark = Mark(verdict.outcome)
    ruleMarks[Cell(row: ruleRows.index(of: identity.ruleID), column: column), default: mark].merge(
      mark)
    suiteMarks[Cell(row: suiteRows.index(of: identity.key.suite), column: column), default: mark]
      .merge(mark)

    guard verdict.outcome == .fail || verdict.outcome == .error else {
      if let note = VerdictText.partialExploration(verdict) {
        partialCount += 1
        if partial.count < failureListLimit {
          partial.append(Self.oneLine("\(identity.key) \(identity.caseName): \(note)"))
        }
      }
      if progress { showProgress(identity.key) }
      return
    }
    let problem = Problem(verdict)
    problemCount += 1
    if problems.count < failureListLimit { problems.append(problem) }
    if !quiet {
      var line = "\(label(problem.outcome)) \(problem.key) \(problem.caseName): \(problem.message)"
      if let location = problem.location { line += " (\(location))" }
      print(line)
      if verbose && !verdict.story.trace.isEmpty {
        print("        host calls:")
        for call in verdict.story.trace { print("          " + Self.oneLine(call, limit: 300)) }
      }
    }
    if progress { showProgress(identity.key) }
  }

  private func showProgress(_ key: SuiteKey) {
    let now = ContinuousClock.now
    guard now - runBegan >= progressDelay, now - lastProgress >= progressInterval else { return }
    lastProgress = now
    progressShown = true
    let line = "\(counts.total) cases: \(counts.passed) passed, \(counts.failed) failed, "
      + "\(counts.errors) errors, \(counts.skipped) skipped — \(key)"
    output.write("\r\u{1B}[K" + Self.oneLine(line, limit: 100))
  }

  public func suiteFinished(_ key: SuiteKey) {}

  public func runFinished(_ tally: Tally, seconds: Double) throws {
    clearProgress()
    print("")
    if counts.total == 0 {
      print("no cases were run")
    } else if ruleRows.names.count <= matrixRuleLimit {
      printMatrix(corner: "rule", rows: ruleRows.names, marks: ruleMarks)
    } else {
      print("\(ruleRows.names.count) rules: one row per suite")
      printMatrix(corner: "suite", rows: suiteRows.names, marks: suiteMarks)
    }

    if problemCount > 0 {
      print("")
      print("failures and errors (\(problemCount)):")
      for problem in problems {
        var title = "  \(label(problem.outcome)) \(problem.key) \(problem.caseName)"
        if !problem.title.isEmpty { title += " " + problem.title }
        print(title)
        print("        " + problem.message)
        if let location = problem.location { print("        at \(location)") }
        if let schedule = problem.schedule { print("        schedule: \(schedule)") }
        if let replay = problem.replay { print("        replay: \(replay)") }
      }
      if problemCount > problems.count {
        print("  … and \(problemCount - problems.count) more (see the JUnit report)")
      }
    }

    if partialCount > 0 {
      // A pass that covered less than its rule asks for is said as loudly as a failure.
      print("")
      print("explored in part (\(partialCount)): these race cases passed what ran before a limit stopped them:")
      for line in partial { print("  \(line)") }
      if partialCount > partial.count {
        print("  … and \(partialCount - partial.count) more (see the JUnit report)")
      }
    }

    print("")
    if let line = races.summary { print(line) }
    print("ran \(counts.total) cases in \(ReportText.seconds(seconds)) s")
    print("errors: \(counts.errors)")
    // CI matches this line; it stays plain, without colour.
    print("pfnspec: \(counts.passed) passed, \(counts.failed) failed, \(counts.skipped) skipped")
  }

  // MARK: - Rendering

  private func printMatrix(corner: String, rows: [String], marks: [Cell: Mark]) {
    let rowLabels = rows.map { Self.oneLine($0) }
    let columnLabels = columns.names.map { Self.oneLine($0) }
    let rowWidth = max(corner.count, rowLabels.map(\.count).max() ?? 0)
    // Wide matrices number their columns and explain the numbers below.
    let naturalWidth = rowWidth + columnLabels.reduce(0) { $0 + 2 + $1.count }
    let numbered = naturalWidth > 120
    let headers = numbered ? columnLabels.indices.map { String($0 + 1) } : columnLabels

    var header = Self.padded(corner, rowWidth)
    for label in headers { header += "  " + label }
    print(Self.trimmed(header))
    for (rowIndex, rowLabel) in rowLabels.enumerated() {
      var line = Self.padded(rowLabel, rowWidth)
      for (columnIndex, columnHeader) in headers.enumerated() {
        let mark = marks[Cell(row: rowIndex, column: columnIndex)]
        let symbol = mark?.symbol ?? "·"
        line +=
          "  " + paint(symbol, mark?.color) + String(repeating: " ", count: columnHeader.count - 1)
      }
      print(Self.trimmed(line))
    }
    if numbered {
      for (index, label) in columnLabels.enumerated() { print("  \(index + 1) = \(label)") }
    }
    print("(✓ pass, ✗ fail, E error, - skipped, · not run)")
  }

  private func label(_ outcome: Outcome) -> String {
    outcome == .error ? paint("ERROR", "1;33") : paint("FAIL ", "1;31")
  }

  private func paint(_ text: String, _ code: String?) -> String {
    guard colored, let code else { return text }
    return "\u{1B}[\(code)m\(text)\u{1B}[0m"
  }

  private func print(_ line: String) {
    clearProgress()
    output.write(line + "\n")
  }

  private func clearProgress() {
    guard progressShown else { return }
    progressShown = false
    output.write("\r\u{1B}[K")
  }

  static func padded(_ text: String, _ width: Int) -> String {
    text + String(repeating: " ", count: max(0, width - text.count))
  }

  static func trimmed(_ line: String) -> String {
    var line = Substring(line)
    while line.last == " " { line.removeLast() }
    return String(line)
  }

  /// Text from walkers and specs, made safe for one terminal line: no
  /// escape sequences, no line breaks, and not too long.
  static func oneLine(_ text: String, limit: Int = 300) -> String {
    let cleaned = ReportText.visible(text, keepingLineBreaks: false)
    // A string never has more characters than bytes: counting characters is the slow part.
    if cleaned.utf8.count <= limit { return cleaned }
    return cleaned.count > limit ? cleaned.prefix(limit) + "…" : cleaned
  }
}

/// A cell of the summary matrix.
struct Cell: Hashable {
  var row: Int
  var column: Int
}

/// The aggregate of a cell's cases: the worst outcome wins, and a pass wins
/// over a skip because something ran.
enum Mark: Int, Comparable {
  case skipped, pass, error, fail

  init(_ outcome: Outcome) {
    switch outcome {
    case .pass: self = .pass
    case .fail: self = .fail
    case .error: self = .error
    case .skipped: self = .skipped
    }
  }

  static func < (lhs: Mark, rhs: Mark) -> Bool { lhs.rawValue < rhs.rawValue }

  mutating func merge(_ other: Mark) { self = max(self, other) }

  var symbol: String {
    switch self {
    case .skipped: "-"
    case .pass: "✓"
    case .error: "E"
    case .fail: "✗"
    }
  }

  var color: String {
    switch self {
    case .skipped: "2"
    case .pass: "32"
    case .error: "33"
    case .fail: "31"
    }
  }
}

/// Names in the order they first appeared, each with a stable index.
struct OrderedNames {
  private(set) var names: [String] = []
  private var indices: [String: Int] = [:]

  mutating func index(of name: String) -> Int {
    if let index = indices[name] { return index }
    indices[name] = names.count
    names.append(name)
    return names.count - 1
  }
}

/// A failure or error, kept for the final list with its texts cut to one line.
private struct Problem {
  var outcome: Outcome
  var key: String
  var caseName: String
  var title: String
  var message: String
  var location: String?
  var replay: String?
  /// The failing schedule as a rule pins it.
  var schedule: String?

  init(_ verdict: Verdict) {
    let identity = verdict.identity
    outcome = verdict.outcome
    key = ConsoleReporter.oneLine(identity.key.description)
    caseName = ConsoleReporter.oneLine(identity.caseName)
    title = ConsoleReporter.oneLine(identity.ruleTitle)
    message = ConsoleReporter.oneLine(
      verdict.message.isEmpty
        ? (verdict.outcome == .fail
          ? "the walker broke the contract" : "the case could not be judged")
        : verdict.message)
    location = VerdictText.location(verdict).map { ConsoleReporter.oneLine($0) }
    replay = verdict.replayCommand.map {
      ConsoleReporter.oneLine($0, limit: 1000)
    }
    schedule = VerdictText.pinnedSchedule(verdict).map { ConsoleReporter.oneLine($0, limit: 1000) }
  }
}
