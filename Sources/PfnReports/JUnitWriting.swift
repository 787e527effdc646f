import PfnResults
import PfnSupport

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// One `<testcase>` ready to write, its texts already cleaned and cut to size.
struct BufferedCase {
  struct Result {
    var element: String
    var type: String?
    var message: String
    var body: String
  }

  var name: String
  var classname: String
  var time: String
  var file: String?
  var line: String?
  var result: Result?
  /// A passing case's `<system-out>` (a race case the schedule limit stopped says so there).
  var output: String? = nil
}

/// One finished `<testsuite>`, every attribute already formatted; both the
/// reporter and the merger describe suites this way, so that they write the
/// same bytes for the same suite.
struct SuiteRecord {
  var name: String
  var tally: Tally
  var time: String
  var timestamp: String
  var hostname: String
  var properties: [(String, String)]
  var testcases: SuiteTestcases

  /// A suite whose testcases are values (the merger's, read back from reports).
  init(
    name: String, tally: Tally, time: String, timestamp: String, hostname: String,
    properties: [(String, String)], cases: [BufferedCase]
  ) {
    self.init(
      name: name, tally: tally, time: time, timestamp: timestamp, hostname: hostname,
      properties: properties, testcases: .values(cases))
  }

  init(
    name: String, tally: Tally, time: String, timestamp: String, hostname: String,
    properties: [(String, String)], testcases: SuiteTestcases
  ) {
    self.name = name
    self.tally = tally
    self.time = time
    self.timestamp = timestamp
    self.hostname = hostname
    self.properties = properties
    self.testcases = testcases
  }
}

/// A suite's `<testcase>` elements.
enum SuiteTestcases {
  /// Values, written when the suite is.
  case values([BufferedCase])
  /// Markup the reporter built as each verdict arrived, at the depth of the
  /// suite's children in its dialect (``JUnitSuiteWriter/suiteDepth``).
  case markup(XMLMarkup)
}

/// Writes ``SuiteRecord``s and document roots in one dialect.
///
/// A suite is built as bytes (``XMLMarkup``) in the layout libxml2's
/// xmlTextWriter gives it; the root and the declaration are written by
/// xmlTextWriter itself (``XMLStreamWriter``).
struct JUnitSuiteWriter {
  let dialect: JUnitDialect

  /// How deep `<testsuite>` is: the root of a Surefire file, a child of `<testsuites>` otherwise.
  var suiteDepth: Int { dialect == .surefire ? 0 : 1 }

  /// Builds `<testsuite>` (`id` is its position in the file) in `scratch` and
  /// hands its bytes to `emit`, in one or a few pieces.
  func write(
    _ suite: SuiteRecord, id: Int, scratch: XMLMarkup, emit: (_ bytes: [UInt8]) throws -> Void
  ) throws {
    let depth = suiteDepth
    scratch.removeAll()
    scratch.startTag("testsuite", depth: depth)
    scratch.attribute("name", suite.name)
    scratch.attribute("tests", decimal: suite.tally.total)
    scratch.attribute("failures", decimal: suite.tally.failed)
    scratch.attribute("errors", decimal: suite.tally.errors)
    scratch.attribute("skipped", decimal: suite.tally.skipped)
    scratch.attribute("time", suite.time)
    // Surefire's schemas know none of these (the 2024 one not even a timestamp).
    if dialect != .surefire {
      scratch.attribute("timestamp", suite.timestamp)
      scratch.attribute("hostname", suite.hostname)
      scratch.attribute("id", decimal: id)
      scratch.attribute("package", "pfnspec")
    }
    scratch.openChildren()

    scratch.startTag("properties", depth: depth + 1)
    if suite.properties.isEmpty {
      scratch.closeEmpty()
    } else {
      scratch.openChildren()
      for (propertyName, value) in suite.properties {
        scratch.startTag("property", depth: depth + 2)
        scratch.attribute("name", propertyName)
        scratch.attribute("value", value)
        scratch.closeEmpty()
      }
      scratch.endTag("properties", depth: depth + 1)
    }

    switch suite.testcases {
    case .values(let cases):
      for testcase in cases {
        // Ant's schema leaves a testcase no room for output.
        Self.append(testcase, depth: depth + 1, to: scratch, withOutput: dialect != .ant)
      }
    case .markup(let markup):
      try emit(scratch.bytes)
      scratch.removeAll()
      try emit(markup.bytes)
    }
    if dialect == .ant {
      // windyroad requires both, after the testcases; pfnspec has no output to put there.
      scratch.startTag("system-out", depth: depth + 1)
      scratch.closeEmpty()
      scratch.startTag("system-err", depth: depth + 1)
      scratch.closeEmpty()
    }
    scratch.endTag("testsuite", depth: depth)
    try emit(scratch.bytes)
  }

