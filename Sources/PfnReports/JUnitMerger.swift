import CLibXML2
import PfnResults

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Merges JUnit reports, above all the reports of the shards of one run, into
/// one report.
///
/// Shard reports (written with ``JUnitOptions/shard``) record each suite's
/// position in the whole run, each rule's position in its suite and each
/// case's position in its rule. The merger puts the suites and their cases
/// back in that order, sums the counts of a suite split across shards, takes
/// the rule properties in rule order and drops the shard bookkeeping, so
/// that merging the shards of a deterministic run gives the bytes of the
/// unsharded deterministic report. Reports without that bookkeeping are
/// merged in the order given, suites of the same name joined.
///
/// The inputs are read whole (each is kept under ``JUnitOptions/maxFileBytes``
/// by the reporter); the output is written like the reporter's, atomically
/// and split when large.
public enum JUnitMerger {
  static let shardProperty = "pfnspec.shard"
  static let suiteOrdinalProperty = "pfnspec.shard.suite"
  static let caseOrdinalsProperty = "pfnspec.shard.cases"
  static let ruleOrdinalSuffix = ".ordinal"
  /// `pfnspec.shard.schedules.RULE.INDEX`: a race case's share of its schedule tree.
  static let scheduleSharePrefix = "pfnspec.shard.schedules."

  /// What a merge wrote.
  public struct Summary: Sendable {
    public var tally: Tally
    public var suites: Int
    public var files: [String]
  }

  /// Merges `inputs` into `output`: one file in the default or Ant dialect,
  /// a directory of `TEST-<suite>.xml` files in the Surefire dialect.
  ///
  /// - Throws: ``JUnitReportError`` when an input is not a JUnit report or
  ///   cannot be read, or the output cannot be written.
  public static func merge(
    inputs: [String], output: String, dialect: JUnitDialect = .standard,
    maxFileBytes: Int = JUnitOptions().maxFileBytes
  ) throws -> Summary {
    guard !inputs.isEmpty else { throw JUnitReportError("nothing to merge: no report was given or found") }
    var groups: [GroupKey: SuiteGroup] = [:]
    var order: [GroupKey] = []
    var rootTime = 0.0
    var arrival = 0
    var shards: [String: String] = [:]  // "I/N" -> the first input that holds it
    var split: (count: Int, input: String)?
    var seenInputs = Set<String>()
    for input in inputs {
      let parsed = try ParsedReport(path: input)
      rootTime = max(rootTime, parsed.rootTime)
      // A shard's suites each name the shard: the same shard twice would
      // count its cases twice, shards of two splits would count some twice
      // and miss others.
      // The files of one Surefire directory are one report: a shard spans them all.
      let (inputDirectory, inputName) = ReportFile.split(input)
      let report = inputName.hasPrefix("TEST-") ? inputDirectory : input
      for shard in Set(parsed.suites.compactMap(\.shard)).sorted() {
        guard let parsedShard = Shard(oneBased: shard) else {
          throw JUnitReportError("'\(input)': '\(shard)' is not a shard (I/N)")
        }
        if let first = shards[shard], first != report {
          throw JUnitReportError("shard \(shard) is given twice: '\(first)' and '\(report)'")
        }
        if let split, split.count != parsedShard.count {
          throw JUnitReportError(
            "'\(split.input)' is a shard of \(split.count) and '\(report)' a shard of \(parsedShard.count): "
              + "merge the shards of one run")
        }
        shards[shard] = report
        split = split ?? (parsedShard.count, report)
      }
      guard seenInputs.insert(input).inserted else { throw JUnitReportError("'\(input)' is given twice") }
      for suite in parsed.suites {
        // A suite's identity is its position in the run and its name, which
        // names the walker (or caller): two walkers' suites never share one.
        let key: GroupKey = suite.ordinal.map { .ordinal($0, suite.name) } ?? .name(suite.name)
        if groups[key] == nil {
          order.append(key)
          groups[key] = SuiteGroup(arrival: arrival)
          arrival += 1
        }
        groups[key]!.parts.append(suite)
      }
    }
    order.sort { lhs, rhs in
      switch (lhs, rhs) {
      case (.ordinal(let a, let x), .ordinal(let b, let y)): (a, x) < (b, y)
      case (.ordinal, .name): true
      case (.name, .ordinal): false
      case (.name, .name): groups[lhs]!.arrival < groups[rhs]!.arrival
      }
    }
    if dialect == .surefire {
      // One TEST-<suite>.xml per merged suite, named and written as the run names and writes them.
      let directory = SurefireDirectoryWriter(directory: output)
      try directory.prepare()
      do {
        for key in order { try directory.add(try groups[key]!.merged()) }
        let files = try directory.finish()
        return Summary(tally: directory.totals, suites: order.count, files: files)
      } catch {
        directory.abandon()
        throw error
      }
    }
    let document = JUnitDocumentWriter(path: output, dialect: dialect, maxFileBytes: maxFileBytes)
    try document.prepare()
    for key in order { try document.add(try groups[key]!.merged()) }
    let files = try document.finish(time: ReportText.seconds(rootTime))
    return Summary(tally: document.totals, suites: order.count, files: files)
  }

