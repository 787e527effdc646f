import ArgumentParser
import Foundation
import PfnModel
import PfnResults
import PfnSpecLanguage
import PfnSpecRunner
import PfnWalkers

/// `pfnspec explain RULE`: everything an author or reviewer asks of one rule.
struct Explain: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Explain a rule: its promise and sources, the cases it expands to, and which walkers pass it.",
    discussion: "Runs the rule against every built-in walker on every architecture to say who passes and who fails.")

  @Argument(help: "A rule id, such as LT-001.", completion: .custom(ShellCompletion.ruleIDs))
  var rule: String

  @OptionGroup var specs: SpecOptions

  @Option(help: "The seed of every random choice.")
  var seed: UInt64 = 0

  @Flag(help: "Only the rule and its cases; do not run the walkers.")
  var noRun = false

  func run() throws {
    let set = try specs.load()
    guard let (rule, file) = set.rule(id: rule) else {
      let ids = set.rules.map(\.id.value)
      let near = Suggestions.closest(to: self.rule, among: ids).map { " (did you mean '\($0)'?)" } ?? ""
      throw ValidationError("no rule '\(self.rule)' in \(specs.paths.joined(separator: ", "))\(near)")
    }
    let source = set.sources[file.path] ?? ""
    let clauses = Dictionary(
      (try? ContractDocument.clauses(markdown: specs.contractText()))?.map { ($0.id, $0) } ?? [],
      uniquingKeysWith: { first, _ in first })

    print("\(rule.id.value) · \(rule.title.value)")
    print("  suite \(file.suiteName), \(file.path):\(rule.range.start.line)")
    if !rule.tagNames.isEmpty { print("  tags: \(rule.tagNames.joined(separator: " "))") }
    if let why = rule.whyText { print("  why: \(why)") }

    print("\nsources:")
    for reference in rule.sourceReferences {
      guard case .contract(let anchor) = reference, let clause = clauses[anchor] else {
        print("  \(reference)")
        continue
      }
      print("  \(reference) · \(clause.title)  (\(clause.group))")
      for line in clause.body.split(separator: "\n", omittingEmptySubsequences: false) {
        print("    \(line)".trimmingTrailingSpaces)
      }
    }

    let requires = rule.clauses.compactMap { c -> String? in
      if case .requires(let e) = c.kind { sourceText(source, e.range) } else { nil }
    }
    let parameters = rule.clauses.compactMap { c -> String? in
      if case .forEach(let variable, let domain) = c.kind {
        "for \(variable.value) in \(sourceText(source, domain.range))"
      } else { nil }
    }
    print("\napplies when: \(requires.isEmpty ? "always" : requires.joined(separator: " and "))")
    print("parameters:\(parameters.isEmpty ? " none (one case)" : "")")
    for parameter in parameters { print("  \(parameter)") }

    let release = KernelRelease.newest
    print("\ncases (walker reference, kernel \(release), seed \(seed)):")
    let reference = ReferenceWalker().descriptor
    for arch in Architectures.all {
      switch RulePlanning.expand(rule, source: source, walker: reference, arch: arch, release: release, seed: seed) {
      case .cases(let names):
        let shown = names.prefix(3).joined(separator: ", ") + (names.count > 3 ? ", ..." : "")
        print("  \(arch.name): \(names.count) case\(names.count == 1 ? "" : "s"): \(shown)")
      case .skipped(let reason): print("  \(arch.name): skipped: \(reason)")
      case .error(let message): print("  \(arch.name): error: \(message)")
      }
    }

    guard !noRun else { return }
    var options = RunOptions()
    options.seed = seed
    options.rules = [rule.id.value]
    let walkers = BuiltinWalkers.all
    let sink = CollectingSink()
    try Runner(
      files: [file], sources: set.sources, walkers: walkers, arches: Architectures.all, options: options
    ).run(into: sink)
    print("\nwalkers (every architecture):")
    let width = walkers.map(\.descriptor.name.count).max() ?? 0
    for walker in walkers {
      let mine = sink.verdicts.filter { $0.identity.key.walker == walker.descriptor.name }
      let failed = mine.filter { $0.outcome == .fail || $0.outcome == .error }
      let passed = mine.count { $0.outcome == .pass }
      let skipped = mine.filter { $0.outcome == .skipped }
      let name = walker.descriptor.name.padding(toLength: width, withPad: " ", startingAt: 0)
      var line = "  \(name)  "
      if !failed.isEmpty {
        let first = failed[0]
        line += "FAILS \(failed.count) of \(mine.count) cases, e.g. \(first.identity.caseName)@\(first.identity.key.arch)"
      } else if passed > 0 {
        line += "passes (\(passed) cases\(skipped.isEmpty ? "" : ", \(skipped.count) skipped"))"
      } else if let reason = skipped.first?.message {
        line += "skipped: \(reason)"
      } else {
        line += "no case"
      }
      print(line)
    }
    let mutants = walkers.filter { $0.descriptor.role == .mutant }
    let killed = mutants.filter { mutant in
      sink.verdicts.contains {
        $0.identity.key.walker == mutant.descriptor.name && ($0.outcome == .fail || $0.outcome == .error)
      }
    }
    print("\n\(rule.id.value) kills \(killed.count) of \(mutants.count) mutants")
  }
}

/// `pfnspec explain-error CODE`: what a diagnostic code means.
struct ExplainError: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "explain-error",
    abstract: "Explain a diagnostic code, such as E203 or W307.")

  @Argument(help: "A diagnostic code (E001-E220, W301-W317), or 'all' for the whole table.")
  var code: String

  func run() throws {
    if code.lowercased() == "all" {
      for code in DiagnosticCode.allCases { print("\(code.rawValue)  \(code.severity.rawValue)  \(code.summary)") }
      return
    }
    guard let diagnostic = DiagnosticCode(code: code) else {
      let codes = DiagnosticCode.allCases.map(\.rawValue)
      let near = Suggestions.closest(to: code.uppercased(), among: codes).map { "; did you mean '\($0)'?" } ?? ""
      throw ValidationError("unknown diagnostic code '\(code)'\(near) (try 'pfnspec explain-error all')")
    }
    print("\(diagnostic.rawValue) (\(diagnostic.severity.rawValue), \(Self.group(of: diagnostic)))")
    print("  \(diagnostic.summary)")
    print("  \(diagnostic.severity == .error ? "An error stops 'check' (exit 2) and 'run'." : "A warning is shown but does not stop a run, unless '--strict' makes it an error (W311 excepted).")")
    print("  More: docs/rule-language.md, section Diagnostics.")
  }

  static func group(of code: DiagnosticCode) -> String {
    switch code.rawValue.prefix(2) {
    case "E0": "reading and lexing"
    case "E1": "syntax"
    case "E2": "names and meaning"
    default: "suspicious rules"
    }
  }
}

extension String {
  /// The string without the blanks at its end.
  var trimmingTrailingSpaces: String {
    var copy = self
    while copy.last == " " { copy.removeLast() }
    return copy
  }
}
