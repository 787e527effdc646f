import PfnReports
import Foundation
import FoundationXML
import PfnModel
import PfnResults
import PfnWalkers
import PfnTestSupport
import Testing

@testable import PfnPlugins

/// The rules the corpus runs: some of their cases use addresses in odd pages
/// (where corpus walkers misbehave), LK-001's do not.
let corpusRules = ["AR-001", "RG-001", "LK-001", "HG-005", "LT-004"]

@Suite("The fault corpus: every way a plug-in goes wrong yields a verdict naming it")
struct FaultCorpusTests {
  static let corpus: [(product: String, outcome: Outcome, says: String)] = [
    ("PfnFaultNullDeref", .error, "crashed the worker: SIGSEGV at address 0x"),
    ("PfnFaultAbort", .error, "SIGABRT"),
    ("PfnFaultLoopForever", .error, "did not finish within 1s"),
    ("PfnFaultExit", .error, "ended the worker process with exit status 3"),
    ("PfnFaultScribbleArgs", .error, "wrote past the end of struct follow_pfnmap_args"),
    // A page past the args: the guard page after them catches it, the worker lives on.
    ("PfnFaultScribbleFar", .error, "wrote past the end of struct follow_pfnmap_args (it touched the guard page after it)"),
    ("PfnFaultSuccessHoldingNothing", .fail, "held"),
    ("PfnFaultLeakLock", .fail, "held"),
    // A NULL out-pointer is the walker's fault, not a crash of the worker.
    ("PfnFaultNullOut", .fail, "NULL pointer dereference: pgd_offset() into a NULL pointer"),
    ("PfnFaultWriteThroughPointer", .fail, "the walker wrote a page-table entry"),
  ]

  /// The reference's verdicts for the corpus rules on x86_64, by case.
  static let referenceOutcomes = outcomes((try? runInProcess([ReferenceWalker()], arches: [X86_64()], rules: Set(corpusRules))) ?? [])

  @Test("a corpus walker's faults are verdicts that name the cause; its other cases still pass", arguments: corpus)
  func faultBecomesVerdict(product: String, outcome: Outcome, says: String) throws {
    let verdicts = try runInWorkers(sharedObject(product), arches: ["x86_64"], rules: corpusRules, timeout: 1)
    #expect(outcomes(verdicts).keys.sorted() == Self.referenceOutcomes.keys.sorted(), "every case got one verdict")
    let faulted = verdicts.filter { $0.outcome == outcome }
    #expect(!faulted.isEmpty)
    #expect(faulted.contains { $0.message.contains(says) }, "\(faulted.map(\.message))")
    for verdict in verdicts where verdict.outcome != .pass {
      #expect(!verdict.message.isEmpty)
      #expect(verdict.details.contains("Replay: "))
    }
    #expect(verdicts.contains { $0.outcome == .pass && $0.identity.ruleID == "LK-001" })
    #expect(verdicts.filter { $0.outcome == .pass }.count >= verdicts.count / 3)
  }

  @Test("a NULL dereference is reported with the faulting address")
  func nullDereferenceNamesAddress() throws {
    let verdicts = try runInWorkers(sharedObject("PfnFaultNullDeref"), arches: ["x86_64"], rules: ["RG-001"])
    let crash = try #require(verdicts.first { $0.outcome == .error })
    #expect(crash.message.contains("(a NULL pointer dereference)"))
    #expect(crash.details.contains("pfnspec-worker: caught SIGSEGV"))
  }

  @Test("a store through an entry pointer is a failure that names the entry, not a crash")
  func writeThroughPointerNamesCause() throws {
    let verdicts = try runInWorkers(sharedObject("PfnFaultWriteThroughPointer"), arches: ["x86_64"], rules: ["RG-001"])
    let wrote = try #require(verdicts.first { $0.message.contains("the walker wrote a page-table entry") })
    #expect(wrote.outcome == .fail)
    #expect(wrote.message.contains("a store through the pgd entry pointer"))
    #expect(!verdicts.contains { $0.outcome == .error }, "\(verdicts.filter { $0.outcome == .error }.map(\.message))")
  }

  @Test("a plug-in that prints to standard output cannot break the worker's channel")
  func printingIsHarmless() throws {
    let verdicts = try runInWorkers(sharedObject("PfnFaultPrintGarbage"), arches: ["x86_64"], rules: corpusRules)
    #expect(outcomes(verdicts).count == Self.referenceOutcomes.count)
    #expect(verdicts.allSatisfy { $0.outcome == .pass }, "\(verdicts.filter { $0.outcome != .pass }.map(\.message))")
  }

