import PfnReports
import Foundation
import PfnModel
import PfnResults
import PfnWalkers
import PfnTestSupport
import Testing

@testable import PfnPlugins

@Suite("Walkers over the stdio protocol")
struct StdioWalkerTests {
  @Test("the Python port of the reference passes every case the Swift reference passes on x86_64")
  func pythonReferencePasses() throws {
    let walker = try StdioWalker(command: pythonWalkerCommand(), timeout: 30)
    #expect(walker.descriptor.name == "python-reference")
    let reference = outcomes(try runInProcess([ReferenceWalker()], arches: [X86_64()]))
    let verdicts = try runInProcess([walker], arches: [X86_64()])
    let python = outcomes(verdicts)
    #expect(python.count == reference.count)
    for (name, outcome) in reference.sorted(by: { $0.key < $1.key }) where outcome == .pass {
      #expect(python[name] == .pass, "\(name): \(verdicts.first { outcomes([$0]).keys.first == name }?.message ?? "missing")")
    }
  }

  @Test("a stdio walker has no entry pointers to read plainly: it passes RC-005, with no data race to report")
  func plainReadRuleSkipped() throws {
    let walker = try StdioWalker(command: pythonWalkerCommand(), timeout: 30)
    let verdicts = try runInProcess([walker], arches: [X86_64()], rules: ["RC-005"])
    #expect(!verdicts.isEmpty)
    #expect(verdicts.allSatisfy { $0.outcome == .pass }, "\(verdicts.map(\.message))")
  }

  static let faults: [(fault: String, says: String)] = [
    ("crash", "was killed by SIGSEGV during start()"),
    ("abort", "was killed by SIGABRT"),
    ("exit", "exited with status 3 during start()"),
    ("garbage", "wrote something that is not a protocol message"),
    ("hang", "did not finish start() within 1s"),
  ]

  @Test("a stdio walker that crashes, hangs, exits or writes garbage gets an error naming it; it is restarted", arguments: faults)
  func faultBecomesError(fault: String, says: String) throws {
    let walker = try StdioWalker(command: pythonWalkerCommand(fault), timeout: 1)
    let verdicts = try runInProcess([walker], arches: [X86_64()], rules: ["AR-001", "LK-001", "RG-001"])
    let errors = verdicts.filter { $0.outcome == .error }
    #expect(!errors.isEmpty)
    #expect(errors.allSatisfy { $0.message.contains(says) }, "\(errors.map(\.message))")
    #expect(verdicts.filter { $0.outcome == .fail }.isEmpty)
    let passes = verdicts.filter { $0.outcome == .pass }
    #expect(passes.contains { $0.identity.ruleID == "LK-001" })
    #expect(passes.count + errors.count == verdicts.count)
  }

  @Test("a walker that speaks another protocol version is refused at hello")
  func protocolMismatch() {
    let error = #expect(throws: PluginError.self) {
      _ = try StdioWalker(
        command: #"read line; echo '{"hello": {"protocol": 9, "name": "future", "api": "6.15", "profile": "strict"}}'"#,
        timeout: 5)
    }
    #expect(error?.description.contains("protocol version 9") == true)
  }

  @Test("a walker of protocol version 1 is refused with what changed")
  func protocolOne() {
    let error = #expect(throws: PluginError.self) {
      _ = try StdioWalker(
        command: #"read line; echo '{"hello": {"protocol": 1, "name": "old", "api": "6.15", "profile": "strict"}}'"#,
        timeout: 5)
    }
    #expect(error?.description.contains("since version 2 every request carries an id") == true)
  }

  @Test("an extra answer is an error for the case that caused it, never for the next one")
  func extraAnswers() throws {
    let rules: Set<String> = ["AR-001", "RG-001", "LK-001"]
    func errors(_ fault: String) throws -> [String: String] {
      let walker = try StdioWalker(command: pythonWalkerCommand(fault), timeout: 10)
      let verdicts = try runInProcess([walker], arches: [X86_64()], rules: rules)
      #expect(outcomes(verdicts).count == verdicts.count, "one verdict per case")
      return Dictionary(
        verdicts.filter { $0.outcome == .error }.map { ($0.identity.caseName, $0.message) }, uniquingKeysWith: { a, _ in a })
    }
    // The cases whose start() the fault strikes: those a crash there turns into errors.
    let striking = Set(try errors("crash").keys)
    #expect(!striking.isEmpty)
    let twice = try errors("answer-twice")
    #expect(!twice.isEmpty)
    #expect(Set(twice.keys).isSubset(of: striking), "\(twice)")
    #expect(twice.values.allSatisfy { $0.contains("answered") && $0.contains("more than once") }, "\(twice)")
    let exited = try errors("answer-then-exit")
    #expect(Set(exited.keys).isSubset(of: striking), "\(exited)")
    // An extra answer that comes while the next request is due is not that request's fault.
    let later = try errors("answer-twice-later")
    #expect(Set(later.keys).isSubset(of: striking), "\(later)")
  }

  @Test("a walker that closes its output and spins is killed at the timeout, as a hang")
  func closedOutput() throws {
    let walker = try StdioWalker(command: pythonWalkerCommand("close-stdout"), timeout: 1)
    let began = ContinuousClock.now
    let verdicts = try runInProcess([walker], arches: [X86_64()], rules: ["RG-001"])
    // One striking case: its start() is killed at the timeout, not after waitpid's minutes.
    #expect((ContinuousClock.now - began) < .seconds(20))
    let errors = verdicts.filter { $0.outcome == .error }
    #expect(!errors.isEmpty)
    #expect(errors.allSatisfy { $0.message.contains("did not finish start() within 1s (it was killed)") }, "\(errors.map(\.message))")
  }

  @Test("a walker that ignores a fault and keeps calling the host is stopped")
  func faultMustAbandon() throws {
    // Answers hello, then on start asks for pgd_offset of an unknown mm (a fault) and asks again.
    let script = #"""
      read line; echo '{"hello": {"protocol": 2, "name": "stubborn", "api": "6.15", "profile": "strict"}}'
      while read line; do
        id=$(echo "$line" | sed 's/.*"id":\([0-9]*\).*/\1/')
        echo "{\"call\": \"pgd_offset\", \"mm\": 9, \"address\": \"0x0\", \"id\": $id}"; read reply
        echo "{\"call\": \"pgd_offset\", \"mm\": 9, \"address\": \"0x0\", \"id\": $id}"; read reply
      done
      """#
    let walker = try StdioWalker(command: script, timeout: 5)
    let verdicts = try runInProcess([walker], arches: [X86_64()], rules: ["LK-001"])
    let verdict = try #require(verdicts.first)
    #expect(verdict.outcome == .error)
    #expect(verdict.message.contains("after a fault instead of abandoning the walk"))
  }
}