  /// One `<testcase>` from its values.
  static func append(_ testcase: BufferedCase, depth: Int, to markup: XMLMarkup, withOutput: Bool = true) {
    markup.startTag("testcase", depth: depth)
    markup.attribute("name", testcase.name)
    markup.attribute("classname", testcase.classname)
    markup.attribute("time", testcase.time)
    if let file = testcase.file { markup.attribute("file", file) }
    if let line = testcase.line { markup.attribute("line", line) }
    if testcase.result == nil, withOutput, let output = testcase.output {
      appendOutput(output, depth: depth, to: markup)
      return
    }
    appendResult(testcase.result, depth: depth, to: markup)
  }

  /// A passing testcase's `<system-out>` and the testcase's end (its start tag is open).
  static func appendOutput(_ output: String, depth: Int, to markup: XMLMarkup) {
    markup.openChildren()
    markup.startTag("system-out", depth: depth + 1)
    markup.textContent(output, close: "system-out")
    markup.endTag("testcase", depth: depth)
  }

  /// A testcase's result element and its end, after the testcase's attributes.
  static func appendResult(_ result: BufferedCase.Result?, depth: Int, to markup: XMLMarkup) {
    guard let result else {
      markup.closeEmpty()
      return
    }
    markup.openChildren()
    markup.startTag(dynamic: result.element, depth: depth + 1)
    markup.attribute("message", result.message)
    if let type = result.type { markup.attribute("type", type) }
    markup.textContent(result.body, close: result.element)
    markup.endTag("testcase", depth: depth)
  }

  /// Opens the `<testsuites>` root with the attributes the dialect allows.
  func startRoot(_ writer: XMLStreamWriter, totals: Tally, time: String) throws {
    try writer.startElement("testsuites")
    // windyroad allows no attribute here; junit-10 only these five (no `skipped`).
    guard dialect == .standard else { return }
    try writer.attribute("name", "pfnspec")
    try writer.attribute("tests", String(totals.total))
    try writer.attribute("failures", String(totals.failed))
    try writer.attribute("errors", String(totals.errors))
    try writer.attribute("time", time)
  }
}

/// Assembles `<testsuites>` documents (the default and Ant dialects) from
/// suites that arrive one at a time, holding none of them in memory.
///
/// Suites go to an unlinked spool file next to the report, as bytes; at
/// ``finish(time:)`` the root with the totals is written to a temporary file,
/// the kernel copies the suites in (`sendfile`, no pass through this
/// process) and the file is renamed over the report: the totals come first
/// in the root, so one copy is the least a streaming writer can do. When a spool passes
/// `maxFileBytes`, it is finished as one file and the next suites go to
/// `NAME.part2.xml`, `NAME.part3.xml`, …, each a complete report with its own
/// totals.
final class JUnitDocumentWriter {
  let path: String
  let suiteWriter: JUnitSuiteWriter
  let maxFileBytes: Int

  private var spool: SuiteSpool?
  private let scratch = XMLMarkup()
  private var partTotals = Tally()
  private var suitesInPart = 0
  private var finishedParts: [(spool: SuiteSpool, totals: Tally)] = []
  private(set) var totals = Tally()

  init(path: String, dialect: JUnitDialect, maxFileBytes: Int) {
    self.path = path
    self.suiteWriter = JUnitSuiteWriter(dialect: dialect)
    self.maxFileBytes = maxFileBytes
  }

  /// Creates the spool now, so that an unwritable directory shows up early.
  func prepare() throws { _ = try currentSpool() }

  func add(_ suite: SuiteRecord) throws {
    let spool = try currentSpool()
    try suiteWriter.write(suite, id: suitesInPart, scratch: scratch) { try spool.write($0) }
    suitesInPart += 1
    partTotals.merge(suite.tally)
    totals.merge(suite.tally)
    if spool.byteCount >= maxFileBytes {
      try spool.seal()
      finishedParts.append((spool, partTotals))
      self.spool = nil
      partTotals = Tally()
      suitesInPart = 0
    }
  }

  /// Writes every file and moves it into place; returns their paths, the
  /// report itself first. Continuation files of an earlier, longer run are
  /// removed.
  func finish(time: String) throws -> [String] {
    var parts = finishedParts
    if spool != nil || parts.isEmpty { parts.append((try currentSpool(), partTotals)) }
    var written: [String] = []
    for (number, part) in parts.enumerated() {
      let target = number == 0 ? path : Self.partPath(path, number + 1)
      try ReportFile.writeAtomically(to: target) { fileDescriptor in
        let writer = try XMLStreamWriter(fileDescriptor: fileDescriptor)
        try writer.startDocument()
        try suiteWriter.startRoot(writer, totals: part.totals, time: time)
        try part.spool.copySuites(into: writer, fileDescriptor: fileDescriptor)
        try writer.endElement()
        try writer.endDocument()
        try writer.flush()
      }
      written.append(target)
    }
    var stale = parts.count + 1
    while unlink(Self.partPath(path, stale)) == 0 { stale += 1 }
    finishedParts = []
    spool = nil
    return written
  }

  /// `out/pfnspec.part2.xml` for `out/pfnspec.xml`.
  static func partPath(_ path: String, _ number: Int) -> String {
    let stem = path.hasSuffix(".xml") ? String(path.dropLast(4)) : path
    return "\(stem).part\(number).xml"
  }

