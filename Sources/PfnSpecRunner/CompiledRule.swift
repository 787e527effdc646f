import PfnSpecLanguage

/// An expression of a rule with what its case fixes already worked out: `for`
/// variables, constants, target and world names resolved once per case (not
/// looked up by name for every schedule), and operations on those folded.
///
/// Evaluating it gives what the evaluator gives for the expression it came
/// from, and throws what that throws: whatever could throw is left to run (or
/// left as written, `interpreted`), never decided early.
indirect enum CompiledExpr {
  /// A value the case fixes.
  case constant(Value)
  /// A name whose value comes from the state after the last call.
  case state(
    name: String, value: @Sendable (Evaluator, CallState, SourceRange) throws -> Value, range: SourceRange)
  case member(CompiledExpr, name: String, range: SourceRange)
  /// A function applied to its arguments (looked up once).
  case call(function: @Sendable (Evaluator, [Value], SourceRange) throws -> Value, [CompiledExpr], range: SourceRange)
  case list([CompiledExpr])
  /// The operator, the compiled operand and the operand as written (for messages).
  case unary(UnaryOperator, CompiledExpr, Expr)
  case binary(BinaryOperator, CompiledExpr, CompiledExpr, lhs: Expr, rhs: Expr)
  /// Evaluated as written: a name or function the vocabulary lacks, a world
  /// name that cannot be worked out; these throw as they would have.
  case interpreted(Expr)

  var constant: Value? {
    if case .constant(let value) = self { return value }
    return nil
  }
}

/// A clause after the first `call`, compiled once per case: what each
/// schedule's run does, with no name or keyword looked up again.
enum CompiledClause {
  /// `call start(address)`.
  case start(address: CompiledExpr, argument: Expr)
  /// `call end()`.
  case end(SourceRange)
  /// `call caller(address)`; without an argument the clause is an error
  /// (after the check that the run has a caller, as written).
  case caller(address: (compiled: CompiledExpr, argument: Expr)?, range: SourceRange)
  /// `expect condition`.
  case expect(CompiledExpr, condition: Expr)
  /// A clause that stops the run with this error when it is reached.
  case invalid(EvaluationError)
}

extension Evaluator {
  // MARK: Compiling

  /// `expr` compiled for this case. The evaluator is the planned one: its
  /// bindings, target and world spec are the case's, and no call has run.
  func compile(_ expr: Expr) -> CompiledExpr {
    switch expr.kind {
    case .integer, .version, .string:
      return folded(expr) ?? .interpreted(expr)
    case .identifier(let name):
      if let bound = bindings[name] { return .constant(bound) }
      guard let declaration = PfnVocabulary.names[name] else { return .interpreted(expr) }
      switch declaration.meaning {
      case .constant(let value): return .constant(value)
      case .target(let value): return .constant(value(target))
      // The world spec is fixed for the case; a name that cannot be worked out throws when reached.
      case .world(let value): return (try? value(self, expr.range)).map(CompiledExpr.constant) ?? .interpreted(expr)
      // Wrapped in a closure of this case's own: the vocabulary's closures are
      // shared by every thread, and each evaluation retains the one it calls.
      case .state(let value):
        return .state(name: name, value: { try value($0, $1, $2) }, range: expr.range)
      }
    case .member(let base, let member):
      let compiled = compile(base)
      if let value = compiled.constant, let folded = try? self.member(value, member.value, member.range) {
        return .constant(folded)
      }
      return .member(compiled, name: member.value, range: member.range)
    case .call(let name, let arguments):
      // Arguments are evaluated before the function is looked up: an unknown
      // one (or a domain) is left as written, to throw in that order.
      guard let declaration = PfnVocabulary.functions[name.value], case .value(let function) = declaration.meaning
      else { return .interpreted(expr) }
      return .call(function: function, arguments.map(compile), range: expr.range)
    case .list(let items):
      let compiled = items.map(compile)
      let values = compiled.compactMap(\.constant)
      return values.count == compiled.count ? .constant(.list(values)) : .list(compiled)
    case .unary(let op, let operand):
      let compiled = compile(operand)
      return compiled.constant.flatMap { _ in folded(expr) } ?? .unary(op, compiled, operand)
    case .binary(let op, let lhs, let rhs):
      let (left, right) = (compile(lhs), compile(rhs))
      let node = CompiledExpr.binary(op, left, right, lhs: lhs, rhs: rhs)
      return left.constant != nil && right.constant != nil ? folded(expr) ?? node : node
    }
  }

