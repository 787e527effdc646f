import PfnCallers
import PfnResults
import PfnSpecLanguage
import PfnSupport
import PfnWalkers

/// Which rules catch which deliberately broken walkers and callers: the
/// measure of whether the specs are strong enough.
public struct MutationAnalysis: Sendable {
  /// A walker or a caller, as far as the analysis cares.
  public struct Subject: Sendable, Hashable {
    public var name: String
    public var summary: String
    public var role: WalkerRole
  }

  public struct WalkerResult: Sendable {
    public var descriptor: Subject
    /// Rule id to the failing (or erroring) cases, in order.
    public var failingRules: [(rule: String, cases: [String])]
    public var tally: Tally
    /// Rules that fail by an expectation: a value the rule judges differs
    /// from what the contract (and the reference) gives. Only these kill.
    public var killingRules: [String] = []
    /// Rules that fail only by a fault, crash, timeout or error of the walker
    /// or caller: the mutant broke something, but no expectation told it apart.
    public var faultOnlyRules: [String] = []
    /// Rules that ran (not only skipped) for this subject.
    public var coveringRules: [String] = []
  }

  /// How a mutant ended.
  public enum Status: String, Sendable {
    /// A rule's expectation told it apart.
    case killed = "Killed"
    /// It failed rules only by faults (crashes, timeouts, errors): not counted in the score.
    case faultOnly = "RuntimeError"
    /// No rule failed it.
    case survived = "Survived"
  }

  /// An `expect` that held in every case under every walker and caller,
  /// mutants included: as far as the analysis can tell, it is constant.
  public struct ConstantExpectation: Sendable, Hashable {
    public var rule: String
    public var location: SourcePoint
    public var text: String
  }

  public private(set) var walkers: [WalkerResult] = []
  /// Rules in the order first seen.
  public private(set) var rules: [String] = []
  /// Where expectations failed, under any subject.
  private var failedExpectations = Set<SourcePoint>()
  /// Rules that ran (not only skipped) under some mutant.
  private var rulesRunUnderMutants = Set<String>()

  public init(verdicts: [Verdict], walkers: [WalkerDescriptor], callers: [CallerDescriptor] = []) {
    self.init(
      verdicts: verdicts,
      subjects: walkers.map { Subject(name: $0.name, summary: $0.summary, role: $0.role) }
        + callers.map { Subject(name: $0.name, summary: $0.summary, role: $0.role) })
  }

  init(verdicts: [Verdict], subjects descriptors: [Subject]) {
    var seenRules = Set<String>()
    var bySubject: [String: [Verdict]] = [:]
    for verdict in verdicts { bySubject[verdict.identity.key.walker, default: []].append(verdict) }
    for descriptor in descriptors {
      var failing: [(String, [String])] = []
      var failingIndex: [String: Int] = [:]
      var killing: [String] = [], killingSet = Set<String>()
      var covering: [String] = [], coveringSet = Set<String>()
      var tally = Tally()
      var faultRules: [String: Set<String>] = [:]  // fault signature -> rules it fails
      for verdict in bySubject[descriptor.name] ?? [] {
        let rule = verdict.identity.ruleID
        tally.add(verdict.outcome)
        if seenRules.insert(rule).inserted { rules.append(rule) }
        if verdict.outcome != .skipped, coveringSet.insert(rule).inserted {
          covering.append(rule)
          if descriptor.role == .mutant { rulesRunUnderMutants.insert(rule) }
        }
        if case .broken(let expectations, _)? = verdict.cause {
          for expectation in expectations { failedExpectations.insert(expectation.location) }
        }
        guard verdict.outcome == .fail || verdict.outcome == .error else { continue }
        if Self.failsByExpectation(verdict), killingSet.insert(rule).inserted { killing.append(rule) }
        if case .broken(_, let fault?)? = verdict.cause { faultRules[Self.signature(fault), default: []].insert(rule) }
        let name = "\(verdict.identity.caseName)@\(verdict.identity.key.arch)"
        if let index = failingIndex[rule] {
          failing[index].1.append(name)
        } else {
          failingIndex[rule] = failing.count
          failing.append((rule, [name]))
        }
      }
      var result = WalkerResult(descriptor: descriptor, failingRules: failing, tally: tally)
      // A fault the model judges (a lock taken twice, a lock left held) kills
      // when it is specific to few rules; one shared by most of the rules
      // that ran (a NULL vm_file on every file-less VMA) tells none apart.
      let sharedAt = max(3, (covering.count + 1) / 2)
      for (rule, _) in failing where !killingSet.contains(rule) {
        let specific = faultRules.contains { $0.value.contains(rule) && $0.value.count < sharedAt }
        if specific, killingSet.insert(rule).inserted { killing.append(rule) }
      }
      result.killingRules = killing
      result.faultOnlyRules = failing.map(\.0).filter { !killingSet.contains($0) }
      result.coveringRules = covering
      walkers.append(result)
    }
  }

  /// Whether a verdict failed because an expectation did not hold, with the
  /// walker running to the end: not a fault, crash, timeout or error, which
  /// every rule touching the same fixture would share.
  static func failsByExpectation(_ verdict: Verdict) -> Bool {
    guard verdict.outcome == .fail, case .broken(let expectations, let fault)? = verdict.cause else { return false }
    return !expectations.isEmpty && fault == nil
  }

  /// A fault's text without its numbers (addresses, levels' values), so that
  /// one defect met at many addresses is one signature.
  static func signature(_ fault: String) -> String {
    String(fault.unicodeScalars.filter { !("0"..."9").contains($0) }.map(Character.init))
      .replacingHex()
  }

