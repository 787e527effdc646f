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
  var cases: [BufferedCase]
}

/// Writes ``SuiteRecord``s and document roots in one dialect.
struct JUnitSuiteWriter {
  let dialect: JUnitDialect

  /// Writes `<testsuite>`; `id` is its position in the file.
  func write(_ suite: SuiteRecord, id: Int, to writer: XMLStreamWriter) throws {
    try writer.startElement("testsuite")
    try writer.attribute("name", suite.name)
    try writer.attribute("tests", String(suite.tally.total))
    try writer.attribute("failures", String(suite.tally.failed))
    try writer.attribute("errors", String(suite.tally.errors))
    try writer.attribute("skipped", String(suite.tally.skipped))
    try writer.attribute("time", suite.time)
    // Surefire's schemas know none of these (the 2024 one not even a timestamp).
    if dialect != .surefire {
      try writer.attribute("timestamp", suite.timestamp)
      try writer.attribute("hostname", suite.hostname)
      try writer.attribute("id", String(id))
      try writer.attribute("package", "pfnspec")
    }

    try writer.startElement("properties")
    for (propertyName, value) in suite.properties {
      try writer.startElement("property")
      try writer.attribute("name", propertyName)
      try writer.attribute("value", value)
      try writer.endElement()
    }
    try writer.endElement()

    for testcase in suite.cases {
      try writer.startElement("testcase")
      try writer.attribute("name", testcase.name)
      try writer.attribute("classname", testcase.classname)
      try writer.attribute("time", testcase.time)
      if let file = testcase.file { try writer.attribute("file", file) }
      if let line = testcase.line { try writer.attribute("line", line) }
      if let result = testcase.result {
        try writer.startElement(result.element)
        try writer.attribute("message", result.message)
        if let type = result.type { try writer.attribute("type", type) }
        try writer.text(result.body)
        try writer.endElement()
      }
      try writer.endElement()
    }
    if dialect == .ant {
      // windyroad requires both, after the testcases; pfnspec has no output to put there.
      try writer.startElement("system-out")
      try writer.endElement()
      try writer.startElement("system-err")
      try writer.endElement()
    }
    try writer.endElement()
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
/// Suites go to an unlinked spool file next to the report; at ``finish(time:)``
/// the root with the totals is written to a temporary file, the suites are
/// copied in and the file is renamed over the report. When a spool passes
/// `maxFileBytes`, it is finished as one file and the next suites go to
/// `NAME.part2.xml`, `NAME.part3.xml`, …, each a complete report with its own
/// totals.
final class JUnitDocumentWriter {
  let path: String
  let suiteWriter: JUnitSuiteWriter
  let maxFileBytes: Int

  private var spool: SuiteSpool?
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
    try suiteWriter.write(suite, id: suitesInPart, to: spool.writer)
    suitesInPart += 1
    partTotals.merge(suite.tally)
    totals.merge(suite.tally)
    if try spool.byteCount() >= maxFileBytes {
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
        try part.spool.copySuites(into: writer)
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
      try suiteWriter.write(suite, id: 0, to: writer)
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
