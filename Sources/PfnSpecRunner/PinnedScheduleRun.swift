import PfnModel
import PfnResults
import PfnSpecLanguage

/// A `given schedule` ready to run: the other CPU's steps in order, each at a
/// named point. A step runs at the first scheduling point at or after its
/// anchor (`before X`: the point of X itself; `after X`: the point after it)
/// where its operation is possible: an operation that needs a lock the walker
/// holds waits, as a CPU spinning on that lock would, and the steps after it
/// wait behind it. A step that never gets to run is named in the trace.
public struct PinnedProgram: Sendable, Hashable {
  public struct Step: Sendable, Hashable {
    public var placement: PinnedSchedule.Placement
    public var point: String
    public var occurrence: Int
    public var op: AdversaryOp

    /// `after pmd_lock#2: zap pmd`.
    public var text: String {
      "\(placement.rawValue) \(point)\(occurrence == 1 ? "" : "#\(occurrence)"): \(op)"
    }
  }

  public var steps: [Step]
  /// The first step not yet performed.
  public private(set) var next = 0
  /// Occurrences of each point so far, counting the current one...
  private var reached: [String: Int] = [:]
  /// ... and not counting it.
  private var passed: [String: Int] = [:]

  public init(steps: [Step]) { self.steps = steps }

  /// The case arrives at a scheduling point (`nil`: one without a name).
  mutating func arrive(at name: String?) {
    passed = reached
    if let name { reached[name, default: 0] += 1 }
  }

  /// The operation of the next step, when its anchor has come.
  var due: AdversaryOp? {
    guard next < steps.count else { return nil }
    let step = steps[next]
    let seen = (step.placement == .before ? reached[step.point] : passed[step.point]) ?? 0
    return seen >= step.occurrence ? step.op : nil
  }

  mutating func advance() { next += 1 }

  /// The steps that never ran.
  public var pending: ArraySlice<Step> { steps[next...] }
}

extension PinnedProgram {
  /// Resolves a checked `given schedule` for one case: levels may be `for`
  /// variables; a point or an operation the architecture cannot have (its
  /// level is folded) makes the case not applicable, with the reason.
  init(_ schedule: PinnedSchedule, evaluator: Evaluator) throws {
    let arch = evaluator.target.arch
    var steps: [Step] = []
    for step in schedule.steps {
      let level: PageLevel
      if case .level(let bound)? = evaluator.bindings[step.level.value] {
        level = bound
      } else if let named = PageLevel(name: step.level.value) {
        level = named
      } else {
        throw EvaluationError(message: "'\(step.level.value)' is not a level", range: step.level.range)
      }
      guard let kind = AdversaryKind(rawValue: step.operation.value) else {
        throw EvaluationError(
          message: "unknown adversary operation '\(step.operation.value)'", range: step.operation.range)
      }
      guard SchedulePoints.all[step.point.value] != nil else {
        throw EvaluationError(message: "unknown scheduling point '\(step.point.value)'", range: step.point.range)
      }
      if let reason = SchedulePoints.missing(step.point.value, on: arch) { throw NotApplicable(reason: reason) }
      if arch.isFolded(level) {
        throw NotApplicable(reason: "\(arch.name) folds the \(level) level, so '\(kind.rawValue) \(level)' cannot run")
      }
      steps.append(
        Step(
          placement: step.placement.value, point: step.point.value, occurrence: step.occurrence?.value ?? 1,
          op: AdversaryOp(kind, level)))
    }
    self.init(steps: steps)
  }
}

extension CaseExecutor {
  /// Runs the case under its pinned schedule, once: no search, no random schedules.
  func executePinned(_ program: PinnedProgram) -> Judgement {
    let observer = RaceObserver(kinds: AdversaryKind.allCases, mode: .pinned(program))
    let run = runOnce(observer)
    if case .pinned(let final) = observer.mode, let host = run.host {
      for step in final.pending {
        host.log("CPU1 \(step.op) (\(step.text)) never ran: its point did not come, or the entry never had the shape or the locks were never free")
      }
    }
    return judgement(run, schedule: Schedule(observer.performed), statistics: nil)
  }
}

extension RaceObserver {
  /// The point's name with its occurrence so far (`pmd_lock#2`, `#1` left
  /// out), or `nil` for a point rules cannot name.
  public func label(ofPoint index: Int) -> String? {
    guard index < points.count, let name = SchedulePoints.name(of: points[index].call) else { return nil }
    let occurrence = points[...index].filter { SchedulePoints.name(of: $0.call) == name }.count
    return occurrence == 1 ? name : "\(name)#\(occurrence)"
  }
}

extension Schedule {
  /// The steps as a verdict records them, each with where a `given schedule`
  /// pins it (`before pmd_lock#2`) when the run's observer saw its point.
  func records(labelledBy observer: RaceObserver?) -> [ScheduleStepRecord] {
    steps.map { step in
      ScheduleStepRecord(
        point: step.point, operation: "\(step.op)",
        at: observer?.label(ofPoint: step.point).map { "before \($0)" })
    }
  }

}
