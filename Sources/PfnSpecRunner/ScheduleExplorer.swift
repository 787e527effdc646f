import PfnModel
import PfnResults
import PfnSupport

/// What the explorer needs to know about one run of a case body.
///
/// The body of a case (a walker driven by a rule, or any other code that
/// makes host calls through a `ModelHost` whose observer is the given
/// ``RaceObserver``) returns one of these; the explorer reads the scheduling
/// points it met from the observer it handed in.
///
/// With state caching (``ExplorationPolicy/stateCaching``) a body must be
/// deterministic and pass everything it learns from the world outside the
/// host's calls to `RaceObserver.observe(_:)`: a run is cut short where the
/// world and what was observed equal an earlier schedule's.
public protocol ExplorableRun {
  /// Whether the case failed or errored under this schedule.
  var failed: Bool { get }
  /// Identifies the end state, to count distinct ones.
  var stateHash: Int { get }
}

/// The simplest ``ExplorableRun``: an outcome and a state hash.
public struct CaseRunResult: ExplorableRun, Sendable {
  public var outcome: Outcome
  public var stateHash: Int

  public init(outcome: Outcome, stateHash: Int) {
    self.outcome = outcome
    self.stateHash = stateHash
  }

  public var failed: Bool { outcome == .fail || outcome == .error }
}

/// When exploring stops before it is done.
public struct ExplorationBudget: Sendable, Hashable {
  /// Schedules per case.
  public var schedules = 50_000
  /// Wall-clock time per case (`nil`: no limit).
  public var time: Duration?

  public init(schedules: Int = 50_000, time: Duration? = nil) {
    self.schedules = schedules
    self.time = time
  }
}

/// How the explorer searches: which schedules it skips, how many random ones
/// it adds, whether it shrinks a failing one.
public struct ExplorationPolicy: Sendable, Hashable {
  /// Adversary steps explored exhaustively.
  public var bound: Int
  /// Skip a schedule whose run another schedule repeats: a step that cannot
  /// interfere with the call before it gives the same run one point earlier
  /// (see ``BoundedScheduleSearch``).
  public var reduction = true
  /// Seeded random schedules with more steps than the bound.
  public var randomSchedules = 16
  /// The seed of the random schedules.
  public var randomSeed: UInt64 = 0
  /// Shrink a failing random schedule: fewer steps, then earlier points.
  public var shrinking = true
  /// Explore only this share of the schedule tree (see `SchedulePartition` (PfnResults));
  /// `nil` explores all of it.
  public var partition: Shard?
  /// Stop a schedule's run where, after its last step, it comes to a state
  /// (world and observed values) an earlier schedule came to, and do not
  /// extend it: it ends as that one did (see ``VisitedStates``). Off for a
  /// share of the tree, whose schedule counts must add up to the whole's.
  public var stateCaching = true

  public init(
    bound: Int, reduction: Bool = true, randomSchedules: Int = 16, randomSeed: UInt64 = 0, shrinking: Bool = true,
    stateCaching: Bool = true
  ) {
    self.bound = bound
    self.reduction = reduction
    self.stateCaching = stateCaching
    self.randomSchedules = randomSchedules
    self.randomSeed = randomSeed
    self.shrinking = shrinking
  }
}

/// The bounded search on its own: which schedule to try next, given what the
/// runs so far saw. Every schedule of up to `bound` adversary steps, fewest
/// steps first and earliest points first, so the first failure found is
/// already minimal.
public struct BoundedScheduleSearch {
  public let policy: ExplorationPolicy
  /// Schedules whose runs may be extended by one more step, with the points each met.
  private var frontier: [(Schedule, [RaceObserver.Point])] = []
  /// The next entry of `frontier` to expand (an index: removing the first of an array costs its length).
  private var frontierIndex = 0
  private var next: [(Schedule, [RaceObserver.Point])] = []
  /// Candidates of the frontier entry being expanded, in order.
  private var pending: [Schedule] = []
  private var pendingIndex = 0
  /// With a partition: candidates at the splitting depth so far, in order, and
  /// whether each pending schedule is this share's to count (see `SchedulePartition` (PfnResults)).
  private var splitCandidates = 0
  private var pendingOwned: [Bool] = []
  /// Whether the schedule ``nextSchedule()`` returned last counts in this share.
  public private(set) var owned = true
  private var size = 0
  private var started = false

