import PfnResults

/// One case of a run, by suite key and case name: what a worker names when it
/// reports the case in flight.
public struct CaseReference: Sendable, Hashable, Codable, CustomStringConvertible {
  public var key: SuiteKey
  public var caseName: String

  public init(key: SuiteKey, caseName: String) {
    self.key = key
    self.caseName = caseName
  }

  public init(_ identity: CaseIdentity) {
    self.init(key: identity.key, caseName: identity.caseName)
  }

  public var description: String { "\(key) \(caseName)" }
}

/// Where a restarted worker picks a run up again after the case it was
/// running killed it.
///
/// The case order is deterministic, so the new worker leaves out every case
/// up to and including `after`, except those in `rerun`: cases that finished
/// before the crash but whose verdicts had not reached the parent yet.
public struct ResumePoint: Sendable, Hashable, Codable {
  public var after: CaseReference
  public var rerun: Set<CaseReference>

  public init(after: CaseReference, rerun: Set<CaseReference> = []) {
    self.after = after
    self.rerun = rerun
  }
}

/// Decides which cases a resumed run still runs; stateful, one per run.
final class ResumeGate {
  private let point: ResumePoint?
  private var passed: Bool

  init(_ point: ResumePoint?) {
    self.point = point
    self.passed = point == nil
  }

  /// Whether a verdict that runs no walker code (a skipped rule, an error in
  /// planning) is still to come.
  var admitsUnexecutedVerdict: Bool { passed }

  /// Whether to run a case; passing the resume point opens the gate.
  func admits(_ identity: CaseIdentity) -> Bool {
    guard !passed, let point else { return true }
    let reference = CaseReference(identity)
    if reference == point.after {
      passed = true
      return false
    }
    return point.rerun.contains(reference)
  }
}
