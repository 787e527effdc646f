import PfnResults
import PfnSupport

/// Turns a verdict's facts into the text reports show: the one-line message,
/// the details, the replay command. The only place that words a verdict.
public enum VerdictText {
  /// One line: what went wrong, or why the case was skipped. Empty on a pass.
  public static func message(_ verdict: Verdict) -> String {
    guard let cause = verdict.cause else { return "" }
    var text = message(cause, subject: subject(verdict.story))
    if verdict.outcome == .fail || verdict.outcome == .error, let steps = verdict.story.schedule, !steps.isEmpty {
      text += " (with \(steps.count) adversary step\(steps.count == 1 ? "" : "s"))"
    }
    return text
  }

  /// The second of the non-empty lines `text.split(separator: "\n")` gives,
  /// found over the bytes (a CR LF pair is one Character, so no split there).
  static func secondLine(of text: String) -> String? {
    var text = text
    return text.withUTF8 { utf8 -> String? in
      var pieces = 0
      var start = 0
      for index in 0...utf8.count {
        let ends = index == utf8.count || (utf8[index] == 0x0A && !(index > 0 && utf8[index - 1] == 0x0D))
        guard ends else { continue }
        if index > start {
          pieces += 1
          if pieces == 2 {
            return String(decoding: UnsafeBufferPointer(rebasing: utf8[start..<index]), as: UTF8.self)
          }
        }
        start = index + 1
      }
      return nil
    }
  }

  /// The headline of a failed expectation whose file, text and explanation
  /// are each one line: its explanation without leading spaces (the second
  /// line of `FILE:L:C: expect TEXT\n    EXPLANATION`, as ``secondLine(of:)``
  /// finds it). `nil` for any other, which takes the general path.
  private static func oneLineExplanation(_ expectation: FailedExpectation) -> String? {
    // Over the contiguous bytes, not the UTF-8 view's iterator (every failing case asks).
    func oneLine(_ text: String) -> Bool {
      var text = text
      return text.withUTF8 { utf8 in !utf8.contains { $0 == 0x0A || $0 == 0x0D } }
    }
    let explanation = expectation.explanation
    // A first byte that is not ASCII could join the indentation's last space
    // into one Character (a combining mark), which the general path keeps.
    guard let first = explanation.utf8.first, first < 0x80, oneLine(explanation), oneLine(expectation.text),
      oneLine(expectation.location.file)
    else { return nil }
    guard first == UInt8(ascii: " ") else { return explanation }
    return String(explanation.drop { $0 == " " })
  }

  /// Who the case checks: "walker", or "caller" in a caller rule's case.
  static func subject(_ story: CaseStory) -> String { story.caller == nil ? "walker" : "caller" }

  /// The cause in one line, without the schedule's step count.
  public static func message(_ cause: VerdictCause, subject: String = "walker") -> String {
    switch cause {
    case .broken(let expectations, let fault):
      // A fault stops the case, and the message says so.
      if let fault { return "the \(subject) faulted: \(fault)" }
      // Only the first failure is worded: the headline is its explanation.
      guard let firstExpectation = expectations.first else { return "" }
      let more = expectations.count > 1 ? " (+\(expectations.count - 1) more)" : ""
      // One line each: the second line of the worded expectation is the explanation.
      if let headline = oneLineExplanation(firstExpectation) { return more.isEmpty ? headline : headline + more }
      let first = failureTexts([firstExpectation], nil)[0]
      let headline = secondLine(of: first).map { String($0.drop { $0 == " " }) } ?? first
      return headline + more
    case .notApplicable(let reason): return reason
    case .planning(let message): return message
    case .worldNotBuilt(let reason): return "the rule's world cannot be built: \(reason)"
    case .evaluation(let message, let location): return (location.map { "\($0): " } ?? "") + message
    case .walkerError(let message): return message
    case .workerFailed(let message): return message
    case .workerDiedOutsideCase(let death): return "the worker \(workerDeath(death)) outside any case"
    case .infeasibleReplay(let schedule):
      return "the replayed schedule is not feasible any more (\(describe(schedule)))"
    case .stoppedEarly(.identicalDeaths(let count, let death)):
      return "stopped after the first \(count) cases of this part all ended the same way ("
        + message(death, subject: subject) + "); its other cases were not run (--keep-going runs them all)"
    case .stoppedEarly(.errorBudget(let limit, let started)):
      return started
        ? "stopped at --max-errors \(limit): the rest of this part was not run"
        : "not run: the run had reached --max-errors \(limit)"
    case .refusedMessage(let reason):
      return "the \(subject)'s worker sent a message pfnspec refuses (\(reason)); the worker was killed"
    case .noVerdict(let reason):
      return "no trustworthy verdict for this case: \(reason)"
    case .limitExceeded(let limit, let detail):
      return "the \(subject) went past the worker's \(limit) limit (\(detail))"
    case .timeout(let seconds, let phase, .command):
      return "the \(subject) command did not finish \(phase ?? "its call") within \(formatSeconds(seconds)) (it was killed)"
    case .timeout, .crash, .exit, .garbage:
      return "the \(subject) " + workerDeath(cause)
    }
  }

