import Foundation
import PfnModel
import PfnResults

/// How a run explores its large race cases on several threads at once.
struct ScheduleSplitting {
  /// The run's pool, to hand the shares to.
  var sharing: any PartSharing
  /// The pool's threads.
  var jobs: Int
  /// The estimated cost of the piece the case belongs to (as the pool was given it).
  var pieceCost: Int = 0

  /// How many shares a case's tree at `bound` is explored as; `nil` keeps it
  /// on one thread. Each share also runs the schedules above the split (about
  /// 5% more CPU with a share per thread at bound 3, 11% with two), so a tree
  /// is split only where that buys time. Trees grow about eightfold per step:
  /// at bound 2 the run's many cases keep the threads busy on their own; at
  /// bound 3 a share per thread, and only once the pieces nobody has started
  /// cost less than this one (before that the other threads have work of
  /// their own, and the extra CPU would only slow the run); at bound 4 and
  /// above a few cases dominate the run, and more shares than threads even
  /// out the shares' unequal costs at its end.
  func shares(bound: Int) -> Int? {
    guard jobs > 1, bound >= 3 else { return nil }
    if bound == 3 {
      return sharing.unstartedCost < pieceCost ? jobs : nil
    }
    return 4 * jobs
  }
}

/// One race case's schedule tree explored as several shares at once on the
/// run's threads, and joined into exactly what exploring it whole on one
/// thread reports: the same verdict, counterexample, distinct end states and
/// schedule count, so a run's output does not depend on `--jobs`.
///
/// The shares are those of `--shard-schedules` (`SchedulePartition` (PfnResults)):
/// share I of N takes every N-th subtree under the two-step prefixes, dealt in
/// exploration order, so each share holds early and late subtrees alike and
/// the shares cost about the same. Each share logs the schedules it counts, in
/// exploration order, with what they came to; the first failure any share
/// finds is a bound past which the others stop. The whole tree's
/// counterexample is the failure with the smallest key (exploration order);
/// its schedule count is the number of logged schedules up to that key; its
/// distinct end states are those some share first saw no later.
enum SplitExploration {
  /// Explores `shares` shares of one case's tree on `sharing`'s threads.
  /// `explorer(i)` is an explorer of the whole case with a body of its own
  /// (share `i` runs on its own thread, so it must not share a world with another).
  static func explore<Run: ExplorableRun>(
    shares count: Int, on sharing: any PartSharing, explorer: (Int) -> ScheduleExplorer<Run>
  ) -> ScheduleExplorer<Run>.Result {
    let clock = ContinuousClock()
    let began = clock.now
    let bound = FailureBound()
    var explorers: [ScheduleExplorer<Run>] = []
    var logs: [ShareLog] = []
    for index in 0..<count {
      var share = explorer(index)
      share.policy.partition = Shard(index: index, count: count)
      let log = ShareLog(kinds: share.kinds, bound: share.policy.bound, failures: bound)
      share.watch = log
      explorers.append(share)
      logs.append(log)
    }
    let slots = (0..<count).map { _ in Slot<ScheduleExplorer<Run>.Result>() }
    sharing.runAll(
      (0..<count).map { index in
        { [explorers] in slots[index].value = explorers[index].explore() }
      })
    let results = slots.map { $0.value! }
    var joined = join(results, logs, budget: explorers[0].budget.schedules, kinds: explorers[0].kinds) {
      explorers[0].run($0, tracing: false).0
    }
    joined.statistics.seconds = (clock.now - began).seconds
    return joined
  }

  /// The whole tree's result from its shares' results and logs.
  static func join<Run: ExplorableRun>(
    _ results: [ScheduleExplorer<Run>.Result], _ logs: [ShareLog], budget: Int, kinds: [AdversaryKind],
    rerun: (Schedule) -> Run
  ) -> ScheduleExplorer<Run>.Result {
    let shares = results.map { $0.statistics.share! }
    var statistics = ExplorationStatistics()
    statistics.bound = results[0].statistics.bound

    // The first failure of the bounded search, in exploration order.
    var failure: (share: Int, key: ArraySlice<UInt64>)?
    for (index, log) in logs.enumerated() {
      guard let entry = log.firstFailure else { continue }
      let key = log.key(entry)
      if failure.map({ ShareLog.less(key, $0.key) }) ?? true { failure = (index, key) }
    }
    // Where the one-thread search stops at its schedule budget, if before that failure:
    // after the budget-th schedule that ran, had steps and did not fail.
    let upToFailure = logs.reduce(0) { $0 + $1.count(upTo: failure?.key) }
    if upToFailure >= budget {
      var entries: [(log: ShareLog, entry: Int)] = []
      for log in logs {
        for entry in 0..<log.count(upTo: failure?.key) { entries.append((log, entry)) }
      }
      entries.sort { ShareLog.less($0.log.key($0.entry), $1.log.key($1.entry)) }
      for (position, (log, entry)) in entries.enumerated() where position + 1 >= budget {
        guard log.feasible(entry), !log.failed(entry), log.key(entry).first != 0 else { continue }
        let schedule = log.schedule(entry, kinds: kinds)
        statistics.schedules = position + 1
        statistics.truncated = true
        statistics.distinctStates = SchedulePartition.distinctStates(
          shares, upTo: SchedulePartition.key(schedule, kinds: kinds))
        return .init(run: rerun(schedule), schedule: Schedule(), statistics: statistics)
      }
    }
    if let failure {
      var result = results[failure.share]
      statistics.schedules = upToFailure
      statistics.distinctStates = SchedulePartition.distinctStates(shares, upTo: shares[failure.share].failure)
      result.statistics = statistics
      return result
    }

    // Nothing failed within the bound: the random schedules, which the shares took turns at.
    let bounded = logs.reduce(0) { $0 + $1.count(upTo: nil) }
    let randomFailure = shares.indices.filter { shares[$0].failure != nil }.min { shares[$0].failure! < shares[$1].failure! }
    guard let failing = randomFailure, let key = shares[failing].failure,
      key.hasPrefix("r"), let number = Int(key.dropFirst())
    else {
      statistics.random = results.reduce(0) { $0 + $1.statistics.random }
      statistics.schedules = bounded + statistics.random
      statistics.distinctStates = SchedulePartition.distinctStates(shares, upTo: nil)
      return .init(run: results[0].run, schedule: results[0].schedule, statistics: statistics)
    }
    // Every random schedule before the failing one ran; then the failing share shrank it.
    let own = results[failing].statistics
    let shrinking = own.schedules - logs[failing].count(upTo: nil) - own.random
    statistics.random = number + 1
    statistics.schedules = bounded + statistics.random + shrinking
    statistics.distinctStates = SchedulePartition.distinctStates(shares, upTo: key)
    var result = results[failing]
    result.statistics = statistics
    return result
  }

