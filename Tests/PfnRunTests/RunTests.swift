import Foundation
import PfnReports
import PfnResults
import PfnRun
import PfnTestSupport
import Testing

@Suite("The runner as a library")
struct RunTests {
  @Test("worker arguments read back to the same configuration")
  func workerArgumentsRoundTrip() throws {
    var configuration = RunConfiguration()
    configuration.specPaths = ["Specs/a.pfnspec", "more specs"]
    configuration.contractPath = "docs/contract.md"
    configuration.arches = ["x86_64", "arm64"]
    configuration.kernel = "6.15"
    configuration.seed = 42
    configuration.rules = ["LT-001"]
    configuration.tags = ["race"]
    configuration.cases = ["LT-001[level=pmd]"]
    configuration.raceBound = 1
    configuration.raceRandom = 3
    configuration.raceLimit = 500
    configuration.shard = Shard(index: 1, count: 4)
    configuration.callers = ["kvm-like", "mutants"]
    configuration.callerRulesOnly = true
    var rest: [String] = []
    let read = try RunConfiguration(
      workerArguments: ["--plugin", "x.so"] + configuration.workerArguments + ["--describe"], remaining: &rest)
    #expect(read == configuration)
    // A worker is told the callers the parent settled on, never left to pick the default.
    configuration.callers = []
    configuration.callerRulesOnly = false
    let defaulted = try RunConfiguration(workerArguments: configuration.workerArguments, remaining: &rest)
    #expect(defaulted.callers == ["builtin"])
    #expect(rest == ["--plugin", "x.so", "--describe"])
  }

  @Test("every verdict cause survives the workers' JSON channel and renders the same after it")
  func causesRoundTrip() throws {
    let point = SourcePoint(file: "Specs/a.pfnspec", line: 3, column: 9)
    let causes: [VerdictCause] = [
      .broken(expectations: [FailedExpectation(location: point, text: "pfn == 1", explanation: "'pfn == 1' is false")], fault: nil),
      .broken(expectations: [], fault: "NULL pointer dereference: vma->vm_file"),
      .notApplicable(reason: "requires api >= 6.15"), .planning(message: "too many cases"),
      .worldNotBuilt(reason: "no room"), .evaluation(message: "division by zero", location: point),
      .walkerError(message: "the walker command reported an error: x"),
      .timeout(seconds: 2, phase: "start()", process: .command), .timeout(seconds: 30, phase: nil, process: .worker),
      .crash(signal: 11, signalName: "SIGSEGV", address: 16), .exit(status: 3), .garbage(output: "not json"),
      .workerFailed(message: "cannot start"), .workerDiedOutsideCase(.exit(status: 1)),
      .infeasibleReplay(schedule: [ScheduleStepRecord(point: 3, operation: "zap pmd")]),
    ]
    for cause in causes {
      let verdict = Verdict(
        identity: CaseIdentity(key: SuiteKey(suite: "s", walker: "w", arch: "x86_64"), ruleID: "R-1", ruleTitle: "t"),
        outcome: .error, cause: cause,
        story: CaseStory(schedule: [ScheduleStepRecord(point: 1, operation: "split pmd")], trace: ["read pmd"]),
        replay: Replay(spec: "Specs/a.pfnspec", rule: "R-1", caseName: "R-1", walker: .command("walk --fast"), arch: "x86_64", seed: 1))
      let decoded = try JSONDecoder().decode(Verdict.self, from: JSONEncoder().encode(verdict))
      #expect(decoded.cause == cause)
      #expect(decoded.message == verdict.message)
      #expect(decoded.details == verdict.details)
      #expect(!verdict.message.isEmpty)
    }
  }

  @Test("a built-in walker in this process, into a sink of our own")
  func builtinIntoSink() throws {
    var configuration = RunConfiguration()
    configuration.specPaths = [packageRoot + "/Specs"]
    configuration.contractPath = packageRoot + "/docs/contract.md"
    configuration.walkers = ["follow_pte"]
    configuration.arches = ["x86_64"]
    configuration.rules = ["HG-002"]
    let specs = try configuration.loadSpecs()
    #expect(!specs.hasErrors)
    let sink = CollectingSink()
    let tally = try SpecRun(configuration: configuration, specs: specs).run(into: sink)
    #expect(tally.total > 0)
    let failure = try #require(sink.verdicts.first { $0.outcome != .pass && $0.outcome != .skipped })
    #expect(failure.replay?.walker == .builtin("follow_pte"))
    #expect(failure.replayCommand?.contains("--walker follow_pte --arch x86_64") == true)
  }

  @Test("an unknown walker is refused before anything runs")
  func unknownWalker() throws {
    var configuration = RunConfiguration()
    configuration.specPaths = [packageRoot + "/Specs"]
    configuration.contractPath = packageRoot + "/docs/contract.md"
    configuration.walkers = ["no-such-walker"]
    let specs = try configuration.loadSpecs()
    #expect(throws: RunError.self) { try SpecRun(configuration: configuration, specs: specs).run(into: CollectingSink()) }
  }

  @Test("the example program runs the C example in workers and a built-in walker")
  func embedRunnerExample() throws {
    let result = try runProcess(productsDirectory + "/EmbedRunner", [])
    #expect(result.status == 0, "\(result.output)\n\(result.error)")
    #expect(result.output.contains("reference: "))
    #expect(result.output.contains("example-c: "), "\(result.output)")
    #expect(result.output.contains(" 0 failed, 0 errors"))
  }
}
