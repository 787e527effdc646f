import PfnResults

/// Writes a run as one self-contained HTML page: a header with the totals, a
/// coloured matrix of rules against walker/architecture whose failing cells
/// link to their stories, one story per failure or error (the expectation with
/// both values, the clause text of the contract, a picture of a race's
/// schedule, the replay command), and the clause coverage of the rules.
///
/// The page needs no network: the styles, the pictures (SVG) and a short
/// script are inline, and it uses the system's fonts. It is also well-formed
/// XML (XHTML syntax), so XML tools read it.
///
/// Memory stays flat as verdicts grow: each story is written to a spool on
/// disk as its verdict arrives, and only counters and one mark per matrix
/// cell stay in memory. At most ``storyLimit`` stories are drawn; the page
/// counts the rest and says so.
public final class HTMLReporter: VerdictSink {
  /// The file, or `-` for standard output.
  public let path: String
  /// How many failures and errors the page draws in full; the others are counted.
  public var storyLimit = 500
  /// How many stories one matrix cell (a rule on one walker/architecture) gets,
  /// so that a few rules failing many cases do not use up the page.
  public var storiesPerCell = 3
  /// The rules that cite each clause, and the clauses' text.
  public let coverage: ClauseCoverage?
  /// Leave times and host names out, so that runs compare byte for byte.
  public let deterministic: Bool

  /// Lines of the host-call trace and of the world a story keeps (head and tail).
  static let storyLineLimit = 120
  /// Bytes of any one text a story keeps (head and tail).
  static let textHeadBytes = 4 * 1024
  static let textTailBytes = 1024
  /// Failed expectations a story lists.
  static let expectationLimit = 20

  private var info: RunInfo?
  private var counts = Tally()
  private var rows = OrderedNames()
  private var columns = OrderedNames()
  private var marks: [Cell: Mark] = [:]
  /// The first drawn story of each failing cell, for the matrix's links.
  private var cellStories: [Cell: Int] = [:]
  /// Stories drawn per failing cell.
  private var cellStoryCounts: [Cell: Int] = [:]
  /// Failing and erroring cases per contract clause.
  private var clauseFailures: [String: Int] = [:]
  private var problemCount = 0
  /// Passing race cases a limit stopped: the first ``storyLimit`` of them, and how many.
  private var partial: [String] = []
  private var partialCount = 0
  private var races = RaceTotals()
  private var storiesDrawn = 0
  private var spool: TextSpool?
  private var pendingError: (any Error)?

  /// Creates a reporter writing to `path` (`-` for standard output).
  ///
  /// - Parameters:
  ///   - coverage: The contract's clauses and the rules citing them; the page
  ///     then quotes each failure's clauses and shows the coverage.
  ///   - deterministic: Leave the start time and the host name out.
  public init(path: String, coverage: ClauseCoverage? = nil, deterministic: Bool = false) {
    self.path = path
    self.coverage = coverage
    self.deterministic = deterministic
  }

  /// What the reporter keeps in memory, for tests and `pfnspec bench`: matrix
  /// cells, clause counters and story links; none grows with passing verdicts.
  public var retainedState: (cells: Int, storyLinks: Int, clauseCounters: Int) {
    (marks.count, max(cellStories.count, cellStoryCounts.count), clauseFailures.count)
  }

  public func runStarted(_ info: RunInfo) {
    self.info = info
    counts = Tally()
    rows = OrderedNames()
    columns = OrderedNames()
    marks = [:]
    cellStories = [:]
    cellStoryCounts = [:]
    clauseFailures = [:]
    problemCount = 0
    partial = []
    partialCount = 0
    races = RaceTotals()
    storiesDrawn = 0
    pendingError = nil
    do { spool = try TextReportTarget(path: path).makeSpool() } catch { pendingError = error }
  }

  public func suiteStarted(_ key: SuiteKey) {}