  /// What killed a worker, after "the walker".
  private static func workerDeath(_ cause: VerdictCause) -> String {
    switch cause {
    case .timeout(let seconds, _, _):
      return "did not finish within \(formatSeconds(seconds)) (the worker was killed)"
    case .crash(_, let name, let address):
      var text = "crashed the worker: \(name)"
      if let address {
        text += " at address 0x\(String(address, radix: 16))" + (address < 4096 ? " (a NULL pointer dereference)" : "")
      }
      return text + (name == "SIGABRT" ? " (abort() or a failed assertion)" : "")
    case .exit(let status):
      return "ended the worker process with exit status \(status)"
    case .garbage(let output):
      let shown = output.count > 120 ? String(output.prefix(120)) + "..." : output
      return "broke the worker's channel with text that is not an event: '\(shown)'"
    default:
      return message(cause)
    }
  }

  /// The whole story: each failed expectation with what was expected and what
  /// happened, the world, the host calls the walker made, and how to replay the case.
  public static func details(_ verdict: Verdict) -> String {
    String(decoding: detailsBytes(verdict).bytes, as: UTF8.self)
  }

  /// ``details(_:)`` with the replay command already worded (``command(_:)``
  /// of the verdict's replay), for a reporter that also prints it on its own.
  static func details(_ verdict: Verdict, replayCommand: String?) -> String {
    var lines = JoinedLines()
    detailsLines(verdict, into: &lines)
    if let replayCommand, lines.isWorded { lines.add("Replay: ", replayCommand) }
    return lines.text
  }

  /// ``details(_:)`` as its UTF-8 bytes, with the replay command worded into
  /// them once, and where that command lies in them (the command that ends
  /// the details is the one a report shows on its own): for a reporter that
  /// copies or escapes them without making a String of them first.
  static func detailsBytes(_ verdict: Verdict) -> (bytes: [UInt8], replayCommand: Range<Int>?) {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(1024)
    let replayCommand = detailsBytes(verdict, into: &bytes)
    return (bytes, replayCommand)
  }

  /// ``detailsBytes(_:)`` written into `storage` (emptied first, keeping its
  /// capacity), for a reporter that words many verdicts with one buffer;
  /// returns where the replay command lies in it.
  static func detailsBytes(_ verdict: Verdict, into storage: inout [UInt8]) -> Range<Int>? {
    var lines = JoinedLines(reusing: &storage)
    defer { storage = lines.bytes }
    detailsLines(verdict, into: &lines)
    guard let replay = verdict.replay, lines.isWorded else { return nil }
    lines.startLine()
    PlainText.append("Replay: ", to: &lines.bytes)
    let start = lines.bytes.count
    appendCommand(replay, to: &lines.bytes)
    return start..<lines.bytes.count
  }

