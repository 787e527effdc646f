import PfnReports
import PfnResults
import Testing

@Suite("HTML report")
struct HTMLReporterTests {
  /// Writes `groups` as an HTML report (and the console beside it) and returns
  /// the page's bytes and the console's text.
  func report(
    _ groups: [(SuiteKey, [Verdict])], coverage: ClauseCoverage? = nil, storyLimit: Int? = nil
  ) throws -> (page: [UInt8], console: String, reporter: HTMLReporter) {
    let directory = makeTemporaryDirectory()
    defer { removeDirectory(directory) }
    let html = HTMLReporter(path: "\(directory)/report.html", coverage: coverage, deterministic: true)
    if let storyLimit { html.storyLimit = storyLimit }
    let output = StringOutputStream()
    try feed(FanOutSink([ConsoleReporter(color: .never, output: output, progress: false), html]), groups)
    return (readBytes("\(directory)/report.html"), output.text, html)
  }

  /// The first element (depth first) for which `matches` holds.
  func find(_ element: XMLElement, _ matches: (XMLElement) -> Bool) -> XMLElement? {
    if matches(element) { return element }
    for child in element.children { if let found = find(child, matches) { return found } }
    return nil
  }

  func all(_ element: XMLElement, _ matches: (XMLElement) -> Bool) -> [XMLElement] {
    (matches(element) ? [element] : []) + element.children.flatMap { all($0, matches) }
  }

  /// Every text below `element`, in order.
  func allText(_ element: XMLElement) -> String { element.text + element.children.map(allText).joined() }

  static let coverage = ClauseCoverage(
    clauses: [
      .init(
        id: "C14", title: "A successful start holds exactly one page-table lock",
        text: "start() returns 0 with the lock <held>.", isCallerDuty: false,
        citations: [.init(suite: "lifetime", rule: "LT-001", isCallerRule: false)]),
      .init(id: "C99", title: "Nobody cites this", text: "", isCallerDuty: true, citations: []),
    ], rulesWithoutClause: [], danglingAnchors: [], walkerRules: 1, callerRules: 0)

  @Test("the page is well-formed XHTML, self-contained, and its totals are the console's")
  func wellFormedWithConsoleTotals() throws {
    let (page, console, _) = try report(mixedRun, coverage: Self.coverage)
    let (root, errors) = parseXML(page)
    #expect(errors.isEmpty, "\(errors)")
    let html = try #require(root)
    #expect(html.name == "html")
    let text = String(decoding: page, as: UTF8.self)
    #expect(!text.contains("http://") || !text.contains("src=\"http"), "no network resource")
    #expect(!text.contains("<link") && !text.contains("src="), "no external stylesheet, script or image")

    let header = try #require(find(html) { $0["id"] == "summary" })
    // The console's last two lines: "errors: N" and "pfnspec: P passed, F failed, S skipped".
    let lines = console.split(separator: "\n").map(String.init)
    let closing = try #require(lines.last)
    #expect(closing == "pfnspec: \(header["data-total-passed"]!) passed, \(header["data-total-failed"]!) failed, "
      + "\(header["data-total-skipped"]!) skipped")
    #expect(lines.dropLast().last == "errors: \(header["data-total-errors"]!)")
    #expect(header["data-total-passed"] == "3" && header["data-total-failed"] == "2" && header["data-total-errors"] == "1")
    #expect(allText(header).contains(closing))

