import PfnCallers
import PfnReports
import Foundation
import PfnModel
import PfnResults
import PfnSpecLanguage
import PfnWalkers
import Testing

@testable import PfnSpecRunner

@Suite("How the runner turns rules into verdicts")
struct RunnerBehaviourTests {
  let reference: [any Walker] = [ReferenceWalker()]

  @Test("the same seed gives the same verdicts, byte for byte apart from times")
  func deterministic() throws {
    func strip(_ verdicts: [Verdict]) -> [String] {
      verdicts.map { "\($0.identity.key) \($0.identity.caseName) \($0.outcome) \($0.message) \($0.details)" }
    }
    let walkers: [any Walker] = [ReferenceWalker(), ReferenceWalker(mutation: .ignoreHugeOffset)]
    let first = try run(shippedSpecs, walkers: walkers) { $0.seed = 7 }
    let second = try run(shippedSpecs, walkers: walkers) { $0.seed = 7 }
    #expect(strip(first) == strip(second))
    let other = try run(shippedSpecs, walkers: walkers) { $0.seed = 8 }
    #expect(Set(first.map(\.identity.caseName)) != Set(other.map(\.identity.caseName)))
  }

  @Test("every walker sees the same cases: random addresses do not depend on the walker")
  func casesIndependentOfWalker() throws {
    let verdicts = try run(shippedSpecs, walkers: [ReferenceWalker(), FollowPTEWalker()]) { $0.seed = 3 }
    // A rule outside follow_pte's claim (API 6.12) is one skipped verdict: leave those out.
    let skipped = Set(verdicts.filter { $0.outcome == .skipped }.map(\.identity.ruleID))
    let byWalker = Dictionary(grouping: verdicts.filter { !skipped.contains($0.identity.ruleID) }, by: \.identity.key.walker)
      .mapValues { Set($0.map(\.identity.caseName)) }
    #expect(byWalker["reference"] == byWalker["follow_pte"])
  }

  @Test("a new rule needs no Swift: written here, it runs and judges")
  func newRuleRunsWithoutCode() throws {
    let set = specs(
      """
      suite adhoc "written in a test"

      rule AD-001 "two leaves, two lookups, two locks"
        source contract#C32
        requires pmd_pfnmap
        given leaf at pmd covering vma.start
        given leaf at pte covering vma.start + size_of(pmd) + 3 * page_size pfn 0x777
        call start(vma.start + size_of(pmd) + 3 * page_size + 5)
        expect result == 0 and pfn == 0x777 and held == lock_of(pte)
        call end()
        call start(vma.start + 12345)
        expect held == lock_of(pmd) and pfn == expected.pfn
        call end()
        expect held == none
      """)
    #expect(!set.hasErrors, "\(set.render())")
    let verdicts = try run(set, walkers: reference)
    #expect(verdicts.count == 1)
    #expect(verdicts.first?.outcome == .pass, "\(verdicts.first?.details ?? "")")
  }

  @Test("a failed expectation says what was expected and what happened, and how to replay")
  func failureExplains() throws {
    let set = specs(
      """
      suite adhoc "t"
      rule AD-002 "a deliberately wrong expectation"
        source contract#C21
        given leaf at pte pfn 0x1000
        call start(vma.start)
        expect pfn == 0x2000
      """)
    let verdict = try #require(try run(set, walkers: reference).first)
    #expect(verdict.outcome == .fail)
    #expect(verdict.message.contains("pfn = 0x1000"))
    #expect(verdict.message.contains("0x2000"))
    #expect(verdict.details.contains("Inline.pfnspec:6:"))
    #expect(verdict.details.contains("Replay: pfnspec run /"))
    #expect(verdict.details.contains("/Inline.pfnspec --rule AD-002 --case AD-002"), "the spec path is absolute")
    #expect(verdict.details.contains("read pte@"))
  }

