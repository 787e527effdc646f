import PfnModel
import PfnResults
import PfnSpecLanguage

/// One instance of a rule: its parameter values and the world it asks for.
struct PlannedCase {
  var parameters: [CaseParameter]
  var evaluator: Evaluator
}

/// What planning a rule for one target came to.
enum Plan {
  case cases([PlannedCase])
  case skipped(String)
  case error(String)
}

/// Expands a rule into cases for one target: checks `requires`, then walks the
/// clauses before the first `call`, branching at every `for` and collecting the
/// `given` world.
struct CasePlanner {
  var rule: Rule
  var source: String
  var target: Target
  var seed: UInt64
  var maxCases: Int

  var firstCall: Int {
    rule.clauses.firstIndex { if case .call = $0.kind { true } else { false } } ?? rule.clauses.count
  }

  func plan() -> Plan {
    var base = Evaluator(target: target, source: source)
    base.spec.vmaStart = WorldSpec.defaultVMAStart(for: target.arch)
    for clause in rule.clauses {
      guard case .requires(let condition) = clause.kind else { continue }
      do {
        if try !base.bool(base.evaluate(condition), condition) {
          return .skipped("requires \(base.text(condition)): \(base.explain(condition))")
        }
      } catch {
        return .error("in 'requires \(base.text(condition))': \(error)")
      }
    }
    var cases: [PlannedCase] = []
    do {
      try expand(from: 0, base, parameters: [], into: &cases)
    } catch let skip as NotApplicable {
      return .skipped(skip.reason)
    } catch {
      return .error("\(error)")
    }
    if cases.isEmpty {
      return .skipped("no case: a 'for' domain is empty on \(target.arch.name) with kernel \(target.release)")
    }
    return .cases(cases)
  }

  /// The limit a run would hit planning this rule, if any: a domain over
  /// 1,024 values or more than `maxCases` cases (W317). A rule that does not
  /// apply, or fails to plan for another reason, hits none.
  func cap() -> EvaluationError? {
    var base = Evaluator(target: target, source: source)
    base.spec.vmaStart = WorldSpec.defaultVMAStart(for: target.arch)
    for clause in rule.clauses {
      guard case .requires(let condition) = clause.kind else { continue }
      guard let holds = try? base.bool(base.evaluate(condition), condition), holds else { return nil }
    }
    var cases: [PlannedCase] = []
    do {
      try expand(from: 0, base, parameters: [], into: &cases)
    } catch let error as EvaluationError where error.isCap {
      return error
    } catch {
      return nil
    }
    return nil
  }

  private func expand(
    from index: Int, _ evaluator: Evaluator, parameters: [CaseParameter], into cases: inout [PlannedCase]
  ) throws {
    var evaluator = evaluator
    var index = index
    while index < firstCall {
      let clause = rule.clauses[index]
      index += 1
      switch clause.kind {
      case .given(let given):
        try apply(given, to: &evaluator)
      case .schedule(let schedule):
        evaluator.spec.pinned = try PinnedProgram(schedule, evaluator: evaluator)
      case .forEach(let variable, let domain):
        for value in try values(of: domain, evaluator, path: parameters) {
          var next = evaluator
          next.bindings[variable.value] = value
          let bound = parameters + [CaseParameter(name: variable.value, value: value.description)]
          try expand(from: index, next, parameters: bound, into: &cases)
        }
        return
      default:
        continue
      }
    }
    guard cases.count < maxCases else {
      throw EvaluationError(message: "rule expands to more than \(maxCases) cases", range: rule.id.range, isCap: true)
    }
    cases.append(PlannedCase(parameters: parameters, evaluator: evaluator))
  }

  /// The values of a `for` domain: a list, or `random(n, lo, hi)` drawn from a
  /// generator seeded by the run's seed, the rule, the architecture and the
  /// values bound so far, so that every walker sees the same cases.
  private func values(of domain: Expr, _ evaluator: Evaluator, path: [CaseParameter]) throws -> [Value] {
    if case .call(let name, let arguments) = domain.kind, let function = PfnVocabulary.functions[name.value],
      case .domain(let kind) = function.meaning
    {
      switch kind {
      case .random:
        guard arguments.count == 3 else {
          throw EvaluationError(message: "random(n, lo, hi) takes three integers", range: domain.range)
        }
        let n = try evaluator.integer(evaluator.evaluate(arguments[0]), arguments[0])
        let lo = try evaluator.integer(evaluator.evaluate(arguments[1]), arguments[1])
        let hi = try evaluator.integer(evaluator.evaluate(arguments[2]), arguments[2])
        guard lo < hi else {
          throw EvaluationError(
            message: "random(): empty range [\(Value.integer(lo)), \(Value.integer(hi)))", range: domain.range)
        }
        guard n <= 1024 else {
          throw EvaluationError(message: "random(): at most 1024 values", range: arguments[0].range, isCap: true)
        }
        let parts = [rule.id.value, target.arch.name] + path.map { "\($0.name)=\($0.value)" }
        var generator = SeededGenerator(seed: stableHash(parts, seed: seed))
        return (0..<n).map { _ in .integer(lo &+ UInt64.random(in: 0..<(hi &- lo), using: &generator)) }
      case .pages where arguments.count == 2:
        let lo = try evaluator.integer(evaluator.evaluate(arguments[0]), arguments[0])
        let hi = try evaluator.integer(evaluator.evaluate(arguments[1]), arguments[1])
        let page = evaluator.target.arch.pageSize
        let first = (lo &+ page &- 1) & ~(page &- 1)
        guard first < hi else { return [] }
        let count = (hi &- first &+ page &- 1) / page
        guard count <= 1024 else {
          throw EvaluationError(
            message:
              "pages(): \(count) pages in [\(Value.integer(lo)), \(Value.integer(hi))), at most 1024; use sample(n, pages(...)) or random()",
            range: domain.range, isCap: true)
        }
        return (0..<count).map { .integer(first &+ $0 &* page) }
      case .sample where arguments.count == 2:
        let n = try evaluator.integer(evaluator.evaluate(arguments[0]), arguments[0])
        let all = try values(of: arguments[1], evaluator, path: path)
        guard n < all.count else { return all }
        // Seeded like random(), and kept in the list's order so case names read naturally.
        let parts = [rule.id.value, target.arch.name, name.value] + path.map { "\($0.name)=\($0.value)" }
        var generator = SeededGenerator(seed: stableHash(parts, seed: seed))
        let chosen = Set(Array(all.indices).shuffled(using: &generator).prefix(Int(n)))
        return all.indices.filter(chosen.contains).map { all[$0] }
      case .pages, .sample:
        break  // A wrong number of arguments: evaluated below, which reports it.
      }
    }
    let value = try evaluator.evaluate(domain)
    guard case .list(let items) = value else {
      throw EvaluationError(message: "'for' needs a list, and '\(evaluator.text(domain))' is \(value)", range: domain.range)
    }
    return items
  }

  // MARK: Givens

  private func apply(_ given: Given, to evaluator: inout Evaluator) throws {
    guard let declaration = PfnVocabulary.subjects[given.subject.value] else {
      throw EvaluationError(message: "unknown given subject '\(given.subject.value)'", range: given.subject.range)
    }
    var values: [String: (Value, Expr)] = [:]
    for attribute in given.attributes {
      values[attribute.name.value] = (try evaluator.evaluate(attribute.value), attribute.value)
    }
    try declaration.apply(GivenValues(subject: given.subject, values: values, evaluator: evaluator), &evaluator)
  }
}