  /// The details without the replay command, added to `lines`, which are
  /// left not ``JoinedLines/isWorded`` unless the outcome words one (a
  /// failure or an error does).
  private static func detailsLines(_ verdict: Verdict, into lines: inout JoinedLines) {
    let story = verdict.story
    switch verdict.outcome {
    case .pass:
      if let exploration = story.exploration { lines.add("Races: " + summary(exploration)) }
      lines.isWorded = false
      return
    case .skipped:
      lines.isWorded = false
      return
    case .fail, .error: break
    }
    switch verdict.cause {
    case .broken(let expectations, let fault)?:
      lines.add("Failed:")
      for expectation in expectations {
        // `  FILE:L:C: expect TEXT\n    EXPLANATION`, a piece at a time.
        lines.startLine()
        PlainText.append("  ", to: &lines.bytes)
        let location = expectation.location
        PlainText.append(location.file, to: &lines.bytes)
        lines.bytes.append(UInt8(ascii: ":"))
        XMLMarkup.appendDecimal(location.line, to: &lines.bytes)
        lines.bytes.append(UInt8(ascii: ":"))
        XMLMarkup.appendDecimal(location.column, to: &lines.bytes)
        PlainText.append(": expect ", to: &lines.bytes)
        PlainText.append(expectation.text, to: &lines.bytes)
        PlainText.append("\n    ", to: &lines.bytes)
        PlainText.append(expectation.explanation, to: &lines.bytes)
      }
      if let fault { lines.add("  the walker faulted: ", fault) }
    case .timeout(_, _, .worker)?, .crash?, .exit?, .garbage?:
      lines.add("The \(subject(story)) \(workerDeath(verdict.cause!)).")
    case .planning?, .workerFailed?, .workerDiedOutsideCase?, nil:
      break
    case let cause?:
      lines.add("Error: \(message(cause, subject: subject(story)))")
    }
    if let rule = story.rule {
      let title = rule.title.map { " \"\($0)\"" } ?? ""
      lines.add("Rule: \(rule.id)\(title) at \(rule.file):\(rule.line)")
      for item in rule.why { lines.add("Why: \(item)") }
    }
    switch story.target {
    case .engine(let walker, let apiLevel, let profile, let arch, let kernel)?:
      if let caller = story.caller {
        lines.add("Caller: \(caller.name) (\(caller.profile)): \(caller.summary)")
      }
      lines.add("Case: walker \(walker) (API \(apiLevel), \(profile)), \(arch), kernel \(kernel)")
    case .worker(let walker, let plugin, let arch)?:
      lines.add("Case: walker \(walker) (\(plugin)), \(arch)")
    case .part(let plugin, let suites)?:
      lines.add("Plug-in: \(plugin)")
      lines.add("Suites: \(suites.isEmpty ? "all" : suites.joined(separator: ", "))")
    case nil:
      break
    }
    if let world = story.world {
      lines.add("World:")
      for item in world { lines.add("  ", item) }
    }
    if let schedule = story.schedule {
      lines.add("Schedule: \(describe(schedule))")
      if let exploration = story.exploration { lines.add("Races: \(summary(exploration))") }
    }
    if !story.trace.isEmpty {
      lines.add("Host calls and other CPUs, in order:")
      for item in story.trace { lines.add("  ", item) }
      if !story.lockdepWarnings.isEmpty {
        lines.add("Lockdep warnings: " + story.lockdepWarnings.joined(separator: "; "))
      }
      if !story.stillHeld.isEmpty { lines.add("Still held: " + story.stillHeld.joined(separator: ", ")) }
    }
    if !story.standardError.joined().isEmpty {
      lines.add("Worker's standard error (last lines):")
      for item in story.standardError { lines.add("  ", item) }
    }
    if let pinned = pinnedSchedule(verdict) { lines.add("As a rule: \(pinned)") }
  }

  /// The failing schedule as a rule pins it (`given schedule { before read_pmd: zap pmd }`),
  /// for a failure under a schedule whose every point has a name.
  public static func pinnedSchedule(_ verdict: Verdict) -> String? {
    guard verdict.outcome == .fail || verdict.outcome == .error else { return nil }
    return verdict.story.schedule?.pinnedScheduleText
  }

  /// Where the failure is: the first failed `expect` (`file:line:col`), else
  /// the rule's header (`file:line`).
  public static func location(_ verdict: Verdict) -> String? {
    if case .broken(let expectations, _)? = verdict.cause, let first = expectations.first {
      return first.location.description
    }
    return verdict.identity.location?.description
  }

  /// The shell command that reruns the case.
  public static func command(_ replay: Replay) -> String {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(256)
    appendCommand(replay, to: &bytes)
    return String(decoding: bytes, as: UTF8.self)
  }

