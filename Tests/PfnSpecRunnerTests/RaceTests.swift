import Foundation
import PfnModel
import PfnReports
import PfnResults
import PfnSpecLanguage
import PfnSupport
import PfnWalkers
import Testing

@testable import PfnSpecRunner

@Suite("Races: exploration, counterexamples and replay")
struct RaceTests {
  static let raceMutants: [(ReferenceWalker.Mutation, String)] = [
    (.staleHugeEntry, "RC-001"),
    (.wrongLevelLock, "RC-002"),
    (.unlockBeforeSuccess, "RC-002"),
    (.retryWithoutRewalk, "RC-004"),
  ]

  /// Race rules on x86_64; the shipped-specs suite covers every architecture.
  func raceVerdicts(_ walkers: [any Walker], configure: (inout RunOptions) -> Void = { _ in }) throws -> [Verdict] {
    try run(shippedSpecs, walkers: walkers, arches: [X86_64()]) {
      $0.tags = ["race"]
      configure(&$0)
    }
  }

  @Test("each race mutant fails its race rule with a shrunk trace of at most 2 steps, and its token replays it",
    arguments: raceMutants)
  func mutantCaughtAndReplayed(mutation: ReferenceWalker.Mutation, rule: String) throws {
    let walker = ReferenceWalker(mutation: mutation)
    let failures = try raceVerdicts([walker]).filter { $0.outcome == .fail && $0.identity.ruleID == rule }
    let verdict = try #require(failures.first, "mutant:\(mutation.rawValue) passes \(rule)")
    let tokenText = try #require(verdict.replay?.token, "no replay token in\n\(verdict.details)")
    let token = try ReplayToken(decoding: tokenText)
    let schedule = try token.decodedSchedule()
    #expect(!schedule.steps.isEmpty && schedule.steps.count <= 2, "\(schedule)")
    #expect(verdict.details.contains("CPU1 "))
    // The timeline the HTML report draws holds each step where the schedule puts it, with the entry it changed.
    let timeline = try #require(verdict.story.timeline, "no timeline")
    for step in schedule.steps {
      let point = try #require(timeline.points.first { $0.point == step.point }, "no point \(step.point)")
      let drawn = try #require(point.steps.first, "no step at point \(step.point)")
      #expect(drawn.operation == "\(step.op)")
      #expect(drawn.entry.entry.hasPrefix("\(step.op.level)@"))
      #expect(drawn.entry.before != drawn.entry.after, "\(drawn)")
    }

    let replayed = try run(shippedSpecs, walkers: [walker], arches: [Architectures.named(token.arch)!]) {
      $0.rules = [token.rule]
      $0.cases = [token.caseName]
      $0.seed = token.seed
      $0.forcedSchedule = schedule
    }
    #expect(replayed.count == 1)
    #expect(replayed.first?.outcome == .fail)
    #expect(replayed.first?.message == verdict.message)
  }

  @Test("the walk that spins is stopped by the step limit and reported as not terminating")
  func nonTermination() throws {
    let verdicts = try raceVerdicts([ReferenceWalker(mutation: .retryWithoutRewalk)])
    #expect(verdicts.contains { $0.identity.ruleID == "RC-004" && $0.message.contains("no termination") })
  }

  @Test("mainline 6.12's stale re-check under the lock is caught at every huge level")
  func mainline612() throws {
    let failing = try raceVerdicts([Mainline612Walker()]).filter { $0.outcome == .fail }
      .map(\.identity.caseName)
    #expect(failing.contains("RC-001[level=pmd]"))
    #expect(failing.contains("RC-001[level=pud]"))
  }

  /// A few architectures with different lock layouts keep this test quick.
  static let reductionArches: [any Architecture] = Architectures.all.filter {
    ["x86_64", "arm64-4k-39", "loongarch64-16k"].contains($0.name)
  }

  /// Every built-in walker, mutants and legacy walkers included, at bounds 2
  /// and 3. Each reduction is turned off on its own, the other left on.
  static let reductionRuns: [(bound: Int, reduction: String)] = [
    (2, "commuting steps"), (3, "commuting steps"), (2, "state caching"), (3, "state caching"),
  ]