    // Each failing matrix cell links to a story that exists.
    let stories = all(html) { $0.name == "article" }
    #expect(stories.count == 3 && header["data-stories"] == "3")
    let storyIDs = Set(stories.compactMap { $0["id"] })
    let links = all(html) { $0.name == "td" && ($0["class"] == "m-fail" || $0["class"] == "m-error") }
    #expect(links.count == 3)
    for cell in links {
      let href = try #require(cell.elements("a").first?["href"])
      #expect(storyIDs.contains(String(href.dropFirst())), "\(href)")
    }
    // The clause text is quoted (escaped) under the failure that cites it, and the coverage lists every clause.
    #expect(text.contains("start() returns 0 with the lock &lt;held&gt;."))
    let coverage = try #require(find(html) { $0["id"] == "coverage" })
    #expect(allText(coverage).contains("UNCOVERED"))
    #expect(find(coverage) { $0["id"] == "clause-C14" }?["class"] == "covered failing")
  }

  @Test("a failure shows the expectation with both values and the replay command")
  func expectationAndReplay() throws {
    let failure = makeVerdict(
      lifetime, "HG-002", .fail, replay: makeReplay(lifetime, "HG-002"),
      cause: .broken(
        expectations: [
          FailedExpectation(
            location: SourcePoint(file: "Specs/huge.pfnspec", line: 9, column: 10), text: "pfn == leaf.pfn",
            explanation: "'pfn == leaf.pfn' is false: pfn = 0x1000, leaf.pfn = 0x2000")
        ], fault: nil))
    let (page, _, _) = try report([(lifetime, [failure])])
    let root = try #require(parseXML(page).root)
    let story = try #require(find(root) { $0.name == "article" })
    let text = allText(story)
    #expect(text.contains("expect pfn == leaf.pfn"))
    #expect(text.contains("pfn = 0x1000, leaf.pfn = 0x2000"))
    #expect(text.contains("pfnspec run Specs/lifetime.pfnspec --rule HG-002"))
  }

  @Test("a race failure is drawn as an SVG sequence diagram with two lanes, the steps, locks and values")
  func raceDiagram() throws {
    var failure = makeVerdict(lifetime, "RC-001", .fail, message: "the pfn is stale")
    failure.story.schedule = [ScheduleStepRecord(point: 1, operation: "zap pmd")]
    failure.story.timeline = ScheduleTimeline(points: [
      .init(point: 0, call: "read pud", locksHeld: [], entries: [.init(entry: "pud@0x1008", before: 0x2067, after: 0x2067)]),
      .init(
        point: 1, call: "pmd_lock", locksHeld: [],
        steps: [.init(operation: "zap pmd", entry: .init(entry: "pmd@0x2000", before: 0x2000e7, after: 0))],
        entries: [.init(entry: "pmd@0x2000", before: 0x2000e7, after: 0)]),
      .init(point: 2, call: "read pmd", locksHeld: ["mm ptl"]),
    ])
    failure.story.stillHeld = ["mm ptl"]
    let (page, _, _) = try report([(lifetime, [failure])])
    let (root, errors) = parseXML(page)
    #expect(errors.isEmpty, "\(errors)")
    let html = try #require(root)
    let svg = try #require(find(html) { $0.name == "svg" })
    let lanes = all(svg) { $0.name == "g" && ($0["class"] ?? "").hasPrefix("lane") }
    #expect(lanes.count == 2)
    #expect(allText(lanes[0]).contains("walker CPU: reference") && allText(lanes[1]).contains("other CPU"))
    #expect(all(svg) { $0.name == "line" && $0["class"] == "arrow" }.count == 1, "one arrow per step")
    let text = allText(svg)
    #expect(text.contains("zap pmd") && text.contains("0x2000e7 → 0x0"))
    #expect(text.contains("holds mm ptl") && text.contains("#2"))
    #expect(text.contains("still holds mm ptl"), "the locks held at the end close the picture")
    #expect(!all(svg) { $0["class"] == "lockbar" }.isEmpty, "the held lock is drawn on the lane")
  }

  @Test("hostile text is escaped: markup, quotes, control characters")
  func hostileText() throws {
    let hostile = "</pre></article><script>alert('x')</script> \"q\" & \u{1B}[31m red \u{0} nul \u{2028}"
    let key = SuiteKey(suite: "s<u>ite", walker: "w\"alker", arch: "x86_64&")
    let failure = makeVerdict(
      key, "R<1>", .fail, title: hostile, message: hostile, details: hostile, sources: ["contract#C<1>", hostile])
    let (page, _, _) = try report([(key, [failure])])
    let (root, errors) = parseXML(page)
    #expect(errors.isEmpty, "\(errors)")
    let html = try #require(root)
    #expect(all(html) { $0.name == "script" }.count == 1, "only the page's own script")
    let text = String(decoding: page, as: UTF8.self)
    #expect(!text.contains("\u{1B}") && !text.contains("\u{0}") && !text.contains("\u{2028}"))
    #expect(text.contains("\\u{1B}[31m"), "control characters are shown, not passed through")
    #expect(allText(html).contains("<script>alert('x')</script>"), "the text reads as it was")
  }

  @Test("memory stays flat: many verdicts keep only matrix cells, and stories stop at the budget")
  func boundedState() throws {
    // 20,000 verdicts over 10 rules × 4 columns; LT-003 and LT-008 fail every case (4,000 failures).
    let keys = ["x86_64", "arm64"].flatMap { arch in
      ["reference", "legacy"].map { SuiteKey(suite: "lifetime", walker: $0, arch: arch) }
    }
    let groups = keys.map { key in
      (
        key,
        (0..<5_000).map { index in
          makeVerdict(
            key, "LT-00\(index % 10)", index % 5 == 3 ? .fail : .pass,
            parameters: [CaseParameter(name: "n", value: String(index))], message: index % 5 == 3 ? "broken" : "")
        }
      )
    }
    func drawn(_ page: [UInt8]) throws -> (stories: Int, budget: String, header: XMLElement) {
      let (root, errors) = parseXML(page)
      #expect(errors.isEmpty, "\(errors.prefix(3))")
      let html = try #require(root)
      let budget = try #require(find(html) { $0["class"] == "budget" })
      let header = try #require(find(html) { $0["id"] == "summary" })
      return (all(html) { $0.name == "article" }.count, allText(budget), header)
    }

    // 8 failing cells × 3 stories each, under a total of 50.
    let (page, console, reporter) = try report(groups, storyLimit: 50)
    let state = reporter.retainedState
    #expect(state.cells == 40 && state.storyLinks == 8 && state.clauseCounters == 1, "\(state)")
    let (stories, budget, header) = try drawn(page)
    #expect(stories == 24)
    #expect(header["data-total-failed"] == "4000" && header["data-total-passed"] == "16000")
    #expect(console.hasSuffix("pfnspec: 16000 passed, 4000 failed, 0 skipped\n"))
    #expect(budget.contains("3976 more failures and errors not drawn"))
    #expect(budget.contains("at most 50 stories, at most 3 per matrix cell"))

    // The total budget stops the page first.
    let (small, _, _) = try report(groups, storyLimit: 10)
    let (smallStories, smallBudget, _) = try drawn(small)
    #expect(smallStories == 10 && smallBudget.contains("3990 more"))
  }

  @Test("nothing is left beside the report, and an unwritable folder is an error at the end")
  func atomicAndErrors() throws {
    let directory = makeTemporaryDirectory()
    defer { removeDirectory(directory) }
    try feed(HTMLReporter(path: "\(directory)/r.html"), mixedRun)
    #expect(directoryEntries(directory) == ["r.html"])
    #expect(throws: (any Error).self) { try feed(HTMLReporter(path: "\(directory)/no/such/r.html"), mixedRun) }
  }
}
