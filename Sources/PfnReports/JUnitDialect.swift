import PfnResults

/// Which shape of JUnit XML a report takes; no single document satisfies
/// every schema in use (see `docs/reports.md`).
public enum JUnitDialect: String, Sendable, CaseIterable {
  /// `<testsuites>` with totals, valid against Jenkins xunit's
  /// `junit-10.xsd`; read by every consumer surveyed.
  case standard = "default"
  /// Ant's `<junit>` shape, valid against windyroad's `JUnit.xsd` and
  /// junit-10: no attributes on `<testsuites>`, `package` and `id` on each
  /// suite, `properties` always, suite-level `system-out`/`system-err`.
  case ant
  /// Maven Surefire's shape: one `<testsuite>` root per file, valid against
  /// both Surefire schemas and junit-10. The report path is a directory that
  /// receives one `TEST-<suite>.xml` per suite.
  case surefire
}

/// How a ``JUnitReporter`` writes its report.
public struct JUnitOptions: Sendable {
  /// The shape of the XML.
  public var dialect: JUnitDialect = .standard
  /// Write times as `0.000`, timestamps as `1970-01-01T00:00:00` and the
  /// host as `localhost`, so that two runs of the same cases produce
  /// identical bytes.
  public var deterministic = false
  /// Add `file` and `line` attributes (the rule's location) to each
  /// testcase, for the GitHub and GitLab reporters that read them. No schema
  /// allows them, so this is opt-in.
  public var fileAndLine = false
  /// The shard of a sharded run: suites then record the shard and the cases'
  /// positions in the whole run, which ``JUnitMerger`` uses and removes.
  public var shard: Shard?
  /// When a report file grows past this many bytes, the following suites go
  /// to a continuation file (`NAME.part2.xml`, …), each a complete, valid
  /// report; GitLab refuses files over 30 MB.
  public var maxFileBytes = 20 * 1024 * 1024
  /// When the failure bodies of one suite pass this many bytes, further
  /// bodies are cut to a short head with a note, so that a single suite stays
  /// far below ``maxFileBytes``.
  public var suiteBodyBudget = 4 * 1024 * 1024

  public init(
    dialect: JUnitDialect = .standard, deterministic: Bool = false, fileAndLine: Bool = false,
    shard: Shard? = nil
  ) {
    self.dialect = dialect
    self.deterministic = deterministic
    self.fileAndLine = fileAndLine
    self.shard = shard
  }
}
