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
    configuration.shard = Shard(index: 1, count: 4)
    var rest: [String] = []
    let read = try RunConfiguration(
      workerArguments: ["--plugin", "x.so"] + configuration.workerArguments + ["--describe"], remaining: &rest)
    #expect(read == configuration)
    #expect(rest == ["--plugin", "x.so", "--describe"])
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
