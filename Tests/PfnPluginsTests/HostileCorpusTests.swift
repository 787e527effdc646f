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

/// A `pfnspec run` of hostile plug-ins, marked so that every process of the
/// run can be found afterwards (by an environment variable all of them inherit)
/// and with a TMPDIR of its own, to see what it leaves behind.
struct MarkedRun {
  let marker = "PFNSPEC_RUN_MARK=" + UUID().uuidString
  let temporary = makeTemporaryDirectory(prefix: "pfnspec-hostile")

  var environment: [String: String] {
    ["PFNSPEC_RUN_MARK": String(marker.dropFirst("PFNSPEC_RUN_MARK=".count)), "TMPDIR": temporary + "/"]
  }

  func run(_ arguments: [String]) throws -> (result: CommandResult, seconds: Double) {
    let began = ContinuousClock.now
    let result = try runProcess(pfnspecExecutable, ["run"] + arguments + ["--color", "never"], environment: environment)
    return (result, (ContinuousClock.now - began).seconds)
  }

  /// Processes alive with the run's mark, after giving the dying a moment.
  func survivors() -> [String] {
    var alive: [String] = []
    for _ in 0..<20 {
      alive = Self.processes(marked: marker)
      if alive.isEmpty { break }
      usleep(100_000)
    }
    return alive
  }

  static func processes(marked marker: String) -> [String] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.filter { entry in
      guard Int32(entry) != nil, let environ = FileManager.default.contents(atPath: "/proc/\(entry)/environ") else {
        return false
      }
      // A zombie has no environment left: it is dead already.
      return environ.split(separator: 0).contains { String(decoding: $0, as: UTF8.self) == marker }
    }
  }

  /// What the run left in its TMPDIR.
  func leftovers() -> [String] { (try? FileManager.default.contentsOfDirectory(atPath: temporary)) ?? [] }

  func remove() { try? FileManager.default.removeItem(atPath: temporary) }
}

@Suite("The hostile corpus: plug-ins that attack the run", .serialized)
struct HostileCorpusTests {
  static let rules = ["--arch", "x86_64", "--rule", "AR-001", "--rule", "LK-001"]

  /// Each hostile walker, its flags, the exit status, and what the output must and must not say.
  static let corpus: [(product: String, flags: [String], status: Int32, says: String, never: String?)] = [
    ("PfnFaultForgeDone", [], 1, "broke the worker's channel with text that is not an event: '{\"done\":{}}'", nil),
    ("PfnFaultForkChildren", [], 0, "ran ", "ERROR"),
    ("PfnFaultHoldPipeCrash", ["--timeout", "20"], 1, "crashed the worker: SIGSEGV", "did not finish"),
    ("PfnFaultAlarm", [], 0, "ran ", "ERROR"),
    ("PfnFaultGrowMemory", ["--worker-memory", "2048"], 1, "went past the worker's RLIMIT_AS limit", nil),
    // The fork server keeps the channel open: a child that closes its copy and spins is a hang.
    ("PfnFaultCloseAndSpin", ["--timeout", "3"], 1, "did not finish within 3s (the worker was killed)", nil),
    ("PfnFaultLoopForever", ["--timeout", "20", "--worker-cpu", "1"], 1, "went past the worker's RLIMIT_CPU limit", nil),
  ]

  @Test("a hostile plug-in gets the verdict it earned, the exit status follows, nothing survives, nothing is left in TMPDIR",
    arguments: corpus)
  func hostile(product: String, flags: [String], status: Int32, says: String, never: String?) throws {
    let run = MarkedRun()
    defer { run.remove() }
    let (result, seconds) = try run.run(["--walker", sharedObject(product)] + Self.rules + flags)
    #expect(result.status == status, "\(result.output)\n\(result.error)")
    #expect(result.output.contains(says), "\(result.output)")
    if let never { #expect(!result.output.contains(never), "\(result.output)") }
    #expect(seconds < 15, "a 20 s timeout must not be what ends these cases")
    #expect(run.survivors().isEmpty)
    #expect(run.leftovers().isEmpty)
  }

  @Test("killing pfnspec while a case hangs leaves nothing running", arguments: [SIGINT, SIGTERM, SIGHUP, SIGKILL])
  func killedParent(signal: Int32) throws {
    let run = MarkedRun()
    defer { run.remove() }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: pfnspecExecutable)
    process.arguments =
      ["run", "--walker", sharedObject("PfnFaultLoopForever"), "--timeout", "60", "--quiet"] + Self.rules
    var environment = ProcessInfo.processInfo.environment
    environment.merge(run.environment) { _, new in new }
    environment["SWIFT_BACKTRACE"] = "enable=no"
    process.environment = environment
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    // Wait for a worker (a second marked process) to be in its hanging case.
    let deadline = ContinuousClock.now + .seconds(20)
    while MarkedRun.processes(marked: run.marker).count < 2 && ContinuousClock.now < deadline { usleep(50_000) }
    usleep(500_000)
    #expect(MarkedRun.processes(marked: run.marker).count >= 2)
    kill(process.processIdentifier, signal)
    process.waitUntilExit()
    #expect(run.survivors().isEmpty)
    if signal != SIGKILL { #expect(run.leftovers().isEmpty, "\(run.leftovers())") }
  }
}