  private enum GroupKey: Hashable {
    case ordinal(Int, String)
    case name(String)
  }

  /// The parts of one suite, from one or more reports.
  private struct SuiteGroup {
    var arrival: Int
    var parts: [ParsedSuite] = []

    func merged() throws -> SuiteRecord {
      var cases: [(key: CaseKey, testcase: BufferedCase)] = []
      // A race case explored in shares appears in every shard: one testcase, from the share
      // that holds the counterexample (SchedulePartition.merge), or the first when none failed.
      var shares: [String: [(share: SchedulePartition.Share, testcase: BufferedCase, key: CaseKey)]] = [:]
      for (partIndex, part) in parts.enumerated() {
        for (caseIndex, testcase) in part.cases.enumerated() {
          let key =
            part.caseOrdinals.indices.contains(caseIndex)
            ? CaseKey(rule: part.caseOrdinals[caseIndex].rule, index: part.caseOrdinals[caseIndex].index, part: 0, position: 0)
            : CaseKey(rule: 0, index: 0, part: partIndex, position: caseIndex)
          if part.caseOrdinals.indices.contains(caseIndex), let share = part.scheduleShares["\(key.rule).\(key.index)"] {
            shares["\(key.rule).\(key.index)", default: []].append((share, testcase, key))
            continue
          }
          cases.append((key, testcase))
        }
      }
      for (ordinal, parts) in shares {
        let merged: SchedulePartition.Merged
        do { merged = try SchedulePartition.merge(parts.map(\.share)) } catch {
          throw JUnitReportError("case \(ordinal) of suite '\(self.parts[0].name)': \(error)")
        }
        let chosen = parts[merged.failingShare ?? 0]
        var testcase = chosen.testcase
        // A pass is explored in part when any share of its tree was.
        if testcase.result == nil, testcase.output == nil {
          testcase.output = parts.lazy.compactMap(\.testcase.output).first
        }
        cases.append((chosen.key, testcase))
      }
      cases.sort { $0.key < $1.key }
      var tally = Tally()
      for (_, testcase) in cases {
        switch testcase.result?.element {
        case "failure": tally.failed += 1
        case "error": tally.errors += 1
        case "skipped": tally.skipped += 1
        default: tally.passed += 1
        }
      }
      // The general properties come from the part that holds the run's first
      // case of this suite; rules follow in their order in the run.
      let first = parts.min { lhs, rhs in
        (lhs.caseOrdinals.first.map { ($0.rule, $0.index) } ?? (Int.max, Int.max))
          < (rhs.caseOrdinals.first.map { ($0.rule, $0.index) } ?? (Int.max, Int.max))
      }!
      var rules: [(ordinal: Int, arrival: Int, id: String)] = []
      var ruleProperties: [String: [(String, String)]] = [:]
      for part in parts {
        for (id, properties) in part.ruleProperties where ruleProperties[id] == nil {
          ruleProperties[id] = properties
          rules.append((part.ruleOrdinals[id] ?? Int.max, rules.count, id))
        }
      }
      rules.sort { ($0.ordinal, $0.arrival) < ($1.ordinal, $1.arrival) }
      let properties = first.generalProperties + rules.flatMap { ruleProperties[$0.id]! }
      let seconds = parts.reduce(0.0) { $0 + $1.seconds }
      return SuiteRecord(
        name: first.name, tally: tally, time: ReportText.seconds(seconds),
        timestamp: parts.map(\.timestamp).min() ?? first.timestamp, hostname: first.hostname,
        properties: properties, cases: cases.map(\.testcase))
    }
  }

