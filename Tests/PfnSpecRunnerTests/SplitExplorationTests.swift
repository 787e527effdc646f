import PfnModel
import PfnResults
import PfnWalkers
import Testing

@testable import PfnSpecRunner

@Suite("Large race cases explored as shares on several threads report what one thread reports")
struct SplitExplorationTests {
  /// Everything a report shows of a verdict, but its time.
  static func shown(_ verdict: Verdict) -> String {
    let exploration = verdict.story.exploration.map {
      "schedules=\($0.schedules) states=\($0.distinctStates) bound=\($0.bound) random=\($0.random) truncated=\($0.truncated) share=\($0.share?.text ?? "-")"
    }
    return [
      "\(verdict.identity.key) \(verdict.identity.caseName) \(verdict.outcome)", verdict.message,
      verdict.replay?.token ?? "-", exploration ?? "-", "\(verdict.story.schedule ?? [])",
      verdict.story.trace.joined(separator: "\n"),
    ].joined(separator: " | ")
  }

  func raceRun(jobs: Int, bound: Int = 3, random: Int = 6, budget: Int = 50_000) throws -> [String] {
    try run(
      shippedSpecs, walkers: ScheduleShareTests.walkers,
      arches: [X86_64(), try #require(Architectures.named("arm64-4k-39"))]
    ) {
      $0.tags = ["race"]
      $0.raceBound = bound
      $0.randomSchedules = random
      $0.explorationBudget = ExplorationBudget(schedules: budget)
      $0.jobs = jobs
      // Shares explore without the cache of visited states; a caching case runs whole.
      $0.raceStateCaching = false
    }.map(Self.shown)
  }

  @Test("at bound 3, two and three jobs split the race cases and give one job's verdicts, counterexamples and counts")
  func splitRunsEqualOneThread() throws {
    let one = try raceRun(jobs: 1)
    #expect(one.count > 40)
    #expect(one.contains { $0.contains(" fail |") }, "some race case fails, so counterexamples are compared")
    for jobs in [2, 3] {
      let split = try raceRun(jobs: jobs)
      #expect(split.count == one.count)
      for (mine, theirs) in zip(split, one) where mine != theirs {
        Issue.record("--jobs \(jobs) differs:\n\(mine)\none job:\n\(theirs)")
      }
    }
  }

  @Test("a schedule budget reached part-way stops the split run where one thread stops")
  func splitRunsStopAtTheBudget() throws {
    let one = try raceRun(jobs: 1, random: 0, budget: 300)
    #expect(one.contains { $0.contains("truncated=true") })
    let split = try raceRun(jobs: 2, random: 0, budget: 300)
    for (mine, theirs) in zip(split, one) where mine != theirs {
      Issue.record("--jobs 2 differs:\n\(mine)\none job:\n\(theirs)")
    }
    #expect(split.count == one.count)
  }

  /// Explores `body` whole and as `shares` shares on a pool of two threads.
  func both(_ body: FakeCase, bound: Int, random: Int = 0, shares: Int, budget: Int = 50_000) -> (
    whole: ScheduleExplorer<CaseRunResult>.Result, split: ScheduleExplorer<CaseRunResult>.Result
  ) {
    let explorer = ScheduleExplorer(
      kinds: AdversaryKind.allCases,
      policy: ExplorationPolicy(bound: bound, randomSchedules: random, randomSeed: 7, stateCaching: false),
      budget: ExplorationBudget(schedules: budget), body: body.run)
    let whole = explorer.explore()
    var split: ScheduleExplorer<CaseRunResult>.Result?
    OrderedWorkPool(jobs: 2).run(
      count: 1, cost: { _ in 1 },
      work: { (_: Int, sharing: (any PartSharing)?) -> ScheduleExplorer<CaseRunResult>.Result in
        SplitExploration.explore(shares: shares, on: sharing!) { _ in explorer }
      },
      deliver: { _, result in split = result })
    return (whole, split!)
  }

  func expectEqual(
    _ pair: (whole: ScheduleExplorer<CaseRunResult>.Result, split: ScheduleExplorer<CaseRunResult>.Result),
    _ comment: Comment
  ) {
    let (whole, split) = pair
    #expect(split.schedule == whole.schedule, comment)
    #expect(split.run.outcome == whole.run.outcome, comment)
    #expect(split.statistics.schedules == whole.statistics.schedules, comment)
    #expect(split.statistics.distinctStates == whole.statistics.distinctStates, comment)
    #expect(split.statistics.random == whole.statistics.random, comment)
    #expect(split.statistics.truncated == whole.statistics.truncated, comment)
    #expect(split.statistics.share == nil, comment)
  }

  @Test("shares joined: a passing tree, a failure deep in the tree, a random failure shrunk, a budget", arguments: [2, 3, 5, 8])
  func sharesJoinIntoTheWhole(shares: Int) {
    let passing = both(FakeCase(calls: 5) { _, _ in false }, bound: 3, random: 4, shares: shares)
    #expect(passing.whole.statistics.schedules > 100)
    expectEqual(passing, "passing")
    // Fails only when the leaf is gone at the end but was there at first: needs steps late in the tree.
    let deep = both(FakeCase(calls: 5) { first, last in first != nil && last == nil }, bound: 3, shares: shares)
    #expect(deep.whole.run.failed)
    expectEqual(deep, "a failure in the bounded search")
    let random = both(FakeCase(calls: 8) { first, last in first != nil && last == nil }, bound: 0, random: 64, shares: shares)
    #expect(random.whole.run.failed && random.whole.statistics.random > 0)
    expectEqual(random, "a random failure, shrunk")
    let budget = both(FakeCase(calls: 5) { _, _ in false }, bound: 3, shares: shares, budget: 97)
    #expect(budget.whole.statistics.truncated)
    expectEqual(budget, "the schedule budget")
  }

  @Test("a split needs two jobs and a bound above 2; at bound 3 only once the other threads run short of work")
  func shareCounts() {
    final class Inline: PartSharing {
      let unstartedCost: Int
      init(unstartedCost: Int = 0) { self.unstartedCost = unstartedCost }
      func runAll(_ bodies: [() -> Void]) { bodies.forEach { $0() } }
    }
    #expect(ScheduleSplitting(sharing: Inline(), jobs: 1, pieceCost: 10).shares(bound: 4) == nil)
    #expect(ScheduleSplitting(sharing: Inline(), jobs: 2, pieceCost: 10).shares(bound: 2) == nil)
    let three = ScheduleSplitting(sharing: Inline(unstartedCost: 9), jobs: 2, pieceCost: 10).shares(bound: 3) ?? 0
    #expect(three >= 2)
    // Other pieces worth as much as this one are still waiting: no split, no extra CPU.
    #expect(ScheduleSplitting(sharing: Inline(unstartedCost: 10), jobs: 2, pieceCost: 10).shares(bound: 3) == nil)
    #expect(
      (ScheduleSplitting(sharing: Inline(unstartedCost: 1000), jobs: 2, pieceCost: 10).shares(bound: 4) ?? 0) > three)
  }
}
