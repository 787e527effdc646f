import PfnModel
import PfnResults

extension SchedulePartition {
  /// A bounded schedule's place in exploration order, as text that sorts in
  /// that order: the step count, then per step the point and the operation's
  /// place among those the explorer offers (level, then the rule's `ops` order).
  static func key(_ schedule: Schedule, kinds: [AdversaryKind]) -> String {
    func padded(_ value: Int, _ width: Int) -> String {
      let digits = String(value)
      return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
    return padded(schedule.steps.count, 2)
      + schedule.steps.map { step in
        "|" + padded(step.point, 6) + "." + String(step.op.level.rawValue) + "."
          + padded(kinds.firstIndex(of: step.op.kind) ?? 99, 2)
      }.joined()
  }
}
