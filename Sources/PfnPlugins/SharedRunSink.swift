import PfnResults
import Synchronization

/// The sinks of one run fed by several parts at once (in-process walkers,
/// worker processes): each part hands over whole suites, so the verdicts of
/// one ``SuiteKey`` still arrive together.
public final class SharedRunSink: Sendable {
  private struct State: @unchecked Sendable {
    var sink: any VerdictSink
    var tally = Tally()
    /// Suites held back until ``flushOrdered()`` (ordered sinks only).
    var held: [(key: SuiteKey, verdicts: [Verdict])] = []
  }

  private let state: Mutex<State>
  private let ordered: Bool

  /// - Parameter ordered: Hold delivered suites until ``flushOrdered()`` and
  ///   write them then in the run's order (by their ``CaseOrdinal``), so that
  ///   parts running in parallel give the same report as one part.
  public init(_ sink: any VerdictSink, ordered: Bool = false) {
    state = Mutex(State(sink: sink))
    self.ordered = ordered
  }

  /// Writes the suites held back in the run's order: a suite delivered in
  /// pieces (a worker restarted after a crash) is one suite again, its cases
  /// in their planned order.
  public func flushOrdered() {
    state.withLock { state in
      var keys: [SuiteKey] = []
      var verdicts: [SuiteKey: [(Int, Verdict)]] = [:]
      var arrival = 0
      for (key, delivered) in state.held {
        if verdicts[key] == nil { keys.append(key) }
        for verdict in delivered {
          verdicts[key, default: []].append((arrival, verdict))
          arrival += 1
        }
      }
      state.held = []
      func rank(_ entry: (Int, Verdict)) -> (CaseOrdinal, Int) {
        (entry.1.ordinal ?? CaseOrdinal(suite: .max, rule: .max, index: .max), entry.0)
      }
      let suites = keys.map { key in (key, verdicts[key]!.sorted { rank($0) < rank($1) }) }
        .sorted { rank($0.1[0]) < rank($1.1[0]) }
      for (key, entries) in suites { Self.write(key, entries.map(\.1), into: &state) }
    }
  }

  private static func write(_ key: SuiteKey, _ verdicts: [Verdict], into state: inout State) {
    state.sink.suiteStarted(key)
    for verdict in verdicts {
      state.sink.record(verdict)
      state.tally.add(verdict.outcome)
    }
    state.sink.suiteFinished(key)
  }

  /// Everything delivered so far.
  public var tally: Tally { state.withLock { $0.tally } }

  /// Sends one suite's verdicts to the sinks in one piece.
  public func deliver(_ key: SuiteKey, _ verdicts: [Verdict]) {
    guard !verdicts.isEmpty else { return }
    state.withLock { state in
      if ordered {
        state.held.append((key, verdicts))
      } else {
        Self.write(key, verdicts, into: &state)
      }
    }
  }

  /// Calls the sinks' `runStarted`.
  public func start(_ info: RunInfo) { state.withLock { $0.sink.runStarted(info) } }

  /// Calls the sinks' `runFinished` with everything delivered.
  public func finish(seconds: Double) throws -> Tally {
    flushOrdered()
    return try state.withLock { state in
      try state.sink.runFinished(state.tally, seconds: seconds)
      return state.tally
    }
  }

  /// A sink for a ``Runner`` that is one part of the run: it collects each
  /// suite and delivers it whole; the part's own start and finish are dropped.
  public func part() -> any VerdictSink { PartSink(self) }
}

/// Collects whole suites for a ``SharedRunSink``.
final class PartSink: VerdictSink {
  private let shared: SharedRunSink
  private var key: SuiteKey?
  private var verdicts: [Verdict] = []

  init(_ shared: SharedRunSink) { self.shared = shared }

  func runStarted(_ info: RunInfo) {}
  func suiteStarted(_ key: SuiteKey) { self.key = key }
  func record(_ verdict: Verdict) { verdicts.append(verdict) }
  func suiteFinished(_ key: SuiteKey) {
    shared.deliver(key, verdicts)
    self.key = nil
    verdicts = []
  }
  func runFinished(_ tally: Tally, seconds: Double) throws {}
}

/// Groups a stream of verdicts into suites: a new key closes the previous one.
final class SuiteGrouper {
  private let shared: SharedRunSink
  private var key: SuiteKey?
  private var verdicts: [Verdict] = []

  init(_ shared: SharedRunSink) { self.shared = shared }

  func record(_ verdict: Verdict) {
    if key != verdict.identity.key { flush() }
    key = verdict.identity.key
    verdicts.append(verdict)
  }

  func flush() {
    if let key { shared.deliver(key, verdicts) }
    key = nil
    verdicts = []
  }
}