  @Test("a record comparison names the fields that differ")
  func recordDifferences() throws {
    let set = specs(
      """
      suite adhoc "t"
      rule AD-003 "outputs of a mutant"
        source contract#C21
        given leaf at pmd
        call start(vma.start + 5 * page_size)
        expect outputs == expected
      """)
    let verdict = try #require(try run(set, walkers: [ReferenceWalker(mutation: .ignoreHugeOffset)]).first)
    #expect(verdict.outcome == .fail)
    #expect(verdict.message.contains("differs in: pfn 0x100000 != 0x100005"))
  }

  @Test("a world the model cannot build is an error verdict, not a crash")
  func worldErrors() throws {
    let set = specs(
      """
      suite adhoc "t"
      rule AD-004 "a misaligned huge pfn"
        source contract#C21
        given leaf at pmd pfn 0x101
        call start(vma.start)
        expect result == 0
      """)
    let verdict = try #require(try run(set, walkers: reference).first)
    #expect(verdict.outcome == .error)
    #expect(verdict.message.contains("must be aligned to 512 pages"))
  }

  @Test("a walker fault fails the case and names the fault")
  func walkerFault() throws {
    let set = specs(
      """
      suite adhoc "t"
      rule AD-005 "file-less"
        source contract#C8
        given vma file false
        given leaf at pte
        call start(vma.start)
        expect result == 0
      """)
    let verdict = try #require(try run(set, walkers: [ReferenceWalker(mutation: .derefNullFile)]).first)
    #expect(verdict.outcome == .fail)
    #expect(verdict.message.contains("NULL pointer dereference"))
  }

  @Test("rules outside a walker's claim are skipped with the reason")
  func skips() throws {
    let set = specs(
      """
      suite adhoc "t"
      rule AD-006 "needs 6.15"
        source contract#C26
        requires api >= 6.15
        given leaf at pte
        call start(vma.start)
        expect addr_mask == mask_of(pte)
      rule AD-007 "uses addr_mask without saying so"
        source contract#C26
        given leaf at pte
        call start(vma.start)
        expect addr_mask == mask_of(pte)
      """)
    let verdicts = try run(set, walkers: [FollowPTEWalker()])
    #expect(verdicts.map(\.outcome) == [.skipped, .skipped])
    #expect(verdicts[0].message.contains("requires api >= 6.15"))
    #expect(verdicts[0].message.contains("6.12"))
    #expect(verdicts[1].message.contains("addr_mask is an output of API level 6.15"))
  }

  @Test("filters: --rule, --tag and --case select exactly what they name")
  func filters() throws {
    let byRule = try run(shippedSpecs, walkers: reference) { $0.rules = ["LT-001"] }
    #expect(Set(byRule.map(\.identity.ruleID)) == ["LT-001"])
    let byTag = try run(shippedSpecs, walkers: reference) { $0.tags = ["readonly"] }
    #expect(Set(byTag.map(\.identity.ruleID)) == ["RO-001"])
    let byCase = try run(shippedSpecs, walkers: reference) { $0.cases = ["LT-001[level=pmd]"] }
    #expect(byCase.map(\.identity.caseName) == ["LT-001[level=pmd]"])
  }

  @Test("verdicts of one suite, walker and architecture arrive together")
  func grouping() throws {
    final class Recorder: VerdictSink {
      var events: [String] = []
      func runStarted(_ info: RunInfo) {}
      func suiteStarted(_ key: SuiteKey) { events.append("start \(key)") }
      func record(_ verdict: Verdict) { events.append("case \(verdict.identity.key)") }
      func suiteFinished(_ key: SuiteKey) { events.append("end \(key)") }
      func runFinished(_ tally: Tally, seconds: Double) throws {}
    }
    let recorder = Recorder()
    try Runner(
      files: shippedSpecs.files, sources: shippedSpecs.sources,
      walkers: [ReferenceWalker(), FollowPTEWalker()], arches: Architectures.all, options: RunOptions()
    ).run(into: recorder)
    var open: String?
    var closed = Set<String>()
    for event in recorder.events {
      let key = String(event.split(separator: " ", maxSplits: 1)[1])
      if event.hasPrefix("start") {
        #expect(open == nil && !closed.contains(key))
        open = key
      } else if event.hasPrefix("end") {
        #expect(open == key)
        closed.insert(key)
        open = nil
      } else {
        #expect(open == key)
      }
    }
  }

