import PfnModel

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
}

/// The adversary's side of a case: asked at every scheduling point, it
/// performs the schedule's step for that point, or draws one at random, and
/// records what it saw so the explorer can branch.
final class RaceObserver: SchedulingObserver {
  enum Mode {
    /// Exactly these steps; a step whose operation is not enabled makes the
    /// schedule infeasible.
    case fixed(Schedule)
    /// At each point, with the given chance in 1/1000, one enabled operation,
    /// up to `maxSteps`.
    case random(SeededGenerator, chance: UInt64, maxSteps: Int)
  }

  struct Point {
    var call: HostCall
    /// What could run before any step at this point.
    var enabled: [EnabledOp]
    /// What could run after this point's steps, before the call.
    var enabledAfter: [EnabledOp]
  }

  let kinds: [AdversaryKind]
  var mode: Mode
  /// The address the case's start() looks up; the adversary works on the
  /// entries that map it.
  var address: UInt64?
  private(set) var points: [Point] = []
  private(set) var performed: [Schedule.Step] = []
  private(set) var infeasible = false

  init(kinds: [AdversaryKind], mode: Mode) {
    self.kinds = kinds
    self.mode = mode
  }

  static func describe(_ locks: [LockID]) -> String {
    locks.isEmpty ? "nothing" : locks.map(\.description).joined(separator: ", ")
  }

  func willPerform(_ call: HostCall, host: ModelHost) throws {
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
      let line = try host.world.perform(op, address: address)
      host.log("\(line)  [point \(point), before \(call); walker holds \(Self.describe(host.world.heldLocks))]")
      performed.append(Schedule.Step(point: point, op: op))
      now = host.world.enabledAdversaryOps(kinds, address: address)
    }
    points.append(Point(call: call, enabled: enabled, enabledAfter: now))
  }
}

/// What exploring one case found.
struct ExplorationStatistics {
  var schedules = 0
  var distinctStates = 0
  var bound = 0
  var random = 0
  var seconds: Double = 0
  var truncated = false

  var summary: String {
    var text = "explored \(schedules) schedule(s), \(distinctStates) distinct end state(s), up to \(bound) adversary step(s)"
    if random > 0 { text += " exhaustively plus \(random) random schedule(s)" }
    if truncated { text += " (stopped at the schedule limit)" }
    return text
  }
}

/// Totals over a run, for `pfnspec bench explore`.
public final class ExplorationTotals: @unchecked Sendable {
  public private(set) var cases = 0
  public private(set) var schedules = 0
  public private(set) var distinctStates = 0
  public private(set) var seconds: Double = 0

  public init() {}

  func add(_ statistics: ExplorationStatistics) {
    cases += 1
    schedules += statistics.schedules
    distinctStates += statistics.distinctStates
    seconds += statistics.seconds
  }
}

/// A schedule's replay token: everything needed to rerun exactly one case.
public struct ReplayToken: Sendable, Codable, Hashable {
  public var version = 1
  public var spec: String
  public var rule: String
  public var caseName: String
  public var walker: String
  public var arch: String
  public var seed: UInt64
  public var kernel: String
  public var schedule: [String]
  /// The caller of a caller rule's case (a tenth field; tokens of walker cases have nine).
  public var caller: String?

  public init(
    spec: String, rule: String, caseName: String, walker: String, arch: String, seed: UInt64, kernel: String,
    schedule: Schedule, caller: String? = nil
  ) {
    self.caller = caller
    self.spec = spec
    self.rule = rule
    self.caseName = caseName
    self.walker = walker
    self.arch = arch
    self.seed = seed
    self.kernel = kernel
    self.schedule = schedule.steps.map { "\($0.point):\($0.op)" }
  }

  /// The schedule the token carries.
  public func decodedSchedule() throws -> Schedule {
    try Schedule(
      schedule.map { text in
        let parts = text.split(separator: ":", maxSplits: 1)
        guard parts.count == 2, let point = Int(parts[0]), let op = AdversaryOp(String(parts[1])) else {
          throw ReplayTokenError("bad schedule step '\(text)'")
        }
        return Schedule.Step(point: point, op: op)
      })
  }

  /// `v1.` followed by the fields, base64url-encoded.
  public var encoded: String {
    let fields =
      [String(version), spec, rule, caseName, walker, arch, String(seed), kernel, schedule.joined(separator: ",")]
      + (caller.map { [$0] } ?? [])
    let text = fields.map { $0.replacingNewlines() }.joined(separator: "\n")
    return "v1." + base64URL(Array(text.utf8))
  }

  public init(decoding token: String) throws {
    guard token.hasPrefix("v1."), let bytes = decodeBase64URL(String(token.dropFirst(3))) else {
      throw ReplayTokenError("not a pfnspec replay token (expected 'v1.' and base64url)")
    }
    let fields = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
      .map(String.init)
    guard fields.count == 9 || fields.count == 10, fields[0] == "1", let seed = UInt64(fields[6]) else {
      throw ReplayTokenError("the replay token is damaged")
    }
    spec = fields[1]
    rule = fields[2]
    caseName = fields[3]
    walker = fields[4]
    arch = fields[5]
    self.seed = seed
    kernel = fields[7]
    schedule = fields[8].isEmpty ? [] : fields[8].split(separator: ",").map(String.init)
    caller = fields.count == 10 ? fields[9] : nil
    _ = try decodedSchedule()
  }
}

public struct ReplayTokenError: Error, CustomStringConvertible {
  public var description: String
  init(_ description: String) { self.description = description }
}

extension String {
  fileprivate func replacingNewlines() -> String {
    String(map { $0 == "\n" ? " " : $0 })
  }
}

private let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

func base64URL(_ bytes: [UInt8]) -> String {
  var out: [UInt8] = []
  var index = 0
  while index < bytes.count {
    let chunk = Array(bytes[index..<min(index + 3, bytes.count)])
    let value = chunk.enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << (16 - 8 * UInt32($1.offset)) }
    for i in 0..<(chunk.count + 1) { out.append(alphabet[Int((value >> (18 - 6 * UInt32(i))) & 63)]) }
    index += 3
  }
  return String(decoding: out, as: UTF8.self)
}

func decodeBase64URL(_ text: String) -> [UInt8]? {
  var lookup = [UInt8: UInt32]()
  for (i, c) in alphabet.enumerated() { lookup[c] = UInt32(i) }
  let chars = Array(text.utf8)
  guard chars.count % 4 != 1 else { return nil }
  var out: [UInt8] = []
  var index = 0
  while index < chars.count {
    let chunk = chars[index..<min(index + 4, chars.count)]
    var value: UInt32 = 0
    for (i, c) in chunk.enumerated() {
      guard let v = lookup[c] else { return nil }
      value |= v << (18 - 6 * UInt32(i))
    }
    for i in 0..<(chunk.count - 1) { out.append(UInt8((value >> (16 - 8 * UInt32(i))) & 0xff)) }
    index += 4
  }
  return out
}