  public init(policy: ExplorationPolicy) { self.policy = policy }

  /// The steps of the schedules being tried now.
  public var steps: Int { size }

  /// The next schedule to run; `nil` when the bound is exhausted. The first
  /// is the schedule without adversary steps.
  public mutating func nextSchedule() -> Schedule? {
    if !started {
      started = true
      return Schedule()
    }
    while true {
      if pendingIndex < pending.count {
        pendingIndex += 1
        owned = pendingOwned[pendingIndex - 1]
        return pending[pendingIndex - 1]
      }
      if frontierIndex < frontier.count {
        let (schedule, points) = frontier[frontierIndex]
        frontierIndex += 1
        (pending, pendingOwned) = candidates(extending: schedule, points: points)
        pendingIndex = 0
        continue
      }
      guard size < policy.bound, !next.isEmpty else { return nil }
      size += 1
      frontier = next
      frontierIndex = 0
      next = []
    }
  }

  /// What a run of `schedule` saw; a feasible run of a schedule shorter than
  /// the bound is extended at the next size.
  public mutating func record(_ schedule: Schedule, points: [RaceObserver.Point], infeasible: Bool) {
    guard !infeasible, schedule.steps.count < policy.bound else { return }
    next.append((schedule, points))
  }

  /// One more step after the last one of `schedule`, at each point from the
  /// last step's on.
  ///
  /// With reduction, a step that starts the steps of a point is tried there
  /// only if it touches what the call before that point touches (a call's
  /// footprint: what it reads, writes or locks). Otherwise the step and that
  /// call commute: the same run comes with the step one point earlier, last
  /// of the steps there, and moving it on so gives a schedule this search
  /// tries, whose extensions it tries too. Steps after the first at a point
  /// are always tried (there is no call between them), and so are steps at
  /// the first point (there is no call before it). Every schedule tried is so
  /// the earliest-moved representative of the schedules that give its run.
  ///
  /// A call's footprint is what the run that recorded it saw; the call right
  /// after the parent's last steps was worded before those steps ran (a
  /// checkpoint reads the path the steps may change), so a step after it is
  /// always tried. So is one after a call that code outside the host calls
  /// read the world behind (``RaceObserver/Point/readAfterCall``).
  private mutating func candidates(extending schedule: Schedule, points: [RaceObserver.Point]) -> (
    [Schedule], [Bool]
  ) {
    let first = schedule.steps.last?.point ?? 0
    guard first < points.count else { return ([], []) }
    var result: [Schedule] = []
    for index in first..<points.count {
      let joinsLastPoint = !schedule.steps.isEmpty && index == first
      // At the point of the previous step, what is possible after it.
      let enabledOps = joinsLastPoint ? points[index].enabledAfter : points[index].enabled
      for enabled in enabledOps {
        if policy.reduction && !joinsLastPoint && index > 0 && (schedule.steps.isEmpty || index - 1 > first)
          && !points[index - 1].readAfterCall
          && !points[index - 1].call.conflicts(writing: enabled.writes, locking: enabled.locks)
        {
          continue
        }
        result.append(schedule.appending(.init(point: index, op: enabled.op)))
      }
    }
    guard let partition = policy.partition else { return (result, result.map { _ in true }) }
    // A share of the tree: every N-th subtree at the splitting depth (the second step when the
    // bound allows, so that the few first steps' unequal subtrees are spread over the shares);
    // above it every share runs every schedule, as parents, and counts its own.
    let depth = SchedulePartition.splitDepth(bound: policy.bound)
    let level = schedule.steps.count + 1
    guard level <= depth else { return (result, result.map { _ in true }) }
    var kept: [Schedule] = []
    var owned: [Bool] = []
    for candidate in result {
      let mine = SchedulePartition.owns(position: splitCandidates, partition)
      splitCandidates += 1
      if level == depth && !mine { continue }
      kept.append(candidate)
      owned.append(mine)
    }
    return (kept, owned)
  }
}

/// Follows an explorer's bounded search from outside, one schedule at a time
/// (in exploration order), for shares of one tree that run at once.
public protocol BoundedSearchWatch: AnyObject {
  /// Before `schedule` runs: `false` stops exploring here (the result is marked truncated).
  func proceed(_ schedule: Schedule) -> Bool
  /// After it ran: whether this explorer counts it (its share's own), and what the run came to.
  func ran(_ schedule: Schedule, counted: Bool, infeasible: Bool, failed: Bool)
}

