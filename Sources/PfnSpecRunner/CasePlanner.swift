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
      throw EvaluationError(message: "rule expands to more than \(maxCases) cases", range: rule.range)
    }
    cases.append(PlannedCase(parameters: parameters, evaluator: evaluator))
  }

  /// The values of a `for` domain: a list, or `random(n, lo, hi)` drawn from a
  /// generator seeded by the run's seed, the rule, the architecture and the
  /// values bound so far, so that every walker sees the same cases.
  private func values(of domain: Expr, _ evaluator: Evaluator, path: [CaseParameter]) throws -> [Value] {
    if case .call(let name, let arguments) = domain.kind, name.value == "random" {
      guard arguments.count == 3 else {
        throw EvaluationError(message: "random(n, lo, hi) takes three integers", range: domain.range)
      }
      let n = try evaluator.integer(evaluator.evaluate(arguments[0]), arguments[0])
      let lo = try evaluator.integer(evaluator.evaluate(arguments[1]), arguments[1])
      let hi = try evaluator.integer(evaluator.evaluate(arguments[2]), arguments[2])
      guard lo < hi else {
        throw EvaluationError(message: "random(): empty range [\(Value.integer(lo)), \(Value.integer(hi)))", range: domain.range)
      }
      guard n <= 1024 else {
        throw EvaluationError(message: "random(): at most 1024 values", range: arguments[0].range)
      }
      let parts = [rule.id.value, target.arch.name] + path.map { "\($0.name)=\($0.value)" }
      var generator = SeededGenerator(seed: stableHash(parts, seed: seed))
      return (0..<n).map { _ in .integer(lo &+ UInt64.random(in: 0..<(hi &- lo), using: &generator)) }
    }
    if case .call(let name, let arguments) = domain.kind, name.value == "pages", arguments.count == 2 {
      let lo = try evaluator.integer(evaluator.evaluate(arguments[0]), arguments[0])
      let hi = try evaluator.integer(evaluator.evaluate(arguments[1]), arguments[1])
      let page = evaluator.target.arch.pageSize
      let first = (lo &+ page &- 1) & ~(page &- 1)
      guard first < hi else { return [] }
      let count = (hi &- first &+ page &- 1) / page
      guard count <= 1024 else {
        throw EvaluationError(
          message: "pages(): \(count) pages in [\(Value.integer(lo)), \(Value.integer(hi))), at most 1024; use sample(n, pages(...)) or random()",
          range: domain.range)
      }
      return (0..<count).map { .integer(first &+ $0 &* page) }
    }
    if case .call(let name, let arguments) = domain.kind, name.value == "sample", arguments.count == 2 {
      let n = try evaluator.integer(evaluator.evaluate(arguments[0]), arguments[0])
      let all = try values(of: arguments[1], evaluator, path: path)
      guard n < all.count else { return all }
      // Seeded like random(), and kept in the list's order so case names read naturally.
      let parts = [rule.id.value, target.arch.name, "sample"] + path.map { "\($0.name)=\($0.value)" }
      var generator = SeededGenerator(seed: stableHash(parts, seed: seed))
      let chosen = Set(Array(all.indices).shuffled(using: &generator).prefix(Int(n)))
      return all.indices.filter(chosen.contains).map { all[$0] }
    }
    let value = try evaluator.evaluate(domain)
    guard case .list(let items) = value else {
      throw EvaluationError(message: "'for' needs a list, and '\(evaluator.text(domain))' is \(value)", range: domain.range)
    }
    return items
  }

  // MARK: Givens

  private func apply(_ given: Given, to evaluator: inout Evaluator) throws {
    var values: [String: (Value, Expr)] = [:]
    for attribute in given.attributes {
      values[attribute.name.value] = (try evaluator.evaluate(attribute.value), attribute.value)
    }
    func integer(_ name: String) throws -> UInt64? {
      guard let (v, e) = values[name] else { return nil }
      return try evaluator.integer(v, e)
    }
    func bool(_ name: String) throws -> Bool? {
      guard let (v, e) = values[name] else { return nil }
      return try evaluator.bool(v, e)
    }
    func level(_ name: String) throws -> PageLevel {
      guard let (v, e) = values[name] else {
        throw EvaluationError(message: "'given \(given.subject.value)' needs '\(name)'", range: given.subject.range)
      }
      guard case .level(let l) = v else { throw evaluator.mismatch("a page-table level", v, e) }
      return l
    }

    switch given.subject.value {
    case "vma":
      if let (v, e) = values["flags"] {
        switch v {
        case .flags(let f): evaluator.spec.vmaFlags = f
        case .none: evaluator.spec.vmaFlags = []
        default: throw evaluator.mismatch("VMA flags", v, e)
        }
      }
      if let file = try bool("file") { evaluator.spec.fileBacked = file }
      if let start = try integer("start") { evaluator.spec.vmaStart = start }
      if let size = try integer("size") { evaluator.spec.vmaSize = size }
    case "leaf":
      let at = try level("at")
      let index = evaluator.spec.leaves.count
      let properties = LeafProperties(
        pfn: try integer("pfn") ?? evaluator.spec.defaultPFN(index: index),
        writable: try bool("writable") ?? true, special: try bool("special") ?? true,
        dirty: try bool("dirty") ?? false, executable: try bool("exec") ?? false,
        uncached: try bool("uncached") ?? false)
      let covering = try integer("covering") ?? evaluator.spec.vmaStart
      evaluator.spec.leaves.append((at, properties, covering))
    case "entry":
      let at = try level("at")
      let state: EntryState
      switch values["is"] {
      case (.entryState(let s), _)?: state = s
      case (.none, _)?: state = .none
      case let (v, e)?: throw evaluator.mismatch("an entry state (none, swap, protnone, bad)", v, e)
      case nil: throw EvaluationError(message: "'given entry' needs 'is'", range: given.subject.range)
      }
      let covering = try integer("covering") ?? evaluator.spec.vmaStart
      evaluator.spec.entries.append((at, state, covering, try integer("pfn") ?? 0x1234))
    case "request":
      if let write = try bool("write") { evaluator.spec.requestWrite = write }
    case "args":
      if let fill = try integer("fill") { evaluator.spec.argsFill = fill }
    case "caller":
      guard let (v, e) = values["holds"] else {
        throw EvaluationError(message: "'given caller' needs 'holds'", range: given.subject.range)
      }
      var holds: Set<CallerHold> = []
      let items: [Value]
      if case .list(let list) = v { items = list } else { items = [v] }
      for item in items {
        switch item {
        case .callerLocks(let set): holds.formUnion(set)
        case .none: break
        default: throw evaluator.mismatch("a caller lock (mmap_read, mmap_write, i_mmap_rwsem, nothing)", item, e)
        }
      }
      evaluator.spec.caller = holds
    case "race":
      var kinds: [AdversaryKind] = AdversaryKind.allCases
      if let (v, e) = values["ops"] {
        let items: [Value]
        if case .list(let list) = v { items = list } else { items = [v] }
        kinds = try items.map { item in
          guard case .string(let name) = item, let kind = AdversaryKind(rawValue: name) else {
            throw evaluator.mismatch(
              "an adversary operation (" + AdversaryKind.allCases.map(\.rawValue).joined(separator: ", ") + ")", item, e)
          }
          return kind
        }
      }
      let bound = try integer("bound") ?? 2
      guard bound <= 8 else {
        throw EvaluationError(message: "a race bound above 8 would not finish", range: given.subject.range)
      }
      evaluator.spec.race = (kinds, Int(bound))
    default:
      throw EvaluationError(message: "unknown given subject '\(given.subject.value)'", range: given.subject.range)
    }
  }
}
