import PfnResults
import Testing

@testable import PfnReports

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

@Suite("Surefire directories")
struct SurefireDirectoryTests {
  private struct InjectedWriteError: Error {}

  private func record(_ name: String) -> SuiteRecord {
    SuiteRecord(
      name: name, tally: Tally(), time: "0.000", timestamp: "", hostname: "localhost",
      properties: [("pfnspec.suite", name)], cases: [])
  }

  @Test("a write that fails midway leaves none of the run's files; other tools' files stay")
  func failedWriteCleansUp() throws {
    let directory = makeTemporaryDirectory()
    defer { removeDirectory(directory); rmdir(directory) }
    let foreign = "<?xml version=\"1.0\"?>\n<testsuite name=\"com.example.FooTest\" tests=\"0\"/>\n"
    writeText(foreign, to: "\(directory)/TEST-com.example.FooTest.xml")
    let writer = SurefireDirectoryWriter(directory: directory)
    try writer.prepare()
    var writes = 0
    writer.beforeWrite = { _ in
      writes += 1
      if writes == 3 { throw InjectedWriteError() }
    }
    try writer.add(record("lifetime.reference.x86_64"))
    try writer.add(record("locking.reference.x86_64"))
    #expect(directoryEntries(directory).count == 3)
    #expect(throws: InjectedWriteError.self) { try writer.add(record("races.reference.x86_64")) }
    writer.abandon()
    #expect(directoryEntries(directory) == ["TEST-com.example.FooTest.xml"])
    #expect(readBytes("\(directory)/TEST-com.example.FooTest.xml") == Array(foreign.utf8))
  }

  @Test("the reporter removes what it wrote when the run's report fails")
  func reporterCleansUpAfterFailure() throws {
    let directory = makeTemporaryDirectory()
    defer { removeTree(directory) }
    let output = "\(directory)/surefire"
    let reporter = JUnitReporter(path: output, options: JUnitOptions(dialect: .surefire))
    reporter.runStarted(makeRunInfo())
    for (key, verdicts) in mixedRun.prefix(1) {
      reporter.suiteStarted(key)
      verdicts.forEach(reporter.record)
      reporter.suiteFinished(key)
    }
    #expect(directoryEntries(output).count == 1)
    // A file name the next suite's file cannot take: a directory in its place.
    let (key, verdicts) = mixedRun[1]
    #expect(mkdir("\(output)/TEST-locking.reference.arm64.xml", 0o777) == 0)
    reporter.suiteStarted(key)
    verdicts.forEach(reporter.record)
    reporter.suiteFinished(key)
    #expect(throws: JUnitReportError.self) { try reporter.runFinished(Tally(), seconds: 1) }
    #expect(directoryEntries(output) == ["TEST-locking.reference.arm64.xml"])
    rmdir("\(output)/TEST-locking.reference.arm64.xml")
  }

  @Test("merging the shards of a Surefire run gives the unsharded directory, file for file and byte for byte")
  func mergeEqualsUnsharded() throws {
    let directory = makeTemporaryDirectory()
    defer { removeTree(directory) }
    let run = orderedRun()
    let options = JUnitOptions(dialect: .surefire, deterministic: true)
    _ = try junitFiles(run, options: options, in: directory, name: "whole")
    var inputs: [String] = []
    for index in 0..<2 {
      let shard = Shard(index: index, count: 2)!
      var shardOptions = options
      shardOptions.shard = shard
      _ = try junitFiles(shardOf(run, shard), options: shardOptions, in: directory, name: "shard\(index)")
      for name in directoryEntries("\(directory)/shard\(index)") { inputs.append("\(directory)/shard\(index)/\(name)") }
    }
    let summary = try JUnitMerger.merge(
      inputs: inputs, output: "\(directory)/merged", dialect: .surefire)
    #expect(summary.suites == 6)
    #expect(summary.tally.total == 6 * 4 * 5)
    let whole = directoryEntries("\(directory)/whole")
    #expect(whole.count == 6)
    #expect(directoryEntries("\(directory)/merged") == whole)
    for name in whole {
      #expect(readBytes("\(directory)/merged/\(name)") == readBytes("\(directory)/whole/\(name)"), "\(name)")
    }
  }
}
