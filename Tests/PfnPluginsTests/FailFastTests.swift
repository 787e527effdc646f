import Foundation
import PfnResults
import PfnTestSupport
import PfnWalkers
import Testing

@testable import PfnPlugins

/// A plug-in that dies the same way case after case is stopped with one error
/// that says so; `--max-errors` stops the whole run.
@Suite("Fail fast")
struct FailFastTests {
  func run(_ product: String, rules: [String], configure: (inout WorkerLaunch) -> Void) throws -> [Verdict] {
    var arguments = [packageRoot + "/Specs", "--contract", packageRoot + "/docs/contract.md", "--seed", "0"]
    for rule in rules { arguments += ["--rule", rule] }
    var launch = WorkerLaunch(
      executable: pfnspecExecutable, pluginPath: sharedObject(product), runArguments: arguments, caseTimeout: 10)
    configure(&launch)
    let supervisor = WorkerSupervisor(launch: launch)
    let descriptor = try supervisor.describe()
    let sink = CollectingSink()
    let shared = SharedRunSink(sink)
    supervisor.run(descriptor: descriptor, suites: shippedSuites, jobs: 1, seed: 0, sources: { _ in [] }, into: shared)
    _ = try shared.finish(seconds: 0)
    return sink.verdicts
  }

  @Test("the first cases all dying the same way stop the part, with one error that names the death")
  func identicalDeaths() throws {
    // RC-004 looks up an address on an odd page: the corpus walker aborts on every one.
    let verdicts = try run("PfnFaultAbort", rules: ["RC-004"]) { $0.stopAfterIdenticalDeaths = 3 }
    let deaths = verdicts.filter { if case .crash? = $0.cause { true } else { false } }
    #expect(deaths.count == 3)
    let stop = try #require(verdicts.last)
    #expect(stop.outcome == .error)
    guard case .stoppedEarly(.identicalDeaths(3, let death))? = stop.cause else {
      Issue.record("not an early stop: \(String(describing: stop.cause))")
      return
    }
    #expect(death == deaths[0].cause)
    #expect(stop.message.contains("stopped after the first 3 cases of this part all ended the same way"))
    #expect(stop.message.contains("SIGABRT"))
  }

  @Test("without the limit every case runs and gets its own error")
  func keepGoing() throws {
    let verdicts = try run("PfnFaultAbort", rules: ["RC-004"]) { $0.stopAfterIdenticalDeaths = nil }
    #expect(verdicts.count > 10)
    #expect(!verdicts.contains { if case .stoppedEarly? = $0.cause { true } else { false } })
  }

  @Test("a run that reaches --max-errors stops starting cases and says so")
  func maxErrors() throws {
    let budget = ErrorBudget(limit: 2)
    let verdicts = try run("PfnFaultAbort", rules: ["RC-004"]) {
      $0.stopAfterIdenticalDeaths = nil
      $0.errorBudget = budget
    }
    #expect(verdicts.filter { if case .crash? = $0.cause { true } else { false } }.count == 2)
    #expect(verdicts.last?.message.contains("stopped at --max-errors 2") == true)
    #expect(budget.isSpent)
  }

  @Test("a walker that dies in every case gets exactly one error per case, each naming the crash")
  func crashInEveryCase() throws {
    let rules = ["RG-001", "LK-001"]
    let verdicts = try run("PfnFaultCrashAlways", rules: rules) { $0.stopAfterIdenticalDeaths = nil }
    let reference = outcomes(try runInProcess([ReferenceWalker()], rules: Set(rules)))
    #expect(verdicts.count == reference.count, "one verdict per case")
    #expect(outcomes(verdicts).keys.sorted() == reference.keys.sorted())
    for verdict in verdicts {
      #expect(verdict.outcome == .error)
      guard case .crash? = verdict.cause else {
        Issue.record("not a crash: \(verdict.message)")
        continue
      }
      #expect(verdict.message.contains("SIGABRT"), "\(verdict.message)")
    }
  }
}