  @Test("from the command line: crashing and hanging plug-ins beside the reference, JUnit stays well-formed")
  func commandLineRun() throws {
    let directory = makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let report = directory + "/report.xml"
    let result = try runPfnspec(
      [
        "run", "--walker", "reference", "--walker", sharedObject("PfnFaultNullDeref"),
        "--walker", sharedObject("PfnFaultLoopForever"), "--arch", "x86_64", "--rule", "AR-001", "--rule", "LK-001",
        "--timeout", "1", "--jobs", "2", "--junit", report, "--color", "never", "--quiet",
      ])
    #expect(result.status == 1, "\(result.output)\n\(result.error)")
    #expect(result.output.contains("fault:null-deref/x86_64"))
    let document = try XMLDocument(contentsOf: URL(fileURLWithPath: report))
    let cases = try document.nodes(forXPath: "//testcase")
    let errors = try document.nodes(forXPath: "//testcase/error")
    let referenceCases = Self.referenceOutcomes.keys.filter { $0.contains("AR-001") || $0.contains("LK-001") }.count
    #expect(cases.count == 3 * referenceCases)
    #expect(!errors.isEmpty)
    let messages = errors.compactMap { ($0 as? XMLElement)?.attribute(forName: "message")?.stringValue }
    #expect(messages.contains { $0.contains("SIGSEGV") })
    #expect(messages.contains { $0.contains("did not finish within 1s") })
  }
}

@Suite("The worker supervisor")
struct WorkerSupervisorTests {
  /// A stand-in for `pfnspec worker`: a shell script, whose `say EVENT` frames
  /// an event with the nonce it read and the next sequence number.
  func fakeWorker(_ script: String) throws -> String {
    let path = makeTemporaryDirectory() + "/fake-worker"
    let framing = """
      read nonce
      n=0
      say() { n=$((n+1)); printf '%s %s %s\\n' "$nonce" "$n" "$1"; }

      """
    try ("#!/bin/sh\n" + framing + script).write(toFile: path, atomically: true, encoding: .utf8)
    chmod(path, 0o755)
    return path
  }

  @Test("text on the channel that is not an event is an error for the case in flight; the next worker resumes after it")
  func garbageOnTheChannel() throws {
    let identity = CaseIdentity(
      key: SuiteKey(suite: "s", walker: "fake", arch: "x86_64"), ruleID: "R-1", ruleTitle: "a rule")
    let begin = WorkerEvent.begin(identity).encodedLine()
    let done = WorkerEvent.done.encodedLine()
    let worker = try fakeWorker(
      """
      case "$*" in
        *--resume*) say '\(done)' ;;
        *) say '\(begin)'; echo 'this is not JSON' ;;
      esac
      """)
    let supervisor = WorkerSupervisor(
      launch: WorkerLaunch(executable: worker, pluginPath: "fake.so", runArguments: [], caseTimeout: 5))
    let sink = CollectingSink()
    let shared = SharedRunSink(sink)
    let descriptor = WalkerDescriptor(name: "fake", summary: "", role: .implementation, apiLevel: .v6_15, profile: .strict)
    supervisor.run(descriptor: descriptor, suites: [], jobs: 1, seed: 0, sources: { _ in ["contract#C1"] }, into: shared)
    #expect(sink.verdicts.count == 1)
    let verdict = try #require(sink.verdicts.first)
    #expect(verdict.outcome == .error)
    #expect(verdict.message.contains("not an event: 'this is not JSON'"))
    #expect(verdict.identity.caseName == "R-1")
    #expect(verdict.sources == ["contract#C1"])
  }

  @Test("a worker that dies before any case is given up on after a retry, with one error verdict")
  func workerThatNeverStarts() throws {
    let worker = try fakeWorker("exit 7\n")
    let supervisor = WorkerSupervisor(
      launch: WorkerLaunch(executable: worker, pluginPath: "fake.so", runArguments: [], caseTimeout: 5))
    let sink = CollectingSink()
    let descriptor = WalkerDescriptor(name: "fake", summary: "", role: .implementation, apiLevel: .v6_15, profile: .strict)
    supervisor.run(descriptor: descriptor, suites: [], jobs: 1, seed: 0, sources: { _ in [] }, into: SharedRunSink(sink))
    #expect(sink.verdicts.count == 1)
    #expect(sink.verdicts.first?.message.contains("exit status 7") == true)
  }

  @Test("suites are dealt whole to at most --jobs workers")
  func partitions() {
    #expect(WorkerSupervisor.partition(["a", "b", "c"], jobs: 1) == [[]])
    #expect(WorkerSupervisor.partition(["a", "b", "c"], jobs: 2) == [["a", "c"], ["b"]])
    #expect(WorkerSupervisor.partition(["a", "b"], jobs: 8) == [["a"], ["b"]])
  }

  @Test("a plug-in with another ABI version is refused before the run, by describe")
  func describeRefusesABI() throws {
    let worker = try fakeWorker("say '\(WorkerEvent.fatal("'old.so' was built for walker ABI version 2").encodedLine())'\nexit 3\n")
    let supervisor = WorkerSupervisor(
      launch: WorkerLaunch(executable: worker, pluginPath: "old.so", runArguments: [], caseTimeout: 5))
    let error = #expect(throws: PluginError.self) { try supervisor.describe() }
    #expect(error?.description.contains("ABI version 2") == true)
  }
}