  /// A mutant's status: killed only by an expectation.
  public func status(of result: WalkerResult) -> Status {
    if !result.killingRules.isEmpty { return .killed }
    return result.failingRules.isEmpty ? .survived : .faultOnly
  }

  /// The mutants (walkers and callers).
  public var mutants: [WalkerResult] { walkers.filter { $0.descriptor.role == .mutant } }

  /// Killed mutants over the mutants that ran without only faulting, in percent
  /// (Stryker's score: runtime errors are not counted).
  public var score: Double {
    let valid = mutants.filter { status(of: $0) != .faultOnly }
    guard !valid.isEmpty else { return 100 }
    return 100 * Double(valid.count { status(of: $0) == .killed }) / Double(valid.count)
  }

  /// Expectations of `files` that held in every case under every subject
  /// (mutants included) in rules that ran under some mutant: constant, like
  /// `result == result or true`, so they cannot tell any walker apart.
  public func constantExpectations(in files: [SpecFile], sources: [String: String]) -> [ConstantExpectation] {
    var found: [ConstantExpectation] = []
    for file in files {
      for rule in file.rules where rulesRunUnderMutants.contains(rule.id.value) {
        for clause in rule.clauses {
          guard case .expect(let condition) = clause.kind else { continue }
          let point = SourcePoint(
            file: file.path, line: condition.range.start.line, column: condition.range.start.column)
          guard !failedExpectations.contains(point) else { continue }
          let text = sourceSlice(sources[file.path] ?? "", from: condition.range.start.offset, to: condition.range.end.offset)
          found.append(ConstantExpectation(rule: rule.id.value, location: point, text: text))
        }
      }
    }
    return found
  }

  /// Mutants that no rule caught.
  public var survivors: [String] {
    mutants.filter { status(of: $0) == .survived }.map(\.descriptor.name)
  }

  /// Mutants that fail rules only by faults: caught, but by no rule's expectation.
  public var faultOnlyMutants: [String] {
    mutants.filter { status(of: $0) == .faultOnly }.map(\.descriptor.name)
  }

  /// Implementations (the reference) that failed something: the specs or the
  /// walker is wrong.
  public var brokenImplementations: [String] {
    walkers.filter { $0.descriptor.role == .implementation && !$0.failingRules.isEmpty }.map(\.descriptor.name)
  }

  /// Rules that no mutant fails.
  /// Rules that no mutant fails in any way (expectation, fault or error).
  public var rulesFailingNoMutant: [String] {
    let failing = Set(mutants.flatMap { $0.failingRules.map(\.rule) })
    return rules.filter { !failing.contains($0) }
  }

  /// Rules that kill no mutant by an expectation (failing one only by its
  /// faults does not count: every rule touching that fixture would).
  public var rulesKillingNoMutant: [String] {
    let killing = Set(mutants.flatMap(\.killingRules))
    return rules.filter { !killing.contains($0) }
  }

  public var isHealthy: Bool { survivors.isEmpty && brokenImplementations.isEmpty }

  /// A report for people.
  public func render() -> String {
    var lines: [String] = []
    for walker in walkers {
      let role = walker.descriptor.role.rawValue
      let status: String
      switch walker.descriptor.role {
      case .implementation: status = walker.failingRules.isEmpty ? "passes every rule" : "FAILS rules it must pass"
      case .mutant:
        switch self.status(of: walker) {
        case .killed: status = "killed by an expectation"
        case .faultOnly: status = "fails only by faults: no rule's expectation tells it apart (not counted)"
        case .survived: status = "SURVIVES: no rule catches it"
        }
      case .legacy: status = walker.failingRules.isEmpty ? "passes every rule" : "differs from the contract"
      }
      lines.append("\(walker.descriptor.name) [\(role)]: \(status)")
      lines.append("  \(walker.descriptor.summary)")
      if walker.descriptor.role == .mutant {
        lines.append("  killed by expectation in: " + (walker.killingRules.isEmpty ? "none" : walker.killingRules.joined(separator: ", ")))
        lines.append("  fails only by fault in: " + (walker.faultOnlyRules.isEmpty ? "none" : walker.faultOnlyRules.joined(separator: ", ")))
      }
      for (rule, cases) in walker.failingRules {
        let shown = cases.prefix(4).joined(separator: ", ")
        let more = cases.count > 4 ? ", +\(cases.count - 4) more" : ""
        lines.append("  fails \(rule): \(shown)\(more)")
      }
    }
    lines.append("")
    lines.append(
      "rules that catch no mutant: "
        + (rulesKillingNoMutant.isEmpty ? "none" : rulesKillingNoMutant.joined(separator: ", ")))
    let killed = mutants.count { status(of: $0) == .killed }
    lines.append(
      "mutants killed by an expectation: \(killed) of \(mutants.count)"
        + (faultOnlyMutants.isEmpty ? "" : "; failing only by faults (not counted): " + faultOnlyMutants.joined(separator: ", ")))
    let tenths = Int((score * 10).rounded())
    lines.append("mutation score: \(tenths / 10).\(tenths % 10)%")
    return lines.joined(separator: "\n")
  }
}

extension String {
  /// `x` runs of hex digits after `0x` collapsed (the digits are gone already).
  fileprivate func replacingHex() -> String {
    var out = ""
    var previous: Character?
    for character in self {
      if character == "x", previous == "0" || previous == "x" { continue }
      out.append(character)
      previous = character
    }
    return out
  }
}
