/// The checks of `given schedule { ... }`: every point and operation is one the
/// vocabulary has (E221, E223, with a did-you-mean), every occurrence count is
/// in range (E222), levels are levels, and a rule pins one schedule (E205).
extension Checker {
  mutating func checkSchedule(_ schedule: PinnedSchedule, clause: Clause, subjects: inout [String: SourceRange]) {
    let subject = PinnedSchedule.subject
    if let first = subjects[subject] {
      report(
        .repeatedSubject(subject), clause.range,
        hints: ["write every step in one 'given schedule { ... }'"],
        notes: [.init(message: "the schedule is first given here", file: path, range: first)])
    } else {
      subjects[subject] = clause.range
    }
    if schedule.steps.isEmpty {
      report(
        .expectedToken(expected: "at least one step in the schedule", found: "'}'"), clause.range,
        hints: ["write 'given schedule { after POINT: OP LEVEL }'"])
    }
    let levels = vocabulary.names.filter { $0.value.type == .level }.map(\.key)
    for step in schedule.steps {
      if vocabulary.schedulePoints[step.point.value] == nil {
        reportUnknown(
          .unknownSchedulePoint(step.point.value), step.point,
          candidates: Array(vocabulary.schedulePoints.keys), listing: "scheduling points are",
          fullList: "see 'pfnspec list vocabulary'")
      }
      if let occurrence = step.occurrence,
        !(1...PinnedSchedule.maximumOccurrence).contains(occurrence.value)
      {
        report(
          .badOccurrence(step.point.value, occurrence.value), occurrence.range,
          hints: ["'\(step.point.value)#1' (or just '\(step.point.value)') is its first occurrence in the case"])
      }
      if vocabulary.scheduleOperations[step.operation.value] == nil {
        reportUnknown(
          .unknownScheduleOperation(step.operation.value), step.operation,
          candidates: Array(vocabulary.scheduleOperations.keys), listing: "operations are")
      }
      if let variable = variables[step.level.value], variable.type == .level || variable.type == .any {
        variables[step.level.value]!.used = true
      } else if vocabulary.names[step.level.value]?.type != .level {
        reportUnknown(
          .unknownName(step.level.value), step.level, candidates: levels, listing: "levels are")
      }
    }
  }
}