  private struct CaseKey: Comparable {
    var rule: Int
    var index: Int
    var part: Int
    var position: Int

    static func < (lhs: CaseKey, rhs: CaseKey) -> Bool {
      (lhs.rule, lhs.index, lhs.part, lhs.position) < (rhs.rule, rhs.index, rhs.part, rhs.position)
    }
  }

  /// A `<testsuite>` as read back from a report.
  struct ParsedSuite {
    var name: String
    var time: String
    var seconds: Double
    var timestamp: String
    var hostname: String
    var ordinal: Int?
    /// `I/N` of a shard report's suite.
    var shard: String?
    var caseOrdinals: [(rule: Int, index: Int)] = []
    /// Race cases whose schedule tree was split across shards, by `rule.index`.
    var scheduleShares: [String: SchedulePartition.Share] = [:]
    var generalProperties: [(String, String)] = []
    /// Rule properties by rule id, in the order they were written.
    var ruleProperties: [(String, [(String, String)])] = []
    var ruleOrdinals: [String: Int] = [:]
    var cases: [BufferedCase] = []
  }

  /// A report file read into memory.
  struct ParsedReport {
    var rootTime = 0.0
    var suites: [ParsedSuite] = []

    init(path: String) throws {
      _ = libxml2Initialized
      // No network, no entity substitution, no DTD loading, libxml2's default
      // limits (no XML_PARSE_HUGE); a report never has a DTD, so one with a
      // document type (where entities are declared) is refused outright.
      let options = Int32(
        XML_PARSE_NONET.rawValue | XML_PARSE_NOERROR.rawValue | XML_PARSE_NOWARNING.rawValue)
      guard let document = xmlReadFile(path, nil, options) else {
        throw JUnitReportError("cannot read '\(path)' as XML")
      }
      defer { xmlFreeDoc(document) }
      if document.pointee.intSubset != nil || document.pointee.extSubset != nil {
        throw JUnitReportError("'\(path)' has a document type declaration (<!DOCTYPE>); JUnit reports have none and entities are not expanded")
      }
      guard let root = xmlDocGetRootElement(document) else {
        throw JUnitReportError("'\(path)' has no root element")
      }
      switch name(of: root) {
      case "testsuites":
        rootTime = Double(attribute(root, "time") ?? "") ?? 0
        for child in elements(of: root) where name(of: child) == "testsuite" {
          suites.append(try suite(child, path))
        }
      case "testsuite":
        suites.append(try suite(root, path))
        rootTime = suites[0].seconds
      default:
        throw JUnitReportError("'\(path)' is not a JUnit report (root <\(name(of: root))>)")
      }
    }