  private func currentSpool() throws -> SuiteSpool {
    if let spool { return spool }
    let (directory, fileName) = ReportFile.split(path)
    let spool = try SuiteSpool(directory: directory, stem: JUnitReporter.stem(of: fileName))
    self.spool = spool
    return spool
  }
}

/// Writes the Surefire dialect: one `TEST-<suite>.xml` per suite in a
/// directory, each written atomically as soon as its suite is complete.
final class SurefireDirectoryWriter {
  let directory: String
  private let suiteWriter = JUnitSuiteWriter(dialect: .surefire)
  private let scratch = XMLMarkup()
  private var written: [String] = []
  private var fileNames: Set<String> = []
  private(set) var totals = Tally()

  init(directory: String) { self.directory = directory }

  /// Creates the directory if it is missing.
  func prepare() throws {
    if mkdir(directory, 0o777) != 0, errno != EEXIST {
      throw ReportFile.systemError("cannot create the report directory '\(directory)'")
    }
  }

  /// Called before each file is written; a test makes a write fail with it.
  var beforeWrite: ((String) throws -> Void)?

  func add(_ suite: SuiteRecord) throws {
    let name = JUnitReporter.claim("TEST-" + Self.fileNameStem(suite.name), in: &fileNames) + ".xml"
    let target = "\(directory)/\(name)"
    try beforeWrite?(target)
    try ReportFile.writeAtomically(to: target) { fileDescriptor in
      let writer = try XMLStreamWriter(fileDescriptor: fileDescriptor)
      try writer.startDocument()
      try suiteWriter.write(suite, id: 0, scratch: scratch) { bytes in
        try bytes.withUnsafeBytes { try writer.raw($0) }
      }
      try writer.endDocument()
      try writer.flush()
    }
    written.append(target)
    totals.merge(suite.tally)
  }

  /// The longest stem a suite's file gets, in bytes: with `TEST-`, a `-N`
  /// for a repeat and `.xml`, well under the 255 bytes of a file name.
  static let maximumStemLength = 200

  /// A suite's name as a file name that every file system, archive and
  /// artifact uploader takes (docs/reports.md, "Surefire file names"): letters,
  /// digits, `.`, `-` and `_` stay; every other character (`:` of
  /// `mutant:stale-huge-entry`, `/`, `\`, spaces, quotes, `<>|?*`, control and
  /// non-ASCII characters) becomes `_`. A longer stem keeps its first bytes and
  /// ends in 16 hex digits of a stable hash of the whole name, so that it stays
  /// apart from its neighbours. The suite's name inside the file is unchanged.
  static func fileNameStem(_ suiteName: String) -> String {
    let safe = String(
      suiteName.unicodeScalars.map { scalar -> Character in
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9", ".", "-", "_": Character(scalar)
        default: "_"
        }
      })
    guard safe.utf8.count > maximumStemLength else { return safe }
    let digest = String(stableHash([suiteName]), radix: 16)
    let hash = String(repeating: "0", count: 16 - digest.count) + digest
    return String(safe.prefix(maximumStemLength - 17)) + "-" + hash
  }

  /// Removes `TEST-*.xml` files that an earlier pfnspec run left and this
  /// one did not write, so that a glob over the directory reads this run
  /// only. Files of other tools (Maven's own `TEST-com.example.FooTest.xml`)
  /// stay: only a file that ``isPfnspecReport(_:)`` recognises is removed.
  func finish() throws -> [String] {
    let current = Set(written.map { ReportFile.split($0).name })
    for name in ReportFile.entries(of: directory)
    where name.hasPrefix("TEST-") && name.hasSuffix(".xml") && !current.contains(name)
      && Self.isPfnspecReport("\(directory)/\(name)")
    {
      unlink("\(directory)/\(name)")
    }
    defer {
      written = []
      fileNames = []
    }
    return written
  }

  /// Removes the files this run wrote so far, after a failed write or run,
  /// so that the directory never holds a partial set that reads as a run.
  func abandon() {
    for path in written { unlink(path) }
    written = []
    fileNames = []
  }

  /// Whether the file at `path` is a suite file pfnspec wrote: its root
  /// `<testsuite>` carries the `pfnspec.suite` property, which comes within
  /// the first few kilobytes (the properties precede every testcase).
  static func isPfnspecReport(_ path: String) -> Bool {
    let fileDescriptor = open(path, O_RDONLY | O_CLOEXEC)
    guard fileDescriptor >= 0 else { return false }
    defer { close(fileDescriptor) }
    var head = [UInt8](repeating: 0, count: 16_384)
    let count = read(fileDescriptor, &head, head.count)
    guard count > 0 else { return false }
    let text = String(decoding: head[..<count], as: UTF8.self)
    return text.contains("<testsuite ") && text.contains("<property name=\"pfnspec.suite\"")
  }
}

extension Tally {
  /// Adds `other`'s counts to these.
  mutating func merge(_ other: Tally) {
    passed += other.passed
    failed += other.failed
    errors += other.errors
    skipped += other.skipped
  }
}
