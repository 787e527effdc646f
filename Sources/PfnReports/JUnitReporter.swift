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
/// `junit-10.xsd`.
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
///
/// Errors met while events stream in (a full disk, a missing directory) are
/// kept and thrown from ``runFinished(_:seconds:)``.
public final class JUnitReporter: VerdictSink {
  /// Where the report goes.
  public let path: String
  /// Whether times are written as `0.000`, timestamps as
  /// `1970-01-01T00:00:00` and the host as `localhost`, so that two runs of
  /// the same cases produce identical bytes.
  public let deterministic: Bool

  /// How much of a failure body is kept at its start and at its end.
  static let bodyHeadBytes = 64 * 1024
  static let bodyTailBytes = 16 * 1024
  /// How much of a message, name or property value fits in an attribute.
  static let attributeBytes = 2 * 1024

  private var info: RunInfo?
  private var spool: SuiteSpool?
  private var openSuite: SuiteBuffer?
  private var totals = Tally()
  private var suitesWritten = 0
  private var suiteNames: Set<String> = []
  private var classnames: Set<String> = []
  private var pendingError: (any Error)?

  /// Creates a reporter that writes the report to `path` when the run finishes.
  ///
  /// - Parameters:
  ///   - path: The report file; its directory must exist and be writable.
  ///   - deterministic: Write fixed times, timestamp and host name, for
  ///     byte-for-byte comparisons.
  public init(path: String, deterministic: Bool = false) {
    self.path = path
    self.deterministic = deterministic
  }

  public func runStarted(_ info: RunInfo) {
    resetRun()
    self.info = info
    // Created now so that an unwritable directory is found before the run's
    // work, not after it (the error is still reported from `runFinished`).
    remember { _ = try suiteSpool() }
  }

  public func suiteStarted(_ key: SuiteKey) {
    if openSuite?.key == key { return }
    closeSuite()
    openSuite = SuiteBuffer(key: key)
  }