  @Test("three different mistakes in one file give three located diagnostics")
  func threeMistakes() {
    let set = specs(
      """
      suite adhoc "t"
      rule AD-008 "mistakes"
        source contract#C99
        given leaf at pmd pfm 0x200
        call start(vma.start)
        expect resutl == 0
      """)
    let errors = set.diagnostics.filter { $0.severity == .error }
    #expect(errors.count == 3, "\(set.render())")
    #expect(Set(errors.compactMap { $0.range?.start.line }) == [3, 4, 6])
  }

  @Test("every name in the vocabulary means something to the evaluator")
  func vocabularyMatchesEvaluator() throws {
    let vocabulary = PfnVocabulary.make(contractAnchors: [])
    let arch = X86_64()
    var evaluator = Evaluator(
      target: Target(
        arch: arch, release: .newest, capabilities: arch.capabilities(.newest),
        walker: ReferenceWalker().descriptor),
      source: "")
    evaluator.spec.leaves.append((.pte, LeafProperties(pfn: 0x10), evaluator.spec.vmaStart))
    let world = try evaluator.spec.build(evaluator.target)
    let args = FollowPfnmapArgs(vma: world.vmas[0], address: evaluator.spec.vmaStart)
    evaluator.state = CallState(
      address: evaluator.spec.vmaStart, result: 0, args: args, argsBefore: args,
      expected: world.translate(evaluator.spec.vmaStart), world: world, protectedUntilEnd: true, previous: args)
    evaluator.callerState = CallerCaseState(result: 0, violations: .init(), lookups: 1, liveMaps: 0)
    let range = SourceRange(start: .init(line: 1, column: 1, offset: 0), end: .init(line: 1, column: 1, offset: 0))
    for name in vocabulary.names.keys.sorted() {
      let declared = try #require(vocabulary.names[name])
      #expect(throws: Never.self, "'\(name)' does not resolve") {
        let value = try evaluator.evaluate(Expr(.identifier(name), range: range))
        #expect(
          value.conforms(to: declared.type, members: declared.members),
          "'\(name)' is declared \(declared.type) but evaluates to \(value)")
      }
    }
    // Functions that yield values, applied to a level.
    for (name, signature) in vocabulary.functions.sorted(by: { $0.key < $1.key })
    where signature.parameters == [.level] {
      #expect(throws: Never.self, "'\(name)(pte)' does not evaluate") {
        let call = Expr(.call(Located(name, range), [Expr(.identifier("pte"), range: range)]), range: range)
        let value = try evaluator.evaluate(call)
        #expect(value.conforms(to: signature.result, members: [:]), "'\(name)(pte)' is \(value), not \(signature.result)")
      }
    }
  }

  @Test("every given subject builds from every attribute it declares")
  func subjectsApplyTheirAttributes() throws {
    let vocabulary = PfnVocabulary.make(contractAnchors: [])
    // A value of each declared type, as a rule would write it.
    let samples: [Vocabulary.ValueType: String] = [
      .level: "pte", .integer: "1", .boolean: "true", .vmaFlags: "IO|PFNMAP", .entryState: "swap",
    ]
    let anyValues = ["ops": "{zap, split}", "holds": "mmap_read"]
    for (name, subject) in vocabulary.subjects.sorted(by: { $0.key < $1.key }) {
      let attributes = subject.attributes.keys.sorted().map { attribute in
        let value = anyValues[attribute] ?? samples[subject.attributes[attribute] ?? .any] ?? "?"
        return "\(attribute) \(value)"
      }
      let rule = """
        suite adhoc "t"
        rule AD-100 "every attribute of \(name)"
          source contract#C1
          given \(name) \(attributes.joined(separator: " "))
          call start(vma.start)
          expect result == result or true
        """
      let set = specs(rule)
      #expect(!set.hasErrors, "\(set.render())")
      let rules = try #require(set.rules.first)
      let arch = X86_64()
      let target = Target(
        arch: arch, release: .newest, capabilities: arch.capabilities(.newest), walker: ReferenceWalker().descriptor)
      let planner = CasePlanner(rule: rules, source: rule, target: target, seed: 0, maxCases: 8)
      if case .error(let message) = planner.plan() { Issue.record("given \(name): \(message)") }
    }
  }

  @Test("the conformance check used above tells types apart")
  func conformanceTellsTypesApart() {
    #expect(Value.integer(1).conforms(to: .integer, members: [:]))
    #expect(!Value.integer(1).conforms(to: .boolean, members: [:]))
    #expect(!Value.boolean(true).conforms(to: .list(.level), members: [:]))
    #expect(Value.list([.level(.pmd)]).conforms(to: .list(.level), members: [:]))
    #expect(!Value.list([.integer(1)]).conforms(to: .list(.level), members: [:]))
    #expect(Value.none.conforms(to: .locks, members: [:]))
    #expect(!Value.record([.init("x", .integer(1))]).conforms(to: .record("r"), members: ["x": .boolean]))
    #expect(!Value.record([.init("y", .integer(1))]).conforms(to: .record("r"), members: ["x": .integer]))
  }

  /// The names rules use are declared once, in PfnVocabulary.swift; the files
  /// that parse, check, plan and evaluate rules dispatch on those declarations
  /// and spell no name as a string literal.
  @Test("no vocabulary name is a string literal outside its declaration")
  func noNameOutsideItsDeclaration() throws {
    let vocabulary = PfnVocabulary.make(contractAnchors: [])
    let words = Set(vocabulary.names.keys).union(vocabulary.functions.keys).union(vocabulary.calls.keys)
      .union(vocabulary.subjects.keys)
    let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().appendingPathComponent("Sources")
    let language = try FileManager.default.contentsOfDirectory(atPath: sources.appendingPathComponent("PfnSpecLanguage").path)
      .filter { $0.hasSuffix(".swift") && $0 != "Vocabulary.swift" }.map { "PfnSpecLanguage/\($0)" }
    let runner = ["Evaluator", "CompiledRule", "CasePlanner", "ArchitectureNames", "Value", "WorldSpec", "RulePlanning"]
      .map { "PfnSpecRunner/\($0).swift" }
    #expect(language.count > 5)
    for file in language + runner {
      let text = try String(contentsOf: sources.appendingPathComponent(file), encoding: .utf8)
      for word in words where text.contains("\"\(word)\"") {
        Issue.record("\(file) spells the vocabulary name '\(word)' as a string literal")
      }
    }
    // The executor dispatches its calls on CallName.
    let executor = try String(contentsOf: sources.appendingPathComponent("PfnSpecRunner/CaseExecutor.swift"), encoding: .utf8)
    for call in vocabulary.calls.keys { #expect(!executor.contains("case \"\(call)\""), "CaseExecutor switches on '\(call)'") }
  }
}

extension Value {
  /// Whether the value has the type a declaration gives it (records: every
  /// field is a declared member of the declared type).
  func conforms(to type: Vocabulary.ValueType, members: [String: Vocabulary.ValueType]) -> Bool {
    switch (self, type) {
    case (_, .any), (.missing, _): true
    case (.integer, .integer), (.boolean, .boolean), (.version, .version), (.string, .string),
      (.level, .level), (.flags, .vmaFlags), (.locks, .locks), (.callerLocks, .callerLock),
      (.entryState, .entryState):
      true
    case (.none, .vmaFlags), (.none, .locks), (.none, .callerLock), (.none, .entryState): true
    case (.list(let items), .list(let element)): items.allSatisfy { $0.conforms(to: element, members: [:]) }
    case (.record(let fields), .record):
      !fields.isEmpty
        && fields.allSatisfy { field in members[field.name].map { field.value.conforms(to: $0, members: [:]) } ?? false }
    default: false
    }
  }
}
