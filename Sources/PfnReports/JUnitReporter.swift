import PfnResults

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Writes a run as a JUnit XML report that Jenkins, GitLab, GitHub actions and
/// `junitparser` all read, and that validates against Jenkins xunit's
/// `junit-10.xsd` (or, in another ``JUnitDialect``, against Ant's or
/// Surefire's schemas).
///
/// The report has one `<testsuite>` per ``SuiteKey`` (named like
/// `lifetime.reference.x86_64`) and one `<testcase>` per verdict, whose
/// `classname` (`pfnspec.x86_64.reference.lifetime`) Jenkins splits at the last
/// dot into package and class. A failure, error or skip carries its one-line
/// message both as the `message` attribute and at the top of the element's
/// body, since GitLab shows only the body.
///
/// Memory stays bounded by one suite: counts must precede a suite's testcases,
/// so the reporter holds one suite's verdicts (bodies already truncated), then
/// writes the finished `<testsuite>` to an unlinked spool file next to the
/// report. At ``runFinished(_:seconds:)`` it writes the root with the run's
/// totals to a temporary file in the same directory, copies the suites in
/// and renames the file over `path`, so readers never see a partial report.
/// A report that would pass ``JUnitOptions/maxFileBytes`` continues in
/// `NAME.part2.xml`, … (listed in ``writtenFiles``). In the Surefire dialect
/// `path` is a directory and each suite becomes its own file when it ends.
///
/// Errors met while events stream in (a full disk, a missing directory) are
/// kept and thrown from ``runFinished(_:seconds:)``.
public final class JUnitReporter: VerdictSink {
  /// Where the report goes (a directory in the Surefire dialect).
  public let path: String
  /// How the report is written.
  public let options: JUnitOptions
  /// Whether times, timestamps and the host are fixed (see ``JUnitOptions/deterministic``).
  public var deterministic: Bool { options.deterministic }
  /// The files the last run wrote, the report itself first.
  public private(set) var writtenFiles: [String] = []

  /// How much of a failure body is kept at its start and at its end.
  static let bodyHeadBytes = 64 * 1024
  static let bodyTailBytes = 16 * 1024
  /// How much of a body is kept once a suite's bodies pass the budget.
  static let overBudgetBodyBytes = 2 * 1024
  /// How much of a message, name or property value fits in an attribute.
  static let attributeBytes = 2 * 1024

  private var info: RunInfo?
  private var document: JUnitDocumentWriter?
  private var surefire: SurefireDirectoryWriter?
  private var openSuite: SuiteBuffer?
  /// The open suite's testcases as markup; one buffer, reused suite after suite.
  private let testcaseMarkup = XMLMarkup(capacity: 256 * 1024)
  private var suiteNames: Set<String> = []
  private var classnames: Set<String> = []
  private var pendingError: (any Error)?

  /// Creates a reporter that writes the report to `path` when the run finishes.
  ///
  /// - Parameters:
  ///   - path: The report file; its directory must exist and be writable.
  ///   - deterministic: Write fixed times, timestamp and host name, for
  ///     byte-for-byte comparisons.
  public convenience init(path: String, deterministic: Bool = false) {
    self.init(path: path, options: JUnitOptions(deterministic: deterministic))
  }

  /// Creates a reporter with every option.
  ///
  /// - Parameters:
  ///   - path: The report file, or in the Surefire dialect its directory
  ///     (created if missing; its parent must exist).
  ///   - options: Dialect, determinism, `file`/`line` attributes, shard, size limits.
  public init(path: String, options: JUnitOptions) {
    self.path = path
    self.options = options
  }

  public func runStarted(_ info: RunInfo) {
    resetRun()
    self.info = info
    writtenFiles = []
    // Prepared now so that an unwritable directory is found before the run's
    // work, not after it (the error is still reported from `runFinished`).
    remember {
      if options.dialect == .surefire {
        let writer = SurefireDirectoryWriter(directory: path)
        try writer.prepare()
        surefire = writer
      } else {
        let writer = JUnitDocumentWriter(
          path: path, dialect: options.dialect, maxFileBytes: options.maxFileBytes)
        try writer.prepare()
        document = writer
      }
    }
  }