  public func record(_ verdict: Verdict) {
    let identity = verdict.identity
    counts.add(verdict.outcome)
    if let exploration = verdict.story.exploration { races.add(exploration) }
    let cell = Cell(
      row: rows.index(of: identity.ruleID), column: columns.index(of: "\(identity.key.walker)/\(identity.key.arch)"))
    marks[cell, default: Mark(verdict.outcome)].merge(Mark(verdict.outcome))
    if let note = VerdictText.partialExploration(verdict) {
      partialCount += 1
      if partial.count < storyLimit { partial.append("\(identity.key) \(identity.caseName): \(note)") }
    }
    guard verdict.outcome == .fail || verdict.outcome == .error else { return }
    problemCount += 1
    for source in verdict.sources where source.hasPrefix("contract#") {
      clauseFailures[String(source.dropFirst("contract#".count)), default: 0] += 1
    }
    guard storiesDrawn < storyLimit, cellStoryCounts[cell, default: 0] < storiesPerCell, pendingError == nil,
      let spool
    else { return }
    storiesDrawn += 1
    cellStoryCounts[cell, default: 0] += 1
    if cellStories[cell] == nil { cellStories[cell] = storiesDrawn }
    do { try spool.writer.write(story(verdict, number: storiesDrawn)) } catch { pendingError = error }
  }

  public func suiteFinished(_ key: SuiteKey) {}

  public func runFinished(_ tally: Tally, seconds: Double) throws {
    defer { spool = nil }
    if let pendingError { throw pendingError }
    guard let spool else { return }
    try TextReportTarget(path: path).write(
      header: pageHead(seconds: seconds) + matrix() + failuresHead(), spool: spool,
      footer: failuresFoot() + partialSection() + coverageSection() + pageFoot())
  }

  // MARK: - Page

  private func pageHead(seconds: Double) -> String {
    let closing = "pfnspec: \(counts.passed) passed, \(counts.failed) failed, \(counts.skipped) skipped"
    var lines = [
      "<!DOCTYPE html>",
      "<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\" data-ok=\"no\">",
      "<head>",
      "<meta charset=\"utf-8\"/>",
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>",
      "<title>\(Self.escape(closing))</title>",
      "<style>\(Self.styleSheet)</style>",
      "</head>",
      "<body>",
      "<header id=\"summary\" data-total-cases=\"\(counts.total)\" data-total-passed=\"\(counts.passed)\" "
        + "data-total-failed=\"\(counts.failed)\" data-total-errors=\"\(counts.errors)\" "
        + "data-total-skipped=\"\(counts.skipped)\" data-stories=\"\(storiesDrawn)\">",
      "<h1>pfnspec report</h1>",
      "<p class=\"closing\">\(Self.escape(closing))</p>",
      "<ul class=\"totals\">",
      "<li class=\"m-pass\"><b>\(counts.passed)</b> passed</li>",
      "<li class=\"m-fail\"><b>\(counts.failed)</b> failed</li>",
      "<li class=\"m-error\"><b>\(counts.errors)</b> errors</li>",
      "<li class=\"m-skipped\"><b>\(counts.skipped)</b> skipped</li>",
      "<li><b>\(counts.total)</b> cases</li>",
      "</ul>",
      "<dl class=\"run\">",
    ]
    if let info {
      func item(_ name: String, _ values: [String]) {
        guard !values.isEmpty else { return }
        lines.append("<dt>\(name)</dt><dd>\(Self.escape(values.joined(separator: ", ")))</dd>")
      }
      item("walkers", info.walkers)
      item("callers", info.callers)
      item("architectures", info.arches)
      item("specs", info.specPaths)
      item("seed", [String(info.seed)])
      item("version", [info.toolVersion])
      if !deterministic {
        item("started", [ReportText.utcTimestamp(secondsSince1970: info.startTime) + " UTC"])
        item("host", [info.hostname])
        item("time", [ReportText.seconds(seconds) + " s"])
      }
    }
    if let races = races.detail { lines.append("<dt>races</dt><dd>\(Self.escape(races))</dd>") }
    lines += [
      "</dl>",
      "<nav><a href=\"#matrix\">Matrix</a> <a href=\"#failures\">Failures and errors (\(problemCount))</a> "
        + (coverage == nil ? "" : "<a href=\"#coverage\">Clause coverage</a>") + "</nav>",
      "</header>",
      "<main>",
    ]
    return lines.joined(separator: "\n") + "\n"
  }

