import Foundation

/// Runs independent pieces of work on several threads, the costliest first,
/// and hands their results back in the pieces' own order: what a run writes
/// does not depend on how many threads ran it, only how soon.
///
/// Largest-first ("longest processing time") keeps the threads busy to the
/// end: a race rule explored at bound 4 costs thousands of times a plain rule,
/// so dealing pieces out by count would leave one thread with most of the work.
struct OrderedWorkPool {
  /// Threads that run pieces; 1 runs everything on the calling thread.
  var jobs: Int

  /// Runs `work` for every index below `count` and calls `deliver` with each
  /// result in index order, on the calling thread, as soon as the results
  /// before it are in. `work` must only touch state of its own piece or state
  /// that is safe to share.
  func run<Output>(
    count: Int, cost: (Int) -> Int, work: @escaping (Int) -> Output, deliver: (Int, Output) throws -> Void
  ) rethrows {
    guard jobs > 1, count > 1 else {
      for index in 0..<count { try deliver(index, work(index)) }
      return
    }
    let costs = (0..<count).map(cost)
    // Stable: equal costs keep their order, so the schedule is the same every run.
    let order = (0..<count).sorted { costs[$0] != costs[$1] ? costs[$0] > costs[$1] : $0 < $1 }
    let state = SharedState<Output>(order: order, count: count, work: work)
    for _ in 0..<min(jobs, count) {
      let thread = Thread { state.workUntilDone() }
      // Rules are evaluated recursively and walkers may be deep: the main thread's stack size.
      thread.stackSize = 8 << 20
      thread.start()
    }
    defer { state.cancel() }
    for index in 0..<count { try deliver(index, state.take(index)) }
  }

  /// What the threads share, behind one lock: the next piece to start and the
  /// results not yet delivered.
  private final class SharedState<Output>: @unchecked Sendable {
    private let condition = NSCondition()
    private let order: [Int]
    private var next = 0
    private var cancelled = false
    private var results: [Output?]
    private let work: (Int) -> Output

    init(order: [Int], count: Int, work: @escaping (Int) -> Output) {
      self.order = order
      self.results = Array(repeating: nil, count: count)
      self.work = work
    }

    func workUntilDone() {
      while true {
        condition.lock()
        guard !cancelled, next < order.count else {
          condition.unlock()
          return
        }
        let index = order[next]
        next += 1
        condition.unlock()
        let output = work(index)
        condition.lock()
        results[index] = output
        condition.broadcast()
        condition.unlock()
      }
    }

    func take(_ index: Int) -> Output {
      condition.lock()
      defer { condition.unlock() }
      while results[index] == nil { condition.wait() }
      defer { results[index] = nil }
      return results[index]!
    }

    /// Starts no more pieces (the receiver stopped early).
    func cancel() {
      condition.lock()
      cancelled = true
      condition.unlock()
    }
  }
}