  public func suiteStarted(_ key: SuiteKey) {
    if openSuite?.key == key { return }
    closeSuite()
    openSuite = makeSuite(key)
  }

  public func record(_ verdict: Verdict) {
    // The engine groups verdicts by suite; if a verdict strays anyway, it gets
    // a suite of its own rather than a wrong classname.
    if openSuite?.key != verdict.identity.key {
      closeSuite()
      openSuite = makeSuite(verdict.identity.key)
    }
    openSuite?.add(verdict)
  }

  public func suiteFinished(_ key: SuiteKey) {
    closeSuite()
  }

  /// Writes the report and moves it into place.
  ///
  /// - Throws: ``JUnitReportError`` for the first problem met during the run
  ///   or while writing; no file is left at `path` or next to it then.
  public func runFinished(_ tally: Tally, seconds: Double) throws {
    closeSuite()
    defer { resetRun() }
    if let pendingError {
      surefire?.abandon()
      throw pendingError
    }
    if let surefire {
      do { writtenFiles = try surefire.finish() } catch {
        surefire.abandon()
        throw error
      }
    } else if let document {
      writtenFiles = try document.finish(time: time(seconds))
    }
  }

  // MARK: - Suites

  /// A suite's names are claimed when it opens (suites open and close one at
  /// a time, so the order of claims is the order of the file), so that the
  /// classname is escaped once and copied into each testcase.
  private func makeSuite(_ key: SuiteKey) -> SuiteBuffer {
    let suitePath = [key.suite, key.walker, key.arch].map(Self.nameComponent)
    let classPath = ["pfnspec"] + [key.arch, key.walker, key.suite].map(Self.nameComponent)
    let name = Self.claim(suitePath.joined(separator: "."), in: &suiteNames)
    let classname = Self.claim(classPath.joined(separator: "."), in: &classnames)
    testcaseMarkup.removeAll()
    return SuiteBuffer(
      key: key, name: name, classname: classname, options: options, markup: testcaseMarkup,
      caseDepth: JUnitSuiteWriter(dialect: options.dialect).suiteDepth + 1)
  }

  private func closeSuite() {
    guard let suite = openSuite else { return }
    openSuite = nil
    remember {
      let record = self.record(of: suite)
      if let surefire { try surefire.add(record) } else { try document?.add(record) }
    }
  }

  private func record(of suite: SuiteBuffer) -> SuiteRecord {
    SuiteRecord(
      name: suite.name, tally: suite.tally, time: time(suite.seconds),
      timestamp: ReportText.utcTimestamp(
        secondsSince1970: deterministic ? 0 : info?.startTime ?? 0),
      hostname: deterministic ? "localhost" : Self.hostname(info),
      properties: properties(of: suite).map { ($0, Self.attributeText($1)) }
        + shardProperties(of: suite),
      testcases: .markup(suite.markup))
  }

  private func properties(of suite: SuiteBuffer) -> [(String, String)] {
    var properties: [(String, String)] = [
      ("pfnspec.suite", suite.key.suite),
      ("pfnspec.walker", suite.key.walker),
      ("pfnspec.arch", suite.key.arch),
      ("pfnspec.version", info?.toolVersion ?? "unknown"),
      ("pfnspec.seed", String(info?.seed ?? suite.seed ?? 0)),
    ]
    if !suite.profiles.isEmpty {
      properties.append(("pfnspec.profile", suite.profiles.joined(separator: ", ")))
    }
    if let specs = info?.specPaths, !specs.isEmpty {
      properties.append(("pfnspec.specs", specs.joined(separator: " ")))
    }
    for rule in suite.rules {
      if !rule.title.isEmpty { properties.append(("rule.\(rule.id).title", rule.title)) }
      if !rule.sources.isEmpty {
        properties.append(("rule.\(rule.id).sources", rule.sources.joined(separator: "; ")))
      }
      if let location = rule.location {
        properties.append(("rule.\(rule.id).location", location.description))
      }
    }
    return properties
  }

