import PfnModel
import PfnResults
import PfnSupport

/// The adversary's side of a case: asked at every scheduling point, it
/// performs the schedule's step for that point, or draws one at random, and
/// records what it saw so the explorer can branch.
public final class RaceObserver: SchedulingObserver {
  public enum Mode {
    /// Exactly these steps; a step whose operation is not enabled makes the
    /// schedule infeasible.
    case fixed(Schedule)
    /// At each point, with the given chance in 1/1000, one enabled operation,
    /// up to `maxSteps`.
    case random(PfnSupport.SeededGenerator, chance: UInt64, maxSteps: Int)
    /// The steps of a `given schedule`, each at its named point, waiting
    /// there for the locks it needs (see ``PinnedProgram``).
    case pinned(PinnedProgram)
  }

  public struct Point {
    public var call: HostCall
    /// What could run before any step at this point (empty before
    /// ``RaceObserver/enabledNeededFrom`` at a point without a step).
    public var enabled: [EnabledOp]
    /// What could run after this point's steps, before the call (empty
    /// before ``RaceObserver/enabledNeededFrom`` after a step).
    public var enabledAfter: [EnabledOp]
    /// Code outside the host calls read the world after this point's call,
    /// before the next point (``RaceObserver/readOutsideCalls()``): no step
    /// commutes with the call then.
    public var readAfterCall = false

    public init(call: HostCall, enabled: [EnabledOp], enabledAfter: [EnabledOp]) {
      self.call = call
      self.enabled = enabled
      self.enabledAfter = enabledAfter
    }
  }

  public let kinds: [AdversaryKind]
  public var mode: Mode { currentMode }
  /// The address the case's start() looks up; the adversary works on the
  /// entries that map it.
  public var address: UInt64? {
    get { lookedUpAddress }
    set { lookedUpAddress = newValue }
  }
  /// The points met, in order. Empty, with ``pointCount`` still counting,
  /// when the run was told not to keep them (``keepsPoints``).
  public var points: [Point] { pointList }
  /// How many scheduling points the run met.
  public var pointCount: Int { metPoints }
  /// Whether the points are kept for ``points``: an untraced schedule that
  /// nobody extends (at the bound) needs only their count, and keeping each
  /// one copies its host call and retains its enabled operations.
  public var keepsPoints: Bool {
    get { keepPoints }
    set { keepPoints = newValue }
  }
  public var performed: [Schedule.Step] { performedSteps }
  /// The first point whose enabled operations anyone reads: the explorer
  /// extends a schedule only from its last step's point on, and a schedule
  /// at the bound not at all (`Int.max`). An untraced point of a fixed
  /// schedule before it, with no step of its own, skips computing them.
  public var enabledNeededFrom: Int {
    get { neededFrom }
    set { neededFrom = newValue }
  }
  public var infeasible: Bool { foundInfeasible }
  /// The states earlier schedules of the same exploration came to; with them,
  /// a run that comes to one again stops there (see ``VisitedStates``).
  public var visited: VisitedStates? {
    get { visitedStates }
    set { visitedStates = newValue }
  }
  /// This run came to a state an earlier schedule had already come to and
  /// stopped there: it goes on as that one did.
  public var pruned: Bool { stoppedAtVisited }
  /// A digest of every value the walker and the judging code got from the
  /// shared state so far (see `SchedulingObserver.observe(_:)`).
  public var observed: UInt64 { observedDigest }

  // The storage of the properties above, read at every scheduling point.
  // Dynamic exclusivity checks are off for it: no method lends a property
  // out across a call that could touch it again, and an observer serves one
  // run on one thread at a time.
  @exclusivity(unchecked) private var currentMode: Mode
  @exclusivity(unchecked) private var lookedUpAddress: UInt64?
  @exclusivity(unchecked) private var metPoints = 0
  @exclusivity(unchecked) private var keepPoints = true
  @exclusivity(unchecked) private var pointList: [Point] = {
    // Room for a typical walk's points at once, not grown one doubling at a time.
    var points: [Point] = []
    points.reserveCapacity(24)
    return points
  }()
  @exclusivity(unchecked) private var performedSteps: [Schedule.Step] = []
  @exclusivity(unchecked) private var neededFrom = 0
  @exclusivity(unchecked) private var foundInfeasible = false
  @exclusivity(unchecked) private var visitedStates: VisitedStates?
  @exclusivity(unchecked) private var stoppedAtVisited = false
  @exclusivity(unchecked) private var observedDigest: UInt64 = 0
  /// The points of a traced run with the values involved, for pictures of the
  /// schedule; left empty while the explorer runs untraced schedules.
  @exclusivity(unchecked) public private(set) var timeline = ScheduleTimeline()