  @Test(
    "the reduction loses nothing: the same cases fail, and every case reaches the same end states",
    arguments: reductionRuns)
  func reductionIsSound(bound: Int, reduction: String) throws {
    // A plain read is no scheduling point and in no footprint: the explorer
    // cannot see what it depends on, which is the defect RC-005 reports. The
    // reductions are sound for walkers whose every racy read is a host call.
    let subjects = BuiltinWalkers.all.filter {
      $0.descriptor.name != "mutant:\(ReferenceWalker.Mutation.plainReadPMD.rawValue)"
    }
    func explore(_ reduce: Bool) throws -> [Verdict] {
      try run(shippedSpecs, walkers: subjects, arches: Self.reductionArches) {
        $0.tags = ["race"]
        $0.raceReduction = reduction == "commuting steps" ? reduce : true
        $0.raceStateCaching = reduction == "state caching" ? reduce : true
        $0.raceBound = bound
        $0.randomSchedules = 0
        $0.jobs = 2
      }
    }
    func failing(_ verdicts: [Verdict]) -> Set<String> {
      Set(verdicts.filter { $0.outcome != .pass }.map { "\($0.identity.key) \($0.identity.caseName)" })
    }
    /// Distinct end states per passing case, from its exploration statistics.
    func states(_ verdicts: [Verdict]) -> [String: Int] {
      var result: [String: Int] = [:]
      for verdict in verdicts where verdict.outcome == .pass {
        guard let statistics = verdict.story.exploration else { continue }
        result["\(verdict.identity.key) \(verdict.identity.caseName)"] = statistics.distinctStates
      }
      return result
    }
    /// The schedule each failing case reports: the first failing one in the search's order.
    func counterexamples(_ verdicts: [Verdict]) -> [String: String] {
      var result: [String: String] = [:]
      for verdict in verdicts where verdict.outcome == .fail {
        result["\(verdict.identity.key) \(verdict.identity.caseName)"] = "\(verdict.story.schedule ?? [])"
      }
      return result
    }
    let reduced = try explore(true)
    let full = try explore(false)
    #expect(failing(reduced) == failing(full))
    #expect(!failing(reduced).isEmpty)
    #expect(!states(reduced).isEmpty)
    #expect(states(reduced) == states(full))
    // The bound was the one asked for: the statistics say so.
    #expect(reduced.compactMap(\.story.exploration).allSatisfy { $0.bound == bound })
    let explored = { (verdicts: [Verdict]) in verdicts.compactMap(\.story.exploration) }
    if reduction == "state caching" {
      // Caching keeps the search's order, so the counterexamples are the same schedules; and it prunes.
      #expect(counterexamples(reduced) == counterexamples(full))
      #expect(explored(reduced).map(\.pruned).reduce(0, +) > 0)
      #expect(explored(full).allSatisfy { $0.pruned == 0 })
    }
  }

  @Test("a passing race case reports how much it explored")
  func statistics() throws {
    let verdicts = try raceVerdicts([ReferenceWalker()]) { $0.cases = ["RC-001[level=pmd]"] }
    let verdict = try #require(verdicts.first)
    #expect(verdict.outcome == .pass)
    #expect(verdict.details.contains("explored"))
    #expect(verdict.details.contains("up to 2 adversary step(s)"))
  }

  @Test("a bound of 0 explores only the schedule without races")
  func boundZero() throws {
    let verdicts = try raceVerdicts([ReferenceWalker(mutation: .staleHugeEntry)]) {
      $0.raceBound = 0
      $0.randomSchedules = 0
    }
    // A pinned schedule (the regression suite) runs whatever the bound: it is one schedule, not a search.
    let searched = verdicts.filter { $0.identity.key.suite != "regressions" }
    #expect(!searched.isEmpty && searched.allSatisfy { $0.outcome == .pass })
    #expect(verdicts.contains { $0.identity.ruleID == "REG-001" && $0.outcome == .fail })
  }

  @Test("replay tokens survive a round trip; a damaged one is refused with a message")
  func tokens() throws {
    let schedule = Schedule([.init(point: 3, op: AdversaryOp(.zap, .pmd)), .init(point: 9, op: AdversaryOp(.split, .pud))])
    let token = ReplayToken(
      spec: "Specs/races.pfnspec", rule: "RC-001", caseName: "RC-001[level=pmd]", walker: "reference",
      arch: "x86_64", seed: 42, kernel: "6.19", schedule: schedule)
    let decoded = try ReplayToken(decoding: token.encoded)
    #expect(decoded == token)
    #expect(try decoded.decodedSchedule() == schedule)
    #expect(throws: ReplayTokenError.self) { try ReplayToken(decoding: "v1.!!!") }
    #expect(throws: ReplayTokenError.self) { try ReplayToken(decoding: "nonsense") }
    // A token of another version is refused with a message that names the version.
    for other in ["v2." + base64URL(Array("2\na.pfnspec".utf8)), "v0.AAAA", "v1." + base64URL(Array("3\nx".utf8))] {
      do {
        _ = try ReplayToken(decoding: other)
        Issue.record("\(other) decoded")
      } catch {
        #expect("\(error)".contains("version") && "\(error)".contains("replays version 1"), "\(error)")
      }
    }
  }

  @Test("base64url round-trips every length and byte, and refuses what it did not write")
  func base64RoundTrip() {
    var generator = PfnSupport.SeededGenerator(seed: 5)
    for length in 0..<70 {
      let bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
      let text = base64URL(bytes)
      #expect(decodeBase64URL(text) == bytes, "length \(length)")
      #expect(text.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
    }
    #expect(decodeBase64URL("a") == nil)
    #expect(decodeBase64URL("ab=c") == nil)
  }

  /// A walker from outside, as a plug-in loader would describe it.
  struct PluggedIn: Walker {
    let inner = ReferenceWalker(mutation: .staleHugeEntry)
    var descriptor: WalkerDescriptor {
      var d = inner.descriptor
      d.name = "example:stale"
      d.origin = .sharedObject(path: "/opt/walkers/lib stale.so")
      return d
    }
    func start(_ args: inout FollowPfnmapArgs, host: any WalkerHost) throws -> Int32 {
      try inner.start(&args, host: host)
    }
    func end(_ args: inout FollowPfnmapArgs, host: any WalkerHost) throws { try inner.end(&args, host: host) }
  }

  @Test("a plug-in's replay command names the plug-in, so the token can load it again")
  func pluginReplayCommand() throws {
    let verdicts = try raceVerdicts([PluggedIn()]) { $0.cases = ["RC-001[level=pmd]"] }
    let verdict = try #require(verdicts.first)
    #expect(verdict.outcome == .fail)
    let line = try #require(verdict.details.split(separator: "\n").first { $0.hasPrefix("Replay: pfnspec replay v1.") })
    #expect(line.hasSuffix(" --walker '/opt/walkers/lib stale.so'"))
  }
}
