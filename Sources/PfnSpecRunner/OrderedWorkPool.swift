import Foundation

/// Runs independent pieces of work on several threads, the costliest first,
/// and hands their results back in the pieces' own order: what a run writes
/// does not depend on how many threads ran it, only how soon.
///
/// Largest-first ("longest processing time") keeps the threads busy to the
/// end: a race rule explored at bound 4 costs thousands of times a plain rule,
/// so dealing pieces out by count would leave one thread with most of the work.
/// A piece too large for one thread hands parts of itself back to the pool
/// (``PartSharing``): idle threads take those parts before any new piece, and
/// the piece's own thread runs them too while it waits for the rest.
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
    try run(count: count, cost: cost, work: { index, _ in work(index) }, deliver: deliver)
  }

  /// Like ``run(count:cost:work:deliver:)``; `work` also gets the pool's
  /// ``PartSharing`` to split its piece with (`nil` with one job: nobody to share with).
  func run<Output>(
    count: Int, cost: (Int) -> Int, work: @escaping (Int, PartSharing?) -> Output,
    deliver: (Int, Output) throws -> Void
  ) rethrows {
    guard jobs > 1, count > 0 else {
      for index in 0..<count { try deliver(index, work(index, nil)) }
      return
    }
    let costs = (0..<count).map(cost)
    // Stable: equal costs keep their order, so the schedule is the same every run.
    let order = (0..<count).sorted { costs[$0] != costs[$1] ? costs[$0] > costs[$1] : $0 < $1 }
    let state = SharedState<Output>(order: order, costs: costs, work: work)
    for _ in 0..<jobs {
      let thread = Thread { state.workUntilDone() }
      // Rules are evaluated recursively and walkers may be deep: the main thread's stack size.
      thread.stackSize = 8 << 20
      thread.start()
    }
    defer { state.cancel() }
    var index = 0
    while index < count {
      // Every result already in, from the one awaited on: one lock for the lot.
      for output in state.take(from: index) {
        try deliver(index, output)
        index += 1
      }
    }
  }

  /// What the threads share, behind one lock: the next piece to start, the
  /// parts pieces handed back, and the results not yet delivered.
  ///
  /// Nobody is woken for nothing: a finished piece wakes the deliverer only
  /// when it is the result the deliverer waits for, and idle threads only when
  /// the last piece ends; parts wake the threads that could run them. With
  /// short pieces, waking every waiter at every finish cost the run more in
  /// context switches than the second thread saved.
  private final class SharedState<Output>: PartSharing, @unchecked Sendable {
    private let condition = NSCondition()
    /// The deliverer sleeps here, outside the lock, for the result ``awaited`` names.
    private let delivered = DispatchSemaphore(value: 0)
    private var awaited: Int?
    private let order: [Int]
    private let costs: [Int]
    private var next = 0
    /// The estimated cost of the pieces no thread has started.
    private var unstarted: Int
    private var cancelled = false
    private var results: [Output?]
    private let work: (Int, PartSharing?) -> Output
    /// Pieces started and not finished: while any runs, it may still hand parts back.
    private var runningPieces = 0
    /// Parts waiting for a thread, in the order they were handed in.
    private var parts: [Part] = []

    private final class Group {
      var unfinished: Int
      init(_ count: Int) { unfinished = count }
    }

    private struct Part {
      var group: Group
      var body: () -> Void
    }

    init(order: [Int], costs: [Int], work: @escaping (Int, PartSharing?) -> Output) {
      self.order = order
      self.costs = costs
      self.unstarted = costs.reduce(0, &+)
      self.results = Array(repeating: nil, count: costs.count)
      self.work = work
    }

    func workUntilDone() {
      condition.lock()
      while true {
        // Parts first: they finish a piece already started, whose verdicts someone waits for.
        if !parts.isEmpty {
          runPart(parts.removeFirst())
          continue
        }
        if !cancelled, next < order.count {
          let index = order[next]
          next += 1
          unstarted -= costs[index]
          runningPieces += 1
          condition.unlock()
          let output = work(index, self)
          condition.lock()
          results[index] = output
          runningPieces -= 1
          if awaited == index {
            awaited = nil
            delivered.signal()
          }
          // Threads idle for want of parts leave once no piece can hand any back.
          if runningPieces == 0 && (next >= order.count || cancelled) { condition.broadcast() }
          continue
        }
        if runningPieces == 0 { break }
        condition.wait()
      }
      condition.unlock()
    }

    /// Runs one part outside the lock (which is held on entry and on return).
    private func runPart(_ part: Part) {
      condition.unlock()
      part.body()
      condition.lock()
      part.group.unfinished -= 1
      // The piece that handed the group in waits for its last part.
      if part.group.unfinished == 0 { condition.broadcast() }
    }

    var unstartedCost: Int {
      condition.lock()
      defer { condition.unlock() }
      return unstarted
    }

    func runAll(_ bodies: [() -> Void]) {
      guard bodies.count > 1 else {
        bodies.first?()
        return
      }
      let group = Group(bodies.count)
      condition.lock()
      parts += bodies.map { Part(group: group, body: $0) }
      condition.broadcast()
      while group.unfinished > 0 {
        // Help: this group's own parts first, then any other piece's.
        if let own = parts.firstIndex(where: { $0.group === group }) ?? (parts.isEmpty ? nil : 0) {
          runPart(parts.remove(at: own))
        } else {
          condition.wait()
        }
      }
      condition.unlock()
    }

    /// The result of piece `index` and of every piece after it whose result
    /// is in, in order; waits for the first.
    func take(from index: Int) -> [Output] {
      condition.lock()
      if results[index] == nil {
        awaited = index
        condition.unlock()
        delivered.wait()
        condition.lock()
      }
      var taken: [Output] = []
      var position = index
      while position < results.count, let output = results[position] {
        taken.append(output)
        results[position] = nil
        position += 1
      }
      condition.unlock()
      return taken
    }

    /// Starts no more pieces (the receiver stopped early); parts of pieces
    /// already running still run, so that those pieces end.
    func cancel() {
      condition.lock()
      cancelled = true
      condition.broadcast()
      condition.unlock()
    }
  }
}

/// Lets a piece of an ``OrderedWorkPool`` run parts of itself on the pool's threads.
protocol PartSharing: AnyObject, Sendable {
  /// Runs every body, on whichever of the pool's threads is free (this one
  /// included), and returns when all have run. Bodies must only touch state
  /// of their own or state that is safe to share.
  func runAll(_ bodies: [() -> Void])

  /// The estimated cost (as the pool was given it) of the pieces no thread
  /// has started yet: the work the other threads still have to take.
  var unstartedCost: Int { get }
}