  /// The value of an expression whose operands are all fixed for the case
  /// (no call state, no function): evaluated once, unless it throws.
  private func folded(_ expr: Expr) -> CompiledExpr? {
    (try? evaluate(expr)).map(CompiledExpr.constant)
  }

  /// The clauses of `rule` from its first call on, compiled for this case.
  func compileRun(of rule: Rule) -> [CompiledClause] {
    var clauses: [CompiledClause] = []
    for clause in rule.clauses.dropFirst(CasePlanner.firstCall(in: rule)) {
      switch clause.kind {
      case .call(let call):
        guard let operation = CallName(rawValue: call.name.value) else {
          let unknown = EvaluationError(message: "unknown call '\(call.name.value)'", range: call.name.range)
          clauses.append(.invalid(unknown))
          continue
        }
        switch operation {
        case .start:
          guard let argument = call.arguments.first else {
            clauses.append(.invalid(EvaluationError(message: "start() takes an address", range: call.name.range)))
            continue
          }
          clauses.append(.start(address: compile(argument), argument: argument))
        case .end:
          clauses.append(.end(call.name.range))
        case .caller:
          clauses.append(
            .caller(address: call.arguments.first.map { (compile($0), $0) }, range: call.name.range))
        }
      case .expect(let condition):
        clauses.append(.expect(compile(condition), condition: condition))
      case .given, .schedule, .forEach:
        clauses.append(
          .invalid(EvaluationError(message: "'given' and 'for' must come before the first call", range: clause.range)))
      case .tags, .source, .why, .requires:
        continue
      }
    }
    return clauses
  }

  // MARK: Evaluating

  /// The value of a compiled expression: what evaluating the expression it
  /// came from gives now.
  func evaluate(_ expr: CompiledExpr) throws -> Value {
    switch expr {
    case .constant(let value): return value
    case .state(let name, let value, let range):
      guard let state else {
        throw EvaluationError(message: "'\(name)' is only known after a call", range: range)
      }
      return try value(self, state, range)
    case .member(let base, let name, let range):
      return try member(try evaluate(base), name, range)
    case .call(let function, let arguments, let range):
      return try apply(function, try arguments.map { try evaluate($0) }, range)
    case .list(let items):
      return .list(try items.map { try evaluate($0) })
    case .unary(let op, let compiled, let operand):
      let v = try evaluate(compiled)
      switch op {
      case .not: return .boolean(!(try bool(v, operand)))
      case .negate: return .integer(0 &- (try integer(v, operand)))
      case .bitNot: return .integer(~(try integer(v, operand)))
      }
    case .binary(let op, let left, let right, let lhs, let rhs):
      switch op {
      case .implies:
        return try bool(evaluate(left), lhs) ? .boolean(try bool(evaluate(right), rhs)) : .boolean(true)
      case .and:
        return try bool(evaluate(left), lhs) ? .boolean(try bool(evaluate(right), rhs)) : .boolean(false)
      case .or:
        return try bool(evaluate(left), lhs) ? .boolean(true) : .boolean(try bool(evaluate(right), rhs))
      default:
        let a = try evaluate(left)
        let b = try evaluate(right)
        return try combine(op, a, b, lhs, rhs)
      }
    case .interpreted(let expr):
      return try evaluate(expr)
    }
  }
}
