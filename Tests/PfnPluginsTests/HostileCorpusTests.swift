import Foundation
import PfnResults
import PfnTestSupport
import PfnWalkers
import Testing

@testable import PfnPlugins

/// Plug-ins that attack the run itself: the supervisor accounts for every
/// planned case from its own bookkeeping, whatever the worker's channel says.
@Suite("The supervisor's bookkeeping")
struct SupervisorBookkeepingTests {
  let descriptor = WalkerDescriptor(name: "fake", summary: "", role: .implementation, apiLevel: .v6_15, profile: .strict)

  func identity(_ name: String) -> CaseIdentity {
    CaseIdentity(key: SuiteKey(suite: "s", walker: "fake", arch: "x86_64"), ruleID: name, ruleTitle: "a rule")
  }

  func pass(_ name: String) -> String {
    WorkerEvent.verdict(Verdict(identity: identity(name), outcome: .pass)).encodedLine()
  }

  /// A stand-in for `pfnspec worker` that frames its events as a worker does
  /// (so it stands for a plug-in that learned the nonce).
  func run(_ script: String, plan: [String]?) throws -> [Verdict] {
    let directory = makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let path = directory + "/fake-worker"
    let framing = """
      #!/bin/sh
      read nonce
      n=0
      say() { n=$((n+1)); printf '%s %s %s\\n' "$nonce" "$n" "$1"; }

      """
    try (framing + script).write(toFile: path, atomically: true, encoding: .utf8)
    chmod(path, 0o755)
    let supervisor = WorkerSupervisor(
      launch: WorkerLaunch(executable: path, pluginPath: "fake.so", runArguments: [], caseTimeout: 5))
    let sink = CollectingSink()
    supervisor.run(
      descriptor: descriptor, suites: [], jobs: 1, seed: 0, sources: { _ in [] }, plan: plan.map { $0.map(identity) },
      into: SharedRunSink(sink))
    return sink.verdicts
  }

  @Test("a done before every planned case has its verdict leaves an error for each missing case")
  func forgedDone() throws {
    let verdicts = try run("say '\(pass("A"))'\nsay '\(WorkerEvent.done.encodedLine())'\n", plan: ["A", "B", "C"])
    #expect(verdicts.map(\.identity.ruleID).sorted() == ["A", "B", "C"])
    #expect(verdicts.first { $0.identity.ruleID == "A" }?.outcome == .pass)
    for name in ["B", "C"] {
      let verdict = try #require(verdicts.first { $0.identity.ruleID == name })
      #expect(verdict.outcome == .error)
      #expect(verdict.cause == .noVerdict(reason: "the worker ended its part without a verdict for this case"))
    }
  }

  @Test("a second verdict for a case is refused; the case keeps its first")
  func duplicateVerdict() throws {
    let begin = WorkerEvent.begin(identity("B")).encodedLine()
    let verdicts = try run(
      "say '\(pass("A"))'\nsay '\(begin)'\nsay '\(pass("A"))'\nsleep 5\n", plan: ["A", "B"])
    #expect(verdicts.filter { $0.identity.ruleID == "A" }.map(\.outcome) == [.pass])
    let blamed = try #require(verdicts.first { $0.identity.ruleID == "B" })
    #expect(blamed.outcome == .error)
    #expect(blamed.cause == .refusedMessage(reason: "a second verdict for s/fake/x86_64 A"))
  }

  @Test("a verdict for a case outside the plan is refused")
  func unplannedVerdict() throws {
    let begin = WorkerEvent.begin(identity("A")).encodedLine()
    let verdicts = try run("say '\(begin)'\nsay '\(pass("Z"))'\nsleep 5\n", plan: ["A"])
    // The blamed case, then one error for the part: its next workers start it again.
    #expect(verdicts.filter { $0.identity.ruleID == "A" }.count == 1)
    #expect(verdicts.first?.cause == .refusedMessage(reason: "a verdict of a case that is not in the run's plan: s/fake/x86_64 Z"))
  }

  @Test("a line without the nonce, or out of sequence, is refused for the case in flight")
  func unframedAndOutOfSequence() throws {
    let begin = WorkerEvent.begin(identity("A")).encodedLine()
    let unframed = try run("say '\(begin)'\necho '\(pass("A"))'\nsleep 5\n", plan: ["A"])
    #expect(unframed.filter { $0.identity.ruleID == "A" }.count == 1)
    #expect(unframed.first?.outcome == .error)
    guard case .garbage? = unframed.first?.cause else {
      Issue.record("\(String(describing: unframed.first?.cause))")
      return
    }
    let skipped = try run("say '\(begin)'\nn=5\nsay '\(pass("A"))'\nsleep 5\n", plan: ["A"])
    #expect(skipped.first?.cause == .refusedMessage(reason: "message 6 came where message 2 was due: a forged or lost message"))
  }

  @Test("a worker that ends by supervisor decision leaves its other planned cases skipped, with one error")
  func supervisorStops() throws {
    let verdicts = try run("exit 7\n", plan: ["A", "B"])
    #expect(verdicts.filter { $0.outcome == .error }.count == 1)
    #expect(verdicts.filter { $0.outcome == .skipped }.map(\.identity.ruleID).sorted() == ["A", "B"])
  }
}
