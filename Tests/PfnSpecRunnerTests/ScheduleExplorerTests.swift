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
  /// Calls that touch nothing: the other CPU's steps commute with them.
  var quietCalls: Set<Int> = []
  /// The call after which the body reads the translation it calls `first`.
  var firstReadAfter = 0
  /// Whether the body tells its host of that read, made outside the host calls.
  var tellsReads = true
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
        if quietCalls.contains(index) {
          try host.checkpoint(HostCall("compute \(index)"))
        } else {
          try host.checkpoint(HostCall("read \(index)", reads: world.pathPointers(Self.address)))
        }
        if index == firstReadAfter {
          first = world.translate(Self.address)
          if tellsReads { host.noteReadOutsideCalls() }
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

  @Test("reduction runs fewer schedules and reaches the same end states and failures", arguments: [1, 2, 3])
  func reductionIsSound(bound: Int) {
    // Every other call touches nothing: a step before it gives the run of a step one point earlier.
    let quiet: Set<Int> = [1, 3, 5]
    let body = FakeCase(calls: 7, quietCalls: quiet) { _, _ in false }
    let reduced = explorer(body, bound: bound, reduction: true).explore().statistics
    let full = explorer(body, bound: bound, reduction: false).explore().statistics
    #expect(reduced.schedules < full.schedules)
    #expect(reduced.distinctStates == full.distinctStates)
    // The leaf changed between the first read and the end: found either way.
    let failing = FakeCase(calls: 7, quietCalls: quiet, firstReadAfter: 3) { first, last in first != last }
    #expect(explorer(failing, bound: bound, reduction: true).explore().run.failed)
    #expect(explorer(failing, bound: bound, reduction: false).explore().run.failed)
  }

  @Test("a step right after the steps before a call is tried: that call's footprint was taken before they ran")
  func footprintBeforeSteps() {
    // The first call reads the path it names, and then the translation as its own work (the
    // body tells nobody): a split at point 0 makes a table of leaves that the footprint does not
    // name, and the zap of one of them at point 1 is seen only if the search tries it there.
    let body = FakeCase(calls: 2, quietCalls: [1], firstReadAfter: 0, tellsReads: false) { first, last in
      first?.level == .pte && last == nil
    }
    let result = explorer(body, bound: 2).explore()
    #expect(result.run.failed)
    #expect(result.schedule.steps.map(\.point) == [0, 1])
  }

  @Test("a read outside the host calls keeps the reduction from moving a step before it")
  func readsOutsideCalls() {
    // The only step after the read is one before the last call, which touches nothing,
    // like the call before the read: moved one point earlier, it would come before the read.
    func found(tellsReads: Bool) -> Bool {
      let body = FakeCase(calls: 3, quietCalls: [1, 2], firstReadAfter: 1, tellsReads: tellsReads) { first, last in
        first != last
      }
      return explorer(body, bound: 1).explore().run.failed
    }
    #expect(found(tellsReads: true))
    // The read untold, the reduction takes the step for one before the read: the failure is missed.
    #expect(!found(tellsReads: false))
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