  // A fixed schedule's steps, read at every point: kept apart from the mode
  // (which never changes during a fixed schedule's run), so that a point
  // does not copy the mode; set only when a run begins.
  @exclusivity(unchecked) private var isPinned = false
  @exclusivity(unchecked) private var fixedSteps: [Schedule.Step] = []
  /// The point of a fixed schedule's last step (0 without steps); `nil` for other modes.
  @exclusivity(unchecked) private var fixedLastPoint: Int?
  /// Bit `p` set: the fixed schedule has a step at point `p` (points below 64).
  @exclusivity(unchecked) private var fixedStepMask: UInt64 = 0

  public init(kinds: [AdversaryKind], mode: Mode) {
    self.kinds = kinds
    self.currentMode = mode
    setMode(mode)
  }

  private func setMode(_ mode: Mode) {
    currentMode = mode
    switch mode {
    case .fixed(let schedule):
      isPinned = false
      fixedSteps = schedule.steps
      fixedLastPoint = schedule.steps.last?.point ?? 0
      fixedStepMask = 0
      for step in schedule.steps where step.point < 64 { fixedStepMask |= 1 << UInt64(step.point) }
    case .random:
      isPinned = false
      fixedSteps = []
      fixedLastPoint = nil
    case .pinned:
      isPinned = true
      fixedSteps = []
      fixedLastPoint = nil
    }
  }

  /// Makes this observer as new, for another run in `mode`: an explorer runs
  /// its schedules one after another with one observer, keeping the storage
  /// of its lists instead of allocating an observer and its lists per schedule.
  public func reset(_ mode: Mode) {
    setMode(mode)
    lookedUpAddress = nil
    metPoints = 0
    keepPoints = true
    pointList.removeAll(keepingCapacity: true)
    performedSteps.removeAll(keepingCapacity: true)
    neededFrom = 0
    foundInfeasible = false
    visitedStates = nil
    stoppedAtVisited = false
    observedDigest = 0
    if !timeline.points.isEmpty { timeline = ScheduleTimeline() }
  }

  static func describe(_ locks: [LockID]) -> String {
    locks.isEmpty ? "nothing" : locks.map(\.description).joined(separator: ", ")
  }

  public func observe(_ value: UInt64) { observedDigest = World.mix(observedDigest, value) }

  public func readOutsideCalls() {
    if keepPoints && !pointList.isEmpty { pointList[pointList.count - 1].readAfterCall = true }
  }