  /// Rules down, walker/architecture across, the columns grouped by walker.
  private func matrix() -> String {
    var out = "<section id=\"matrix\">\n<h2>Rules × walker/architecture</h2>\n"
    guard counts.total > 0 else { return out + "<p>No cases were run.</p>\n</section>\n" }
    // Columns sorted by walker (in order of appearance), then architecture.
    let names = columns.names
    var walkerOrder: [String: Int] = [:]
    let split = names.map { name -> (walker: String, arch: String) in
      let slash = name.lastIndex(of: "/") ?? name.endIndex
      let walker = String(name[..<slash])
      if walkerOrder[walker] == nil { walkerOrder[walker] = walkerOrder.count }
      return (walker, slash == name.endIndex ? "" : String(name[name.index(after: slash)...]))
    }
    let order = names.indices.sorted { (walkerOrder[split[$0].walker]!, $0) < (walkerOrder[split[$1].walker]!, $1) }
    out += "<div class=\"scroll\"><table class=\"matrix\">\n<thead>\n<tr><th class=\"corner\" rowspan=\"2\">rule</th>"
    var index = 0
    while index < order.count {
      let walker = split[order[index]].walker
      var span = 0
      while index + span < order.count && split[order[index + span]].walker == walker { span += 1 }
      // A walker over few columns is written upwards, so its columns stay narrow.
      let shape = span < 4 ? "walker narrow" : "walker"
      out += "<th class=\"\(shape)\" colspan=\"\(span)\"><span>\(Self.escape(walker))</span></th>"
      index += span
    }
    out += "</tr>\n<tr>"
    for column in order { out += "<th class=\"arch\"><span>\(Self.escape(split[column].arch))</span></th>" }
    out += "</tr>\n</thead>\n<tbody>\n"
    for (row, rule) in rows.names.enumerated() {
      out += "<tr><th class=\"rule\">\(Self.escape(rule))</th>"
      for column in order {
        let cell = Cell(row: row, column: column)
        guard let mark = marks[cell] else {
          out += "<td class=\"m-none\" title=\"not run\">·</td>"
          continue
        }
        let title = Self.escape("\(rule) on \(names[column]): \(mark.word)")
        if let story = cellStories[cell] {
          out += "<td class=\"m-\(mark.word)\"><a href=\"#story-\(story)\" title=\"\(title)\">\(mark.symbol)</a></td>"
        } else {
          out += "<td class=\"m-\(mark.word)\" title=\"\(title)\">\(mark.symbol)</td>"
        }
      }
      out += "</tr>\n"
    }
    out += "</tbody>\n</table></div>\n"
    out += "<p class=\"legend\"><span class=\"m-pass\">✓ pass</span> <span class=\"m-fail\">✗ fail</span> "
      + "<span class=\"m-error\">E error</span> <span class=\"m-skipped\">- skipped</span> "
      + "<span class=\"m-none\">· not run</span>; a failing cell links to its first story.</p>\n</section>\n"
    return out
  }

  private func failuresHead() -> String {
    var out = "<section id=\"failures\">\n<h2>Failures and errors (\(problemCount))</h2>\n"
    if problemCount == 0 { out += "<p>Every case that ran passed or was skipped.</p>\n" }
    return out
  }

  private func failuresFoot() -> String {
    guard problemCount > storiesDrawn else { return "</section>\n" }
    return "<p class=\"budget\">… and \(problemCount - storiesDrawn) more failures and errors not drawn: this page "
      + "draws at most \(storyLimit) stories, at most \(storiesPerCell) per matrix cell "
      + "(the JUnit and TAP reports list every case).</p>\n</section>\n"
  }

  /// Passes that covered less than their rule asks for, listed as loudly as failures.
  private func partialSection() -> String {
    guard partialCount > 0 else { return "" }
    var out = "<section id=\"partial\">\n<h2>Explored in part (\(partialCount))</h2>\n"
    out += "<p>These race cases passed what ran before a limit stopped them.</p>\n<ul>\n"
    for line in partial { out += "<li>\(Self.text(line))</li>\n" }
    out += "</ul>\n"
    if partialCount > partial.count { out += "<p>… and \(partialCount - partial.count) more.</p>\n" }
    return out + "</section>\n"
  }

