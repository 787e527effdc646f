import PfnResults
import Synchronization

/// Totals over a run, for `pfnspec bench explore`; safe to add to from several threads.
public final class ExplorationTotals: Sendable {
  private struct Figures {
    var cases = 0
    var schedules = 0
    var pruned = 0
    var distinctStates = 0
    var seconds: Double = 0
  }

  private let figures = Mutex(Figures())

  public init() {}

  public var cases: Int { figures.withLock { $0.cases } }
  /// Schedules whose runs started, pruned ones included.
  public var schedules: Int { figures.withLock { $0.schedules } }
  /// Runs stopped early at a state an earlier schedule had explored.
  public var pruned: Int { figures.withLock { $0.pruned } }
  public var distinctStates: Int { figures.withLock { $0.distinctStates } }
  public var seconds: Double { figures.withLock { $0.seconds } }

  /// Adds one explored case.
  public func add(_ statistics: ExplorationStatistics) {
    figures.withLock {
      $0.cases += 1
      $0.schedules += statistics.schedules
      $0.pruned += statistics.pruned
      $0.distinctStates += statistics.distinctStates
      $0.seconds += statistics.seconds
    }
  }
}
