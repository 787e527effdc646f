import ArgumentParser
import Foundation
import PfnCallers
import PfnModel
import PfnReports
import PfnResults
import PfnRun
import PfnSpecLanguage
import PfnSpecRunner
import PfnWalkers

struct List: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "List rules, walkers, callers, architectures or the rule vocabulary.")

  enum What: String, ExpressibleByArgument, CaseIterable {
    case rules, walkers, callers, arches, vocabulary
  }

  @Argument(help: "rules, walkers, callers, arches or vocabulary.")
  var what: What

  @OptionGroup var specs: SpecOptions

  @Option(
    name: .customLong("tag"), help: "Rules: only those with this tag (repeatable).",
    completion: .custom(ShellCompletion.tags))
  var tags: [String] = []

  @Option(name: .customLong("suite"), help: "Rules: only those of this suite (repeatable).")
  var suites: [String] = []

  @Option(
    name: .customLong("arch"),
    help: "Rules: only those that yield a case on this architecture for the reference walker (repeatable).",
    completion: .custom(ShellCompletion.architectures))
  var archNames: [String] = []

  /// Whether a rule passes the `--tag`, `--suite` and `--arch` filters.
  private func selected(_ rule: Rule, in file: SpecFile, source: String) throws -> Bool {
    if !tags.isEmpty && Set(tags).isDisjoint(with: rule.tagNames) { return false }
    if !suites.isEmpty && !suites.contains(file.suiteName) { return false }
    if !archNames.isEmpty {
      let arches = try validated { try SpecRun.arches(named: archNames) }
      let reference = ReferenceWalker().descriptor
      return arches.contains { RulePlanning.expand(rule, source: source, walker: reference, arch: $0).applies }
    }
    return true
  }

  func run() throws {
    switch what {
    case .rules:
      let set = try specs.load()
      for file in set.files {
        for rule in file.rules where try selected(rule, in: file, source: set.sources[file.path] ?? "") {
          let tags = rule.tagNames
          let sources = rule.sourceReferences.map(\.description)
          print("\(rule.id.value)\t\(file.suiteName)\t\(rule.title.value)")
          print("\t\(file.path):\(rule.range.start.line)  tags: \(tags.joined(separator: " "))  sources: \(sources.joined(separator: ", "))")
        }
      }
    case .walkers:
      for walker in BuiltinWalkers.all {
        let d = walker.descriptor
        print("\(d.name)\t\(d.role.rawValue), API \(d.apiLevel.rawValue), \(d.profile.rawValue)\n\t\(d.summary)")
      }
      print(PluginHelp.walkersListing)
    case .callers:
      for caller in BuiltinCallers.all {
        let d = caller.descriptor
        print("\(d.name)\t\(d.role.rawValue), \(d.profile.rawValue)\n\t\(d.summary)")
      }
      print("")
      print("Callers run the caller rules (Specs/callers.pfnspec); their lookups go to the run's first walker.")
      print("  --caller NAME          a built-in caller above, or builtin, legacy, mutants, all, none")
      print("  --caller PATH.so       a shared object built against pfnspec_caller_kernel.h, run in worker processes;")
      print("                         build one with cc -shared -fPIC $(pfnspec cflags) my_caller.c -o libmy_caller.so")
      print("See docs/callers.md.")
    case .arches:
      // The support matrix: one row per architecture and release where the
      // capabilities change (the facts file's Kconfig table).
      let releases = [KernelRelease.v6_12, .v6_15, KernelRelease(6, 16), .newest]
      print("arch\tkernel\tpmd_pfnmap\tpud_pfnmap\tpte_special\tsplit_pmd_locks\tpage\tlevels\tleaf_sizes\tuser_limit")
      for arch in Architectures.all {
        let levels = "\(arch.levelCount) (" + arch.hardwareLevels.map(\.description).joined(separator: "/") + ")"
        for release in releases {
          let c = arch.capabilities(release)
          let sizes = c.leafLevels.map { "\($0) \(byteSize(arch.size($0)))" }.joined(separator: ", ")
          let row = [
            arch.name, release.description, c.pmdPfnmap ? "yes" : "no", c.pudPfnmap ? "yes" : "no",
            c.pteSpecial ? "yes" : "no", c.splitPMDLocks ? "yes" : "no", byteSize(arch.pageSize), levels, sizes,
            "0x" + String(arch.userAddressLimit, radix: 16),
          ]
          print(row.joined(separator: "\t"))
        }
        print("\t\(arch.summary)")
      }
    case .vocabulary:
      let vocabulary = PfnVocabulary.make(contractAnchors: try specs.contractAnchors())
      print("given subjects:")
      for (name, subject) in vocabulary.subjects.sorted(by: { $0.key < $1.key }) {
        let attributes = subject.attributes.sorted { $0.key < $1.key }.map { "\($0.key) <\($0.value)>" }
        print("  \(name): \(subject.summary)\n    attributes: \(attributes.joined(separator: ", "))")
      }
      print("calls:")
      for (name, call) in vocabulary.calls.sorted(by: { $0.key < $1.key }) {
        print("  \(name)(\(call.parameters.map(\.description).joined(separator: ", "))): \(call.summary)")
      }
      print("functions:")
      for (name, function) in vocabulary.functions.sorted(by: { $0.key < $1.key }) {
        print("  \(name)(\(function.parameters.map(\.description).joined(separator: ", "))) -> \(function.result): \(function.summary)")
      }
      print("names:")
      for (name, info) in vocabulary.names.sorted(by: { $0.key < $1.key }) {
        let members = info.members.isEmpty ? "" : " {" + info.members.keys.sorted().joined(separator: ", ") + "}"
        print("  \(name) <\(info.type)>\(members): \(info.summary)")
      }
      print("scheduling points (given schedule { before|after POINT[#N]: OP LEVEL }):")
      for (name, summary) in vocabulary.schedulePoints.sorted(by: { $0.key < $1.key }) { print("  \(name): \(summary)") }
      print("schedule operations:")
      for (name, summary) in vocabulary.scheduleOperations.sorted(by: { $0.key < $1.key }) { print("  \(name): \(summary)") }
    }
  }
}