  public func willPerform(_ call: HostCall, host: ModelHost) throws {
    // A walker that swallows the stop (`try?`) is stopped again at its next call.
    if stoppedAtVisited { throw VisitedStates.Stop() }
    let point = metPoints
    if isPinned, case .pinned(var program) = currentMode {
      program.arrive(at: SchedulePoints.name(of: call))
      currentMode = .pinned(program)
    }
    guard let address = lookedUpAddress else {
      met(Point(call: call, enabled: [], enabledAfter: []))
      return
    }
    let world = host.world
    let tracing = host.tracing
    if !tracing, let fixedLastPoint {
      try fixedStepsUntraced(call, point: point, host: host, address: address, last: fixedLastPoint)
      return
    }
    let enabled = world.enabledAdversaryOps(kinds, address: address)
    // Formatting values costs; only a traced run (the one reported) records them.
    var record =
      tracing
      ? ScheduleTimeline.Point(point: point, call: call.name, locksHeld: world.heldLocks.map(\.description)) : nil
    let readBefore = record == nil ? [] : call.reads.map { ($0, world.value(at: $0)) }
    defer {
      if var finished = record {
        finished.entries = readBefore.compactMap { pointer, before in
          guard let before, let after = world.value(at: pointer) else { return nil }
          return ScheduleTimeline.EntryValue(entry: Self.name(pointer, in: world), before: before, after: after)
        }
        for step in finished.steps where !finished.entries.contains(where: { $0.entry == step.entry.entry }) {
          finished.entries.append(step.entry)
        }
        timeline.append(finished)
      }
    }
    // The steps due here: a fixed schedule's are read in place, not copied out at every point.
    var ops: [AdversaryOp] = []
    var fixedSteps: [Schedule.Step] = []
    switch currentMode {
    case .pinned(var program):
      // One step after another, each once its point has come and its locks are free.
      var now = enabled
      while let op = program.due, let enabledOp = now.first(where: { $0.op == op }) {
        try perform(enabledOp, point: point, call: call, host: host, address: address, record: &record)
        program.advance()
        now = world.enabledAdversaryOps(kinds, address: address)
      }
      currentMode = .pinned(program)
      met(Point(call: call, enabled: enabled, enabledAfter: now))
      return
    case .fixed(let schedule):
      fixedSteps = schedule.steps
    case .random(var generator, let chance, let maxSteps):
      if performedSteps.count < maxSteps, !enabled.isEmpty, generator.next() % 1000 < chance {
        ops = [enabled[Int(generator.next() % UInt64(enabled.count))].op]
      }
      currentMode = .random(generator, chance: chance, maxSteps: maxSteps)
    }
    var now = enabled
    // Several steps at one point run in order; each must be possible then.
    func take(_ op: AdversaryOp) throws -> Bool {
      guard let enabledOp = now.first(where: { $0.op == op }) else {
        foundInfeasible = true
        met(Point(call: call, enabled: enabled, enabledAfter: now))
        return false
      }
      try perform(enabledOp, point: point, call: call, host: host, address: address, record: &record)
      now = world.enabledAdversaryOps(kinds, address: address)
      return true
    }
    for op in ops {
      guard try take(op) else { return }
    }
    for step in fixedSteps where step.point == point {
      guard try take(step.op) else { return }
    }
    met(Point(call: call, enabled: enabled, enabledAfter: now))
    // After a fixed schedule's last step the rest of the run depends only on
    // the world and on what was observed: if an earlier schedule came here,
    // this one goes on as that one did.
    if let visited = visitedStates, record == nil, let last = fixedLastPoint, point >= last {
      try recordState(host: host, point: point, last: last, visited: visited)
    }
  }

  /// Counts a point, and keeps it when ``keepsPoints`` says so.
  @inline(__always)
  private func met(_ point: @autoclosure () -> Point) {
    metPoints += 1
    if keepPoints { pointList.append(point()) }
  }

  /// A point of an untraced run of a fixed schedule: what `willPerform` does
  /// for it, without the timeline and without copying the mode.
  @inline(__always)
  private func fixedStepsUntraced(
    _ call: HostCall, point: Int, host: ModelHost, address: UInt64, last: Int
  ) throws {
    // Most points of a schedule at the bound have no step and extend nothing:
    // what could run there is not asked (the answer would only be cached).
    let hasStep = hasFixedStep(at: point)
    guard hasStep || point >= neededFrom else {
      met(Point(call: call, enabled: [], enabledAfter: []))
      guard point >= last, let visited = visitedStates else { return }
      try recordState(host: host, point: point, last: last, visited: visited)
      return
    }
    let world = host.world
    let enabled = world.enabledAdversaryOps(kinds, address: address)
    var now = enabled
    // After a step, what could run next is asked only when something reads it:
    // a later step here, or the explorer extending the schedule from this point.
    var stale = false
    var record: ScheduleTimeline.Point? = nil
    // Several steps at one point run in order; each must be possible then.
    if hasStep {
      for step in fixedSteps where step.point == point {
        if stale {
          now = world.enabledAdversaryOps(kinds, address: address)
          stale = false
        }
        guard let enabledOp = now.first(where: { $0.op == step.op }) else {
          foundInfeasible = true
          met(Point(call: call, enabled: enabled, enabledAfter: now))
          return
        }
        try perform(enabledOp, point: point, call: call, host: host, address: address, record: &record)
        stale = true
      }
    }
    if stale { now = point >= neededFrom ? world.enabledAdversaryOps(kinds, address: address) : [] }
    met(Point(call: call, enabled: enabled, enabledAfter: now))
    guard point >= last, let visited = visitedStates else { return }
    try recordState(host: host, point: point, last: last, visited: visited)
  }

  /// Whether the fixed schedule has a step at `point`: a bit test for the
  /// first 64 points, where a scan of the steps retained the list at every point.
  @inline(__always)
  private func hasFixedStep(at point: Int) -> Bool {
    point < 64 ? fixedStepMask & (1 << UInt64(point)) != 0 : fixedSteps.contains { $0.point == point }
  }

