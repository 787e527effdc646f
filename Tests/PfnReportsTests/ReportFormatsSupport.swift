import PfnReports
import PfnResults

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

// MARK: - Schemas beside the clone

/// `../shared/reference/junit/` next to the package, where CI keeps the XSDs.
let sharedJUnitDirectory = "\(packageRoot)/../shared/reference/junit"

/// The text of one of the shared schemas, or `nil` when the folder is absent.
func sharedSchema(_ name: String) -> String? {
  let bytes = readBytes("\(sharedJUnitDirectory)/\(name)")
  return bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self)
}

let windyroadSchema = sharedSchema("windyroad-JUnit.xsd")
let surefireSchema = sharedSchema("maven-surefire-test-report.xsd")
let surefire2024Schema = sharedSchema("maven-surefire-test-report-3.0.2-2024.xsd")
let sharedSchemasAvailable =
  windyroadSchema != nil && surefireSchema != nil && surefire2024Schema != nil

let junitparserAvailable = runProcess(["python3", "-c", "import junitparser"]).status == 0

// MARK: - A run with the runner's ordering facts

/// A run shaped like the runner's: `suites` suite keys, each with a few rules
/// of several cases, every outcome, and ordinals as the runner sets them.
func orderedRun(suites: Int = 6, rulesPerSuite: Int = 4, casesPerRule: Int = 5) -> [(SuiteKey, [Verdict])] {
  var run: [(SuiteKey, [Verdict])] = []
  for suiteIndex in 0..<suites {
    let key = SuiteKey(
      suite: ["lifetime", "locking", "huge"][suiteIndex % 3],
      walker: suiteIndex < 3 ? "reference" : "mutant:skip-lock", arch: "x86_64")
    var verdicts: [Verdict] = []
    for rule in 0..<rulesPerSuite {
      let ruleID = "R\(suiteIndex)-00\(rule)"
      for index in 0..<casesPerRule {
        let roll = (suiteIndex * 31 + rule * 7 + index * 3) % 10
        let outcome: Outcome = roll < 6 ? .pass : roll < 8 ? .fail : roll < 9 ? .skipped : .error
        var verdict = makeVerdict(
          key, ruleID, outcome, title: "rule \(rule) of suite \(suiteIndex)",
          parameters: [CaseParameter(name: "addr", value: "0x\(String(0x7f00 + index * 0x1000 + rule, radix: 16))")],
          message: outcome == .pass ? "" : "message \(ruleID)/\(index)",
          details: outcome == .fail || outcome == .error
            ? "expected: x\nobserved: y\nReplay: pfnspec run Specs/x.pfnspec --rule \(ruleID) --case 'c#\(index)'" : "",
          sources: ["contract#C\(rule + 1)"], line: 10 + rule * 6)
        verdict.ordinal = CaseOrdinal(suite: suiteIndex, rule: rule, index: index)
        verdicts.append(verdict)
      }
    }
    run.append((key, verdicts))
  }
  return run
}

/// The part of `run` that `shard` runs, as the runner would send it (suites
/// without a case in the shard are left out).
func shardOf(_ run: [(SuiteKey, [Verdict])], _ shard: Shard) -> [(SuiteKey, [Verdict])] {
  run.compactMap { key, verdicts in
    let mine = verdicts.filter { shard.contains($0.identity) }
    return mine.isEmpty ? nil : (key, mine)
  }
}

/// Writes `text` to `path`.
func writeText(_ text: String, to path: String) {
  let file = fopen(path, "w")
  fputs(text, file)
  fclose(file)
}

/// A JUnit report with `options`, returned as bytes (or the files of a directory).
func junitFiles(
  _ groups: [(SuiteKey, [Verdict])], options: JUnitOptions, in directory: String,
  name: String = "report.xml"
) throws -> JUnitReporter {
  let reporter = JUnitReporter(path: "\(directory)/\(name)", options: options)
  try feed(reporter, groups)
  return reporter
}

/// Removes a directory tree of at most two levels, as the tests create.
func removeTree(_ path: String) {
  for name in directoryEntries(path) {
    let child = "\(path)/\(name)"
    if !directoryEntries(child).isEmpty || opendir(child).map({ closedir($0); return true }) == true {
      removeDirectory(child)
    }
    unlink(child)
  }
  rmdir(path)
}
