import PfnResults

/// The exploration of every race case of a run, summed for the summary: a
/// nightly run at a high bound shows how much its passes rest on, and how
/// that grows from one night to the next.
struct RaceTotals {
  private(set) var cases = 0
  private(set) var schedules = 0
  private(set) var pruned = 0
  private(set) var distinctStates = 0
  private(set) var random = 0
  private(set) var bounds: ClosedRange<Int>?

  mutating func add(_ statistics: ExplorationStatistics) {
    cases += 1
    schedules += statistics.schedules
    pruned += statistics.pruned
    distinctStates += statistics.distinctStates
    random += statistics.random
    bounds = bounds.map { min($0.lowerBound, statistics.bound)...max($0.upperBound, statistics.bound) }
      ?? statistics.bound...statistics.bound
  }

  /// `races: 196 cases, 8547 schedules run (bound 2, 3136 of them random beyond
  /// it), 1732 distinct end states, 1204 runs stopped at a state explored
  /// before`; `nil` without race cases.
  var summary: String? { detail.map { "races: " + $0 } }

  /// ``summary`` without its `races: `.
  var detail: String? {
    guard cases > 0, let bounds else { return nil }
    func count(_ number: Int, _ noun: String) -> String { "\(number) \(noun)\(number == 1 ? "" : "s")" }
    let bound = bounds.count == 1 ? "bound \(bounds.lowerBound)" : "bounds \(bounds.lowerBound) to \(bounds.upperBound)"
    var line = "\(count(cases, "case")), \(count(schedules, "schedule")) run (\(bound)"
    if random > 0 { line += ", \(random) of them random beyond it" }
    line += "), \(count(distinctStates, "distinct end state"))"
    if pruned > 0 { line += ", \(count(pruned, "run")) stopped at a state explored before" }
    return line
  }
}
