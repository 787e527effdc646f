import PfnModel
import PfnResults
import PfnSpecLanguage
import PfnWalkers
import Testing

@testable import PfnSpecRunner

@Suite("Pinned schedules: given schedule, replay --as-rule, the regression suite")
struct PinnedScheduleTests {
  /// The regression rule of a failing race case, as `replay --as-rule` prints it.
  func regressionRule(of verdict: Verdict, id: String) throws -> String {
    let file = try #require(shippedSpecs.files.first { $0.rules.contains { $0.id.value == verdict.identity.ruleID } })
    let rule = try #require(file.rules.first { $0.id.value == verdict.identity.ruleID })
    guard case .broken(let expectations, let fault)? = verdict.cause else {
      Issue.record("not a failed expectation: \(verdict.message)")
      return ""
    }
    return try RegressionRule(
      rule: rule, source: try #require(shippedSpecs.sources[file.path]), parameters: verdict.identity.parameters,
      schedule: verdict.story.schedule ?? [], failed: fault == nil ? expectations : [], id: id
    ).text()
  }

  @Test(
    "every race mutant's failure, printed as a rule, checks clean, fails the mutant and passes the reference",
    arguments: RaceTests.raceMutants)
  func counterexampleBecomesRule(mutation: ReferenceWalker.Mutation, rule: String) throws {
    let mutant = ReferenceWalker(mutation: mutation)
    let failure = try #require(
      try run(shippedSpecs, walkers: [mutant]) { $0.rules = [rule] }.first { $0.outcome == .fail },
      "mutant:\(mutation.rawValue) passes \(rule)")
    let text = try regressionRule(of: failure, id: "PIN-001")
    #expect(text.contains("given schedule { "), "\(text)")
    #expect(!text.contains("given race"), "\(text)")
    let pinned = specs("suite pinned \"kept races\"\n" + text)
    #expect(!pinned.diagnostics.contains { $0.severity == .error }, "\(pinned.render())\n\(text)")

    let arch = Architectures.named(failure.identity.key.arch)!
    let mutantVerdicts = try run(pinned, walkers: [mutant], arches: [arch])
    #expect(mutantVerdicts.map(\.outcome) == [.fail], "\(text)\n\(mutantVerdicts.map(\.details))")
    #expect(mutantVerdicts.first?.message == failure.message, "the rule fails for another reason")
    let reference = try run(pinned, walkers: [ReferenceWalker()], arches: Architectures.all)
    #expect(reference.allSatisfy { $0.outcome == .pass || $0.outcome == .skipped }, "\(failing(reference).map(\.details))")
    #expect(reference.contains { $0.outcome == .pass })
  }

  @Test("the failure of a pinned rule shows its schedule as a rule, beside the replay token")
  func failureShowsPinnedSchedule() throws {
    let verdict = try #require(
      try run(shippedSpecs, walkers: [ReferenceWalker(mutation: .staleHugeEntry)]) { $0.cases = ["REG-001"] }.first)
    #expect(verdict.outcome == .fail)
    #expect(verdict.story.schedule?.pinnedScheduleText == "given schedule { before pmd_lock: zap pmd }")
    #expect(verdict.details.contains("As a rule: given schedule { before pmd_lock: zap pmd }\nReplay: pfnspec replay v1."))
  }

  @Test("a step that needs a lock the walker holds waits for it; one that never gets it is named in the trace")
  func stepsWaitForLocks() throws {
    let text = """
      suite pinned "t"
      rule PIN-001 "t"
        source contract#C9
        given leaf at pmd
        given schedule { after pmd_lock: zap pmd; before end: remap pmd }
        call start(leaf.start)
        call end()
        expect result == 0 implies protected_until_end
      """
    let verdicts = try run(specs(text), walkers: [ReferenceWalker()]) { $0.randomSchedules = 0 }
    #expect(verdicts.map(\.outcome) == [.pass])
    // The same case as a failure shows the trace: make the walker drop its lock early.
    let broken = try run(specs(text), walkers: [ReferenceWalker(mutation: .unlockBeforeSuccess)])
    let details = try #require(broken.first).details
    #expect(broken.first?.outcome == .fail)
    // zap waited until the walker let go of the PMD lock: it ran at a later point than pmd_lock.
    #expect(details.contains("CPU1 zap pmd"), "\(details)")
    #expect(details.contains("CPU1 remap pmd (before end: remap pmd) never ran"), "\(details)")
  }

  @Test("a point whose level an architecture folds skips the rule there, with the reason")
  func foldedPointSkips() throws {
    let text = """
      suite pinned "t"
      rule PIN-001 "t"
        source contract#C9
        requires pmd in leaf_levels
        given leaf at pmd
        given schedule { before pud_lock: zap pmd }
        call start(leaf.start)
        expect result == 0 implies outputs == expected
      """
    let arm39 = try #require(Architectures.named("arm64-4k-39"))
    let verdicts = try run(specs(text), walkers: [ReferenceWalker()], arches: [arm39, X86_64()])
    #expect(verdicts.map(\.outcome) == [.skipped, .pass])
    #expect(verdicts.first?.message.contains("folds the pud level") == true, "\(verdicts.first?.message ?? "")")
  }

  @Test("the regression suite: the reference passes, each rule fails the walkers it was written for")
  func regressionSuite() throws {
    let regressions = try #require(shippedSpecs.files.first { $0.path.hasSuffix("regressions.pfnspec") })
    let ids = Set(regressions.rules.map(\.id.value))
    #expect(ids.count >= 5)
    let expectedKillers: [(any Walker, String)] = [
      (ReferenceWalker(mutation: .staleHugeEntry), "REG-001"), (Mainline612Walker(), "REG-001"),
      (Mainline612Walker(), "REG-002"), (ReferenceWalker(mutation: .wrongLevelLock), "REG-003"),
      (ReferenceWalker(mutation: .unlockBeforeSuccess), "REG-004"),
      (ReferenceWalker(mutation: .retryWithoutRewalk), "REG-005"),
    ]
    for (walker, rule) in expectedKillers {
      let verdicts = try run(shippedSpecs, walkers: [walker]) { $0.rules = [rule] }
      #expect(verdicts.contains { $0.outcome == .fail }, "\(walker.descriptor.name) passes \(rule)")
    }
    let reference = try run(shippedSpecs, walkers: [ReferenceWalker()], arches: Architectures.all) { $0.rules = ids }
    #expect(failing(reference).isEmpty, "\(failing(reference).map(\.details))")
  }
}