  private func coverageSection() -> String {
    guard let coverage else { return "" }
    var out = "<section id=\"coverage\">\n<h2>Clause coverage</h2>\n"
    let covered = coverage.clauses.count - coverage.uncovered.count
    out += "<p>\(covered) of \(coverage.clauses.count) clauses of the contract cited by "
      + "\(coverage.walkerRules + coverage.callerRules) rules (\(coverage.walkerRules) walker rules, "
      + "\(coverage.callerRules) caller rules).</p>\n"
    out += "<div class=\"scroll\"><table class=\"coverage\">\n<thead><tr><th>clause</th><th>rules</th>"
      + "<th>failing cases</th></tr></thead>\n<tbody>\n"
    for clause in coverage.clauses {
      let failing = clauseFailures[clause.id] ?? 0
      var status = clause.isUncovered ? "uncovered" : clause.lacksCallerRule ? "no-caller-rule" : "covered"
      if failing > 0 { status += " failing" }
      out += "<tr id=\"clause-\(Self.escape(clause.id))\" class=\"\(status)\"><td><details><summary><b>"
        + "\(Self.escape(clause.id))</b> \(Self.escape(clause.title))"
        + (clause.isCallerDuty ? " <i>(caller's duty)</i>" : "") + "</summary>"
        + "<div class=\"clause-text\">\(Self.escape(clause.text))</div></details></td><td>"
      if clause.isUncovered {
        out += "<b class=\"m-fail\">UNCOVERED</b>"
      } else {
        out += clause.citationsBySuite.map { "\(Self.escape($0.suite)): \(Self.escape($0.rules.joined(separator: " ")))" }
          .joined(separator: "<br/>")
        if clause.lacksCallerRule { out += "<br/><b class=\"m-fail\">no caller rule</b>" }
      }
      out += "</td><td class=\"num\">\(failing)</td></tr>\n"
    }
    out += "</tbody>\n</table></div>\n"
    func note(_ label: String, _ items: [String]) {
      out += "<p>\(label): \(items.isEmpty ? "none" : Self.escape(items.joined(separator: ", ")))</p>\n"
    }
    note("Uncovered clauses", coverage.uncovered)
    note("Caller duties without a caller rule", coverage.dutiesWithoutCallerRule)
    note("Rules without a clause", coverage.rulesWithoutClause)
    if !coverage.danglingAnchors.isEmpty { note("Cited anchors the document lacks", coverage.danglingAnchors) }
    return out + "</section>\n"
  }

  private func pageFoot() -> String {
    "</main>\n<footer><p>Written by pfnspec; self-contained, no network.</p></footer>\n"
      + "<script>\(Self.script)</script>\n</body>\n</html>\n"
  }

  // MARK: - Stories

  /// One failure or error, as an `article` the matrix links to.
  func story(_ verdict: Verdict, number: Int) -> String {
    let identity = verdict.identity
    let outcome = verdict.outcome == .error ? "error" : "fail"
    var out = "<article class=\"story \(outcome)\" id=\"story-\(number)\">\n"
    out += "<h3><span class=\"badge m-\(outcome)\">\(outcome == "error" ? "ERROR" : "FAIL")</span> "
      + "\(Self.escape(identity.key.description)) <code>\(Self.escape(identity.caseName))</code></h3>\n"
    if !identity.ruleTitle.isEmpty { out += "<p class=\"title\">\(Self.escape(identity.ruleTitle))</p>\n" }
    let message = verdict.message.isEmpty
      ? (verdict.outcome == .fail ? "the walker broke the contract" : "the case could not be judged") : verdict.message
    out += "<p class=\"message\">\(Self.text(message))</p>\n"

    if case .broken(let expectations, let fault)? = verdict.cause {
      if !expectations.isEmpty {
        out += "<table class=\"expectations\"><thead><tr><th>expectation</th><th>what each side came to</th></tr>"
          + "</thead><tbody>\n"
        for expectation in expectations.prefix(Self.expectationLimit) {
          out += "<tr><td><code>expect \(Self.text(expectation.text))</code><br/><small>"
            + "\(Self.escape(expectation.location.description))</small></td>"
            + "<td><code>\(Self.text(expectation.explanation))</code></td></tr>\n"
        }
        out += "</tbody></table>\n"
        if expectations.count > Self.expectationLimit {
          out += "<p class=\"budget\">… and \(expectations.count - Self.expectationLimit) more failed expectations.</p>\n"
        }
      }
      if let fault { out += "<p class=\"fault\">Fault: \(Self.text(fault))</p>\n" }
    }
    if let location = VerdictText.location(verdict) { out += "<p class=\"at\">at \(Self.escape(location))</p>\n" }

    out += clauses(verdict.sources)
    let story = verdict.story
    if let caller = story.caller {
      out += "<p>Caller: <b>\(Self.escape(caller.name))</b> (\(Self.escape(caller.profile))): "
        + "\(Self.text(caller.summary))</p>\n"
    }
    if let schedule = story.schedule {
      out += "<p class=\"schedule\">Schedule: \(Self.text(VerdictText.describe(schedule)))"
      if let exploration = story.exploration { out += "; \(Self.text(VerdictText.summary(exploration)))" }
      out += "</p>\n"
    }
    if let timeline = story.timeline {
      let subjectLane: String
      if let caller = story.caller {
        subjectLane = "caller CPU: \(caller.name)"
      } else if case .engine(let walker, _, _, _, _)? = story.target {
        subjectLane = "walker CPU: \(walker)"
      } else {
        subjectLane = "walker CPU: \(identity.key.walker)"
      }
      out += "<div class=\"scroll seq\">" + Self.sequenceDiagram(
        timeline, subjectLane: subjectLane, stillHeld: story.stillHeld, id: "story-\(number)") + "</div>\n"
    }
    if let replay = verdict.replayCommand {
      out += "<p class=\"replay-label\">Replay:</p><pre class=\"replay\"><code>\(Self.text(replay))</code></pre>\n"
    }
    let details = VerdictText.details(verdict)
    if !details.isEmpty {
      let lines = details.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
      let limit = Self.storyLineLimit * 2
      let shown =
        lines.count > limit
        ? Array(lines.prefix(limit / 2)) + ["… \(lines.count - limit) lines not shown …"] + Array(lines.suffix(limit / 2))
        : lines
      out += "<details><summary>Details: the world and the host calls</summary><pre>"
        + Self.text(shown.joined(separator: "\n")) + "</pre></details>\n"
    }
    return out + "</article>\n"
  }