/// Explores the schedules of another CPU for one case: the bounded search,
/// then seeded random schedules beyond the bound, shrinking a failing one,
/// within a budget. It knows nothing of walkers or rules: it runs `body`
/// with an observer and reads what the observer saw.
public struct ScheduleExplorer<Run: ExplorableRun> {
  /// What exploring came to: the run to judge, its schedule (empty when
  /// nothing failed) and the figures.
  public struct Result {
    public var run: Run
    public var schedule: Schedule
    public var statistics: ExplorationStatistics
  }

  public var kinds: [AdversaryKind]
  public var policy: ExplorationPolicy
  public var budget: ExplorationBudget
  /// Runs the case once under the observer; `tracing` asks for the host-call trace.
  public var body: (_ observer: RaceObserver, _ tracing: Bool) -> Run
  /// Follows the bounded search schedule by schedule, and may stop it, when
  /// several shares of one tree run at once (`SplitExploration`); `nil` otherwise.
  public var watch: (any BoundedSearchWatch)?

  public init(
    kinds: [AdversaryKind], policy: ExplorationPolicy, budget: ExplorationBudget = ExplorationBudget(),
    body: @escaping (_ observer: RaceObserver, _ tracing: Bool) -> Run
  ) {
    self.kinds = kinds
    self.policy = policy
    self.budget = budget
    self.body = body
  }

  /// Runs the case under exactly `schedule`; with `visited`, the run stops
  /// early at a state already explored (the observer says it was pruned).
  public func run(_ schedule: Schedule, tracing: Bool, visited: VisitedStates? = nil) -> (Run, RaceObserver) {
    run(schedule, tracing: tracing, visited: visited, reusing: nil)
  }

  /// `run(_:tracing:visited:)` in `observer`, made new for it, when one is
  /// given: the bounded search's schedules run one after another with one
  /// observer, which keeps its lists' storage from one to the next.
  private func run(_ schedule: Schedule, tracing: Bool, visited: VisitedStates?, reusing observer: RaceObserver?)
    -> (Run, RaceObserver)
  {
    let observer = observer.map { $0.reset(.fixed(schedule)); return $0 } ?? RaceObserver(kinds: kinds, mode: .fixed(schedule))
    observer.visited = visited
    // An untraced run is extended (by `BoundedScheduleSearch`) from its last
    // step's point on, if it is shorter than the bound; a traced one keeps every point.
    if !tracing {
      let extended = schedule.steps.count < policy.bound
      observer.enabledNeededFrom = extended ? schedule.steps.last?.point ?? 0 : Int.max
      // A schedule at the bound is neither extended nor the base of the random
      // schedules (the schedule without steps is): its points are only counted.
      observer.keepsPoints = extended || schedule.steps.isEmpty
    }
    return (body(observer, tracing), observer)
  }

