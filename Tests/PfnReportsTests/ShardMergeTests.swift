import PfnResults
import Testing

@testable import PfnReports

@Suite("Sharding and merging")
struct ShardMergeTests {
  @Test("every case lands in exactly one shard, and the shares are even")
  func partition() {
    let identities = orderedRun(suites: 6, rulesPerSuite: 10, casesPerRule: 20).flatMap {
      $0.1.map(\.identity)
    }
    let shards = (0..<4).map { Shard(index: $0, count: 4)! }
    var sizes = [0, 0, 0, 0]
    for identity in identities {
      let owners = shards.filter { $0.contains(identity) }
      #expect(owners.count == 1)
      sizes[owners[0].index] += 1
    }
    #expect(sizes.allSatisfy { $0 > identities.count / 4 * 3 / 4 }, "\(sizes)")
  }

  @Test("a case's shard depends on its identity alone, not on the other cases")
  func stableUnderNewRules() {
    let key = SuiteKey(suite: "lifetime", walker: "reference", arch: "x86_64")
    let identity = CaseIdentity(
      key: key, ruleID: "LT-001", ruleTitle: "a title",
      parameters: [CaseParameter(name: "level", value: "pmd")])
    // A fixed value: FNV-1a never changes across runs, machines and releases.
    #expect(Shard.hash(of: identity) == Shard.hash(of: identity))
    var retitled = identity
    retitled.ruleTitle = "another title"
    retitled.location = SpecLocation(file: "Specs/moved.pfnspec", line: 99)
    #expect(Shard.hash(of: retitled) == Shard.hash(of: identity))
    var other = identity
    other.parameters = [CaseParameter(name: "level", value: "pud")]
    #expect(Shard.hash(of: other) != Shard.hash(of: identity))
  }

  @Test("shards parse as 1-based I/N, and 0/N or N+1/N are refused")
  func parsing() {
    #expect(Shard(oneBased: "1/4") == Shard(index: 0, count: 4))
    #expect(Shard(oneBased: "4/4")?.description == "4/4")
    #expect(Shard(oneBased: "0/4") == nil)
    #expect(Shard(oneBased: "5/4") == nil)
    #expect(Shard(oneBased: "2") == nil)
    #expect(Shard(oneBased: "a/b") == nil)
  }

