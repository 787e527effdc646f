/// What a report shows about a case beyond its cause: the rule, the target,
/// the world, the schedule and the host calls, as the engine recorded them.
/// Everything is optional; PfnReports prints what is there.
public struct CaseStory: Sendable, Hashable, Codable {
  /// The rule as the details name it.
  public struct RuleLine: Sendable, Hashable, Codable {
    public var id: String
    /// `nil` for a rule that could not be planned (the details then give no title).
    public var title: String?
    public var file: String
    public var line: Int
    /// The text of each `why` clause.
    public var why: [String]

    public init(id: String, title: String?, file: String, line: Int, why: [String] = []) {
      self.id = id
      self.title = title
      self.file = file
      self.line = line
      self.why = why
    }
  }

  /// What the case ran against.
  public enum TargetLine: Sendable, Hashable, Codable {
    /// A walker the engine ran: its API level and profile, the architecture and kernel.
    case engine(walker: String, apiLevel: String, profile: String, arch: String, kernel: String)
    /// A shared object in a worker that died.
    case worker(walker: String, plugin: String, arch: String)
    /// A worker part that could not run: the shared object and its suites (empty: all).
    case part(plugin: String, suites: [String])
  }

  /// The caller under test in a caller rule.
  public struct CallerLine: Sendable, Hashable, Codable {
    public var name: String
    public var profile: String
    public var summary: String

    public init(name: String, profile: String, summary: String) {
      self.name = name
      self.profile = profile
      self.summary = summary
    }
  }

  public var rule: RuleLine?
  /// The caller of a caller rule's case; its lookups went to the walker of `target`.
  public var caller: CallerLine?
  public var target: TargetLine?
  /// The world the rule built, one line per entry or VMA.
  public var world: [String]?
  /// The schedule of another CPU that the verdict is about (race cases and replays).
  public var schedule: [ScheduleStepRecord]?
  /// What exploring the race case found.
  public var exploration: ExplorationStatistics?
  /// The scheduling points of the reported run, for pictures of the schedule.
  public var timeline: ScheduleTimeline?
  /// The host calls and the other CPU's steps, in order.
  public var trace: [String]
  public var lockdepWarnings: [String]
  /// The locks the walker still held when the case ended.
  public var stillHeld: [String]
  /// The last lines a dead worker wrote on its standard error.
  public var standardError: [String]

  public init(
    rule: RuleLine? = nil, target: TargetLine? = nil, world: [String]? = nil,
    schedule: [ScheduleStepRecord]? = nil, exploration: ExplorationStatistics? = nil, trace: [String] = [],
    lockdepWarnings: [String] = [], stillHeld: [String] = [], standardError: [String] = []
  ) {
    self.rule = rule
    self.target = target
    self.world = world
    self.schedule = schedule
    self.exploration = exploration
    self.trace = trace
    self.lockdepWarnings = lockdepWarnings
    self.stillHeld = stillHeld
    self.standardError = standardError
  }
}