  /// Explores until a schedule fails, the search ends or the budget runs out.
  public func explore() -> Result {
    let clock = ContinuousClock()
    let began = clock.now
    var statistics = ExplorationStatistics()
    statistics.bound = policy.bound
    var states = Set<Int>()
    // A share of the tree records where it first saw each end state, so that
    // the shares can be merged into the whole (SchedulePartition.merge).
    var firstSeen: [Int: String] = [:]
    var failureKey: String?
    func saw(_ hash: Int, _ key: @autoclosure () -> String) {
      if states.insert(hash).inserted, policy.partition != nil { firstSeen[hash] = key() }
    }
    func outOfBudget() -> Bool {
      statistics.schedules >= budget.schedules || budget.time.map { clock.now - began >= $0 } == true
    }
    func finish(_ run: Run, _ schedule: Schedule) -> Result {
      // Schedules run without a trace; the one reported runs again with it.
      let run = run.failed ? self.run(schedule, tracing: true).0 : run
      statistics.distinctStates = states.count
      if let partition = policy.partition {
        statistics.share = SchedulePartition.Share(
          partition: partition.description, schedules: statistics.schedules, firstSeen: firstSeen.map { SchedulePartition.hex($0.key) + "@" + $0.value }.sorted(),
          failure: run.failed ? failureKey ?? SchedulePartition.key(schedule, kinds: kinds) : nil)
      }
      statistics.seconds = (clock.now - began).seconds
      return Result(run: run, schedule: schedule, statistics: statistics)
    }

    var search = BoundedScheduleSearch(policy: policy)
    var base: (run: Run, points: [RaceObserver.Point])?
    var last: Run?
    let visited = policy.stateCaching && policy.partition == nil ? VisitedStates(bound: policy.bound) : nil
    // The bounded search's untraced runs share one observer. What a run returns
    // may hold it, but nothing reads it there: a passing run's verdict says
    // nothing of its points, and a failing one runs again, traced, with its own.
    let reused = RaceObserver(kinds: kinds, mode: .fixed(Schedule()))
    while let schedule = search.nextSchedule() {
      if let watch, !watch.proceed(schedule) {
        statistics.truncated = true
        return finish(last ?? self.run(Schedule(), tracing: false).0, Schedule())
      }
      // Every share runs the schedule without steps (the root of the tree); the first counts it.
      let counted = schedule.steps.isEmpty ? policy.partition.map({ $0.index == 0 }) ?? true : search.owned
      if counted { statistics.schedules += 1 }
      let (run, observer) = self.run(schedule, tracing: false, visited: visited, reusing: reused)
      watch?.ran(schedule, counted: counted, infeasible: observer.infeasible, failed: run.failed)
      if observer.infeasible { continue }
      // Its end state and outcome are an earlier schedule's, and so are its extensions.
      if observer.pruned {
        statistics.pruned += 1
        continue
      }
      saw(run.stateHash, SchedulePartition.key(schedule, kinds: kinds))
      if run.failed { return finish(run, schedule) }
      if base == nil { base = (run, observer.points) }
      last = run
      search.record(schedule, points: observer.points, infeasible: false)
      if !schedule.steps.isEmpty && outOfBudget() {
        statistics.truncated = true
        return finish(run, Schedule())
      }
    }
    guard let base else {
      // The schedule without steps is always feasible; this is for bodies that say otherwise.
      return finish(last ?? run(Schedule(), tracing: false).0, Schedule())
    }

    // Beyond the bound: random schedules with a few more steps.
    let points = max(base.points.count, 1)
    var generator = SeededGenerator(seed: policy.randomSeed)
    for number in 0..<policy.randomSchedules {
      if budget.time.map({ clock.now - began >= $0 }) == true {
        statistics.truncated = true
        break
      }
      let steps = policy.bound + 1 + Int(generator.next() % 2)
      // Shares take turns at the random schedules; each draws them all to keep the sequence.
      if let partition = policy.partition, number % partition.count != partition.index {
        _ = generator.next()
        continue
      }
      let chance = UInt64(min(1000, 1000 * steps / points))
      statistics.schedules += 1
      statistics.random += 1
      let observer = RaceObserver(kinds: kinds, mode: .random(generator, chance: chance, maxSteps: steps))
      let run = body(observer, false)
      // The observer drew from a copy; step this generator so the next schedule differs.
      _ = generator.next()
      saw(run.stateHash, SchedulePartition.randomKey(number))
      if run.failed {
        failureKey = SchedulePartition.randomKey(number)
        let found = Schedule(observer.performed)
        guard policy.shrinking else { return finish(run, found) }
        let (shrunk, shrunkRun) = shrink(found, run, statistics: &statistics)
        return finish(shrunkRun, shrunk)
      }
    }
    return finish(base.run, Schedule())
  }

  /// Fewer steps first, then earlier points, as long as the case still fails.
  public func shrink(_ schedule: Schedule, _ run: Run, statistics: inout ExplorationStatistics) -> (Schedule, Run) {
    var best = (schedule, run)
    func stillFails(_ candidate: Schedule) -> Run? {
      statistics.schedules += 1
      let (run, observer) = self.run(candidate, tracing: false)
      return !observer.infeasible && run.failed ? run : nil
    }
    var index = 0
    while index < best.0.steps.count {
      var steps = best.0.steps
      steps.remove(at: index)
      if let run = stillFails(Schedule(steps)) { best = (Schedule(steps), run) } else { index += 1 }
    }
    for index in best.0.steps.indices {
      let floor = index == 0 ? 0 : best.0.steps[index - 1].point + 1
      var point = floor
      while point < best.0.steps[index].point {
        var steps = best.0.steps
        steps[index].point = point
        if let run = stillFails(Schedule(steps)) {
          best = (Schedule(steps), run)
          break
        }
        point += 1
      }
    }
    return best
  }
}
