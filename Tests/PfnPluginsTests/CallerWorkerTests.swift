import Foundation
import PfnResults
import PfnRun
import PfnTestSupport
import Testing

/// Caller plug-ins run in worker processes, like walker plug-ins: a crash or a
/// hang costs the case in flight, and the run goes on.
@Suite("Caller plug-ins in workers")
struct CallerWorkerTests {
  func run(callers: [String], rules: [String], timeout: Double = 30) throws -> [Verdict] {
    var configuration = RunConfiguration()
    configuration.specPaths = [packageRoot + "/Specs"]
    configuration.contractPath = packageRoot + "/docs/contract.md"
    configuration.callers = callers
    configuration.callerRulesOnly = true
    configuration.arches = ["x86_64"]
    configuration.rules = rules
    configuration.timeout = timeout
    configuration.deterministic = true
    configuration.workerExecutable = pfnspecExecutable
    let sink = CollectingSink()
    try SpecRun(configuration: configuration, specs: try configuration.loadSpecs()).run(into: sink)
    return sink.verdicts
  }

  @Test("a caller that crashes gives one error per case that names the crash, and the other callers still pass")
  func crash() throws {
    let verdicts = try run(callers: [sharedObject("PfnCallerFaultCrash"), "kvm-like"], rules: ["CL-001", "CL-004"])
    let crashed = verdicts.filter { $0.identity.key.walker == "caller-crash" }
    #expect(crashed.count == 6)
    for verdict in crashed {
      #expect(verdict.outcome == .error)
      #expect(verdict.message.contains("the caller crashed the worker: SIGSEGV"), "\(verdict.message)")
      #expect(verdict.replayCommand?.contains("--caller ") == true, "\(verdict.replayCommand ?? "none")")
    }
    let kvm = verdicts.filter { $0.identity.key.walker == "kvm-like" }
    #expect(kvm.count == 6 && kvm.allSatisfy { $0.outcome == .pass })
  }

  @Test("a caller that spins without a host call is killed at the timeout, case by case")
  func hang() throws {
    let verdicts = try run(callers: [sharedObject("PfnCallerFaultHang")], rules: ["CL-004"], timeout: 1)
    #expect(verdicts.count == 3)
    for verdict in verdicts {
      #expect(verdict.outcome == .error)
      if case .timeout? = verdict.cause {} else { Issue.record("not a timeout: \(verdict.message)") }
    }
  }

  @Test("the C examples in workers get the verdicts their Swift twins get")
  func examples() throws {
    let verdicts = try run(
      callers: [sharedObject("PfnCallerKVMLike"), sharedObject("PfnCallerVFIOLike")], rules: ["CL-001", "CL-002"])
    #expect(verdicts.filter { $0.identity.key.walker == "kvm-like-c" }.allSatisfy { $0.outcome == .pass })
    let vfio = verdicts.filter { $0.identity.key.walker == "vfio-like-c" && $0.identity.ruleID == "CL-002" }
    #expect(vfio.count == 3 && vfio.allSatisfy { $0.outcome == .fail })
  }

  @Test("a shared object that is not a caller stops the run before it starts, with a clear message")
  func notACaller() throws {
    #expect {
      _ = try run(callers: [sharedObject("PfnExampleWalker")], rules: ["CL-001"])
    } throws: { error in
      "\(error)".contains("does not export pfnspec_caller_describe()")
    }
  }
}
