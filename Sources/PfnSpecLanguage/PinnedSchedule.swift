/// `given schedule { before|after POINT[#N]: OP LEVEL; ... }`: the other CPU's
/// steps pinned to named scheduling points, in order.
///
/// The language knows no point or operation names: the vocabulary says which
/// exist (``Vocabulary/schedulePoints``, ``Vocabulary/scheduleOperations``), so
/// the checker can say "did you mean" and the engine decides what each means.
public struct PinnedSchedule: Sendable {
  public var steps: [Step]

  public init(steps: [Step]) { self.steps = steps }

  /// Whether a step runs just before its point's call, or once that call is done.
  public enum Placement: String, Sendable, CaseIterable {
    case before, after
  }

  /// `after pmd_lock#2: zap pmd`
  public struct Step: Sendable {
    public var placement: Located<Placement>
    /// A scheduling point's name: `pmd_lock`, `read_pmd`, `end`.
    public var point: Located<String>
    /// Which occurrence of the point, counted from 1 (`#2`); `nil` is the first.
    public var occurrence: Located<Int>?
    /// The adversary operation: `zap`, `remap`, ...
    public var operation: Located<String>
    /// The level it acts on: `pmd`.
    public var level: Located<String>

    public init(
      placement: Located<Placement>, point: Located<String>, occurrence: Located<Int>?,
      operation: Located<String>, level: Located<String>
    ) {
      self.placement = placement
      self.point = point
      self.occurrence = occurrence
      self.operation = operation
      self.level = level
    }

    /// `after pmd_lock#2: zap pmd`, with `#1` left out.
    public var text: String {
      let count = occurrence.map { $0.value == 1 ? "" : "#\($0.value)" } ?? ""
      return "\(placement.value.rawValue) \(point.value)\(count): \(operation.value) \(level.value)"
    }
  }

  /// The clause as one line: `given schedule { after pmd_lock: zap pmd; before end: remap pte }`.
  public var text: String {
    "\(ClauseKeyword.given.rawValue) \(Self.subject) { " + steps.map(\.text).joined(separator: "; ") + " }"
  }

  /// The word after `given` that starts a pinned schedule.
  public static let subject = "schedule"
}

extension PinnedSchedule {
  /// The highest occurrence a step may count: a walk makes at most this many host calls.
  public static let maximumOccurrence = 10_000
}
