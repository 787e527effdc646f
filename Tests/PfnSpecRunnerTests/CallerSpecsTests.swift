import PfnCallers
import PfnModel
import PfnResults
import PfnWalkers
import Testing

@testable import PfnSpecRunner

/// Runs the shipped caller rules for some callers, served by the reference.
func runCallers(
  _ callers: [any Caller], arches: [any Architecture] = [X86_64()], randomSchedules: Int = 0
) throws -> [Verdict] {
  var options = RunOptions()
  options.rules = Set(shippedSpecs.rules.filter(\.callsCaller).map(\.id.value))
  options.randomSchedules = randomSchedules
  let sink = CollectingSink()
  try Runner(
    files: shippedSpecs.files, sources: shippedSpecs.sources, walkers: [ReferenceWalker()], callers: callers,
    arches: arches, options: options
  ).run(into: sink)
  return sink.verdicts
}

/// The built-in unsafe shapes and mutants on x86_64, computed once.
let brokenCallerVerdicts: [Verdict] = (try? runCallers(BuiltinCallers.legacy + BuiltinCallers.mutants)) ?? []

func failedRules(ofCaller name: String) -> Set<String> {
  Set(failing(brokenCallerVerdicts.filter { $0.identity.key.walker == name }).map(\.identity.ruleID))
}

@Suite("The caller rules: the examples pass, the unsafe shapes and the mutants fail the rule written for them")
struct CallerSpecsTests {
  @Test("every caller that keeps the contract passes every caller rule on every architecture")
  func implementationsPass() throws {
    let verdicts = try runCallers(BuiltinCallers.implementations, arches: Architectures.all, randomSchedules: 2)
    #expect(verdicts.count > 500)
    for verdict in failing(verdicts) {
      Issue.record("\(verdict.identity.key) \(verdict.identity.caseName): \(verdict.message)")
    }
    // Only the strict rule skips, and only for the caller that claims synchronized.
    let skipped = Set(verdicts.filter { $0.outcome == .skipped }.map { "\($0.identity.key.walker) \($0.identity.ruleID)" })
    #expect(skipped == ["kvm-like CL-006"])
  }

  static let legacyKillers: [(UnsafeCaller.Shape, String)] = [
    (.vfioLike, "CL-002"), (.acrnLike, "CL-002"), (.endThenUse, "CL-001"), (.getPage, "CL-003"), (.sleeper, "CL-004"),
  ]

  @Test("each unsafe shape fails the rule written for it", arguments: legacyKillers)
  func legacyFails(shape: UnsafeCaller.Shape, rule: String) {
    #expect(failedRules(ofCaller: shape.rawValue).contains(rule), "\(shape.rawValue): \(failedRules(ofCaller: shape.rawValue).sorted())")
  }

  static let mutantKillers: [(String, String)] = [
    ("kvm-no-retry", "CL-001"), ("kvm-notifier-keeps-map", "CL-002"), ("kvm-claims-strict", "CL-006"),
    ("kvm-sleeps-in-window", "CL-004"), ("kvm-get-page-special", "CL-003"), ("kvm-retry-forever", "CL-008"),
    ("gap-compare-pfn-only", "CL-007"), ("gap-access-after-end", "CL-001"), ("gap-double-end", "CL-005"),
    ("gap-ioremap-in-window", "CL-004"), ("pat-no-end-on-special", "CL-005"),
  ]

  @Test("each caller mutant is caught by the rule written for its defect", arguments: mutantKillers)
  func mutantCaught(mutant: String, rule: String) {
    let failed = failedRules(ofCaller: "mutant:" + mutant)
    #expect(failed.contains(rule), "mutant:\(mutant) fails only \(failed.sorted())")
  }

  @Test("the killer tables name every unsafe shape and every caller mutant")
  func tablesComplete() {
    #expect(Set(Self.legacyKillers.map(\.0)) == Set(UnsafeCaller.Shape.allCases))
    let mutants = Set(BuiltinCallers.mutants.map(\.descriptor.name))
    #expect(Set(Self.mutantKillers.map { "mutant:" + $0.0 }) == mutants)
  }

  @Test("mutation analysis counts callers: no survivor, every caller rule catches a mutant")
  func analysis() {
    let analysis = MutationAnalysis(
      verdicts: brokenCallerVerdicts, walkers: [], callers: BuiltinCallers.all.map(\.descriptor))
    #expect(analysis.survivors.isEmpty)
    #expect(analysis.rulesKillingNoMutant.isEmpty, "\(analysis.rulesKillingNoMutant)")
  }

