import Foundation
import PfnResults
import PfnRun
import PfnTestSupport
import PfnWalkers
import Testing

@testable import PfnPlugins

/// A plug-in that dies the same way case after case is stopped with one error
/// that says so; `--max-errors` stops the whole run.
@Suite("Fail fast")
struct FailFastTests {
  func run(
    _ product: String, rules: [String], jobs: Int = 1, planned: Bool = false, configure: (inout WorkerLaunch) -> Void
  ) throws -> [Verdict] {
    var launch = WorkerLaunch(
      executable: pfnspecExecutable, pluginPath: sharedObject(product), runArguments: workerArguments(rules: rules),
      caseTimeout: 10)
    configure(&launch)
    return try runSupervised(launch, jobs: jobs, planned: planned)
  }

  func isCrash(_ verdict: Verdict) -> Bool { if case .crash? = verdict.cause { true } else { false } }

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

  @Test("rules skipped on the target before the first deaths do not hide that every case died")
  func skipsBeforeDeaths() throws {
    // FL-004 is for the relaxed profile: skipped for the strict crash-always walker, and its suite comes first.
    let verdicts = try run("PfnFaultCrashAlways", rules: ["FL-004", "RG-001"]) { $0.stopAfterIdenticalDeaths = 3 }
    #expect(verdicts.first?.outcome == .skipped)
    #expect(verdicts.filter(isCrash).count == 3)
    guard case .stoppedEarly(.identicalDeaths(3, _))? = verdicts.last?.cause else {
      Issue.record("not an early stop: \(String(describing: verdicts.last?.message))")
      return
    }
  }

  @Test("by default a walker that dies in every case stops each part of a --jobs 2 run after its first deaths")
  func everyPartStopsByDefault() throws {
    let verdicts = try run("PfnFaultCrashAlways", rules: [], jobs: 2, planned: true) { _ in }
    let limit = WorkerLaunch.defaultIdenticalDeaths
    let stops = verdicts.filter { if case .stoppedEarly(.identicalDeaths(limit, _))? = $0.cause { true } else { false } }
    #expect(stops.count == 2, "one stop per part")
    #expect(verdicts.filter(isCrash).count == 2 * limit)
    // Every other planned case is skipped with the reason, none left without a verdict.
    let rest = verdicts.filter { !isCrash($0) && $0.identity.ruleID != "worker" }
    #expect(rest.count > 1000)
    #expect(rest.allSatisfy { $0.outcome == .skipped })
  }

  @Test("--max-errors is shared by the parts of a --jobs 2 run: a part stops when another spent it")
  func maxErrorsAcrossParts() throws {
    let budget = ErrorBudget(limit: 3)
    // Two suites (locking, range): two parts, each dying in every case.
    let verdicts = try run("PfnFaultCrashAlways", rules: ["LK-001", "RG-001"], jobs: 2, planned: true) {
      $0.stopAfterIdenticalDeaths = nil
      $0.errorBudget = budget
    }
    let crashes = verdicts.filter(isCrash).count
    // Both parts may each have a case in flight when the limit is reached.
    #expect(crashes >= 3 && crashes <= 4, "\(crashes) crashes")
    let stops = verdicts.filter { if case .stoppedEarly(.errorBudget(3, _))? = $0.cause { true } else { false } }
    #expect(Set(stops.map(\.identity.key.suite)).count == 2, "each part says it stopped")
    let rest = verdicts.filter { !isCrash($0) && $0.identity.ruleID != "worker" }
    #expect(!rest.isEmpty)
    #expect(rest.allSatisfy { $0.outcome == .skipped && $0.message.contains("--max-errors 3") })
  }
}
