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
      report. Other reports are merged in the order given, suites of one name joined. Refused (exit 2): \
      no input, a folder without TEST-*.xml, the same shard twice, shards of different splits \
      (1/2 with 1/3), a file that is not a JUnit report or has a <!DOCTYPE> (entities are never \
      expanded). Exit status: 0 when the merged report has no failure or error, 1 when it has, 2 when \
      the inputs are refused.
      """)

  @Argument(help: "JUnit reports to merge (a Surefire directory stands for its TEST-*.xml files).")
  var inputs: [String] = []

  @Option(name: .shortAndLong, help: "The merged report (a directory for the surefire dialect).")
  var output: String

  @Option(help: "The JUnit shape of the merged report: default, ant or surefire.")
  var junitDialect: JUnitDialect = .standard

  func run() throws {
    guard !inputs.isEmpty else {
      FileHandle.standardError.write(Data("pfnspec merge: no report to merge was named\n".utf8))
      throw Exit.specErrors
    }
    var files: [String] = []
    for input in inputs {
      var isDirectory: ObjCBool = false
      if FileManager.default.fileExists(atPath: input, isDirectory: &isDirectory), isDirectory.boolValue {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: input)) ?? []
        let reports = names.filter { $0.hasPrefix("TEST-") && $0.hasSuffix(".xml") }.sorted()
        guard !reports.isEmpty else {
          FileHandle.standardError.write(Data("pfnspec merge: '\(input)' holds no TEST-*.xml report; nothing to merge\n".utf8))
          throw Exit.specErrors
        }
        files += reports.map { "\(input)/\($0)" }
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
    let destination =
      junitDialect == .surefire
      ? "\(summary.files.count) files in '\(output)'" : summary.files.joined(separator: ", ")
    print(
      "merged \(files.count) reports into \(destination): \(summary.suites) suites, "
        + "\(t.total) cases (\(t.passed) passed, \(t.failed) failed, \(t.errors) errors, \(t.skipped) skipped)")
    if t.failed + t.errors > 0 { throw Exit.failures }
  }
}
