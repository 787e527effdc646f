import Synchronization

/// How many error verdicts of plug-ins a run accepts before it stops starting
/// cases (`--max-errors N`); shared by every worker supervisor of the run.
public final class ErrorBudget: Sendable {
  public let limit: Int
  private let spent = Mutex(0)

  public init(limit: Int) { self.limit = limit }

  /// Counts one error; whether the budget is now spent.
  public func spend() -> Bool {
    spent.withLock { count in
      count += 1
      return count >= limit
    }
  }

  public var isSpent: Bool { spent.withLock { $0 >= limit } }
}