  /// ``command(_:)``, appended to `bytes` a word at a time, without an
  /// array of the words or a String of the command.
  static func appendCommand(_ replay: Replay, to bytes: inout [UInt8]) {
    PlainText.append("pfnspec", to: &bytes)
    replay.forEachArgument { word in
      bytes.append(UInt8(ascii: " "))
      switch word {
      case .whole(let text): appendShellWord(text, to: &bytes)
      case .joined(let flag, let value): appendShellWord(flag, "=", value, word: word, to: &bytes)
      case .relative(let path): appendShellWord("./", "", path, word: word, to: &bytes)
      }
    }
  }

  /// Whether every byte is one a shell word carries without quotes: ASCII
  /// letters, digits and `-_./:=@%+,` (what `shellQuoted` keeps as it is).
  private static func isShellPlain(_ utf8: UnsafeBufferPointer<UInt8>) -> Bool {
    for byte in utf8 {
      // One bit per ASCII byte: bytes 0 to 63 in the first mask, 64 to 127 in the second.
      let mask = byte < 64 ? shellPlainLow : byte < 128 ? shellPlainHigh : 0
      guard mask >> (byte & 63) & 1 != 0 else { return false }
    }
    return true
  }

  /// The bits of ``isShellPlain(_:)``'s bytes: `%+,-./0-9:=` and `@A-Z_a-z`.
  private static let shellPlainLow: UInt64 = shellMask("%+,-./0123456789:=", base: 0)
  private static let shellPlainHigh: UInt64 = shellMask(
    "@ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz", base: 64)

  private static func shellMask(_ bytes: String, base: UInt8) -> UInt64 {
    bytes.utf8.reduce(0) { $0 | 1 << UInt64($1 - base) }
  }

  /// One word of a command, over its bytes: a word that is not empty and
  /// ``isShellPlain(_:)`` needs no quotes; only the others are quoted.
  private static func appendShellWord(_ word: String, to bytes: inout [UInt8]) {
    let appended = word.utf8.withContiguousStorageIfAvailable { appendShellWord(utf8: $0, of: word, to: &bytes) }
    if appended != nil { return }
    var copy = word
    copy.withUTF8 { appendShellWord(utf8: $0, of: word, to: &bytes) }
  }

  /// ``appendShellWord(_:to:)`` of `word`, whose UTF-8 is `utf8`.
  private static func appendShellWord(utf8: UnsafeBufferPointer<UInt8>, of word: String, to bytes: inout [UInt8]) {
    if !utf8.isEmpty, isShellPlain(utf8) {
      bytes.append(contentsOf: utf8)
      return
    }
    let quote = UInt8(ascii: "'")
    // Without a `'`, quoting is wrapping in `'…'` (what `shellQuoted` does then).
    if utf8.contains(quote) {
      bytes.append(contentsOf: shellQuoted(word).utf8)
      return
    }
    bytes.append(quote)
    bytes.append(contentsOf: utf8)
    bytes.append(quote)
  }

  /// ``appendShellWord(_:to:)`` of `word`, the three pieces joined, without
  /// joining them: it is never empty, and quoting looks at each byte alone.
  private static func appendShellWord(
    _ head: String, _ middle: StaticString, _ tail: String, word: Replay.ArgumentWord, to bytes: inout [UInt8]
  ) {
    let middleBytes = UnsafeBufferPointer(start: middle.utf8Start, count: middle.utf8CodeUnitCount)
    var head = head
    var tail = tail
    let plain = head.withUTF8 { isShellPlain($0) } && tail.withUTF8 { isShellPlain($0) }
    if !plain {
      let quote = UInt8(ascii: "'")
      // A `'` needs `shellQuoted`'s general form, over the whole word.
      if head.utf8.contains(quote) || tail.utf8.contains(quote) {
        bytes.append(contentsOf: shellQuoted(word.text).utf8)
        return
      }
      bytes.append(quote)
    }
    bytes.append(contentsOf: head.utf8)
    bytes.append(contentsOf: middleBytes)
    bytes.append(contentsOf: tail.utf8)
    if !plain { bytes.append(UInt8(ascii: "'")) }
  }

