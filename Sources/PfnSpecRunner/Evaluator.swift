import PfnCallers
import PfnModel
import PfnSpecLanguage
import PfnWalkers

/// A rule that cannot be evaluated as written; the case becomes an error.
struct EvaluationError: Error, CustomStringConvertible {
  var message: String
  var range: SourceRange?
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

  var huge: [PageLevel] { capabilities.leafLevels.filter { $0 != .pte } }
}

/// The state after the last `call`, which `expect` clauses judge.
struct CallState {
  var address: UInt64
  var result: Int32?
  var args: FollowPfnmapArgs
  var argsBefore: FollowPfnmapArgs
  /// The oracle's reading of the address at the moment start() returned.
  var expected: Translation?
  var world: World
  /// After end(): whether the leaf still said what `expected` says when the
  /// caller used the outputs, just before end().
  var protectedUntilEnd: Bool?
  /// The args of the start() before the last one, as the walker left them.
  var previous: FollowPfnmapArgs?
}

/// Evaluates expressions of a rule. Every name resolves here, by the
/// vocabulary's meaning; nothing here knows any rule.
struct Evaluator {
  var target: Target
  var bindings: [String: Value] = [:]
  var spec = WorldSpec()
  var state: CallState?
  /// What the caller did, after `call caller(...)`.
  var callerState: CallerCaseState?
  /// The source text of the file, to quote expressions in explanations.
  var source: String

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
    case .version(let major, let minor): return .version(KernelRelease(major, minor))
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
    switch op {
    case .equal: return .boolean(valuesEqual(a, b))
    case .notEqual:
      if case .missing = a { return .boolean(false) }
      if case .missing = b { return .boolean(false) }
      return .boolean(!valuesEqual(a, b))
    case .less, .lessEqual, .greater, .greaterEqual: return .boolean(try order(op, a, b, lhs))
    case .member:
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

  private func resolve(_ name: String, _ range: SourceRange) throws -> Value {
    if let bound = bindings[name] { return bound }
    if let constant = try constant(name) { return constant }
    if let value = try worldValue(name) { return value }
    if let value = try callerValue(name, range) { return value }
    if let value = try stateValue(name, range) { return value }
    throw EvaluationError(message: "unknown name '\(name)'", range: range)
  }

  private func constant(_ name: String) throws -> Value? {
    if let level = PageLevel(name: name) { return .level(level) }
    if let flag = VMAFlags.named.first(where: { $0.0 == name }) { return .flags(flag.1) }
    if let state = EntryState(rawValue: name), state != .none { return .entryState(state) }
    if let hold = CallerHold(rawValue: name) { return .callerLocks([hold]) }
    switch name {
    case "true": return .boolean(true)
    case "false": return .boolean(false)
    case "none": return Value.none
    case "nothing": return .callerLocks([])
    case "EINVAL": return .integer(UInt64(Errno.EINVAL))
    case "ENOENT": return .integer(UInt64(Errno.ENOENT))
    case "strict", "relaxed": return .string(name)
    case "zap", "remap", "split", "collapse", "nonpresent", "free_table", "mprotect": return .string(name)
    case "arch": return .string(target.arch.name)
    case "kernel": return .version(target.release)
    case "api": return .version(target.walker.apiLevel.release)
    case "profile": return .string(target.walker.profile.rawValue)
    case "pmd_pfnmap": return .boolean(target.capabilities.pmdPfnmap)
    case "pud_pfnmap": return .boolean(target.capabilities.pudPfnmap)
    case "pte_special": return .boolean(target.capabilities.pteSpecial)
    case "split_pmd_locks": return .boolean(target.capabilities.splitPMDLocks)
    case "page_size": return .integer(target.arch.pageSize)
    case "leaf_levels": return .list(target.capabilities.leafLevels.map(Value.level))
    case "huge_levels": return .list(target.huge.map(Value.level))
    case "table_levels":
      return .list(target.arch.hardwareLevels.filter { $0 != .pte && $0 != .pgd }.map(Value.level))
    case "entry_levels":
      return .list(target.arch.hardwareLevels.filter { $0 != .pgd }.map(Value.level))
    default: return architectureConstant(name)
    }
  }

  private func worldValue(_ name: String) throws -> Value? {
    switch name {
    case "vma":
      return .record(
        "vma",
        [
          .init("start", .integer(spec.vmaStart)), .init("end", .integer(spec.vmaStart &+ spec.vmaSize)),
          .init("size", .integer(spec.vmaSize)),
        ])
    case "leaf":
      guard let leaf = spec.leaves.last else {
        throw EvaluationError(message: "'leaf' is used before any 'given leaf'", range: nil)
      }
      let size = target.arch.size(leaf.level)
      let start = leaf.covering & target.arch.mask(leaf.level)
      return .record(
        "leaf",
        [
          .init("start", .integer(start)), .init("end", .integer(start &+ size)),
          .init("size", .integer(size)), .init("pfn", .integer(leaf.properties.pfn)),
          .init("level", .level(leaf.level)),
        ])
    default: return nil
    }
  }

  private func stateValue(_ name: String, _ range: SourceRange) throws -> Value? {
    let stateNames: Set<String> = [
      "result", "pfn", "pgprot", "writable", "special", "addr_mask", "outputs", "expected", "held",
      "mapped", "lockdep_warned", "entries_written", "tables_changed", "args_unchanged",
      "protected_until_end", "adversary_steps", "previous",
    ]
    guard stateNames.contains(name) else { return nil }
    guard let state else {
      throw EvaluationError(message: "'\(name)' is only known after a call", range: range)
    }
    let hasAddrMask = target.walker.apiLevel >= .v6_15
    switch name {
    case "result":
      guard let result = state.result else {
        throw EvaluationError(message: "'result' names what start() returned; no start() ran", range: range)
      }
      return .signed(Int64(result))
    case "addr_mask":
      guard hasAddrMask else {
        throw NotApplicable(
          reason: "addr_mask is an output of API level 6.15; \(target.walker.name) claims \(target.walker.apiLevel.rawValue)")
      }
      return .integer(state.args.addrMask)
    case "pfn", "pgprot", "writable", "special":
      return outputs(state.args, addrMask: false).first { $0.name == name }!.value
    case "outputs": return .record("outputs", outputs(state.args, addrMask: hasAddrMask))
    case "previous":
      guard let previous = state.previous else {
        throw EvaluationError(message: "'previous' is only known after a second start()", range: range)
      }
      return .record("outputs", outputs(previous, addrMask: hasAddrMask))
    case "expected":
      guard let t = state.expected else {
        return .missing("no present leaf maps \(Value.integer(state.address))")
      }
      var fields = [
        Value.Field("pfn", .integer(t.pfn)), .init("pgprot", .integer(t.pgprot)),
        .init("writable", .boolean(t.writable)), .init("special", .boolean(t.special)),
      ]
      if hasAddrMask { fields.append(.init("addr_mask", .integer(t.addrMask))) }
      fields.append(.init("exists", .boolean(true)))
      fields.append(.init("level", .level(t.level)))
      return .record("expected", fields)
    case "held": return .locks(Set(state.world.heldLocks))
    case "mapped": return .integer(UInt64(state.world.mappedTables.values.reduce(0, +)))
    case "lockdep_warned": return .boolean(!state.world.lockdepWarnings.isEmpty)
    case "entries_written": return .boolean(state.world.writes.contains { $0.by == "walker" })
    case "tables_changed": return .boolean(!state.world.writes.isEmpty)
    case "args_unchanged": return .boolean(state.args == state.argsBefore)
    case "protected_until_end":
      guard let protected = state.protectedUntilEnd else {
        throw EvaluationError(message: "'protected_until_end' is only known after end()", range: range)
      }
      return .boolean(protected)
    case "adversary_steps": return .integer(UInt64(state.world.adversarySteps))
    default: return nil
    }
  }

  private func outputs(_ args: FollowPfnmapArgs, addrMask: Bool) -> [Value.Field] {
    var fields = [
      Value.Field("pfn", .integer(args.pfn)), .init("pgprot", .integer(args.pgprot)),
      .init("writable", .boolean(args.writable)), .init("special", .boolean(args.special)),
    ]
    if addrMask { fields.append(.init("addr_mask", .integer(args.addrMask))) }
    return fields
  }

  private func member(_ base: Value, _ name: String, _ range: SourceRange) throws -> Value {
    switch base {
    case .record(let record, let fields):
      if let field = fields.first(where: { $0.name == name }) { return field.value }
      if record == "outputs" || record == "expected", name == "addr_mask" {
        throw NotApplicable(
          reason: "addr_mask is an output of API level 6.15; \(target.walker.name) claims \(target.walker.apiLevel.rawValue)")
      }
      throw EvaluationError(message: "'\(record)' has no member '\(name)'", range: range)
    case .missing(let why):
      return name == "exists" ? .boolean(false) : .missing(why)
    default:
      throw EvaluationError(message: "\(base) has no member '\(name)'", range: range)
    }
  }

  // MARK: Functions

  /// A function applied to something the oracle does not have has no value either.
  private struct MissingArgument: Error { var reason: String }

  private func call(_ name: String, _ arguments: [Value], _ range: SourceRange) throws -> Value {
    do {
      return try apply(name, arguments, range)
    } catch let missing as MissingArgument {
      return .missing(missing.reason)
    }
  }

  private func apply(_ name: String, _ arguments: [Value], _ range: SourceRange) throws -> Value {
    func level(_ i: Int) throws -> PageLevel {
      guard i < arguments.count else {
        throw EvaluationError(message: "\(name)() takes a page-table level", range: range)
      }
      if case .missing(let why) = arguments[i] { throw MissingArgument(reason: why) }
      guard case .level(let l) = arguments[i] else {
        throw EvaluationError(message: "\(name)() takes a page-table level, not \(arguments[i])", range: range)
      }
      return l
    }
    switch name {
    case "mask_of": return .integer(target.arch.mask(try level(0)))
    case "size_of": return .integer(target.arch.size(try level(0)))
    case "lock_of":
      guard let state else { throw EvaluationError(message: "lock_of() is only known after a call", range: range) }
      let l = try level(0)
      guard let lock = state.world.lock(of: l, for: state.address) else {
        throw EvaluationError(
          message: "lock_of(\(l)): no \(l) entry maps \(Value.integer(state.address))", range: range)
      }
      return .locks([lock])
    case "random", "sample", "pages":
      throw EvaluationError(message: "\(name)() may only be a 'for' domain", range: range)
    default:
      throw EvaluationError(message: "unknown function '\(name)'", range: range)
    }
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
    where [.equal, .notEqual, .less, .lessEqual, .greater, .greaterEqual, .member].contains(op):
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
