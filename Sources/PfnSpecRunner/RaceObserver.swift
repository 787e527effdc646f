import PfnModel
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
  }

  public struct Point {
    public var call: HostCall
    /// What could run before any step at this point.
    public var enabled: [EnabledOp]
    /// What could run after this point's steps, before the call.
    public var enabledAfter: [EnabledOp]
  }

  public let kinds: [AdversaryKind]
  public private(set) var mode: Mode
  /// The address the case's start() looks up; the adversary works on the
  /// entries that map it.
  public var address: UInt64?
  public private(set) var points: [Point] = []
  public private(set) var performed: [Schedule.Step] = []
  public private(set) var infeasible = false

  public init(kinds: [AdversaryKind], mode: Mode) {
    self.kinds = kinds
    self.mode = mode
  }

  static func describe(_ locks: [LockID]) -> String {
    locks.isEmpty ? "nothing" : locks.map(\.description).joined(separator: ", ")
  }

  public func willPerform(_ call: HostCall, host: ModelHost) throws {
    let point = points.count
    guard let address else {
      points.append(Point(call: call, enabled: [], enabledAfter: []))
      return
    }
    let enabled = host.world.enabledAdversaryOps(kinds, address: address)
    var ops: [AdversaryOp] = []
    switch mode {
    case .fixed(let schedule):
      ops = schedule.steps.filter { $0.point == point }.map(\.op)
    case .random(var generator, let chance, let maxSteps):
      if performed.count < maxSteps, !enabled.isEmpty, generator.next() % 1000 < chance {
        ops = [enabled[Int(generator.next() % UInt64(enabled.count))].op]
      }
      mode = .random(generator, chance: chance, maxSteps: maxSteps)
    }
    var now = enabled
    for op in ops {
      // Several steps at one point run in order; each must be possible then.
      guard now.contains(where: { $0.op == op }) else {
        infeasible = true
        points.append(Point(call: call, enabled: enabled, enabledAfter: now))
        return
      }
      let change = try host.world.apply(op, address: address)
      host.log("\(change)  [point \(point), before \(call); walker holds \(Self.describe(host.world.heldLocks))]")
      performed.append(Schedule.Step(point: point, op: op))
      now = host.world.enabledAdversaryOps(kinds, address: address)
    }
    points.append(Point(call: call, enabled: enabled, enabledAfter: now))
  }
}