  @Test("Bazel's and GitLab's variables choose the shard")
  func environment() throws {
    #expect(try Shard.fromEnvironment([:]) == nil)
    #expect(
      try Shard.fromEnvironment(["TEST_SHARD_INDEX": "0", "TEST_TOTAL_SHARDS": "3"])
        == Shard(index: 0, count: 3))
    #expect(try Shard.fromEnvironment(["TEST_TOTAL_SHARDS": "1"]) == nil)
    #expect(
      try Shard.fromEnvironment(["CI_NODE_INDEX": "2", "CI_NODE_TOTAL": "4"])
        == Shard(index: 1, count: 4))
    #expect(try Shard.fromEnvironment(["CI_NODE_TOTAL": "1"]) == nil)
    // Bazel wins when both are set.
    #expect(
      try Shard.fromEnvironment([
        "TEST_SHARD_INDEX": "2", "TEST_TOTAL_SHARDS": "5", "CI_NODE_INDEX": "1", "CI_NODE_TOTAL": "2",
      ]) == Shard(index: 2, count: 5))
    #expect(throws: Shard.EnvironmentError.self) {
      try Shard.fromEnvironment(["TEST_SHARD_INDEX": "3", "TEST_TOTAL_SHARDS": "3"])
    }
    #expect(throws: Shard.EnvironmentError.self) {
      try Shard.fromEnvironment(["CI_NODE_INDEX": "0", "CI_NODE_TOTAL": "4"])
    }
    #expect(throws: Shard.EnvironmentError.self) {
      try Shard.fromEnvironment(["TEST_TOTAL_SHARDS": "four"])
    }
    // Bazel and GitLab are validated alike: a total of 0, or a total above 1
    // without an index, is refused rather than ignored or read as shard 1.
    for environment in [
      ["CI_NODE_TOTAL": "0"], ["TEST_TOTAL_SHARDS": "0"], ["TEST_TOTAL_SHARDS": "3"], ["CI_NODE_TOTAL": "3"],
      ["CI_NODE_INDEX": "1"], ["TEST_SHARD_INDEX": "0"], ["CI_NODE_TOTAL": "-2", "CI_NODE_INDEX": "1"],
    ] {
      #expect(throws: Shard.EnvironmentError.self, "\(environment)") { try Shard.fromEnvironment(environment) }
    }
  }

  /// `run` as one deterministic report (`whole.xml` in `directory`) and as 4
  /// shard reports merged (in reverse order: it must not matter) into `merged.xml`.
  func wholeAndMerged(
    _ run: [(SuiteKey, [Verdict])], dialect: JUnitDialect, in directory: String
  ) throws -> (whole: [UInt8], merged: [UInt8], summary: JUnitMerger.Summary) {
    _ = try junitFiles(
      run, options: JUnitOptions(dialect: dialect, deterministic: true), in: directory, name: "whole.xml")
    var inputs: [String] = []
    for index in 0..<4 {
      let shard = Shard(index: index, count: 4)!
      let part = shardOf(run, shard)
      #expect(part.count == run.count, "every suite is split across the shards")
      _ = try junitFiles(
        part, options: JUnitOptions(dialect: dialect, deterministic: true, shard: shard),
        in: directory, name: "shard\(index).xml")
      inputs.append("\(directory)/shard\(index).xml")
      #expect(schemaErrors(readBytes(inputs.last!)) == [])
    }
    let summary = try JUnitMerger.merge(
      inputs: inputs.reversed(), output: "\(directory)/merged.xml", dialect: dialect)
    return (readBytes("\(directory)/whole.xml"), readBytes("\(directory)/merged.xml"), summary)
  }

  @Test(
    "merging the 4 shards of a deterministic run gives the unsharded report byte for byte",
    arguments: [JUnitDialect.standard, .ant])
  func mergeEqualsUnsharded(dialect: JUnitDialect) throws {
    let directory = makeTemporaryDirectory()
    defer { removeDirectory(directory) }
    let (whole, merged, summary) = try wholeAndMerged(orderedRun(), dialect: dialect, in: directory)
    #expect(summary.tally.total == 6 * 4 * 5)
    #expect(summary.suites == 6)
    #expect(merged.count == whole.count)
    #expect(merged == whole)
  }

  @Test(
    "a pass explored in part keeps its line through the merge of 4 shards, byte for byte",
    arguments: [JUnitDialect.standard, .ant])
  func mergeKeepsPartialExploration(dialect: JUnitDialect) throws {
    let directory = makeTemporaryDirectory()
    defer { removeDirectory(directory) }
    var statistics = ExplorationStatistics()
    statistics.schedules = 50_000
    statistics.bound = 4
    statistics.truncated = true
    var stopped = 0
    let run = orderedRun().map { key, verdicts in
      (
        key,
        verdicts.enumerated().map { index, verdict in
          var verdict = verdict
          if verdict.outcome == .pass && index % 7 == 0 {
            verdict.story.exploration = statistics
            stopped += 1
          }
          return verdict
        }
      )
    }
    #expect(stopped > 0)
    let (whole, merged, _) = try wholeAndMerged(run, dialect: dialect, in: directory)
    #expect(merged == whole)
    let lines = String(decoding: whole, as: UTF8.self).components(separatedBy: "<system-out>explored in part").count - 1
    #expect(lines == (dialect == .ant ? 0 : stopped))
  }

  @Test("reports without shard facts merge in the order given, suites of one name joined")
  func mergePlainReports() throws {
    let directory = makeTemporaryDirectory()
    defer { removeDirectory(directory) }
    try feed(JUnitReporter(path: "\(directory)/a.xml"), [mixedRun[0]])
    try feed(JUnitReporter(path: "\(directory)/b.xml"), [mixedRun[1], mixedRun[0]])
    let summary = try JUnitMerger.merge(
      inputs: ["\(directory)/a.xml", "\(directory)/b.xml"], output: "\(directory)/all.xml")
    #expect(summary.suites == 2)
    #expect(summary.tally.total == 12)
    let merged = readBytes("\(directory)/all.xml")
    #expect(schemaErrors(merged) == [])
    let root = try #require(parseXML(merged).root)
    #expect(root["tests"] == "12" && root["failures"] == "3" && root["errors"] == "2")
    #expect(root.elements("testsuite").map { $0["name"] } == ["lifetime.reference.x86_64", "locking.reference.arm64"])
    #expect(root.elements("testsuite")[0]["tests"] == "8")
  }

  @Test("a file that is not a JUnit report is refused with its name")
  func mergeRejectsOtherFiles() throws {
    let directory = makeTemporaryDirectory()
    defer { removeDirectory(directory) }
    writeText("<html/>", to: "\(directory)/x.xml")
    writeText("not xml", to: "\(directory)/y.xml")
    #expect(throws: JUnitReportError.self) {
      try JUnitMerger.merge(inputs: ["\(directory)/x.xml"], output: "\(directory)/o.xml")
    }
    #expect(throws: JUnitReportError.self) {
      try JUnitMerger.merge(inputs: ["\(directory)/y.xml"], output: "\(directory)/o.xml")
    }
    #expect(!directoryEntries(directory).contains("o.xml"))
  }
}
