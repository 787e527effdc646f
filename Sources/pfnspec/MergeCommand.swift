import ArgumentParser
import Foundation
import PfnReports
import PfnResults

/// `pfnspec merge A.xml B.xml … -o ALL.xml`: one JUnit report from the
/// reports of a run's shards (or from any JUnit reports).
struct Merge: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Merge JUnit reports, such as the shards of one run, into one report.",
    discussion: """
      Shard reports (from 'run --shard I/N --junit …') carry each case's place in the whole run: \
      the merge puts suites and cases back in that order and sums the counts of suites split across \
      shards, so that merging every shard of a --deterministic run gives the bytes of the unsharded \
      report. Other reports are merged in the order given, suites of one name joined. Exit status: \
      0 when the merged report has no failure or error, 1 when it has, 2 when an input cannot be read.
      """)

  @Argument(help: "JUnit reports to merge (a Surefire directory stands for its TEST-*.xml files).")
  var inputs: [String]

  @Option(name: .shortAndLong, help: "The merged report.")
  var output: String

  @Option(help: "The JUnit shape of the merged report: default or ant.")
  var junitDialect: JUnitDialect = .standard

  func validate() throws {
    if inputs.isEmpty { throw ValidationError("name at least one report to merge") }
    if junitDialect == .surefire { throw ValidationError("merge writes one file: default or ant") }
  }

  func run() throws {
    var files: [String] = []
    for input in inputs {
      var isDirectory: ObjCBool = false
      if FileManager.default.fileExists(atPath: input, isDirectory: &isDirectory), isDirectory.boolValue {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: input)) ?? []
        files += names.filter { $0.hasPrefix("TEST-") && $0.hasSuffix(".xml") }.sorted().map { "\(input)/\($0)" }
      } else {
        files.append(input)
      }
    }
    let summary: JUnitMerger.Summary
    do {
      summary = try JUnitMerger.merge(inputs: files, output: output, dialect: junitDialect)
    } catch {
      FileHandle.standardError.write(Data("pfnspec merge: \(error)\n".utf8))
      throw Exit.specErrors
    }
    let t = summary.tally
    print(
      "merged \(files.count) reports into \(summary.files.joined(separator: ", ")): \(summary.suites) suites, "
        + "\(t.total) cases (\(t.passed) passed, \(t.failed) failed, \(t.errors) errors, \(t.skipped) skipped)")
    if t.failed + t.errors > 0 { throw Exit.failures }
  }
}