  /// Whether the case could not be judged because the walker did not finish in time.
  public static func isTimeout(_ verdict: Verdict) -> Bool {
    if case .timeout? = verdict.cause { return true }
    return false
  }

  /// `zap pmd at point 3, split pmd at point 5`.
  public static func describe(_ schedule: [ScheduleStepRecord]) -> String {
    schedule.isEmpty
      ? "no adversary step" : schedule.map { "\($0.operation) at point \($0.point)" }.joined(separator: ", ")
  }

  /// What a race case that passed left unexplored, when a limit stopped its
  /// exploration before every schedule up to its bound ran (`nil` otherwise):
  /// it passed what ran, which is less than its rule asks for.
  public static func partialExploration(_ verdict: Verdict) -> String? {
    guard isExploredInPart(verdict), let statistics = verdict.story.exploration else { return nil }
    return "explored in part: a limit stopped exploring after \(statistics.schedules) schedule(s), "
      + "before every schedule of up to \(statistics.bound) adversary step(s) ran "
      + "(raise --race-limit, or lower --race-bound)"
  }

  /// Whether ``partialExploration(_:)`` has something to say, without wording
  /// it: asked of every passing case by the writers' fast paths.
  public static func isExploredInPart(_ verdict: Verdict) -> Bool {
    verdict.outcome == .pass && verdict.story.exploration?.truncated == true
  }

  /// `explored 12 schedule(s), 4 distinct end state(s), up to 2 adversary step(s)`.
  public static func summary(_ statistics: ExplorationStatistics) -> String {
    var text =
      "explored \(statistics.schedules) schedule(s), \(statistics.distinctStates) distinct end state(s), "
      + "up to \(statistics.bound) adversary step(s)"
    if statistics.random > 0 { text += " exhaustively plus \(statistics.random) random schedule(s)" }
    if statistics.truncated { text += " (stopped at the schedule limit)" }
    return text
  }

  private static func failureTexts(_ expectations: [FailedExpectation], _ fault: String?) -> [String] {
    expectations.map { "\($0.location): expect \($0.text)\n    \($0.explanation)" }
      + (fault.map { ["the walker faulted: \($0)"] } ?? [])
  }
}

extension Verdict {
  /// The one-line message, rendered by ``VerdictText``.
  public var message: String { VerdictText.message(self) }
  /// The details, rendered by ``VerdictText``.
  public var details: String { VerdictText.details(self) }
  /// The command that reruns the case, when there is one.
  public var replayCommand: String? { replay.map(VerdictText.command) }
}

/// Lines joined by `\n` as they come, as bytes, without an array of them.
struct JoinedLines {
  /// The lines so far, joined, as UTF-8. A caller may write a line's bytes
  /// here itself after ``startLine()``.
  var bytes: [UInt8]
  private var count = 0
  /// Whether these lines are a failure's or an error's worded details (not
  /// a pass's or a skip's fixed ones), which end with the replay command.
  var isWorded = true

  init() {
    bytes = []
    bytes.reserveCapacity(1024)
  }

  /// Lines in `storage`'s buffer, which is emptied (and taken: the caller
  /// gets it back from ``bytes``).
  init(reusing storage: inout [UInt8]) {
    bytes = []
    swap(&bytes, &storage)
    bytes.removeAll(keepingCapacity: true)
  }

  /// The lines so far, joined.
  var text: String { String(decoding: bytes, as: UTF8.self) }

  /// Begins a line whose bytes the caller appends to ``bytes``.
  @inline(__always)
  mutating func startLine() {
    if count > 0 { bytes.append(UInt8(ascii: "\n")) }
    count += 1
  }

  /// Adds the pieces as one line.
  mutating func add(_ pieces: String...) {
    startLine()
    for piece in pieces { PlainText.append(piece, to: &bytes) }
  }

  /// ``add(_:)`` of one or two pieces, without an array of them.
  mutating func add(_ line: String) {
    startLine()
    PlainText.append(line, to: &bytes)
  }

  mutating func add(_ prefix: String, _ line: String) {
    startLine()
    PlainText.append(prefix, to: &bytes)
    PlainText.append(line, to: &bytes)
  }
}
