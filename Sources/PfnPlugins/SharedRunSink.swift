import PfnResults
import Synchronization

/// The sinks of one run fed by several parts at once (in-process walkers,
/// worker processes): each part hands over whole suites, so the verdicts of
/// one ``SuiteKey`` still arrive together.
public final class SharedRunSink: Sendable {
  private struct State: @unchecked Sendable {
    var sink: any VerdictSink
    var tally = Tally()
  }

  private let state: Mutex<State>

  public init(_ sink: any VerdictSink) { state = Mutex(State(sink: sink)) }

  /// Everything delivered so far.
  public var tally: Tally { state.withLock { $0.tally } }

  /// Sends one suite's verdicts to the sinks in one piece.
  public func deliver(_ key: SuiteKey, _ verdicts: [Verdict]) {
    guard !verdicts.isEmpty else { return }
    state.withLock { state in
      state.sink.suiteStarted(key)
      for verdict in verdicts {
        state.sink.record(verdict)
        state.tally.add(verdict.outcome)
      }
      state.sink.suiteFinished(key)
    }
  }

  /// Calls the sinks' `runStarted`.
  public func start(_ info: RunInfo) { state.withLock { $0.sink.runStarted(info) } }

  /// Calls the sinks' `runFinished` with everything delivered.
  public func finish(seconds: Double) throws -> Tally {
    try state.withLock { state in
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
