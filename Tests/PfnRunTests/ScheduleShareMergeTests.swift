import Foundation
import PfnTestSupport
import Testing

/// The command line end to end: race cases split across shards by schedule
/// prefix (a shared-object walker's in workers too) merge into the unsharded
/// report, and a failing case turns into a rule.
@Suite("schedule shares and regression rules from the command line", .serialized)
struct ScheduleShareMergeTests {
  static let arguments = [
    "run", "--walker", "reference", "--walker", "mutant:stale-huge-entry", "--walker", sharedObject("PfnExampleWalker"),
    "--arch", "x86_64", "--tag", "race", "--race-bound", "2", "--deterministic", "--quiet", "--color", "never",
  ]

  /// A report without the lines that count a failure's explored schedules (each share stops at its own failure).
  func comparable(_ path: String) throws -> String {
    try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
      .filter { !$0.hasPrefix("Races: explored") }.joined(separator: "\n")
  }

  @Test("shares of the race cases' schedule trees merge into the unsharded report; an incomplete split is refused")
  func sharesMerge() throws {
    let directory = makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let whole = try runProcess(pfnspecExecutable, Self.arguments + ["--junit", "\(directory)/whole.xml"])
    #expect(whole.status == 1, "\(whole.error)")
    for index in 1...2 {
      let share = try runProcess(
        pfnspecExecutable, Self.arguments + ["--shard", "\(index)/2", "--shard-schedules", "--junit", "\(directory)/s\(index).xml"])
      #expect(share.status == 1, "\(share.error)")
    }
    let shareReport = try String(contentsOfFile: "\(directory)/s1.xml", encoding: .utf8)
    #expect(shareReport.contains("pfnspec.shard.schedules."))
    let merge = try runProcess(
      pfnspecExecutable, ["merge", "\(directory)/s2.xml", "\(directory)/s1.xml", "-o", "\(directory)/merged.xml"])
    #expect(merge.status == 1, "\(merge.error)")
    let merged = try comparable("\(directory)/merged.xml")
    #expect(merged == (try comparable("\(directory)/whole.xml")))
    #expect(!merged.contains("pfnspec.shard.schedules."))
    #expect(merged.contains("given schedule { before pmd_lock: zap pmd }"))

    let alone = try runProcess(pfnspecExecutable, ["merge", "\(directory)/s1.xml", "-o", "\(directory)/alone.xml"])
    #expect(alone.status == 2 && alone.error.contains("not every share of one split"), "\(alone.error)")
  }

  @Test("replay --as-rule prints a rule that check accepts, the mutant fails and the reference passes")
  func replayAsRule() throws {
    let directory = makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let failing = try runProcess(
      pfnspecExecutable,
      ["run", "Specs/races.pfnspec", "--walker", "mutant:wrong-level-lock", "--arch", "x86_64", "--case", "RC-002[level=pmd]",
       "--color", "never"])
    let token = try #require(
      failing.output.split(separator: " ").first { $0.hasPrefix("v1.") }.map { String($0.split(separator: "\n")[0]) },
      "\(failing.output)")
    let rule = try runProcess(pfnspecExecutable, ["replay", token, "--as-rule", "--rule-id", "KEEP-001"])
    #expect(rule.status == 0, "\(rule.error)")
    #expect(rule.output.contains("rule KEEP-001 ") && rule.output.contains("  given schedule { before end: zap pmd }"), "\(rule.output)")
    #expect(rule.output.contains("  requires pmd in leaf_levels\n  given leaf at pmd\n"), "\(rule.output)")
    try ("suite kept \"kept races\"\n" + rule.output).write(toFile: "\(directory)/kept.pfnspec", atomically: true, encoding: .utf8)
    let check = try runProcess(pfnspecExecutable, ["check", "\(directory)/kept.pfnspec"])
    #expect(check.status == 0, "\(check.output)\(check.error)")
    let reference = try runProcess(
      pfnspecExecutable, ["run", "\(directory)/kept.pfnspec", "--walker", "reference", "--color", "never", "--quiet"])
    #expect(reference.status == 0, "\(reference.output)")
    let mutant = try runProcess(
      pfnspecExecutable, ["run", "\(directory)/kept.pfnspec", "--walker", "mutant:wrong-level-lock", "--color", "never", "--quiet"])
    #expect(mutant.status == 1, "\(mutant.output)")

  }
}
