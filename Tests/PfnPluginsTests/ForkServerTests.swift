import Foundation
import PfnResults
import PfnRun
import PfnSpecRunner
import PfnTestSupport
import Testing

@testable import PfnPlugins

/// A fork server plans its part once and forks a child per crash; its
/// verdicts are those of a new worker per death.
@Suite("Fork server")
struct ForkServerTests {
  func run(forkServer: Bool, rules: [String], jobs: Int) throws -> [Verdict] {
    var launch = WorkerLaunch(
      executable: pfnspecExecutable, pluginPath: sharedObject("PfnFaultCrashAlways"),
      runArguments: workerArguments(rules: rules), caseTimeout: 10)
    launch.forkServer = forkServer
    launch.stopAfterIdenticalDeaths = nil
    return try runSupervised(launch, jobs: jobs)
  }

  @Test("a walker that dies in every case gets the same verdicts from a fork server as from a new worker per death")
  func sameVerdictsAsNewWorkers() throws {
    // A rule skipped on the target, and two rules whose cases all die, over two parts.
    let rules = ["FL-004", "RG-001", "LK-001"]
    let forked = try run(forkServer: true, rules: rules, jobs: 2)
    let respawned = try run(forkServer: false, rules: rules, jobs: 2)
    func key(_ verdict: Verdict) -> String { "\(verdict.identity.key) \(verdict.identity.caseName)" }
    #expect(forked.map(key).sorted() == respawned.map(key).sorted())
    #expect(forked.count > 50)
    let byCase = Dictionary(respawned.map { (key($0), $0.cause) }, uniquingKeysWith: { first, _ in first })
    for verdict in forked { #expect(verdict.cause == byCase[key(verdict)] ?? nil, "\(key(verdict))") }
    #expect(forked.contains { $0.outcome == .skipped })
  }

  @Test("a begin event encoded ahead is the event's own encoding, used only for the same case at the same place")
  func encodedBegins() {
    let identity = CaseIdentity(
      key: SuiteKey(suite: "range", walker: "w", arch: "x86_64"), ruleID: "RG-001", ruleTitle: "t",
      parameters: [CaseParameter(name: "addr", value: "0x1000")], location: SpecLocation(file: "f", line: 3))
    let ordinal = CaseOrdinal(suite: 1, rule: 2, index: 3)
    let begins = EncodedBegins()
    begins.encode([(identity, ordinal)])
    #expect(begins.payload(identity, ordinal) == WorkerEvent.beginAt(identity, ordinal).encodedLine())
    #expect(begins.payload(identity, CaseOrdinal(suite: 1, rule: 2, index: 4)) == nil)
    var other = identity
    other.parameters = [CaseParameter(name: "addr", value: "0x2000")]
    #expect(begins.payload(other, ordinal) == nil)
  }
}