  /// The text of each contract clause a verdict cites, and its other sources.
  private func clauses(_ sources: [String]) -> String {
    guard !sources.isEmpty else { return "" }
    var out = ""
    var others: [String] = []
    for source in sources {
      guard source.hasPrefix("contract#") else {
        others.append(source)
        continue
      }
      let id = String(source.dropFirst("contract#".count))
      guard let clause = coverage?.clause(id) else {
        others.append(source)
        continue
      }
      // The promise itself stays in view; its sources and notes (after the first paragraph) fold away.
      let lines = clause.text.split(separator: "\n", omittingEmptySubsequences: false)
      let firstBreak = lines.firstIndex { $0.allSatisfy(\.isWhitespace) } ?? lines.endIndex
      let paragraphs = [lines[..<firstBreak].joined(separator: "\n")]
      let rest = lines[firstBreak...].drop { $0.allSatisfy(\.isWhitespace) }.joined(separator: "\n")
      out += "<blockquote class=\"clause\"><p><a href=\"#clause-\(Self.escape(id))\"><b>\(Self.escape(id))</b></a> "
        + "\(Self.escape(clause.title))</p><div class=\"clause-text\">\(Self.text(paragraphs.first ?? ""))</div>"
        + (rest.isEmpty
          ? "" : "<details><summary>sources and notes</summary><div class=\"clause-text\">\(Self.text(rest))</div></details>")
        + "</blockquote>\n"
    }
    if !others.isEmpty { out += "<p class=\"sources\">Sources: \(Self.escape(others.joined(separator: "; ")))</p>\n" }
    return out
  }

  // MARK: - Schedule pictures

