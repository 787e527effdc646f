import ArgumentParser
import Foundation
import PfnSpecLanguage
import PfnSpecRunner

/// `pfnspec mutants --format json`: the analysis as a Stryker
/// mutation-testing report (schema version 1, the schema kept in
/// Tests/PfnSpecRunnerTests/Schemas), so that existing viewers read it.
///
/// The mutants are walkers and callers, not edits of a source file: each kind
/// is one pseudo-file whose source lists the mutants one per line, and each
/// mutant's location is its line. The rules are the tests (`testFiles`, one
/// per spec file); `killedBy` names the rules that kill the mutant by an
/// expectation, `coveredBy` the rules that ran for it. A mutant that fails
/// rules only by faults is a `RuntimeError` (Stryker leaves those out of the score).
struct StrykerReport: Encodable {
  struct Position: Encodable { var line: Int; var column: Int }
  struct Location: Encodable { var start: Position; var end: Position? }
  struct Mutant: Encodable {
    var id: String
    var mutatorName: String
    var description: String
    var location: Location
    var status: String
    var statusReason: String
    var killedBy: [String]
    var coveredBy: [String]
  }
  struct File: Encodable { var language: String; var source: String; var mutants: [Mutant] }
  struct Test: Encodable { var id: String; var name: String; var location: Location }
  struct TestFile: Encodable { var tests: [Test] }
  struct Thresholds: Encodable { var high = 80; var low = 60 }
  struct Framework: Encodable { var name = "pfnspec"; var version: String }

  var schemaVersion = "1"
  var thresholds = Thresholds()
  var files: [String: File] = [:]
  var testFiles: [String: TestFile] = [:]
  var framework: Framework

  init(_ analysis: MutationAnalysis, specs: SpecSet, version: String) {
    framework = Framework(version: version)
    let callerNames = Set(specs.rules.filter(\.callsCaller).map(\.id.value))
    var groups: [(key: String, mutator: String, results: [MutationAnalysis.WalkerResult])] = [
      ("mutants/walkers", "walker mutant", []), ("mutants/callers", "caller mutant", []),
    ]
    for result in analysis.mutants {
      let isCaller = !result.coveringRules.isEmpty && result.coveringRules.allSatisfy { callerNames.contains($0) }
      groups[isCaller ? 1 : 0].results.append(result)
    }
    for group in groups where !group.results.isEmpty {
      var lines: [String] = []
      var mutants: [Mutant] = []
      for (index, result) in group.results.enumerated() {
        let line = "\(result.descriptor.name): \(result.descriptor.summary)"
        lines.append(line)
        let status = analysis.status(of: result)
        let reason: String
        switch status {
        case .killed: reason = "killed by an expectation in " + result.killingRules.joined(separator: ", ")
        case .faultOnly: reason = "fails only by faults in " + result.faultOnlyRules.joined(separator: ", ")
        case .survived: reason = "no rule fails it"
        }
        mutants.append(
          Mutant(
            id: result.descriptor.name, mutatorName: group.mutator, description: result.descriptor.summary,
            location: Location(
              start: Position(line: index + 1, column: 1),
              end: Position(line: index + 1, column: line.unicodeScalars.count + 1)),
            status: status.rawValue, statusReason: reason, killedBy: result.killingRules,
            coveredBy: result.coveringRules))
      }
      files[group.key] = File(language: "text", source: lines.joined(separator: "\n") + "\n", mutants: mutants)
    }
    for file in specs.files {
      testFiles[file.path] = TestFile(
        tests: file.rules.map { rule in
          Test(
            id: rule.id.value, name: "\(rule.id.value) \(rule.title.value)",
            location: Location(start: Position(line: rule.range.start.line, column: rule.range.start.column), end: nil))
        })
    }
  }

  func json() throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try encoder.encode(self), as: UTF8.self) + "\n"
  }
}

/// `--format text|json` of `pfnspec mutants`.
enum MutantsFormat: String, ExpressibleByArgument, CaseIterable {
  case text, json
}
