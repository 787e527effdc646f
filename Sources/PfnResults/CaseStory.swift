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

  /// The facts, behind one shared reference: a verdict is copied from the
  /// engine to every reporter, and a copy is then one retain instead of one
  /// per field. A story with nothing in it (every passing case) shares one
  /// storage, so it costs no allocation either.
  private var storage: Storage

  public var rule: RuleLine? {
    get { storage.fields.rule }
    _modify { yield &uniqueFields.rule }
  }
  /// The caller of a caller rule's case; its lookups went to the walker of `target`.
  public var caller: CallerLine? {
    get { storage.fields.caller }
    _modify { yield &uniqueFields.caller }
  }
  public var target: TargetLine? {
    get { storage.fields.target }
    _modify { yield &uniqueFields.target }
  }
  /// The world the rule built, one line per entry or VMA.
  public var world: [String]? {
    get { storage.fields.world }
    _modify { yield &uniqueFields.world }
  }
  /// The schedule of another CPU that the verdict is about (race cases and replays).
  public var schedule: [ScheduleStepRecord]? {
    get { storage.fields.schedule }
    _modify { yield &uniqueFields.schedule }
  }
  /// What exploring the race case found.
  public var exploration: ExplorationStatistics? {
    get { storage.fields.exploration }
    _modify { yield &uniqueFields.exploration }
  }
  /// The scheduling points of the reported run, for pictures of the schedule.
  public var timeline: ScheduleTimeline? {
    get { storage.fields.timeline }
    _modify { yield &uniqueFields.timeline }
  }
  /// The host calls and the other CPU's steps, in order.
  public var trace: [String] {
    get { storage.fields.trace }
    _modify { yield &uniqueFields.trace }
  }
  public var lockdepWarnings: [String] {
    get { storage.fields.lockdepWarnings }
    _modify { yield &uniqueFields.lockdepWarnings }
  }
  /// The locks the walker still held when the case ended.
  public var stillHeld: [String] {
    get { storage.fields.stillHeld }
    _modify { yield &uniqueFields.stillHeld }
  }
  /// The last lines a dead worker wrote on its standard error.
  public var standardError: [String] {
    get { storage.fields.standardError }
    _modify { yield &uniqueFields.standardError }
  }

  public init(
    rule: RuleLine? = nil, target: TargetLine? = nil, world: [String]? = nil,
    schedule: [ScheduleStepRecord]? = nil, exploration: ExplorationStatistics? = nil, trace: [String] = [],
    lockdepWarnings: [String] = [], stillHeld: [String] = [], standardError: [String] = []
  ) {
    if rule == nil, target == nil, world == nil, schedule == nil, exploration == nil, trace.isEmpty,
      lockdepWarnings.isEmpty, stillHeld.isEmpty, standardError.isEmpty
    {
      storage = Storage.empty
      return
    }
    storage = Storage(
      Fields(
        rule: rule, target: target, world: world, schedule: schedule, exploration: exploration, trace: trace,
        lockdepWarnings: lockdepWarnings, stillHeld: stillHeld, standardError: standardError))
  }

  /// The fields, in the order (and so with the coding keys) the story always had.
  private struct Fields: Sendable, Hashable, Codable {
    var rule: RuleLine?
    var caller: CallerLine?
    var target: TargetLine?
    var world: [String]?
    var schedule: [ScheduleStepRecord]?
    var exploration: ExplorationStatistics?
    var timeline: ScheduleTimeline?
    var trace: [String]
    var lockdepWarnings: [String]
    var stillHeld: [String]
    var standardError: [String]
  }

  /// Never changed once shared: a story about to change takes a copy of its own first.
  private final class Storage: @unchecked Sendable {
    var fields: Fields
    init(_ fields: Fields) { self.fields = fields }
    static let empty = Storage(Fields(trace: [], lockdepWarnings: [], stillHeld: [], standardError: []))
  }

  /// The fields of a storage this story alone holds, for a change.
  private var uniqueFields: Fields {
    get { storage.fields }
    _modify {
      if !isKnownUniquelyReferenced(&storage) { storage = Storage(storage.fields) }
      yield &storage.fields
    }
  }

  public static func == (lhs: CaseStory, rhs: CaseStory) -> Bool {
    lhs.storage === rhs.storage || lhs.storage.fields == rhs.storage.fields
  }

  public func hash(into hasher: inout Hasher) { storage.fields.hash(into: &hasher) }

  public init(from decoder: any Decoder) throws { storage = Storage(try Fields(from: decoder)) }

  public func encode(to encoder: any Encoder) throws { try storage.fields.encode(to: encoder) }
}
