/// A place in a spec file: `Specs/huge.pfnspec:26:10`.
public struct SourcePoint: Sendable, Hashable, Codable, CustomStringConvertible {
  public var file: String
  public var line: Int
  public var column: Int

  public init(file: String, line: Int, column: Int) {
    self.file = file
    self.line = line
    self.column = column
  }

  public var description: String { "\(file):\(line):\(column)" }
}

/// An `expect` that did not hold.
public struct FailedExpectation: Sendable, Hashable, Codable {
  /// Where the expectation is written.
  public var location: SourcePoint
  /// The expectation as written (`pfn == leaf.pfn`).
  public var text: String
  /// What each side came to (`'pfn == leaf.pfn' is false: pfn = 0x1000, leaf.pfn = 0x2000`).
  public var explanation: String

  public init(location: SourcePoint, text: String, explanation: String) {
    self.location = location
    self.text = text
    self.explanation = explanation
  }
}

/// The process a walker from outside runs in.
public enum WalkerProcess: String, Sendable, Hashable, Codable {
  /// A `pfnspec worker` running a shared object.
  case worker
  /// A program that speaks the stdio protocol (`--walker-cmd`).
  case command
}

/// Why a case did not pass, as facts. Only PfnReports turns a cause into text
/// (`VerdictText`), so no other module formats or parses a verdict's message.
public enum VerdictCause: Sendable, Hashable, Codable {
  /// The walker broke the contract: expectations that did not hold and, when
  /// the model caught the walker doing something the kernel forbids, the fault
  /// that stopped the case (`WalkerFault`'s description).
  case broken(expectations: [FailedExpectation], fault: String?)
  /// The rule does not apply to this walker or architecture.
  case notApplicable(reason: String)
  /// The rule could not be expanded into cases.
  case planning(message: String)
  /// The rule's world cannot be built.
  case worldNotBuilt(reason: String)
  /// An expression did not evaluate.
  case evaluation(message: String, location: SourcePoint?)
  /// A walker from outside failed in a way the model has no name for: its
  /// load error, a protocol violation, a return value that is not an errno.
  case walkerError(message: String)
  /// The walker's process did not finish in time and was killed.
  case timeout(seconds: Double, phase: String?, process: WalkerProcess)
  /// The worker died of a signal; `address` is the faulting address its crash reporter gave.
  case crash(signal: Int32, signalName: String, address: UInt64?)
  /// The worker process exited in the middle of a case.
  case exit(status: Int32)
  /// The worker wrote something on its channel that is not an event (at most its first kilobyte).
  case garbage(output: String)
  /// A part's worker could not run at all, so no case can be blamed.
  case workerFailed(message: String)
  /// A worker died between cases (the death is a `timeout`, `crash`, `exit` or `garbage` cause).
  indirect case workerDiedOutsideCase(VerdictCause)
  /// A replayed schedule whose steps are no longer possible.
  case infeasibleReplay(schedule: [ScheduleStepRecord])
  /// A plug-in's part stopped before its cases ran out.
  case stoppedEarly(EarlyStop)
  /// The worker's channel carried a message the supervisor refuses (no run
  /// nonce, out of sequence, a verdict for a case not in the plan, a second
  /// verdict for a case); the worker was killed.
  case refusedMessage(reason: String)
  /// A planned case for which no trustworthy verdict arrived.
  case noVerdict(reason: String)
  /// The worker went past a resource limit (`RLIMIT_AS`, `RLIMIT_CPU`, ...)
  /// during the case; `detail` says how it showed.
  case limitExceeded(limit: String, detail: String)
}

/// Why the run stopped starting a plug-in's cases (fail-fast).
public enum EarlyStop: Sendable, Hashable, Codable {
  /// The first `count` cases of the part all died the same way.
  indirect case identicalDeaths(count: Int, death: VerdictCause)
  /// The run reached `--max-errors`; `started` tells whether the part had begun.
  case errorBudget(limit: Int, started: Bool)
}

/// Errors that know their verdict cause, such as a plug-in's timeout.
public protocol VerdictCauseError: Error {
  var verdictCause: VerdictCause { get }
}

/// One step of another CPU, as a verdict records it: `zap pmd at point 3`.
public struct ScheduleStepRecord: Sendable, Hashable, Codable {
  public var point: Int
  /// The adversary operation as `pfnspec` writes it (`zap pmd`).
  public var operation: String
  /// Where a rule's `given schedule` would pin the step: `before pmd_lock#2`
  /// (`nil` when the point has no name a rule can use).
  public var at: String?

  public init(point: Int, operation: String, at: String? = nil) {
    self.point = point
    self.operation = operation
    self.at = at
  }

  /// The step as a `given schedule` writes it: `before pmd_lock#2: zap pmd`.
  public var pinnedText: String? { at.map { "\($0): \(operation)" } }
}

/// What exploring the schedules of a race case found.
public struct ExplorationStatistics: Sendable, Hashable, Codable {
  /// When the case explored one share of its schedule tree (`--shard I/N
  /// --shard-schedules`): what merging the shares needs.
  public var share: SchedulePartition.Share?
  /// Schedules whose runs started (a pruned one counts: it ran up to its last step).
  public var schedules = 0
  /// Of those, runs stopped after their last step at a state an earlier
  /// schedule had come to (their extensions were not made either).
  public var pruned = 0
  public var distinctStates = 0
  public var bound = 0
  public var random = 0
  public var seconds: Double = 0
  /// Exploration stopped at a budget (schedules or time) before it was done.
  public var truncated = false

  public init() {}
}

extension Array where Element == ScheduleStepRecord {
  /// The steps as a rule pins them, `given schedule { before read_pmd: zap pmd }`,
  /// when every step's point has a name.
  public var pinnedScheduleText: String? {
    let texts = compactMap(\.pinnedText)
    guard !texts.isEmpty, texts.count == count else { return nil }
    return "given schedule { " + texts.joined(separator: "; ") + " }"
  }
}
