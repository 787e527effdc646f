import PfnModel
import PfnResults
import PfnSpecLanguage
import PfnWalkers

/// What a rule expands to for one walker on one architecture, without running
/// anything: for tools that explain and list rules.
public enum RulePlanning {
  /// The outcome of planning a rule for one target.
  public enum Expansion: Sendable {
    /// The rule applies, with these cases (named as reports name them).
    case cases([String])
    /// The rule does not apply there, and why.
    case skipped(String)
    /// The rule cannot be planned there (a world or domain it cannot build).
    case error(String)

    /// Whether the rule yields at least one case.
    public var applies: Bool {
      if case .cases(let names) = self { return !names.isEmpty }
      return false
    }
  }

  /// Expands `rule` for `walker` on `arch`, as a run would.
  ///
  /// - Parameters:
  ///   - rule: The rule to expand.
  ///   - source: The text of the rule's file, to quote expressions in reasons.
  ///   - walker: The walker's descriptor, whose profile and API level gate the rule.
  ///   - arch: The architecture, whose levels and capabilities gate the rule.
  ///   - release: The kernel release the architecture is taken at.
  ///   - seed: The seed of `random()` and `sample()` domains.
  ///   - maxCases: The most cases the expansion may yield before it stops with an error.
  public static func expand(
    _ rule: Rule, source: String, walker: WalkerDescriptor, arch: any Architecture,
    release: KernelRelease = .newest, seed: UInt64 = 0, maxCases: Int = 4096
  ) -> Expansion {
    let target = Target(arch: arch, release: release, capabilities: arch.capabilities(release), walker: walker)
    let planner = CasePlanner(rule: rule, source: source, target: target, seed: seed, maxCases: maxCases)
    switch planner.plan() {
    case .skipped(let reason): return .skipped(reason)
    case .error(let message): return .error(message)
    case .cases(let planned):
      return .cases(
        planned.map { planned in
          CaseIdentity(
            key: SuiteKey(suite: "", walker: walker.name, arch: arch.name), ruleID: rule.id.value,
            ruleTitle: rule.title.value, parameters: planned.parameters
          ).caseName
        })
    }
  }

  /// W317: the rules of `specs` that a run would cap on some architecture (a
  /// `for` domain over 1,024 values, more than `maxCases` cases), one warning
  /// per rule at the place that hits the cap, naming the first architecture.
  ///
  /// Planning stops at the cap, so this costs at most what planning a run costs.
  public static func capWarnings(
    _ specs: SpecSet, walker: WalkerDescriptor, arches: [any Architecture] = Architectures.all,
    release: KernelRelease = .newest, seed: UInt64 = 0, maxCases: Int = 4096
  ) -> [Diagnostic] {
    var warnings: [Diagnostic] = []
    for file in specs.files {
      let source = specs.sources[file.path] ?? ""
      for rule in file.rules {
        for arch in arches {
          let target = Target(arch: arch, release: release, capabilities: arch.capabilities(release), walker: walker)
          let planner = CasePlanner(rule: rule, source: source, target: target, seed: seed, maxCases: maxCases)
          guard let cap = planner.cap() else { continue }
          warnings.append(
            Diagnostic(
              .cappedRule(rule: rule.id.value, reason: "\(cap.message) on \(arch.name)"), file: file.path,
              range: cap.range ?? rule.id.range,
              hints: [
                "a run reports the rule as an error wherever it is capped; draw fewer values (sample(n, ...), random(n, ...) with n up to 1024) or split the rule"
              ]))
          break
        }
      }
    }
    return warnings
  }
}
