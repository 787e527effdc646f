import PfnCallers
import PfnResults
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
  }

  public private(set) var walkers: [WalkerResult] = []
  /// Rules in the order first seen.
  public private(set) var rules: [String] = []

  public init(verdicts: [Verdict], walkers: [WalkerDescriptor], callers: [CallerDescriptor] = []) {
    self.init(
      verdicts: verdicts,
      subjects: walkers.map { Subject(name: $0.name, summary: $0.summary, role: $0.role) }
        + callers.map { Subject(name: $0.name, summary: $0.summary, role: $0.role) })
  }

  init(verdicts: [Verdict], subjects descriptors: [Subject]) {
    var seenRules = Set<String>()
    for descriptor in descriptors {
      var failing: [(String, [String])] = []
      var tally = Tally()
      for verdict in verdicts where verdict.identity.key.walker == descriptor.name {
        tally.add(verdict.outcome)
        if seenRules.insert(verdict.identity.ruleID).inserted { rules.append(verdict.identity.ruleID) }
        guard verdict.outcome == .fail || verdict.outcome == .error else { continue }
        let name = "\(verdict.identity.caseName)@\(verdict.identity.key.arch)"
        if let index = failing.firstIndex(where: { $0.0 == verdict.identity.ruleID }) {
          failing[index].1.append(name)
        } else {
          failing.append((verdict.identity.ruleID, [name]))
        }
      }
      walkers.append(WalkerResult(descriptor: descriptor, failingRules: failing, tally: tally))
    }
  }

  /// Mutants that no rule caught.
  public var survivors: [String] {
    walkers.filter { $0.descriptor.role == .mutant && $0.failingRules.isEmpty }.map(\.descriptor.name)
  }

  /// Implementations (the reference) that failed something: the specs or the
  /// walker is wrong.
  public var brokenImplementations: [String] {
    walkers.filter { $0.descriptor.role == .implementation && !$0.failingRules.isEmpty }.map(\.descriptor.name)
  }

  /// Rules that no mutant fails.
  public var rulesKillingNoMutant: [String] {
    let killing = Set(walkers.filter { $0.descriptor.role == .mutant }.flatMap { $0.failingRules.map(\.rule) })
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
      case .mutant: status = walker.failingRules.isEmpty ? "SURVIVES: no rule catches it" : "caught"
      case .legacy: status = walker.failingRules.isEmpty ? "passes every rule" : "differs from the contract"
      }
      lines.append("\(walker.descriptor.name) [\(role)]: \(status)")
      lines.append("  \(walker.descriptor.summary)")
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
    let mutants = walkers.filter { $0.descriptor.role == .mutant }.count
    lines.append("mutants caught: \(mutants - survivors.count) of \(mutants)")
    return lines.joined(separator: "\n")
  }
}