  @Test(
    "each reduction loses nothing on callers at bound 2: the same cases fail, every case reaches the same end states",
    arguments: ["commuting steps", "state caching"])
  func reductionIsSound(reduction: String) throws {
    func explore(_ reduce: Bool) throws -> [Verdict] {
      var options = RunOptions()
      options.rules = Set(shippedSpecs.rules.filter(\.callsCaller).map(\.id.value))
      options.raceBound = 2
      options.randomSchedules = 0
      options.raceReduction = reduction == "commuting steps" ? reduce : true
      options.raceStateCaching = reduction == "state caching" ? reduce : true
      options.jobs = 2
      let sink = CollectingSink()
      try Runner(
        files: shippedSpecs.files, sources: shippedSpecs.sources, walkers: [ReferenceWalker()],
        callers: BuiltinCallers.all, arches: [X86_64()],
        options: options
      ).run(into: sink)
      return sink.verdicts
    }
    func name(_ verdict: Verdict) -> String { "\(verdict.identity.key) \(verdict.identity.caseName)" }
    let reduced = try explore(true)
    let full = try explore(false)
    let failingReduced = Dictionary(
      uniqueKeysWithValues: reduced.filter { $0.outcome != .pass }.map { (name($0), "\($0.story.schedule ?? [])") })
    let failingFull = Dictionary(
      uniqueKeysWithValues: full.filter { $0.outcome != .pass }.map { (name($0), "\($0.story.schedule ?? [])") })
    #expect(!failingReduced.isEmpty)
    #expect(Set(failingReduced.keys) == Set(failingFull.keys))
    func states(_ verdicts: [Verdict]) -> [String: Int] {
      Dictionary(
        uniqueKeysWithValues: verdicts.filter { $0.outcome == .pass }.compactMap { verdict in
          verdict.story.exploration.map { (name(verdict), $0.distinctStates) }
        })
    }
    #expect(!states(reduced).isEmpty)
    #expect(states(reduced) == states(full))
    let explored = { (verdicts: [Verdict]) in verdicts.compactMap(\.story.exploration) }
    let schedules = { (verdicts: [Verdict]) in explored(verdicts).map(\.schedules).reduce(0, +) }
    #expect(schedules(reduced) < schedules(full))
    if reduction == "state caching" {
      // Caching keeps the search's order: the counterexamples are the same schedules.
      #expect(failingReduced == failingFull)
      #expect(explored(reduced).map(\.pruned).reduce(0, +) > 0)
      #expect(explored(full).allSatisfy { $0.pruned == 0 })
    }
  }

  @Test("a VFIO-like failure reads as a story: end(), the other CPU's zap, and the IOMMU that still maps the pfn")
  func vfioTrace() throws {
    let verdict = try #require(
      brokenCallerVerdicts.first {
        $0.identity.key.walker == "vfio-like" && $0.identity.caseName == "CL-002[level=pmd]"
      })
    #expect(verdict.outcome == .fail)
    #expect(verdict.message.contains("the iommu map"), "\(verdict.message)")
    #expect(verdict.message.contains("after CPU1's zap"), "\(verdict.message)")
    let story = verdict.details
    let end = try #require(story.range(of: "caller: follow_pfnmap_end"))
    let map = try #require(story.range(of: "caller: iommu map"))
    let zap = try #require(story.range(of: "CPU1 zap pmd"))
    #expect(end.lowerBound < map.lowerBound && map.lowerBound < zap.lowerBound, "\(story)")
    #expect(story.contains("Caller: vfio-like (synchronized)"))
    #expect(story.contains("pfnspec replay v1."))
  }

  @Test("a caller failure replays from its token: the same caller, schedule and message")
  func replays() throws {
    let verdict = try #require(
      brokenCallerVerdicts.first {
        $0.identity.key.walker == "mutant:kvm-no-retry" && $0.identity.caseName == "CL-001[level=pte]"
      })
    let text = try #require(verdict.details.split(separator: " ").first { $0.hasPrefix("v1.") })
    let token = try ReplayToken(decoding: String(text.prefix { !$0.isWhitespace }))
    #expect(token.caller == "mutant:kvm-no-retry")
    var options = RunOptions()
    options.rules = [token.rule]
    options.cases = [token.caseName]
    options.forcedSchedule = try token.decodedSchedule()
    options.walkerRules = false
    let name = try #require(token.caller)
    let caller = try #require(BuiltinCallers.named(name))
    let sink = CollectingSink()
    try Runner(
      files: shippedSpecs.files, sources: shippedSpecs.sources, walkers: [ReferenceWalker()], callers: [caller],
      arches: [X86_64()], options: options
    ).run(into: sink)
    let replayed = try #require(sink.verdicts.first)
    #expect(replayed.outcome == .fail)
    #expect(replayed.message == verdict.message)
  }
}
