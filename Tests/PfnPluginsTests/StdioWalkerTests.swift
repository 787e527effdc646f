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

  @Test("a walker that ignores a fault and keeps calling the host is stopped")
  func faultMustAbandon() throws {
    // Answers hello, then on start asks for pgd_offset of an unknown mm (a fault) and asks again.
    let script = #"""
      read line; echo '{"hello": {"protocol": 1, "name": "stubborn", "api": "6.15", "profile": "strict"}}'
      while read line; do
        echo '{"call": "pgd_offset", "mm": 9, "address": "0x0"}'; read reply
        echo '{"call": "pgd_offset", "mm": 9, "address": "0x0"}'; read reply
      done
      """#
    let walker = try StdioWalker(command: script, timeout: 5)
    let verdicts = try runInProcess([walker], arches: [X86_64()], rules: ["LK-001"])
    let verdict = try #require(verdicts.first)
    #expect(verdict.outcome == .error)
    #expect(verdict.message.contains("after a fault instead of abandoning the walk"))
  }
}