    private func suite(_ node: xmlNodePtr, _ path: String) throws -> ParsedSuite {
      let time = attribute(node, "time") ?? "0.000"
      var suite = ParsedSuite(
        name: attribute(node, "name") ?? "", time: time, seconds: Double(time) ?? 0,
        timestamp: attribute(node, "timestamp") ?? ReportText.utcTimestamp(secondsSince1970: 0),
        hostname: attribute(node, "hostname") ?? "localhost")
      var ruleIndex: [String: Int] = [:]
      for child in elements(of: node) {
        switch name(of: child) {
        case "properties":
          for property in elements(of: child) where name(of: property) == "property" {
            let key = attribute(property, "name") ?? ""
            let value = attribute(property, "value") ?? content(property)
            if key == JUnitMerger.shardProperty {
              suite.shard = value
              continue
            }
            if key.hasPrefix(JUnitMerger.scheduleSharePrefix) {
              let ordinal = String(key.dropFirst(JUnitMerger.scheduleSharePrefix.count))
              guard let share = SchedulePartition.Share(text: value) else {
                throw JUnitReportError("'\(path)': suite '\(suite.name)' has a damaged schedule share for case \(ordinal)")
              }
              suite.scheduleShares[ordinal] = share
            } else if key == JUnitMerger.suiteOrdinalProperty {
              suite.ordinal = Int(value)
            } else if key == JUnitMerger.caseOrdinalsProperty {
              suite.caseOrdinals = value.split(separator: " ").compactMap { pair in
                let numbers = pair.split(separator: ".").compactMap { Int($0) }
                return numbers.count == 2 ? (numbers[0], numbers[1]) : nil
              }
            } else if key.hasPrefix("rule."), let ruleID = Self.ruleID(of: key) {
              if key.hasSuffix(JUnitMerger.ruleOrdinalSuffix) {
                suite.ruleOrdinals[ruleID] = Int(value)
                continue
              }
              if ruleIndex[ruleID] == nil {
                ruleIndex[ruleID] = suite.ruleProperties.count
                suite.ruleProperties.append((ruleID, []))
              }
              suite.ruleProperties[ruleIndex[ruleID]!].1.append((key, value))
            } else {
              suite.generalProperties.append((key, value))
            }
          }
        case "testcase":
          suite.cases.append(testcase(child))
        default:
          continue
        }
      }
      if !suite.caseOrdinals.isEmpty, suite.caseOrdinals.count != suite.cases.count {
        throw JUnitReportError(
          "'\(path)': suite '\(suite.name)' lists \(suite.caseOrdinals.count) case positions "
            + "for \(suite.cases.count) testcases")
      }
      return suite
    }

    /// `LT-001` from `rule.LT-001.title` (rule ids have no dots).
    private static func ruleID(of key: String) -> String? {
      let rest = key.dropFirst("rule.".count)
      guard let dot = rest.lastIndex(of: ".") else { return nil }
      return String(rest[..<dot])
    }

    private func testcase(_ node: xmlNodePtr) -> BufferedCase {
      var testcase = BufferedCase(
        name: attribute(node, "name") ?? "", classname: attribute(node, "classname") ?? "",
        time: attribute(node, "time") ?? "0.000", file: attribute(node, "file"),
        line: attribute(node, "line"), result: nil)
      for child in elements(of: node) {
        let element = name(of: child)
        if element == "system-out" {
          testcase.output = content(child)
          continue
        }
        guard element == "failure" || element == "error" || element == "skipped" else { continue }
        testcase.result = .init(
          element: element, type: attribute(child, "type"),
          message: attribute(child, "message") ?? "", body: content(child))
        break
      }
      return testcase
    }
  }
}

// MARK: - libxml2 tree access

private let libxml2Initialized: Void = xmlInitParser()

private func name(of node: xmlNodePtr) -> String { String(cString: node.pointee.name) }

private func elements(of node: xmlNodePtr) -> [xmlNodePtr] {
  var result: [xmlNodePtr] = []
  var child = node.pointee.children
  while let current = child {
    if current.pointee.type == XML_ELEMENT_NODE { result.append(current) }
    child = current.pointee.next
  }
  return result
}

private func attribute(_ node: xmlNodePtr, _ name: String) -> String? {
  guard let value = xmlGetProp(node, name) else { return nil }
  defer { free(value) }  // libxml2's default xmlFree; the global itself is not Sendable
  return String(cString: value)
}

private func content(_ node: xmlNodePtr) -> String {
  guard let value = xmlNodeGetContent(node) else { return "" }
  defer { free(value) }  // libxml2's default xmlFree; the global itself is not Sendable
  return String(cString: value)
}
