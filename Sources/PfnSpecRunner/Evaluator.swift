import PfnCallers
import PfnModel
import PfnSpecLanguage
import PfnWalkers

/// A rule that cannot be evaluated as written; the case becomes an error.
struct EvaluationError: Error, CustomStringConvertible {
  var message: String
  var range: SourceRange?
  /// A limit of the planner (values of a domain, cases of a rule) rather than a mistake; `check` warns of these (W317).
  var isCap = false
  var description: String { message }
}

/// A case that does not apply, found while evaluating (an output the walker's
/// API level lacks); the case becomes skipped.
struct NotApplicable: Error, CustomStringConvertible {
  var reason: String
  var description: String { reason }
}

/// The target of a case: an architecture in a kernel release and a walker's claims.
struct Target {
  var arch: any Architecture
  var release: KernelRelease
  var capabilities: Capabilities
  var walker: WalkerDescriptor
  /// The caller under test, in a caller rule.
  var caller: CallerDescriptor? = nil

}

/// The state after the last `call`, which `expect` clauses judge.
///
/// A class with constant fields: every name read from it in an `expect`
/// borrows it, where a struct was copied (the world retained, three args
/// copied) at every read. A later call makes a new one.
final class CallState {
  let address: UInt64
  let result: Int32?
  let args: FollowPfnmapArgs
  let argsBefore: FollowPfnmapArgs
  /// The oracle's reading of the address at the moment start() returned.
  let expected: Translation?
  let world: World
  /// After end(): whether the leaf still said what `expected` says when the
  /// caller used the outputs, just before end().
  let protectedUntilEnd: Bool?
  /// The args of the start() before the last one, as the walker left them.
  let previous: FollowPfnmapArgs?

  init(
    address: UInt64, result: Int32?, args: FollowPfnmapArgs, argsBefore: FollowPfnmapArgs, expected: Translation?,
    world: World, protectedUntilEnd: Bool? = nil, previous: FollowPfnmapArgs?
  ) {
    self.address = address
    self.result = result
    self.args = args
    self.argsBefore = argsBefore
    self.expected = expected
    self.world = world
    self.protectedUntilEnd = protectedUntilEnd
    self.previous = previous
  }

  /// The state after end(): the same start(), with the args end() left.
  func ended(args: FollowPfnmapArgs, argsBefore: FollowPfnmapArgs, protectedUntilEnd: Bool) -> CallState {
    CallState(
      address: address, result: result, args: args, argsBefore: argsBefore, expected: expected, world: world,
      protectedUntilEnd: protectedUntilEnd, previous: previous)
  }
}

/// Evaluates expressions of a rule. Every name resolves here, by the
/// vocabulary's meaning; nothing here knows any rule.
struct Evaluator {
  /// What a case fixes before its first call, the same for every run of it:
  /// behind one reference, so that the evaluator a run copies (every schedule
  /// of a race case) costs one retain instead of a copy of each part.
  private final class CaseParts {
    let target: Target
    let bindings: [String: Value]
    let spec: WorldSpec
    /// The source text of the file, to quote expressions in explanations.
    let source: String

    init(target: Target, bindings: [String: Value], spec: WorldSpec, source: String) {
      self.target = target
      self.bindings = bindings
      self.spec = spec
      self.source = source
    }
  }

  private var parts: CaseParts
  var state: CallState?
  /// What the caller did, after `call caller(...)`.
  var callerState: CallerCaseState?

  init(
    target: Target, bindings: [String: Value] = [:], spec: WorldSpec = WorldSpec(), state: CallState? = nil,
    callerState: CallerCaseState? = nil, source: String
  ) {
    parts = CaseParts(target: target, bindings: bindings, spec: spec, source: source)
    self.state = state
    self.callerState = callerState
  }

  /// The same evaluator with its case parts in a box of its own. Threads
  /// that explore shares of one case each copy the evaluator at every
  /// schedule: one box retained by all of them would be one contended
  /// reference count.
  func withOwnCaseParts() -> Evaluator {
    var copy = self
    copy.parts = CaseParts(target: target, bindings: bindings, spec: spec, source: source)
    return copy
  }

  // The parts are read in place (`_read` borrows them from the shared box);
  // only planning changes them, and a change makes a box of its own, so that
  // evaluators copied before it keep what they had.
  var target: Target {
    _read { yield parts.target }
    set { parts = CaseParts(target: newValue, bindings: parts.bindings, spec: parts.spec, source: parts.source) }
  }
  var bindings: [String: Value] {
    _read { yield parts.bindings }
    set { parts = CaseParts(target: parts.target, bindings: newValue, spec: parts.spec, source: parts.source) }
  }
  var spec: WorldSpec {
    _read { yield parts.spec }
    set { parts = CaseParts(target: parts.target, bindings: parts.bindings, spec: newValue, source: parts.source) }
  }
  var source: String {
    _read { yield parts.source }
    set { parts = CaseParts(target: parts.target, bindings: parts.bindings, spec: parts.spec, source: newValue) }
  }

