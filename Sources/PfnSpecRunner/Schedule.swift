import PfnModel
import PfnResults

/// Where another CPU acts during a case: at which scheduling points, doing what.
///
/// Points count every host call that touches shared state, plus the moment the
/// caller uses the outputs between start() and end(), from the first call of
/// the case on.
public struct Schedule: Sendable, Hashable, Codable, CustomStringConvertible {
  public struct Step: Sendable, Hashable, Codable {
    public var point: Int
    public var op: AdversaryOp

    public init(point: Int, op: AdversaryOp) {
      self.point = point
      self.op = op
    }
  }

  public var steps: [Step]

  public init(_ steps: [Step] = []) { self.steps = steps }

  public var description: String {
    steps.isEmpty ? "no adversary step" : steps.map { "\($0.op) at point \($0.point)" }.joined(separator: ", ")
  }

  func appending(_ step: Step) -> Schedule { Schedule(steps + [step]) }

  /// The steps as a verdict records them.
  public var records: [ScheduleStepRecord] {
    steps.map { ScheduleStepRecord(point: $0.point, operation: "\($0.op)") }
  }
}