  public func record(_ verdict: Verdict) {
    // The engine groups verdicts by suite; if a verdict strays anyway, it gets
    // a suite of its own rather than a wrong classname.
    if openSuite?.key != verdict.identity.key {
      closeSuite()
      openSuite = SuiteBuffer(key: verdict.identity.key)
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
    if let pendingError { throw pendingError }
    try writeReport(runSeconds: seconds)
  }

  // MARK: - Suites

  private func closeSuite() {
    guard let suite = openSuite else { return }
    openSuite = nil
    remember {
      try write(suite, to: try suiteSpool().writer)
      totals.passed += suite.tally.passed
      totals.failed += suite.tally.failed
      totals.errors += suite.tally.errors
      totals.skipped += suite.tally.skipped
    }
  }

  private func write(_ suite: SuiteBuffer, to writer: XMLStreamWriter) throws {
    let key = suite.key
    let suitePath = [key.suite, key.walker, key.arch].map(Self.nameComponent)
    let classPath = ["pfnspec"] + [key.arch, key.walker, key.suite].map(Self.nameComponent)
    let name = Self.claim(suitePath.joined(separator: "."), in: &suiteNames)
    let classname = Self.claim(classPath.joined(separator: "."), in: &classnames)
    try writer.startElement("testsuite")
    try writer.attribute("name", name)
    try writer.attribute("tests", String(suite.tally.total))
    try writer.attribute("failures", String(suite.tally.failed))
    try writer.attribute("errors", String(suite.tally.errors))
    try writer.attribute("skipped", String(suite.tally.skipped))
    try writer.attribute("time", time(suite.seconds))
    try writer.attribute(
      "timestamp",
      ReportText.utcTimestamp(secondsSince1970: deterministic ? 0 : info?.startTime ?? 0))
    try writer.attribute("hostname", deterministic ? "localhost" : Self.hostname(info))
    try writer.attribute("id", String(suitesWritten))
    try writer.attribute("package", "pfnspec")
    suitesWritten += 1

    try writer.startElement("properties")
    for (propertyName, value) in properties(of: suite) {
      try writer.startElement("property")
      try writer.attribute("name", propertyName)
      try writer.attribute("value", Self.attributeText(value))
      try writer.endElement()
    }
    try writer.endElement()

    for testcase in suite.cases {
      try writer.startElement("testcase")
      try writer.attribute("name", testcase.name)
      try writer.attribute("classname", classname)
      try writer.attribute("time", time(testcase.seconds))
      if let result = testcase.result {
        try writer.startElement(result.element)
        try writer.attribute("message", result.message)
        if let type = result.type { try writer.attribute("type", type) }
        try writer.text(result.body)
        try writer.endElement()
      }
      try writer.endElement()
    }
    try writer.endElement()
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

  // MARK: - The report file

  private func writeReport(runSeconds: Double) throws {
    let spool = try suiteSpool()
    let (directory, fileName) = ReportFile.split(path)
    let (fileDescriptor, temporaryPath) = try ReportFile.createUnique(
      in: directory, stem: Self.stem(of: fileName), suffix: ".xml.tmp")
    var descriptorOpen = true
    var moved = false
    defer {
      if descriptorOpen { close(fileDescriptor) }
      if !moved { unlink(temporaryPath) }
    }
    try writeDocument(to: fileDescriptor, suites: spool, runSeconds: runSeconds)
    guard fsync(fileDescriptor) == 0 else {
      throw ReportFile.systemError("cannot write '\(temporaryPath)' to disk")
    }
    descriptorOpen = false
    guard close(fileDescriptor) == 0 else {
      throw ReportFile.systemError("cannot close '\(temporaryPath)'")
    }
    guard rename(temporaryPath, path) == 0 else {
      throw ReportFile.systemError("cannot move the report to '\(path)'")
    }
    moved = true
  }

  /// Writes the whole document; the writer is gone (and flushed) on return.
  private func writeDocument(to fileDescriptor: Int32, suites: SuiteSpool, runSeconds: Double)
    throws
  {
    let writer = try XMLStreamWriter(fileDescriptor: fileDescriptor)
    try writer.startDocument()
    try writer.startElement("testsuites")
    // junit-10 allows only these five here; `skipped` would make it invalid.
    try writer.attribute("name", "pfnspec")
    try writer.attribute("tests", String(totals.total))
    try writer.attribute("failures", String(totals.failed))
    try writer.attribute("errors", String(totals.errors))
    try writer.attribute("time", time(runSeconds))
    try suites.copySuites(into: writer)
    try writer.endElement()
    try writer.endDocument()
    try writer.flush()
  }

  private func suiteSpool() throws -> SuiteSpool {
    if let spool { return spool }
    let (directory, fileName) = ReportFile.split(path)
    let spool = try SuiteSpool(directory: directory, stem: Self.stem(of: fileName))
    self.spool = spool
    return spool
  }

  /// Runs `body` unless an earlier step failed, keeping its error for `runFinished`.
  private func remember(_ body: () throws -> Void) {
    guard pendingError == nil else { return }
    do { try body() } catch { pendingError = error }
  }

  private func resetRun() {
    info = nil
    spool = nil
    openSuite = nil
    totals = Tally()
    suitesWritten = 0
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

/// One `<testcase>` waiting for its suite to finish, with its texts already
/// cut to size so a suite of huge failures stays small in memory.
struct BufferedCase {
  struct Result {
    var element: String
    var type: String?
    var message: String
    var body: String
  }

  var name: String
  var seconds: Double
  var result: Result?
}

/// What the suite's properties say about one rule.
struct RuleFacts {
  var id: String
  var title: String
  var sources: [String]
  var location: SpecLocation?
}

/// The verdicts of the suite being run.
struct SuiteBuffer {
  let key: SuiteKey
  private(set) var cases: [BufferedCase] = []
  private(set) var tally = Tally()
  private(set) var seconds = 0.0
  private(set) var profiles: [String] = []
  private(set) var rules: [RuleFacts] = []
  private(set) var seed: UInt64?
  private var caseNames: Set<String> = []
  private var ruleIndex: [String: Int] = [:]

  init(key: SuiteKey) { self.key = key }

  mutating func add(_ verdict: Verdict) {
    let identity = verdict.identity
    tally.add(verdict.outcome)
    if verdict.seconds.isFinite, verdict.seconds > 0 { seconds += verdict.seconds }
    seed = seed ?? verdict.seed
    if !verdict.profile.isEmpty, !profiles.contains(verdict.profile) {
      profiles.append(verdict.profile)
    }
    if let index = ruleIndex[identity.ruleID] {
      for source in verdict.sources where !rules[index].sources.contains(source) {
        rules[index].sources.append(source)
      }
    } else {
      ruleIndex[identity.ruleID] = rules.count
      rules.append(
        RuleFacts(
          id: identity.ruleID, title: identity.ruleTitle, sources: uniqued(verdict.sources),
          location: identity.location))
    }

    var name = identity.caseName
    if !identity.ruleTitle.isEmpty { name += " " + identity.ruleTitle }
    name = ReportText.visible(JUnitReporter.attributeText(name), keepingLineBreaks: false)
    name = JUnitReporter.claim(name, in: &caseNames)
    cases.append(
      BufferedCase(name: name, seconds: verdict.seconds, result: Self.result(of: verdict)))
  }

  private static func result(of verdict: Verdict) -> BufferedCase.Result? {
    let element: String
    let type: String?
    let fallback: String
    switch verdict.outcome {
    case .pass: return nil
    case .fail:
      (element, type, fallback) = ("failure", "ContractViolation", "the walker broke the contract")
    // Not a word ActiveSupport reads as a type hint (GitLab would refuse those).
    case .error: (element, type, fallback) = ("error", "CaseError", "the case could not be judged")
    case .skipped: (element, type, fallback) = ("skipped", nil, "the rule does not apply")
    }
    let message = verdict.message.isEmpty ? fallback : verdict.message
    var sections = [message]
    if !verdict.details.isEmpty { sections.append(verdict.details) }
    var trailer: [String] = []
    if !verdict.sources.isEmpty {
      trailer.append("sources: " + verdict.sources.joined(separator: "; "))
    }
    if let location = verdict.identity.location { trailer.append("rule at \(location)") }
    if !trailer.isEmpty { sections.append(trailer.joined(separator: "\n")) }
    let body = ReportText.truncated(
      sections.joined(separator: "\n\n"),
      headBytes: JUnitReporter.bodyHeadBytes, tailBytes: JUnitReporter.bodyTailBytes)
    return .init(
      element: element, type: type, message: JUnitReporter.attributeText(message), body: body)
  }

  private func uniqued(_ items: [String]) -> [String] {
    var seen: Set<String> = []
    return items.filter { seen.insert($0).inserted }
  }
}