  func text(_ expr: Expr) -> String {
    let utf8 = Array(source.utf8)
    let lo = max(0, min(expr.range.start.offset, utf8.count))
    let hi = max(lo, min(expr.range.end.offset, utf8.count))
    return String(decoding: utf8[lo..<hi], as: UTF8.self)
  }

  // MARK: Evaluation

  func evaluate(_ expr: Expr) throws -> Value {
    switch expr.kind {
    case .integer(let v): return .integer(v)
    case .version(let version): return .version(KernelRelease(version.major, version.minor))
    case .string(let s): return .string(s)
    case .identifier(let name): return try resolve(name, expr.range)
    case .member(let base, let member): return try self.member(try evaluate(base), member.value, member.range)
    case .call(let name, let arguments): return try call(name.value, arguments.map(evaluate), expr.range)
    case .list(let items): return .list(try items.map(evaluate))
    case .unary(let op, let operand):
      let v = try evaluate(operand)
      switch op {
      case .not: return .boolean(!(try bool(v, operand)))
      case .negate: return .integer(0 &- (try integer(v, operand)))
      case .bitNot: return .integer(~(try integer(v, operand)))
      }
    case .binary(let op, let lhs, let rhs): return try binary(op, lhs, rhs)
    }
  }

  private func binary(_ op: BinaryOperator, _ lhs: Expr, _ rhs: Expr) throws -> Value {
    switch op {
    case .implies:
      return try bool(evaluate(lhs), lhs) ? .boolean(try bool(evaluate(rhs), rhs)) : .boolean(true)
    case .and:
      return try bool(evaluate(lhs), lhs) ? .boolean(try bool(evaluate(rhs), rhs)) : .boolean(false)
    case .or:
      return try bool(evaluate(lhs), lhs) ? .boolean(true) : .boolean(try bool(evaluate(rhs), rhs))
    default: break
    }
    let a = try evaluate(lhs)
    let b = try evaluate(rhs)
    return try combine(op, a, b, lhs, rhs)
  }

  /// A binary operator other than `implies`, `and` and `or`, on its operands'
  /// values; `lhs` and `rhs` are the operands as written, for error messages.
  func combine(_ op: BinaryOperator, _ a: Value, _ b: Value, _ lhs: Expr, _ rhs: Expr) throws -> Value {
    switch op {
    case .equal: return .boolean(valuesEqual(a, b))
    case .notEqual:
      if case .missing = a { return .boolean(false) }
      if case .missing = b { return .boolean(false) }
      return .boolean(!valuesEqual(a, b))
    case .less, .lessEqual, .greater, .greaterEqual: return .boolean(try order(op, a, b, lhs))
    case .elementOf:
      guard case .list(let items) = b else { throw mismatch("a list", b, rhs) }
      return .boolean(items.contains { valuesEqual(a, $0) })
    case .bitOr:
      switch (a, b) {
      case (.flags(let x), .flags(let y)): return .flags(x.union(y))
      case (.none, .flags(let y)), (.flags(let y), .none): return .flags(y)
      case (.locks(let x), .locks(let y)): return .locks(x.union(y))
      case (.callerLocks(let x), .callerLocks(let y)): return .callerLocks(x.union(y))
      default: return .integer(try integer(a, lhs) | integer(b, rhs))
      }
    case .bitAnd:
      if case .flags(let x) = a, case .flags(let y) = b { return .flags(x.intersection(y)) }
      return .integer(try integer(a, lhs) & integer(b, rhs))
    case .shiftLeft: return .integer(try integer(a, lhs) << min(integer(b, rhs), 64))
    case .shiftRight: return .integer(try integer(a, lhs) >> min(integer(b, rhs), 64))
    case .add:
      if case .list(let x) = a, case .list(let y) = b { return .list(x + y) }
      return .integer(try integer(a, lhs) &+ integer(b, rhs))
    case .subtract: return .integer(try integer(a, lhs) &- integer(b, rhs))
    case .multiply: return .integer(try integer(a, lhs) &* integer(b, rhs))
    case .divide, .remainder:
      let d = try integer(b, rhs)
      guard d != 0 else { throw EvaluationError(message: "division by zero", range: rhs.range) }
      return .integer(op == .divide ? try integer(a, lhs) / d : try integer(a, lhs) % d)
    case .implies, .and, .or:
      preconditionFailure("short-circuit operators are evaluated above")
    }
  }

  private func order(_ op: BinaryOperator, _ a: Value, _ b: Value, _ at: Expr) throws -> Bool {
    let comparison: Int
    switch (a, b) {
    case (.integer(let x), .integer(let y)):
      let (sx, sy) = (Int64(bitPattern: x), Int64(bitPattern: y))
      comparison = sx < sy ? -1 : (sx == sy ? 0 : 1)
    case (.version(let x), .version(let y)): comparison = x < y ? -1 : (x == y ? 0 : 1)
    case (.level(let x), .level(let y)): comparison = x < y ? -1 : (x == y ? 0 : 1)
    default:
      throw EvaluationError(message: "cannot order \(a) and \(b)", range: at.range)
    }
    switch op {
    case .less: return comparison < 0
    case .lessEqual: return comparison <= 0
    case .greater: return comparison > 0
    default: return comparison >= 0
    }
  }

