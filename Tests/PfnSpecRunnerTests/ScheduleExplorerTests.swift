import PfnModel
import PfnResults
import Testing

@testable import PfnSpecRunner

/// A case body without a walker: it makes `calls` host calls that read the
/// path to one address of a PMD leaf, and fails when `fails` says so about the
/// translation it saw first and the one at the end.
struct FakeCase {
  static let start: UInt64 = 0x7f00_4000_0000
  static let address = start + 0x5123
  var calls = 4
  var fails: (_ first: Translation?, _ last: Translation?) -> Bool

  func run(_ observer: RaceObserver, tracing: Bool) -> CaseRunResult {
    let world = World(arch: X86_64())
    do {
      try world.addVMA(start: Self.start, end: Self.start + (2 << 30), flags: [.io, .pfnmap], fileBacked: false)
      try world.installLeaf(LeafProperties(pfn: 0x40000), at: .pmd, covering: Self.start)
    } catch {
      return CaseRunResult(outcome: .error, stateHash: 0)
    }
    let host = ModelHost(world: world)
    host.observer = observer
    host.tracing = tracing
    observer.address = Self.address
    var first: Translation?
    do {
      for index in 0..<calls {
        try host.checkpoint(HostCall("read \(index)", reads: world.pathPointers(Self.address)))
        if index == 0 {
          first = world.translate(Self.address)
          // What the body learns outside host calls, for state caching.
          var hasher = Hasher()
          hasher.combine(first)
          observer.observe(UInt64(bitPattern: Int64(hasher.finalize())))
        }
      }
    } catch {
      return CaseRunResult(outcome: .fail, stateHash: 0)
    }
    let last = world.translate(Self.address)
    var hasher = Hasher()
    world.hashState(into: &hasher)
    return CaseRunResult(outcome: fails(first, last) ? .fail : .pass, stateHash: hasher.finalize())
  }
}

@Suite("The schedule explorer, driven by a case body without a walker")
struct ScheduleExplorerTests {
  func explorer(
    _ body: FakeCase, bound: Int = 2, reduction: Bool = true, random: Int = 0, budget: ExplorationBudget = .init(),
    stateCaching: Bool = true
  ) -> ScheduleExplorer<CaseRunResult> {
    ScheduleExplorer(
      kinds: AdversaryKind.allCases,
      policy: ExplorationPolicy(
        bound: bound, reduction: reduction, randomSchedules: random, randomSeed: 7, stateCaching: stateCaching),
      budget: budget, body: body.run)
  }

  @Test("a case that never fails is explored to the bound: no schedule, several end states, not truncated")
  func neverFails() {
    let result = explorer(FakeCase { _, _ in false }).explore()
    #expect(!result.run.failed)
    #expect(result.schedule.steps.isEmpty)
    #expect(result.statistics.schedules > 1)
    #expect(result.statistics.distinctStates > 1)
    #expect(!result.statistics.truncated)
    #expect(result.statistics.bound == 2)
  }

  @Test("the first failure found has the fewest steps and the earliest point")
  func firstFailureIsMinimal() {
    let result = explorer(FakeCase { first, last in first != last }).explore()
    #expect(result.run.failed)
    #expect(result.schedule.steps.count == 1)
    // Point 0 comes before the first translation is read, so changing the leaf there is invisible.
    #expect(result.schedule.steps.first?.point == 1)
  }

  @Test("the schedule budget stops exploring and says so")
  func scheduleBudget() {
    let result = explorer(FakeCase { _, _ in false }, budget: ExplorationBudget(schedules: 5)).explore()
    #expect(result.statistics.truncated)
    #expect(result.statistics.schedules == 5)
    #expect(!result.run.failed)
  }

  @Test("a time budget of zero stops after the first schedule with steps")
  func timeBudget() {
    let result = explorer(FakeCase { _, _ in false }, random: 4, budget: ExplorationBudget(time: .zero)).explore()
    #expect(result.statistics.truncated)
    #expect(result.statistics.random == 0)
  }

  @Test("reduction runs fewer schedules and reaches the same end states")
  func reductionIsSound() {
    let body = FakeCase(calls: 6) { _, _ in false }
    let reduced = explorer(body, reduction: true).explore().statistics
    let full = explorer(body, reduction: false).explore().statistics
    #expect(reduced.schedules < full.schedules)
    #expect(reduced.distinctStates == full.distinctStates)
  }

  @Test("state caching stops runs at explored states and reaches the same end states and failures", arguments: [2, 3])
  func stateCachingIsSound(bound: Int) {
    let passing = FakeCase(calls: 6) { _, _ in false }
    let cached = explorer(passing, bound: bound).explore().statistics
    let plain = explorer(passing, bound: bound, stateCaching: false).explore().statistics
    #expect(cached.pruned > 0)
    #expect(plain.pruned == 0)
    #expect(cached.distinctStates == plain.distinctStates)
    #expect(cached.schedules - cached.pruned < plain.schedules)
    // A failure that needs two steps (the leaf taken away, then back with another pfn) is the same one.
    let failing = FakeCase(calls: 6) { first, last in first != nil && last != nil && first?.pfn != last?.pfn }
    let cachedFailure = explorer(failing, bound: bound).explore()
    let plainFailure = explorer(failing, bound: bound, stateCaching: false).explore()
    #expect(cachedFailure.run.failed == plainFailure.run.failed)
    #expect(cachedFailure.schedule == plainFailure.schedule)
  }

  @Test("beyond the bound, a failing random schedule is shrunk to the steps the failure needs")
  func randomThenShrunk() {
    // Fails only when another CPU took the leaf away: out of reach at bound 0.
    let body = FakeCase(calls: 8) { first, last in first != nil && last == nil }
    let result = explorer(body, bound: 0, random: 64).explore()
    #expect(result.run.failed)
    #expect(result.statistics.random >= 1)
    #expect(!result.schedule.steps.isEmpty)
    #expect(result.schedule.steps.count <= 2)
  }

  @Test("the bounded search starts with the schedule without steps and never goes past the bound")
  func searchOrder() {
    var search = BoundedScheduleSearch(policy: ExplorationPolicy(bound: 1))
    #expect(search.nextSchedule() == Schedule())
    // Nothing recorded: there is nothing to extend.
    #expect(search.nextSchedule() == nil)
    var unbounded = BoundedScheduleSearch(policy: ExplorationPolicy(bound: 0))
    #expect(unbounded.nextSchedule() == Schedule())
    unbounded.record(Schedule(), points: [], infeasible: false)
    #expect(unbounded.nextSchedule() == nil)
  }
}