  /// An SVG sequence diagram of a schedule: the walker's (or caller's) CPU and
  /// the other CPU as lanes, one row per scheduling point with the call, the
  /// locks held and the entries before and after, and an arrow for each step
  /// of the other CPU. Long runs keep the points around the steps.
  static func sequenceDiagram(
    _ timeline: ScheduleTimeline, subjectLane: String, stillHeld: [String] = [], id: String
  ) -> String {
    let points = timeline.points
    // Points to draw: around each step, plus the first and last few.
    var keep = Set<Int>()
    if points.count <= 40 {
      keep = Set(points.indices)
    } else {
      keep.formUnion(points.indices.prefix(3))
      keep.formUnion(points.indices.suffix(3))
      for (index, point) in points.enumerated() where !point.steps.isEmpty {
        keep.formUnion(max(0, index - 2)...min(points.count - 1, index + 2))
      }
    }
    let drawn = keep.sorted().prefix(80)

    let width = 760
    let subjectX = 70
    let otherX = 450
    let lineHeight = 15
    var body = ""
    var y = 66
    var previous = -1
    // About 7 pixels a character at 12px: the walker's side fits 50, the other CPU's 40.
    func text(_ x: Int, _ y: Int, _ content: String, _ style: String, limit: Int = 50) -> String {
      "<text x=\"\(x)\" y=\"\(y)\" class=\"\(style)\">\(escape(oneLine(content, limit: limit)))</text>"
    }
    func gap(_ count: Int) {
      body += text(subjectX + 10, y + 12, "… \(count) point\(count == 1 ? "" : "s") without steps …", "muted")
      y += 22
    }
    var heldBefore: [String] = []
    for index in drawn {
      if index > previous + 1 { gap(index - previous - 1) }
      previous = index
      let point = points[index]
      // The other CPU acts before the call: its steps come first, each an arrow to the walker's lane.
      if !point.steps.isEmpty {
        var right: [(text: String, style: String)] = []
        for step in point.steps {
          right.append((step.operation, "step"))
          right.append((step.entry.entry, "muted"))
          right.append(("\(hex(step.entry.before)) → \(hex(step.entry.after))", "changed"))
        }
        body += "<rect x=\"\(otherX - 6)\" y=\"\(y)\" width=\"300\" height=\"\(right.count * lineHeight + 8)\" rx=\"4\" "
          + "class=\"stepbox\"/>"
        body += "<line x1=\"\(otherX - 6)\" y1=\"\(y + 10)\" x2=\"\(subjectX + 6)\" y2=\"\(y + 10)\" class=\"arrow\" "
          + "marker-end=\"url(#\(id)-arrow)\"/>"
        body += text(subjectX + 12, y + 24, "before this call, the other CPU:", "muted")
        for (line, item) in right.enumerated() {
          body += text(otherX + 2, y + 14 + line * lineHeight, item.text, item.style, limit: 40)
        }
        y += right.count * lineHeight + 14
      }
      // The call, with the locks held when they change, and the entries it reads.
      var lines: [String] = []
      var locks = ""
      if point.locksHeld != heldBefore {
        locks = point.locksHeld.isEmpty ? "holds no lock now" : "holds " + point.locksHeld.joined(separator: ", ")
      }
      lines.append(
        "<text x=\"\(subjectX + 12)\" y=\"\(y + 12)\"><tspan class=\"call\">\(escape(oneLine(point.call, limit: 30)))</tspan>"
          + (locks.isEmpty ? "" : "<tspan class=\"lock\"> \(escape(oneLine(locks, limit: 40)))</tspan>") + "</text>")
      for entry in point.entries.prefix(3) {
        let (content, style) =
          entry.before == entry.after
          ? ("\(entry.entry) = \(hex(entry.before))", "value")
          : ("\(entry.entry) \(hex(entry.before)) → \(hex(entry.after))", "changed")
        lines.append(text(subjectX + 12, y + 12 + lines.count * lineHeight, content, style))
      }
      let rowHeight = lines.count * lineHeight + 8
      if !point.locksHeld.isEmpty {
        body += "<rect x=\"\(subjectX - 3)\" y=\"\(y)\" width=\"6\" height=\"\(rowHeight)\" class=\"lockbar\"/>"
      }
      heldBefore = point.locksHeld
      body += "<text x=\"8\" y=\"\(y + 12)\" class=\"point\">#\(point.point)</text>"
      body += "<circle cx=\"\(subjectX)\" cy=\"\(y + 8)\" r=\"4\" class=\"dot\"/>" + lines.joined()
      y += rowHeight
    }
    let remaining = points.count - 1 - previous
    if remaining > 0 { gap(remaining) }
    if timeline.omittedPoints > 0 { gap(timeline.omittedPoints) }
    // Where the case ended: the locks the walker still held.
    body += "<text x=\"8\" y=\"\(y + 14)\" class=\"point\">end</text>"
    body += text(
      subjectX + 12, y + 14, stillHeld.isEmpty ? "holds no lock" : "still holds " + stillHeld.joined(separator: ", "),
      stillHeld.isEmpty ? "muted" : "lock")
    y += 24
    body += text(8, y + 14, "a bar on the lane: a lock is held; red: an entry the other CPU changed", "muted", limit: 100)
    y += 20
    let height = y + 8
    let label = "Schedule: \(subjectLane) and the other CPU, \(points.count + timeline.omittedPoints) scheduling points"
    var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"sequence\" width=\"\(width)\" height=\"\(height)\" "
      + "viewBox=\"0 0 \(width) \(height)\" role=\"img\" aria-label=\"\(escape(label))\">"
    svg += "<title>\(escape(label))</title>"
    svg += "<defs><marker id=\"\(id)-arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" "
      + "markerHeight=\"7\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" class=\"arrowhead\"/></marker></defs>"
    svg += "<g class=\"lane subject\"><rect x=\"\(subjectX - 60)\" y=\"8\" width=\"330\" height=\"34\" rx=\"6\"/>"
      + text(subjectX - 50, 30, subjectLane, "lanehead") + "</g>"
    svg += "<g class=\"lane other\"><rect x=\"\(otherX - 10)\" y=\"8\" width=\"300\" height=\"34\" rx=\"6\"/>"
      + text(otherX, 30, "other CPU (adversary)", "lanehead") + "</g>"
    svg += "<line x1=\"\(subjectX)\" y1=\"42\" x2=\"\(subjectX)\" y2=\"\(height - 6)\" class=\"lifeline\"/>"
    svg += "<line x1=\"\(otherX)\" y1=\"42\" x2=\"\(otherX)\" y2=\"\(height - 6)\" class=\"lifeline\"/>"
    return svg + body + "</svg>"
  }