  /// What ``JUnitMerger`` needs to put a shard's suite back in the run's
  /// order: the shard, the suite's position, each rule's position, and each
  /// case's rule and position, in testcase order. Never truncated.
  private func shardProperties(of suite: SuiteBuffer) -> [(String, String)] {
    guard let shard = options.shard else { return [] }
    var properties: [(String, String)] = [
      (JUnitMerger.shardProperty, shard.description),
      (JUnitMerger.suiteOrdinalProperty, String(suite.suiteOrdinal)),
      (JUnitMerger.caseOrdinalsProperty, suite.caseOrdinals.joined(separator: " ")),
    ]
    for rule in suite.rules {
      properties.append(("rule.\(rule.id)\(JUnitMerger.ruleOrdinalSuffix)", String(rule.ordinal)))
    }
    // A race case whose schedule tree is split across the shards: what merging its shares needs.
    for (ordinal, share) in suite.scheduleShares {
      properties.append((JUnitMerger.scheduleSharePrefix + ordinal, share.text))
    }
    return properties
  }

  /// Runs `body` unless an earlier step failed, keeping its error for `runFinished`.
  private func remember(_ body: () throws -> Void) {
    guard pendingError == nil else { return }
    do { try body() } catch { pendingError = error }
  }

  private func resetRun() {
    info = nil
    document = nil
    surefire = nil
    openSuite = nil
    suiteNames = []
    classnames = []
    pendingError = nil
  }

  // MARK: - Text

  private func time(_ seconds: Double) -> String {
    deterministic ? "0.000" : ReportText.seconds(seconds)
  }

  static func attributeText(_ text: String) -> String {
    ReportText.truncated(text, headBytes: attributeBytes, tailBytes: 0)
  }

  /// A name component without dots, so Jenkins' split at the last dot of a
  /// classname falls between the walker and the suite.
  static func nameComponent(_ text: String) -> String {
    let component = ReportText.visible(text, keepingLineBreaks: false)
    return component.isEmpty ? "_" : String(component.map { $0 == "." ? "_" : $0 })
  }

  /// ``claim(_:in:)`` among a suite's testcase names.
  static func claim(_ name: String, in used: inout ClaimedNames) -> String {
    var candidate = name
    var counter = 2
    while !used.insert(candidate) {
      candidate = "\(name)-\(counter)"
      counter += 1
    }
    return candidate
  }

  /// `name`, or `name-2`, `name-3`… if the file already has it.
  static func claim(_ name: String, in used: inout Set<String>) -> String {
    var candidate = name
    var counter = 2
    while used.contains(candidate) {
      candidate = "\(name)-\(counter)"
      counter += 1
    }
    used.insert(candidate)
    return candidate
  }

  static func stem(of fileName: String) -> String {
    let stem = fileName.hasSuffix(".xml") ? String(fileName.dropLast(4)) : fileName
    return stem.isEmpty ? "pfnspec" : stem
  }

  static func hostname(_ info: RunInfo?) -> String {
    guard let name = info?.hostname, !name.isEmpty else { return "localhost" }
    return name
  }
}

/// What the suite's properties say about one rule.
struct RuleFacts {
  var id: String
  var title: String
  var sources: [String]
  var location: SpecLocation?
  /// The rule's position in its suite in the whole run (for shard merging).
  var ordinal: Int
}

/// The verdicts of the suite being run, as testcase markup built when each
/// arrives (texts cut to size, so a suite of huge failures stays small in
/// memory), and what the suite's properties say about them.
struct SuiteBuffer {
  let key: SuiteKey
  /// The suite's name and its testcases' classname, both claimed in the file.
  let name: String
  let options: JUnitOptions
  /// The testcases so far, at ``caseDepth``.
  let markup: XMLMarkup
  let caseDepth: Int
  /// The classname, escaped once for all the suite's testcases.
  private let classnameValue: [UInt8]
  private var caseCount = 0
  private(set) var tally = Tally()
  private(set) var seconds = 0.0
  private(set) var profiles: [String] = []
  private(set) var rules: [RuleFacts] = []
  private(set) var seed: UInt64?
  /// The suite's position in the whole run, from the first verdict's ordinal.
  private(set) var suiteOrdinal = 0
  /// `rule.index` of each case, in testcase order (kept only for a shard).
  private(set) var caseOrdinals: [String] = []
  /// The share of each race case explored by prefix (`rule.index`), kept only for a shard.
  private(set) var scheduleShares: [(String, SchedulePartition.Share)] = []
  private var caseNames = ClaimedNames()
  private var ruleIndex: [String: Int] = [:]
  /// The rule of the last case: the next case's is most often it or the one after.
  private var lastRule = 0
  private var bodyBytes = 0
  /// Scratch bytes for a case's name and a result's body, reused case after case.
  private var nameBytes: [UInt8] = []
  private var bodyScratch: [UInt8] = []

