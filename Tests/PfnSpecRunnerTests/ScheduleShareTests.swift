import PfnModel
import PfnResults
import PfnSpecLanguage
import PfnWalkers
import Testing

@testable import PfnSpecRunner

@Suite("Race cases explored in shares (--shard I/N --shard-schedules) merge into the unsharded run")
struct ScheduleShareTests {
  /// Walkers whose race cases pass, fail in the bounded search, and fail in several ways.
  static let walkers: [any Walker] = [
    ReferenceWalker(), Mainline612Walker(), ReferenceWalker(mutation: .staleHugeEntry),
    ReferenceWalker(mutation: .wrongLevelLock), ReferenceWalker(mutation: .unlockBeforeSuccess),
  ]

  func raceRun(bound: Int, shard: Shard? = nil) throws -> [Verdict] {
    try run(shippedSpecs, walkers: Self.walkers, arches: [X86_64(), try #require(Architectures.named("arm64-4k-39"))]) {
      $0.tags = ["race"]
      $0.raceBound = bound
      $0.randomSchedules = 6
      $0.shard = shard
      $0.shardSchedules = shard != nil
      // Shares explore without state caching, so that their schedule counts add up: the
      // whole they are compared with does too (state caching's own test compares it with this).
      $0.raceStateCaching = false
    }
  }

  @Test("at bound 3, three shares give the unsharded verdicts, counterexamples, end-state and schedule counts",
    arguments: [3])
  func sharesMergeIntoTheWhole(bound: Int) throws {
    let whole = try raceRun(bound: bound)
    let shares = try (0..<3).map { try raceRun(bound: bound, shard: Shard(index: $0, count: 3)!) }
    var byCase: [String: [Verdict]] = [:]
    for verdicts in shares {
      for verdict in verdicts { byCase["\(verdict.identity.key) \(verdict.identity.caseName)", default: []].append(verdict) }
    }
    var explored = 0
    var failures = 0
    for verdict in whole {
      let name = "\(verdict.identity.key) \(verdict.identity.caseName)"
      let parts = try #require(byCase[name], "\(name) is in no shard")
      guard let statistics = verdict.story.exploration else {
        // Cases split by case as before (pinned schedules, rules skipped when planned) are in one
        // shard; a race case found not applicable when run is in every shard, the same in each.
        #expect(parts.count == 1 || parts.count == 3, "\(name)")
        #expect(parts.allSatisfy { $0.outcome == verdict.outcome && $0.message == verdict.message }, "\(name)")
        continue
      }
      explored += 1
      #expect(parts.count == 3, "\(name) ran in \(parts.count) shards")
      let merged = try SchedulePartition.merge(parts.map { try #require($0.story.exploration?.share) })
      #expect(merged.distinctStates == statistics.distinctStates, "\(name): distinct end states")
      if verdict.outcome == .pass {
        #expect(merged.failure == nil && parts.allSatisfy { $0.outcome == .pass }, "\(name)")
        #expect(merged.schedules == statistics.schedules, "\(name): schedules")
        continue
      }
      failures += 1
      let chosen = parts[try #require(merged.failingShare, "\(name) fails unsharded, in no share")]
      #expect(chosen.outcome == verdict.outcome, "\(name)")
      #expect(chosen.message == verdict.message, "\(name)")
      #expect(chosen.replay?.token == verdict.replay?.token, "\(name): another counterexample")
      #expect(chosen.story.trace == verdict.story.trace, "\(name)")
    }
    #expect(explored > 20 && failures > 5, "explored \(explored) race cases, \(failures) failing")
  }

  @Test("shares are refused unless they are every share of one split")
  func mergeRefusesIncompleteSplits() throws {
    let one = SchedulePartition.Share(partition: "1/2", firstSeen: ["a@00"], failure: nil)
    #expect(throws: SchedulePartition.MergeError.self) { try SchedulePartition.merge([one]) }
    #expect(throws: SchedulePartition.MergeError.self) { try SchedulePartition.merge([one, one]) }
    let other = SchedulePartition.Share(partition: "2/3", firstSeen: [], failure: nil)
    #expect(throws: SchedulePartition.MergeError.self) { try SchedulePartition.merge([one, other]) }
    // A share's report text reads back.
    let share = SchedulePartition.Share(partition: "2/2", schedules: 7, firstSeen: ["ff@01|000003.3.00"], failure: "r000002")
    #expect(SchedulePartition.Share(text: share.text) == share)
    let merged = try SchedulePartition.merge([one, share])
    #expect(merged.failure == "r000002" && merged.failingShare == 1 && merged.distinctStates == 2 && merged.schedules == 7)
  }
}