  /// A result written by one thread and read by another after the pool's hand-over.
  final class Slot<Value>: @unchecked Sendable {
    var value: Value?
  }

  /// The smallest failing key any share has found so far, shared by the
  /// shares of one case: a share past it has nothing more to contribute.
  final class FailureBound: @unchecked Sendable {
    private let lock = NSLock()
    private var best: [UInt64]?

    /// Whether `key` comes no later than every failure found so far.
    func admits(_ key: ArraySlice<UInt64>) -> Bool {
      lock.lock()
      defer { lock.unlock() }
      return best.map { !ShareLog.less($0[...], key) } ?? true
    }

    func offer(_ key: ArraySlice<UInt64>) {
      lock.lock()
      defer { lock.unlock() }
      if best.map({ ShareLog.less(key, $0[...]) }) ?? true { best = Array(key) }
    }
  }

  /// The schedules one share counts, in exploration order, each as a key of
  /// fixed width that sorts in that order (as `SchedulePartition.key` does):
  /// the step count, then per step the point, the level and the operation's
  /// place among the rule's operations.
  final class ShareLog: BoundedSearchWatch, @unchecked Sendable {
    private let kinds: [AdversaryKind]
    private let width: Int
    private let failures: FailureBound
    private var keys: [UInt64] = []
    /// Per schedule: 1 when it was feasible, 2 when it failed.
    private var outcomes: [UInt8] = []
    /// The key of the schedule ``proceed(_:)`` was last asked about (the one that runs next).
    private var current: [UInt64]
    private(set) var firstFailure: Int?

    init(kinds: [AdversaryKind], bound: Int, failures: FailureBound) {
      self.kinds = kinds
      self.width = max(bound, 0) + 1
      self.failures = failures
      self.current = Array(repeating: 0, count: width)
    }

    var count: Int { outcomes.count }
    func key(_ entry: Int) -> ArraySlice<UInt64> { keys[(entry * width)..<((entry + 1) * width)] }
    func feasible(_ entry: Int) -> Bool { outcomes[entry] & 1 != 0 }
    func failed(_ entry: Int) -> Bool { outcomes[entry] & 2 != 0 }

    /// Schedules logged with a key no later than `key` (all of them for `nil`); the log is in key order.
    func count(upTo key: ArraySlice<UInt64>?) -> Int {
      guard let key else { return count }
      var low = 0
      var high = count
      while low < high {
        let middle = (low + high) / 2
        if Self.less(key, self.key(middle)) { high = middle } else { low = middle + 1 }
      }
      return low
    }

    /// The schedule a key stands for.
    func schedule(_ entry: Int, kinds: [AdversaryKind]) -> Schedule {
      let key = self.key(entry)
      return Schedule(
        key.dropFirst().prefix(Int(key.first!)).map { packed in
          Schedule.Step(
            point: Int(packed >> 16),
            op: AdversaryOp(kinds[Int(packed & 0xff)], PageLevel(rawValue: Int((packed >> 8) & 0xff))!))
        })
    }

    static func less(_ a: ArraySlice<UInt64>, _ b: ArraySlice<UInt64>) -> Bool {
      a.lexicographicallyPrecedes(b)
    }

    func proceed(_ schedule: Schedule) -> Bool {
      current[0] = UInt64(schedule.steps.count)
      for index in 1..<width {
        guard index <= schedule.steps.count else {
          current[index] = 0
          continue
        }
        let step = schedule.steps[index - 1]
        let kind = UInt64(kinds.firstIndex(of: step.op.kind) ?? 0xff)
        current[index] = UInt64(step.point) << 16 | UInt64(step.op.level.rawValue) << 8 | kind
      }
      return failures.admits(current[...])
    }

    func ran(_ schedule: Schedule, counted: Bool, infeasible: Bool, failed: Bool) {
      let failure = failed && !infeasible
      if counted {
        if failure && firstFailure == nil { firstFailure = count }
        keys += current
        outcomes.append((infeasible ? 0 : 1) | (failure ? 2 : 0))
      }
      if failure { failures.offer(current[...]) }
    }
  }
}