  init(key: SuiteKey, name: String, classname: String, options: JUnitOptions, markup: XMLMarkup, caseDepth: Int) {
    self.key = key
    self.name = name
    self.options = options
    self.markup = markup
    self.caseDepth = caseDepth
    classnameValue = XMLMarkup.escapedAttributeValue(classname)
    nameBytes.reserveCapacity(256)
  }

  mutating func add(_ verdict: Verdict) {
    let identity = verdict.identity
    tally.add(verdict.outcome)
    if verdict.seconds.isFinite, verdict.seconds > 0 { seconds += verdict.seconds }
    seed = seed ?? verdict.seed
    if caseCount == 0, let ordinal = verdict.ordinal { suiteOrdinal = ordinal.suite }
    if !verdict.profile.isEmpty, !profiles.contains(verdict.profile) {
      profiles.append(verdict.profile)
    }
    if let index = knownRule(identity.ruleID) {
      lastRule = index
      for source in verdict.sources where !rules[index].sources.contains(source) {
        rules[index].sources.append(source)
      }
    } else {
      ruleIndex[identity.ruleID] = rules.count
      lastRule = rules.count
      rules.append(
        RuleFacts(
          id: identity.ruleID, title: identity.ruleTitle, sources: uniqued(verdict.sources),
          location: identity.location, ordinal: verdict.ordinal?.rule ?? rules.count))
    }
    if options.shard != nil {
      let ordinal = verdict.ordinal ?? CaseOrdinal(suite: 0, rule: 0, index: caseCount)
      caseOrdinals.append("\(ordinal.rule).\(ordinal.index)")
      if let share = verdict.story.exploration?.share {
        scheduleShares.append(("\(ordinal.rule).\(ordinal.index)", share))
      }
    }

    caseCount += 1

    // The name is built once: the case name and the rule's title. As bytes,
    // when they need no cleaning, escaping or cutting (printable ASCII
    // without `<>&"`, at most ``JUnitReporter/attributeBytes``): those
    // steps would leave them as they are.
    markup.startTag("testcase", depth: caseDepth)
    nameBytes.removeAll(keepingCapacity: true)
    let plainName =
      PlainText.appendCaseTitle(identity, to: &nameBytes, allowing: XMLMarkup.plainInAttribute)
      && nameBytes.count <= JUnitReporter.attributeBytes
    if plainName, nameBytes.withUnsafeBufferPointer({ caseNames.insert(ascii: $0) }) {
      markup.attribute("name", escaped: nameBytes)
    } else {
      let title = ReportText.visible(
        JUnitReporter.attributeText(Self.caseTitle(identity)), keepingLineBreaks: false)
      markup.attribute("name", JUnitReporter.claim(title, in: &caseNames))
    }
    markup.attribute("classname", escaped: classnameValue)
    if options.deterministic {
      markup.attribute("time", "0.000")
    } else {
      markup.attribute("time", seconds: verdict.seconds)
    }
    if options.fileAndLine, let location = identity.location {
      markup.attribute("file", JUnitReporter.attributeText(location.file))
      markup.attribute("line", decimal: location.line)
    }
    guard verdict.outcome != .pass else {
      // A pass that covered less than its rule asks for says so where the
      // dialect lets a testcase hold output (Ant's schema does not).
      if options.dialect != .ant, let note = VerdictText.partialExploration(verdict) {
        JUnitSuiteWriter.appendOutput(note, depth: caseDepth, to: markup)
      } else {
        markup.closeEmpty()
      }
      return
    }
    appendResult(of: verdict)
  }

  /// The index of rule `id` in ``rules``, trying the last case's rule and
  /// the one after it before the dictionary.
  private func knownRule(_ id: String) -> Int? {
    if lastRule < rules.count, rules[lastRule].id == id { return lastRule }
    if lastRule + 1 < rules.count, rules[lastRule + 1].id == id { return lastRule + 1 }
    return ruleIndex[id]
  }