  func bool(_ v: Value, _ at: Expr) throws -> Bool {
    guard case .boolean(let b) = v else { throw mismatch("a boolean", v, at) }
    return b
  }

  func integer(_ v: Value, _ at: Expr) throws -> UInt64 {
    guard case .integer(let i) = v else { throw mismatch("an integer", v, at) }
    return i
  }

  func mismatch(_ wanted: String, _ got: Value, _ at: Expr) -> EvaluationError {
    EvaluationError(message: "'\(text(at))' is \(got), not \(wanted)", range: at.range)
  }

  // MARK: Names

  /// The API level the walker claims.
  var api: KernelRelease { target.walker.apiLevel.release }

  /// A name: a `for` variable, else its declaration's meaning.
  private func resolve(_ name: String, _ range: SourceRange) throws -> Value {
    if let bound = bindings[name] { return bound }
    guard let declaration = PfnVocabulary.names[name] else {
      throw EvaluationError(message: "unknown name '\(name)'", range: range)
    }
    switch declaration.meaning {
    case .constant(let value): return value
    case .target(let value): return value(target)
    case .world(let value): return try value(self, range)
    case .state(let value):
      guard let state else {
        throw EvaluationError(message: "'\(name)' is only known after a call", range: range)
      }
      return try value(self, state, range)
    }
  }

  /// Skips the case when the walker's API level lacks an output field.
  func requireOutput(_ field: OutputField) throws {
    guard let gate = field.gate, !field.exists(for: api) else { return }
    throw NotApplicable(
      reason: "\(field.rawValue) is an output of API level \(gate.version); \(target.walker.name) claims \(target.walker.apiLevel.rawValue)")
  }

  func member(_ base: Value, _ name: String, _ range: SourceRange) throws -> Value {
    switch base {
    case .record(let fields):
      if let field = fields.first(where: { $0.name == name }) { return field.value }
      if let output = OutputField(rawValue: name) { try requireOutput(output) }
      throw EvaluationError(message: "the record has no member '\(name)'", range: range)
    case .missing(let why):
      return name == PfnVocabulary.existsMember ? .boolean(false) : .missing(why)
    default:
      throw EvaluationError(message: "\(base) has no member '\(name)'", range: range)
    }
  }

  // MARK: Functions

  /// A function applied to something the oracle does not have has no value either.
  private struct MissingArgument: Error { var reason: String }

  private func call(_ name: String, _ arguments: [Value], _ range: SourceRange) throws -> Value {
    guard let declaration = PfnVocabulary.functions[name] else {
      throw EvaluationError(message: "unknown function '\(name)'", range: range)
    }
    switch declaration.meaning {
    case .domain:
      throw EvaluationError(message: "\(name)() may only be a 'for' domain", range: range)
    case .value(let apply): return try self.apply(apply, arguments, range)
    }
  }

  /// A function's meaning applied to its arguments' values.
  func apply(
    _ function: @Sendable (Evaluator, [Value], SourceRange) throws -> Value, _ arguments: [Value], _ range: SourceRange
  ) throws -> Value {
    do {
      return try function(self, arguments, range)
    } catch let missing as MissingArgument {
      return .missing(missing.reason)
    }
  }

  /// Argument `i` of a function that takes a page-table level.
  func levelArgument(_ function: String, _ arguments: [Value], _ i: Int, _ range: SourceRange) throws -> PageLevel {
    guard i < arguments.count else {
      throw EvaluationError(message: "\(function)() takes a page-table level", range: range)
    }
    if case .missing(let why) = arguments[i] { throw MissingArgument(reason: why) }
    guard case .level(let l) = arguments[i] else {
      throw EvaluationError(message: "\(function)() takes a page-table level, not \(arguments[i])", range: range)
    }
    return l
  }

  // MARK: Explanations

  /// Why a boolean expression is false, in terms of the values involved.
  func explain(_ expr: Expr) -> String {
    switch expr.kind {
    case .binary(.implies, let p, let q):
      return "'\(text(p))' holds, but \(explain(q))"
    case .binary(.and, let a, let b):
      if let v = try? evaluate(a), case .boolean(false) = v { return explain(a) }
      return explain(b)
    case .binary(.or, let a, let b):
      return "neither side holds: \(explain(a)); \(explain(b))"
    case .binary(let op, let a, let b)
    where op.isComparison:
      let va = (try? evaluate(a)).map(\.description) ?? "?"
      let vb = (try? evaluate(b)).map(\.description) ?? "?"
      var line = "'\(text(expr))' is false: \(text(a)) = \(va), \(text(b)) = \(vb)"
      if op == .equal, let x = try? evaluate(a), let y = try? evaluate(b) {
        let diffs = recordDifferences(x, y)
        if !diffs.isEmpty { line += " (differs in: " + diffs.joined(separator: "; ") + ")" }
      }
      return line
    case .unary(.not, let inner):
      return "'\(text(inner))' is true"
    default:
      let v = (try? evaluate(expr)).map(\.description) ?? "?"
      return "'\(text(expr))' is \(v)"
    }
  }
}