  /// Where a run is: the world, what was observed, the host calls made, the
  /// point, and the state kept beside the world (a caller host's).
  @inline(__always)
  private func stateKey(host: ModelHost, point: Int) -> UInt64 {
    let key = World.mix(
      World.mix(World.mix(host.world.explorationKey, observedDigest), UInt64(host.steps)), UInt64(point))
    guard let source = host.stateSource else { return key }
    return World.mix(key, source.explorationDigest)
  }

  /// After a fixed schedule's last step the rest of the run depends only on
  /// the world and on what was observed: if an earlier schedule came here,
  /// this one goes on as that one did.
  @inline(__always)
  private func recordState(host: ModelHost, point: Int, last: Int, visited: VisitedStates) throws {
    let new = visited.insert(key: stateKey(host: host, point: point))
    // At its last step's point a schedule stops at a known state: its extensions
    // are the other's. Later, only one that is not extended (at the bound) may.
    let stops = fixedSteps.isEmpty ? false : point == last || fixedSteps.count >= visited.bound
    if !new && stops {
      stoppedAtVisited = true
      throw VisitedStates.Stop()
    }
  }

  private func perform(
    _ enabledOp: EnabledOp, point: Int, call: HostCall, host: ModelHost, address: UInt64,
    record: inout ScheduleTimeline.Point?
  ) throws {
    let world = host.world
    let op = enabledOp.op
    let written = record == nil ? [] : enabledOp.writes.map { ($0, world.value(at: $0)) }
    let change = try world.apply(op, address: address)
    host.log("\(change)  [point \(point), before \(call); walker holds \(Self.describe(world.heldLocks))]")
    for case (let pointer, let before?) in written {
      let value = ScheduleTimeline.EntryValue(
        entry: Self.name(pointer, in: world), before: before, after: world.value(at: pointer) ?? before)
      record?.steps.append(ScheduleTimeline.Step(operation: "\(op)", entry: value))
    }
    performedSteps.append(Schedule.Step(point: point, op: op))
  }

  /// `pmd@0x5008`: an entry named by the level of its table.
  static func name(_ pointer: EntryPointer, in world: World) -> String {
    (world.level(of: pointer).map { "\($0)" } ?? "entry") + "@\(pointer)"
  }
}

/// The states the schedules of one exploration came to at each scheduling
/// point from their last step on: the world (`World.explorationKey`), the
/// values observed so far, the host calls made and the point. The future of a
/// run from there is decided by them alone (walkers are deterministic, every
/// value they get from the shared state is observed, and no step comes after
/// the last).
///
/// A schedule that comes to a known state at its last step's point ends as
/// the earlier run did, and its extensions (one more step at that point or
/// later) run as the earlier run's extensions at the same points do, which
/// that run's own schedule gets (it had no step after this point either, so
/// it is extended from here on, or has fewer steps and is extended further).
/// It stops there and is not extended. A schedule at the bound, which is not
/// extended, stops at any later point too. Two schedules meet when the walker
/// could not tell their steps apart: one made a change that the other made
/// later, or that a later step overwrote, before the walker read the entry.
public final class VisitedStates {
  // An open-addressed set (linear probing, at most half full): the keys are
  // digests already, so they pick their slot without being hashed again.
  // Zero marks an empty slot; the key zero is kept aside. Asked at every
  // scheduling point by one thread: no dynamic exclusivity checks.
  @exclusivity(unchecked) private var slots = [UInt64](repeating: 0, count: 1024)
  @exclusivity(unchecked) private var hasZero = false
  @exclusivity(unchecked) private var stored = 0
  /// Schedules with this many steps are not extended.
  public let bound: Int

  public init(bound: Int) { self.bound = bound }

  /// Whether `key` is new (and now recorded).
  func insert(key: UInt64) -> Bool {
    if key == 0 {
      defer { hasZero = true }
      return !hasZero
    }
    if (stored + 1) * 2 > slots.count { grow() }
    let mask = slots.count - 1
    var slot = Int(truncatingIfNeeded: key) & mask
    while slots[slot] != 0 {
      if slots[slot] == key { return false }
      slot = (slot + 1) & mask
    }
    slots[slot] = key
    stored += 1
    return true
  }

  private func grow() {
    let old = slots
    slots = [UInt64](repeating: 0, count: old.count * 2)
    stored = 0
    for key in old where key != 0 { _ = insert(key: key) }
  }

  public var count: Int { stored + (hasZero ? 1 : 0) }

  /// Thrown through the walker to stop a run that came to a visited state.
  public struct Stop: Error, CustomStringConvertible {
    public var description: String { "stopped: this state was explored by an earlier schedule" }
  }
}
