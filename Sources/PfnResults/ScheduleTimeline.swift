/// The scheduling points of a race case's reported run, as facts a picture of
/// the schedule is drawn from: at each point, the call the walker (or caller)
/// was about to make, the locks it held, what the other CPU did there, and the
/// entries involved before and after.
public struct ScheduleTimeline: Sendable, Hashable, Codable {
  /// One scheduling point.
  public struct Point: Sendable, Hashable, Codable {
    /// The point's number, as schedules and replay tokens count them.
    public var point: Int
    /// The host call about to happen (`read pmd`, `pmd_lock`, `caller uses the outputs`).
    public var call: String
    /// The locks the walker held at this point, before the call.
    public var locksHeld: [String]
    /// The other CPU's steps at this point, in order.
    public var steps: [Step]
    /// The entries the call reads, and those the steps changed: their values
    /// before this point's steps and after them (what the call then sees).
    public var entries: [EntryValue]

    public init(point: Int, call: String, locksHeld: [String], steps: [Step] = [], entries: [EntryValue] = []) {
      self.point = point
      self.call = call
      self.locksHeld = locksHeld
      self.steps = steps
      self.entries = entries
    }
  }

  /// One step of the other CPU: `zap pmd` on `pmd@0x…`, with the entry before and after.
  public struct Step: Sendable, Hashable, Codable {
    public var operation: String
    public var entry: EntryValue

    public init(operation: String, entry: EntryValue) {
      self.operation = operation
      self.entry = entry
    }
  }

  /// An entry (`pmd@0x5008`) and its raw value before and after.
  public struct EntryValue: Sendable, Hashable, Codable {
    public var entry: String
    public var before: UInt64
    public var after: UInt64

    public init(entry: String, before: UInt64, after: UInt64) {
      self.entry = entry
      self.before = before
      self.after = after
    }
  }

  /// At most this many points are kept; a walk that makes more calls keeps its first ones.
  public static let pointLimit = 256

  public var points: [Point]
  /// Points past ``pointLimit`` that were not kept.
  public var omittedPoints: Int

  public init(points: [Point] = [], omittedPoints: Int = 0) {
    self.points = points
    self.omittedPoints = omittedPoints
  }

  /// Adds a point, or counts it when the timeline is full.
  public mutating func append(_ point: Point) {
    if points.count < Self.pointLimit { points.append(point) } else { omittedPoints += 1 }
  }
}
