// A program that embeds pfnspec's runner: it checks a built-in walker and the
// C example shared object (in worker processes) against the shipped rules on
// one architecture, and reports through its own VerdictSink.
//
//   swift build && swift run EmbedRunner [path/to/libPfnExampleWalker.so]
//
// It reads the shipped rules and docs/contract.md from any folder (ShippedFiles).
import Foundation
import PfnReports
import PfnResults
import PfnRun

// Shared objects run in workers, which are this executable run again with
// `worker` first: hand those arguments to the library.
if CommandLine.arguments.dropFirst().first == "worker" {
  exit(WorkerMain.run(arguments: Array(CommandLine.arguments.dropFirst(2))))
}

/// Counts outcomes per walker and prints each failure with its replay command.
final class WalkerSummary: VerdictSink {
  private var tallies: [String: Tally] = [:]
  private var order: [String] = []

  func runStarted(_ info: RunInfo) {
    print("embedded run: walkers \(info.walkers.joined(separator: ", ")); arches \(info.arches.joined(separator: ", "))")
  }

  func suiteStarted(_ key: SuiteKey) {}

  func record(_ verdict: Verdict) {
    let walker = verdict.identity.key.walker
    if tallies[walker] == nil { order.append(walker) }
    tallies[walker, default: Tally()].add(verdict.outcome)
    if verdict.outcome == .fail || verdict.outcome == .error {
      // The verdict holds facts; PfnReports words them.
      print("\(verdict.outcome) \(verdict.identity.caseName) on \(walker): \(VerdictText.message(verdict))")
      if let replay = verdict.replay { print("  replay: \(VerdictText.command(replay))") }
    }
  }

  func suiteFinished(_ key: SuiteKey) {}

  func runFinished(_ tally: Tally, seconds: Double) throws {
    for walker in order {
      let t = tallies[walker]!
      print("\(walker): \(t.passed) passed, \(t.failed) failed, \(t.errors) errors, \(t.skipped) skipped")
    }
  }
}

let plugin =
  CommandLine.arguments.dropFirst().first
  ?? URL(fileURLWithPath: SpecRun.currentExecutable).deletingLastPathComponent().path + "/libPfnExampleWalker.so"
guard FileManager.default.fileExists(atPath: plugin) else {
  FileHandle.standardError.write(Data("EmbedRunner: no shared object at \(plugin); run 'swift build' first\n".utf8))
  exit(2)
}

var configuration = RunConfiguration()
configuration.walkers = ["reference", plugin]
configuration.arches = ["x86_64"]
configuration.jobs = 2
configuration.deterministic = true

do {
  let specs = try configuration.loadSpecs()
  guard !specs.hasErrors else {
    FileHandle.standardError.write(Data(specs.render(color: false).utf8))
    exit(2)
  }
  let tally = try SpecRun(configuration: configuration, specs: specs).run(into: WalkerSummary())
  print("total: \(tally.passed) passed, \(tally.failed) failed, \(tally.errors) errors, \(tally.skipped) skipped")
  exit(tally.failed + tally.errors == 0 ? 0 : 1)
} catch {
  FileHandle.standardError.write(Data("EmbedRunner: \(error)\n".utf8))
  exit(2)
}