struct Mutants: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Run every built-in walker and show which rules catch which mutant.",
    discussion: """
      A mutant is killed only when a rule's expectation tells it apart; one that fails rules only \
      by faults (crashes, timeouts, errors shared by every rule on that fixture) is listed apart and \
      left out of the score. Exit status 0 when the reference passes every rule and every mutant \
      fails at least one.
      """)

  @OptionGroup var specs: SpecOptions

  @Option(help: "The seed of every random choice.")
  var seed: UInt64 = 0

  @Option(help: "text, or json: a Stryker mutation-testing report (mutants, status, killedBy) on standard output.")
  var format: MutantsFormat = .text

  func run() throws {
    let set = try specs.load()
    let (analysis, warnings) = try Self.analyse(set, seed: seed)
    switch format {
    case .text:
      print(analysis.render())
      let constant = analysis.constantExpectations(in: set.files, sources: set.sources)
      print("")
      print("expectations no walker or caller makes false (constant, like 'x == x or true'): " + (constant.isEmpty ? "none" : "\(constant.count)"))
      for expectation in constant {
        print("  \(expectation.location) \(expectation.rule): expect \(expectation.text)")
      }
    case .json:
      print(try StrykerReport(analysis, specs: set, version: PfnSpecVersion.current).json(), terminator: "")
    }
    Self.report(warnings, set, color: specs.color)
    if !analysis.isHealthy { throw Exit.failures }
  }

  /// Runs every built-in walker on every architecture; a rule no mutant fails
  /// gets a located warning (W311), like any other diagnostic.
  static func analyse(_ set: SpecSet, seed: UInt64) throws -> (MutationAnalysis, [Diagnostic]) {
    var options = RunOptions()
    options.seed = seed
    let walkers = BuiltinWalkers.all
    let callers = BuiltinCallers.all
    let sink = CollectingSink()
    try Runner(
      files: set.files, sources: set.sources, walkers: walkers, callers: callers, arches: Architectures.all,
      options: options
    ).run(into: sink)
    let analysis = MutationAnalysis(
      verdicts: sink.verdicts, walkers: walkers.map(\.descriptor), callers: callers.map(\.descriptor))
    let mutantCount = walkers.count { $0.descriptor.role == .mutant } + callers.count { $0.descriptor.role == .mutant }
    let warnings = analysis.rulesKillingNoMutant.compactMap { id in
      set.rule(id: id).map { Diagnostic.killsNoMutant(rule: $0.rule, file: $0.file.path, mutants: mutantCount) }
    }
    return (analysis, warnings)
  }

  static func report(_ warnings: [Diagnostic], _ set: SpecSet, color: ColorMode) {
    guard !warnings.isEmpty else { return }
    let renderer = DiagnosticRenderer(sources: set.sources, color: color.enablesColorOnStandardError)
    FileHandle.standardError.write(Data(renderer.render(warnings).utf8))
  }
}

/// 4K, 32M, 1G, 4T: a power-of-two size in the largest whole unit.
private func byteSize(_ bytes: UInt64) -> String {
  for (unit, shift) in [("T", 40), ("G", 30), ("M", 20), ("K", 10)] where bytes >= 1 << UInt64(shift) {
    return "\(bytes >> UInt64(shift))\(unit)"
  }
  return "\(bytes)"
}