  /// `LT-001[level=pmd] the rule's title`: ``CaseIdentity/caseName`` and the
  /// title, appended into one string.
  static func caseTitle(_ identity: CaseIdentity) -> String {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(128)
    _ = PlainText.appendCaseTitle(identity, to: &bytes, allowing: AnyBytes())
    return String(decoding: bytes, as: UTF8.self)
  }

  /// The result element of a case that did not pass, and the testcase's end.
  ///
  /// The body (the message, the details, the sources and the rule's place,
  /// separated by blank lines) is built as bytes and goes into the markup as
  /// it is when it needs no cutting (the common case); a body to cut takes
  /// the String path.
  private mutating func appendResult(of verdict: Verdict) {
    let element: String
    let type: String?
    let fallback: String
    switch verdict.outcome {
    case .pass: return
    case .fail:
      (element, type, fallback) = ("failure", "ContractViolation", "the walker broke the contract")
    // Not a word ActiveSupport reads as a type hint (GitLab would refuse those).
    case .error: (element, type, fallback) = ("error", "CaseError", "the case could not be judged")
    case .skipped: (element, type, fallback) = ("skipped", nil, "the rule does not apply")
    }
    let worded = verdict.message
    let message = worded.isEmpty ? fallback : worded
    bodyScratch.removeAll(keepingCapacity: true)
    bodyScratch.append(contentsOf: message.utf8)
    // As bytes: the details never become a String (they are valid UTF-8, so the bytes are the same).
    let details = VerdictText.detailsBytes(verdict).bytes
    if !details.isEmpty {
      PlainText.append("\n\n", to: &bodyScratch)
      bodyScratch.append(contentsOf: details)
    }
    let location = verdict.identity.location
    if !verdict.sources.isEmpty || location != nil {
      PlainText.append("\n\n", to: &bodyScratch)
      if !verdict.sources.isEmpty {
        PlainText.append("sources: ", to: &bodyScratch)
        for (index, source) in verdict.sources.enumerated() {
          if index > 0 { PlainText.append("; ", to: &bodyScratch) }
          bodyScratch.append(contentsOf: source.utf8)
        }
        if location != nil { bodyScratch.append(UInt8(ascii: "\n")) }
      }
      if let location { 
        PlainText.append("rule at ", to: &bodyScratch)
        bodyScratch.append(contentsOf: location.description.utf8)
      }
    }
    let overBudget = bodyBytes > options.suiteBodyBudget && bodyScratch.count > JUnitReporter.overBudgetBodyBytes
    if !overBudget, bodyScratch.count <= JUnitReporter.bodyHeadBytes + JUnitReporter.bodyTailBytes {
      bodyBytes += bodyScratch.count
      markup.openChildren()
      markup.startTag(dynamic: element, depth: caseDepth + 1)
      markup.attribute("message", JUnitReporter.attributeText(message))
      if let type { markup.attribute("type", type) }
      markup.textContent(bytes: bodyScratch, close: element)
      markup.endTag("testcase", depth: caseDepth)
      return
    }
    var body = ReportText.truncated(
      String(decoding: bodyScratch, as: UTF8.self),
      headBytes: JUnitReporter.bodyHeadBytes, tailBytes: JUnitReporter.bodyTailBytes)
    if bodyBytes > options.suiteBodyBudget,
      body.utf8.count > JUnitReporter.overBudgetBodyBytes
    {
      // The suite has used its share of the file: keep the head (message and
      // counterexample) and say where the rest is.
      body =
        ReportText.truncated(body, headBytes: JUnitReporter.overBudgetBodyBytes, tailBytes: 0)
        + "\n[this suite's failure bodies passed \(options.suiteBodyBudget) bytes; "
        + "run the replay command for the whole story]"
    }
    bodyBytes += body.utf8.count
    let result = BufferedCase.Result(
      element: element, type: type, message: JUnitReporter.attributeText(message), body: body)
    JUnitSuiteWriter.appendResult(result, depth: caseDepth, to: markup)
  }

  private func uniqued(_ items: [String]) -> [String] {
    var seen: Set<String> = []
    return items.filter { seen.insert($0).inserted }
  }
}