  // MARK: - Text

  /// `0x8000000000200e7`.
  static func hex(_ value: UInt64) -> String { "0x" + String(value, radix: 16) }

  /// One line of at most `limit` characters, control characters made visible.
  static func oneLine(_ text: String, limit: Int) -> String { ConsoleReporter.oneLine(text, limit: limit) }

  /// Text for an element's content or an attribute: control characters made
  /// visible (``ReportText/visible(_:keepingLineBreaks:)``), then `&`, `<`,
  /// `>`, `"` and `'` escaped.
  static func escape(_ text: String) -> String {
    var out = ""
    out.reserveCapacity(text.utf8.count)
    for character in ReportText.visible(text).unicodeScalars {
      switch character {
      case "&": out += "&amp;"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "\"": out += "&quot;"
      case "'": out += "&#39;"
      default: out.unicodeScalars.append(character)
      }
    }
    return out
  }

  /// ``escape(_:)`` of a text cut to the story budget.
  static func text(_ text: String) -> String {
    escape(ReportText.truncated(text, headBytes: textHeadBytes, tailBytes: textTailBytes))
  }

  /// The page's styles: light and dark, a sticky rule column, the matrix and
  /// the diagrams scroll sideways on narrow screens. No `<`, `>` or `&`, so
  /// the page stays well-formed XML.
  static let styleSheet = """

    :root{--bg:#fff;--fg:#1b1f24;--muted:#57606a;--line:#d0d7de;--pass:#1a7f37;--fail:#cf222e;--error:#9a6700;\
    --skip:#8c959f;--passbg:#dafbe1;--failbg:#ffebe9;--errorbg:#fff8c5;--skipbg:#f6f8fa;--card:#f6f8fa}
    @media (prefers-color-scheme: dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#8d96a0;--line:#30363d;\
    --pass:#3fb950;--fail:#f85149;--error:#d29922;--skip:#6e7681;--passbg:#12261e;--failbg:#2d1214;\
    --errorbg:#2e2410;--skipbg:#161b22;--card:#161b22}}
    *{box-sizing:border-box}
    body{margin:0 auto;max-width:1200px;padding:16px;background:var(--bg);color:var(--fg);\
    font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
    h1{font-size:1.5em;margin:0 0 .3em}
    h2{font-size:1.2em;border-bottom:1px solid var(--line);padding-bottom:.2em;margin-top:1.6em}
    h3{font-size:1em;margin:0 0 .4em;word-break:break-word}
    code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.9em}
    pre{background:var(--card);border:1px solid var(--line);border-radius:6px;padding:8px;overflow-x:auto;\
    white-space:pre}
    a{color:inherit}
    .closing{font-family:ui-monospace,monospace;margin:.2em 0}
    .totals{list-style:none;padding:0;margin:.5em 0;display:flex;flex-wrap:wrap;gap:8px}
    .totals li{border:1px solid var(--line);border-radius:6px;padding:4px 10px;background:var(--card)}
    .totals b{font-size:1.2em}
    dl.run{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:.5em 0}
    dl.run dt{color:var(--muted)}
    dl.run dd{margin:0;word-break:break-word}
    nav a{margin-right:1em}
    .scroll{overflow-x:auto;-webkit-overflow-scrolling:touch;max-width:100%}
    table{border-collapse:collapse}
    table.matrix{font-size:13px}
    table.matrix th,table.matrix td{border:1px solid var(--line);padding:0;text-align:center;min-width:1.7em;\
    height:1.7em}
    table.matrix th.rule,table.matrix th.corner{position:sticky;left:0;background:var(--bg);text-align:left;\
    padding:0 6px;white-space:nowrap;z-index:1}
    table.matrix th.walker{padding:2px 4px;white-space:nowrap;font-weight:600}
    table.matrix th.arch{font-weight:normal;color:var(--muted);vertical-align:bottom}
    table.matrix th.walker.narrow{vertical-align:bottom}
    table.matrix th.walker.narrow span,table.matrix th.arch span{writing-mode:vertical-rl;transform:rotate(180deg);white-space:nowrap;padding:4px 0}
    table.matrix td a{display:block;text-decoration:none;line-height:1.7em}
    .m-pass{color:var(--pass)} td.m-pass{background:var(--passbg)}
    .m-fail{color:var(--fail)} td.m-fail{background:var(--failbg);font-weight:700}
    .m-error{color:var(--error)} td.m-error{background:var(--errorbg);font-weight:700}
    .m-skipped{color:var(--skip)} td.m-skipped{background:var(--skipbg)}
    .m-none{color:var(--skip)}
    .legend span{margin-right:.8em}
    article.story{border:1px solid var(--line);border-left:4px solid var(--fail);border-radius:6px;padding:10px 12px;\
    margin:12px 0;background:var(--bg)}
    article.story.error{border-left-color:var(--error)}
    article.story:target{outline:2px solid var(--fail)}
    .badge{font-weight:700}
    .message{font-weight:600;word-break:break-word}
    .title,.at,.sources,.schedule{color:var(--muted);margin:.2em 0;word-break:break-word}
    table.expectations{width:100%;margin:.4em 0;font-size:.95em}
    table.expectations td:first-child{width:35%}
    table.expectations th,table.expectations td{border:1px solid var(--line);padding:4px 6px;text-align:left;\
    vertical-align:top;word-break:break-word}
    blockquote.clause{margin:.5em 0;padding:6px 10px;border-left:3px solid var(--line);background:var(--card)}
    blockquote.clause p{margin:0 0 .2em}
    .clause-text{white-space:pre-wrap;font-size:.92em}
    .replay-label{margin:.4em 0 0}
    pre.replay{margin:.2em 0}
    details summary{cursor:pointer}
    table.coverage{width:100%}
    table.coverage th,table.coverage td{border:1px solid var(--line);padding:4px 6px;text-align:left;\
    vertical-align:top;word-break:break-word}
    table.coverage td.num{text-align:right}
    tr.uncovered,tr.no-caller-rule{background:var(--failbg)}
    tr.failing td.num{color:var(--fail);font-weight:700}
    .budget{color:var(--muted);font-style:italic}
    svg.sequence{display:block;font:12px ui-monospace,Menlo,Consolas,monospace}
    svg.sequence .lane rect{fill:var(--card);stroke:var(--line)}
    svg.sequence .lanehead{font-weight:700;fill:var(--fg)}
    svg.sequence .lifeline{stroke:var(--line);stroke-width:2;stroke-dasharray:4 3}
    svg.sequence .dot{fill:var(--fg)}
    svg.sequence .point{fill:var(--muted)}
    svg.sequence .call{fill:var(--fg);font-weight:700}
    svg.sequence .muted{fill:var(--muted)}
    svg.sequence .value{fill:var(--fg)}
    svg.sequence .changed{fill:var(--fail)}
    svg.sequence .step{fill:var(--fail);font-weight:700}
    svg.sequence .stepbox{fill:var(--failbg);stroke:var(--fail)}
    svg.sequence .arrow{stroke:var(--fail);stroke-width:1.5}
    svg.sequence .arrowhead{fill:var(--fail)}
    svg.sequence .lock{fill:var(--error)}
    svg.sequence .lockbar{fill:var(--error);opacity:.7}
    footer{color:var(--muted);font-size:.85em;margin-top:2em}
    @media (max-width: 600px){body{padding:8px;font-size:14px}h1{font-size:1.25em}\
    article.story{padding:8px}\
    table.expectations th,table.expectations td{display:block;border:none;padding:2px 0;width:auto}\
    table.expectations thead{display:none}table.expectations tr{display:block;border-top:1px solid var(--line);\
    padding:4px 0}}

    """

  /// Marks the page as loaded when the stories it says it has are there, so
  /// a headless browser can tell a page that rendered (`data-ok="yes"`).
  static let script = """
    (function(){var s=document.getElementById('summary');\
    var n=document.querySelectorAll('article.story').length;\
    document.documentElement.setAttribute('data-ok',String(n)===s.getAttribute('data-stories')?'yes':'stories-missing');\
    })();
    """
}

extension Mark {
  /// The class and word of a matrix cell: `pass`, `fail`, `error`, `skipped`.
  var word: String {
    switch self {
    case .skipped: "skipped"
    case .pass: "pass"
    case .error: "error"
    case .fail: "fail"
    }
  }
}
