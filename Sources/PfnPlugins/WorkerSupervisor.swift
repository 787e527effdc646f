import Dispatch
import Foundation
import PfnSupport
import PfnResults
import PfnSpecRunner
import PfnWalkers
import Synchronization

/// How to start a worker: the `pfnspec` executable in its hidden `worker`
/// mode, with the plug-in and the run's spec paths and filters.
/// Flags only workers take.
public enum WorkerFlag {
  /// `--serve-callers-with NAME`: the plug-in is a caller, served by this built-in walker.
  public static let servingWalker = "--serve-callers-with"
  /// `--segment N`: the worker's part of the run, for the suites' positions in shard reports.
  public static let segment = "--segment"
  /// `--fork-server`: load once, fork a child per crash (``WorkerProcess/serveForks(channel:resume:run:)``).
  public static let forkServer = "--fork-server"
}

public struct WorkerLaunch: Sendable {
  /// The `pfnspec` executable.
  public var executable: String
  /// The shared object to load.
  public var pluginPath: String
  /// Spec paths and filters (`--rule`, `--arch`, `--seed`, ...), as `pfnspec worker` takes them.
  public var runArguments: [String]
  /// Seconds one case may take before its worker is killed.
  public var caseTimeout: Double
  /// The environment of workers (`SWIFT_BACKTRACE=enable=no` is added).
  public var environment: [String: String]
  /// Set when the shared object is a caller: the built-in walker that serves its lookups.
  public var servingWalker: String?
  /// The plug-in's part of the run (1 for the first plug-in named), which
  /// orders its suites after the in-process walkers' in shard reports.
  public var segment = 0
  /// A part whose first cases all died the same way is stopped after this many
  /// of them, with one error that says so (`nil`: run every case).
  public var stopAfterIdenticalDeaths: Int? = WorkerLaunch.defaultIdenticalDeaths
  /// Shared by every worker of a run: the run stops starting cases once it is spent.
  public var errorBudget: ErrorBudget?

  /// Resource limits of each worker.
  public var limits = WorkerLimits()
  /// Whether a worker serves its part as a fork server: after a crash it
  /// forks a child from its loaded self instead of being replaced.
  public var forkServer = true
  /// The isolation guards inside workers: the guarded frame, the reset and
  /// the killing of what a case forked between cases. Off only to measure
  /// their cost (`pfnspec bench plugin`).
  public var guards = true

  /// The variable that turns the guards off in a worker.
  public static let unguardedVariable = "PFNSPEC_UNGUARDED"

  /// The variable that tells a worker its supervisor's pid (PR_SET_PDEATHSIG's race).
  public static let supervisorVariable = "PFNSPEC_SUPERVISOR_PID"

  /// How many identical deaths at the start of a part stop it, by default.
  public static let defaultIdenticalDeaths = 25

  public init(
    executable: String, pluginPath: String, runArguments: [String], caseTimeout: Double = 30,
    environment: [String: String]? = nil
  ) {
    self.executable = executable
    self.pluginPath = pluginPath
    self.runArguments = runArguments
    self.caseTimeout = caseTimeout
    self.environment = environment ?? currentEnvironment()
  }

  func arguments(suites: [String], resume: ResumePoint?) -> [String] {
    var arguments = ["worker", "--plugin", pluginPath] + runArguments + limits.arguments
    if let servingWalker { arguments += [WorkerFlag.servingWalker, servingWalker] }
    if segment != 0 { arguments += [WorkerFlag.segment, String(segment)] }
    if forkServer { arguments.append(WorkerFlag.forkServer) }
    for suite in suites { arguments += ["--suite", suite] }
    if let resume, let data = try? JSONEncoder().encode(resume) {
      arguments += ["--resume", String(decoding: data, as: UTF8.self)]
    }
    return arguments
  }

  var workerEnvironment: [String: String] {
    var environment = environment
    environment["SWIFT_BACKTRACE"] = "enable=no"
    environment[Self.supervisorVariable] = String(getpid())
    if !guards { environment[Self.unguardedVariable] = "1" }
    return environment
  }
}

/// Runs a plug-in walker in worker processes and turns whatever kills a
/// worker into an error verdict for the case it was running.
///
/// Each worker runs many cases. When one dies (a signal, an exit, a case that
/// outlives its timeout, or text on the channel that is not an event), the
/// case in flight gets an error verdict naming what happened, and a new worker
/// resumes the run after that case.
public final class WorkerSupervisor: Sendable {
  public let launch: WorkerLaunch
  private let explored = Mutex((cases: 0, schedules: 0))

  /// Cases and schedules the workers' race explorer reported (with `--count-schedules` in the run arguments).
  public var exploration: (cases: Int, schedules: Int) { explored.withLock { $0 } }

  func addExplored(cases: Int, schedules: Int) {
    explored.withLock { $0 = ($0.cases + cases, $0.schedules + schedules) }
  }
  /// Where workers' standard error goes while they run.
  private let logDirectory: String

  public init(launch: WorkerLaunch) {
    self.launch = launch
    logDirectory = NSTemporaryDirectory() + "pfnspec-workers-\(getpid())-\(UUID().uuidString.prefix(8))"
  }

  /// Makes the folder of the workers' logs for one describe() or run();
  /// the returned closure removes it. Not left to deinit: the last
  /// reference may die on a part's thread while the process exits.
  private func makeLogDirectory() -> () -> Void {
    try? FileManager.default.createDirectory(atPath: logDirectory, withIntermediateDirectories: true)
    LiveChildren.shared.addTemporary(logDirectory)
    return { [logDirectory] in
      try? FileManager.default.removeItem(atPath: logDirectory)
      LiveChildren.shared.removeTemporary(logDirectory)
    }
  }

  /// Asks a worker what the plug-in says about itself.
  ///
  /// - Throws: ``PluginError`` when the plug-in cannot be loaded, speaks another
  ///   ABI, or crashes while describing itself.
  public func describe() throws -> WalkerDescriptor {
    let removeLogs = makeLogDirectory()
    defer { removeLogs() }
    let child = try ChildProcess(
      executable: launch.executable,
      arguments: ["worker", "--plugin", launch.pluginPath, "--describe"]
        + (launch.servingWalker.map { [WorkerFlag.servingWalker, $0] } ?? []),
      environment: launch.workerEnvironment, errorLogPath: logDirectory + "/describe.log")
    defer { unlink(child.errorLogPath) }
    let nonce = ChannelReader.makeNonce()
    child.send(nonce)
    var reader = ChannelReader(nonce: nonce)
    let deadline = ContinuousClock.now + .seconds(max(10, launch.caseTimeout))
    var lastLine = ""
    while true {
      switch child.readLine(deadline: deadline) {
      case .line(let line):
        lastLine = ChannelFrame(line: line)?.payload ?? line
        switch try? reader.event(line).get() {
        case .hello(let descriptor)?:
          child.waitOrKill(within: 5)
          return descriptor
        case .fatal(let message)?:
          child.waitOrKill(within: 5)
          throw PluginError(message)
        default: continue
        }
      case .endOfOutput, .overlong:
        let exit = child.waitOrKill(within: 2)
        let address = Self.crashAddress(child.errorTail(), exit: exit).map { " at address 0x\(String($0, radix: 16))" }
        throw PluginError(
          "the worker for '\(launch.pluginPath)' \(exit) before describing the walker"
            + (address ?? "") + (lastLine.isEmpty ? "" : "; it last said '\(lastLine)'"))
      case .timedOut:
        child.kill()
        child.wait()
        throw PluginError("the worker for '\(launch.pluginPath)' did not describe the walker in time")
      }
    }
  }

  /// Runs the plug-in over the given suites (all when empty), split over
  /// `jobs` workers at a time, and delivers each suite whole.
  ///
  /// - Parameters:
  ///   - descriptor: What ``describe()`` said; names the walker in verdicts the parent writes.
  ///   - suites: The suite names of the run, in order; parts are made of whole suites.
  ///   - seed: The run's seed, for the verdicts the parent writes.
  ///   - sources: The `source` lines of a rule, by rule id, for the verdicts the parent writes.
  ///   - plan: Every case the plug-in's run must give a verdict (``Runner/plannedCases()``
  ///     with the plug-in's descriptor), planned here rather than by the worker:
  ///     each gets exactly one verdict, a case the worker leaves without one is
  ///     an error, and a verdict or `begin` for a case outside it is refused.
  ///     `nil`: no plan, the worker's word is taken for which cases there are.
  public func run(
    descriptor: WalkerDescriptor, suites: [String], jobs: Int, seed: UInt64,
    sources: @escaping @Sendable (String) -> [String], plan: [CaseIdentity]? = nil, into shared: SharedRunSink
  ) {
    let removeLogs = makeLogDirectory()
    defer { removeLogs() }
    let parts = Self.partition(suites, jobs: jobs)
    let group = DispatchGroup()
    for part in parts {
      group.enter()
      let partPlan = plan.map { plan in part.isEmpty ? plan : plan.filter { part.contains($0.key.suite) } }
      Thread.detachNewThread {
        let run = PartRun(
          supervisor: self, descriptor: descriptor, suites: part, seed: seed, sources: sources, plan: partPlan,
          shared: shared)
        run.run()
        group.leave()
      }
    }
    group.wait()
  }

  /// Whole suites, dealt round-robin into at most `jobs` parts; one part for all
  /// suites (no suite filter) when there is one job.
  static func partition(_ suites: [String], jobs: Int) -> [[String]] {
    guard jobs > 1, suites.count > 1 else { return [[]] }
    var parts = Array(repeating: [String](), count: min(jobs, suites.count))
    for (index, suite) in suites.enumerated() { parts[index % parts.count].append(suite) }
    return parts
  }

  /// The faulting address the worker's crash reporter wrote on its standard
  /// error (`pfnspec-worker: caught SIGSEGV at address 0x0`), if it did.
  static func crashAddress(_ errorText: String, exit: ChildExit) -> UInt64? {
    guard case .signaled = exit else { return nil }
    guard let line = errorText.split(separator: "\n").last(where: { $0.hasPrefix("pfnspec-worker: caught") }),
      let range = line.range(of: " at address 0x")
    else { return nil }
    return UInt64(line[range.upperBound...], radix: 16)
  }

  func log(_ name: String) -> String { logDirectory + "/" + name }
}

/// One part of a plug-in run: its workers, one at a time, until the part is done.
private final class PartRun {
  let supervisor: WorkerSupervisor
  let descriptor: WalkerDescriptor
  let suites: [String]
  let seed: UInt64
  let sources: @Sendable (String) -> [String]
  let grouper: SuiteGrouper
  var resume: ResumePoint?
  /// Cases begun since the last verdict arrived, the last one in flight.
  var begun: [CaseIdentity] = []
  /// The part's first cases that ran walker code, while they all died the
  /// same way: that death and how many; `nil` before the first death and
  /// once any case ended otherwise (``streakBroken``).
  var identicalDeaths: (death: VerdictCause, count: Int)?
  /// Set once a case of the part ended other than the deaths before it.
  var streakBroken = false
  var received: Set<CaseReference> = []
  /// Where each case begun stands in the run, for the verdict of one that kills the worker.
  var begunOrdinals: [CaseReference: CaseOrdinal] = [:]
  /// The part's planned cases in run order (`nil`: no plan), and as a set.
  let plan: [CaseIdentity]?
  let planned: Set<CaseReference>
  /// Set when the supervisor itself decided to stop the part: the cases left
  /// without a verdict are then skipped for this reason, not errors.
  var stoppedBecause: String?

  init(
    supervisor: WorkerSupervisor, descriptor: WalkerDescriptor, suites: [String], seed: UInt64,
    sources: @escaping @Sendable (String) -> [String], plan: [CaseIdentity]?, shared: SharedRunSink
  ) {
    self.supervisor = supervisor
    self.descriptor = descriptor
    self.suites = suites
    self.seed = seed
    self.sources = sources
    self.plan = plan
    self.planned = Set((plan ?? []).map(CaseReference.init))
    self.grouper = SuiteGrouper(shared)
  }

  /// Why a worker stopped before it said `done`.
  enum Stop {
    case died
    case timedOut
    case garbage(String)
    /// A message the supervisor refuses (``ChannelViolation``, or one that contradicts the plan).
    case refused(String)
    /// A fork server's child died with this wait status; the server waits for a resume point.
    case childEnded(Int32)
    /// Another part spent the run's `--max-errors` while this one was running.
    case errorBudgetSpent
  }

  /// How following a worker ended.
  enum Ending {
    /// It said `done` (or sent a fatal error) for its part.
    case finished
    /// It stopped before that; `progressed` tells whether any verdict arrived.
    case stopped(Stop, progressed: Bool)
  }

  func run() {
    let launch = supervisor.launch
    var fruitlessStarts = 0
    let logName = "part-\(suites.joined(separator: "+").isEmpty ? "all" : suites.joined(separator: "+")).log"
    /// A fork server whose child died, with its channel's reader, to follow on.
    var server: (child: ChildProcess, reader: ChannelReader)?
    /// Where the current child's part of the worker's log starts (a fork server's children share it).
    var logStart = 0
    workers: while true {
      if let budget = launch.errorBudget, budget.isSpent {
        stoppedBecause = "the run had reached --max-errors \(budget.limit)"
        recordPartError(.stoppedEarly(.errorBudget(limit: budget.limit, started: false)))
        break
      }
      let child: ChildProcess
      var reader: ChannelReader
      if let (running, itsReader) = server {
        (child, reader) = (running, itsReader)
        server = nil
      } else {
        logStart = 0
        do {
          child = try ChildProcess(
            executable: launch.executable, arguments: launch.arguments(suites: suites, resume: resume),
            environment: launch.workerEnvironment, errorLogPath: supervisor.log(logName))
        } catch {
          stoppedBecause = "no worker could be started"
          recordPartError(.workerFailed(message: "\(error)"))
          break
        }
        // The nonce goes to the worker before it loads the plug-in; lines without it are refused.
        let nonce = ChannelReader.makeNonce()
        child.send(nonce)
        reader = ChannelReader(nonce: nonce)
      }
      let stop: Stop
      let progressed: Bool
      switch follow(child, reader: &reader) {
      case .finished:
        child.waitOrKill(within: 5)
        break workers
      case .stopped(.errorBudgetSpent, _):
        // Not this case's fault: it is left without a verdict, skipped below with the reason.
        child.kill()
        child.wait()
        let limit = launch.errorBudget?.limit ?? 0
        stoppedBecause = "the run reached --max-errors \(limit)"
        recordPartError(.stoppedEarly(.errorBudget(limit: limit, started: true)))
        break workers
      case .stopped(let why, let anyVerdict):
        stop = why
        progressed = anyVerdict
      }
      let exit: ChildExit
      var cause: VerdictCause
      let errorText: String
      switch stop {
      case .childEnded(let status):
        // A fork server's child died; the server lives on and forks the next.
        exit = ChildExit(waitStatus: status)
        errorText = child.errorTail(from: logStart)
        logStart = child.errorLogSize()
        cause = self.cause(.died, exit, errorText)
        server = (child, reader)
      case .timedOut, .garbage, .refused, .died, .errorBudgetSpent:
        if case .died = stop {} else { child.kill() }
        // A worker that closed its channel but goes on running is killed after a grace period.
        exit = child.waitOrKill(within: min(2, launch.caseTimeout))
        errorText = child.errorTail(from: logStart)
        cause = self.cause(stop, exit, errorText)
        if case .died = stop, child.killedHere {
          cause = .walkerError(message: "the walker closed the worker's channel and went on running (the worker was killed)")
        }
      }
      var giveUp = false
      if let inFlight = begun.last {
        record(errorFor: inFlight, cause: cause, errorText: errorText)
        let lost = begun.dropLast().map(CaseReference.init)
        resume = ResumePoint(after: CaseReference(inFlight), rerun: Set(lost))
        begun = []
        fruitlessStarts = 0
        // Fail fast: a walker that died the same way in every case it has run
        // so far would only repeat itself. Counted, not kept: a death costs
        // the supervisor the same late in a part as early.
        countDeath(cause)
        if let limit = launch.stopAfterIdenticalDeaths, let streak = identicalDeaths, streak.count >= limit {
          stoppedBecause = "the part stopped after its first \(limit) cases all ended the same way"
          recordPartError(.stoppedEarly(.identicalDeaths(count: limit, death: cause)))
          giveUp = true
        } else if let budget = launch.errorBudget, budget.spend() {
          stoppedBecause = "the run reached --max-errors \(budget.limit)"
          recordPartError(.stoppedEarly(.errorBudget(limit: budget.limit, started: true)))
          giveUp = true
        }
      } else {
        // Died between cases or before the first: try once more, then give up on the part.
        fruitlessStarts = progressed ? 1 : fruitlessStarts + 1
        if fruitlessStarts >= 2 {
          stoppedBecause = "the part's worker died outside any case twice in a row"
          recordPartError(.workerDiedOutsideCase(cause))
          giveUp = true
        }
      }
      if let (running, _) = server {
        // Tell the fork server where its next child resumes, or to stop.
        let line = giveUp ? "stop" : (try? JSONEncoder().encode(resume)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
        if giveUp || !running.send(line) {
          running.kill()
          running.wait()
          server = nil
        }
      }
      if giveUp { break }
    }
    accountForPlan()
    grouper.flush()
    unlink(supervisor.log(logName))
  }

  /// Counts one death towards the fail-fast stop.
  func countDeath(_ cause: VerdictCause) {
    guard !streakBroken else { return }
    if let streak = identicalDeaths, streak.death != cause {
      streakBroken = true
      identicalDeaths = nil
    } else {
      identicalDeaths = (cause, (identicalDeaths?.count ?? 0) + 1)
    }
  }

  /// Reads a worker's events until it is done or stops; whether any verdict
  /// arrived, and whether it finished its part.
  func follow(_ child: ChildProcess, reader: inout ChannelReader) -> Ending {
    let caseTimeout = Duration.milliseconds(Int(supervisor.launch.caseTimeout * 1000))
    // Between cases (starting, loading specs, planning) the worker runs no walker code.
    let betweenCases = max(caseTimeout, .seconds(60))
    var progressed = false
    while true {
      switch child.readLine(deadline: ContinuousClock.now + (begun.isEmpty ? betweenCases : caseTimeout)) {
      case .timedOut: return .stopped(.timedOut, progressed: progressed)
      case .endOfOutput: return .stopped(.died, progressed: progressed)
      case .overlong: return .stopped(.garbage("a line of more than 64 MiB"), progressed: progressed)
      case .line(let line):
        let event: WorkerEvent
        switch reader.event(line) {
        case .success(let decoded): event = decoded
        case .failure(.notAnEvent(let text)): return .stopped(.garbage(text), progressed: progressed)
        case .failure(.outOfSequence(let expected, let got)):
          return .stopped(
            .refused("message \(got) came where message \(expected) was due: a forged or lost message"),
            progressed: progressed)
        }
        switch event {
        case .begin(let identity), .beginAt(let identity, _):
          // --max-errors is shared by every part: one spent elsewhere stops this part's next case.
          if let budget = supervisor.launch.errorBudget, budget.isSpent {
            return .stopped(.errorBudgetSpent, progressed: progressed)
          }
          let reference = CaseReference(identity)
          if let refusal = refusal(of: reference, verdict: false) { return .stopped(.refused(refusal), progressed: progressed) }
          begun.append(identity)
          if case .beginAt(_, let ordinal) = event { begunOrdinals[reference] = ordinal }
        case .verdict(let verdict):
          let reference = CaseReference(verdict.identity)
          if let refusal = refusal(of: reference, verdict: true) { return .stopped(.refused(refusal), progressed: progressed) }
          received.insert(reference)
          begun.removeAll { CaseReference($0) == reference }
          // A case that ended by itself breaks a run of identical deaths; a
          // rule skipped on this target ran no walker code and does not.
          if verdict.outcome != .skipped { streakBroken = true }
          grouper.record(verdict)
          progressed = true
        case .done:
          return .finished
        case .fatal(let message):
          stoppedBecause = "the worker could not run its part"
          recordPartError(.workerFailed(message: message))
          return .finished
        case .explored(let cases, let schedules):
          supervisor.addExplored(cases: cases, schedules: schedules)
        case .childEnded(let status):
          return .stopped(.childEnded(status), progressed: progressed)
        case .hello, .suiteStarted, .suiteFinished:
          continue
        }
      }
    }
  }

  /// Why a `begin` or verdict for this case is refused, if it is: a case not
  /// in the plan, or one that already has its verdict (duplicates are never
  /// taken, whoever sends them).
  func refusal(of reference: CaseReference, verdict: Bool) -> String? {
    if plan != nil && !planned.contains(reference) {
      return "\(verdict ? "a verdict" : "the start") of a case that is not in the run's plan: \(reference)"
    }
    if received.contains(reference) {
      return verdict ? "a second verdict for \(reference)" : "\(reference) started again after its verdict"
    }
    return nil
  }

  /// Gives every planned case still without a verdict the only verdict the
  /// supervisor can vouch for: skipped when the supervisor stopped the part
  /// itself (an error verdict says why), an error otherwise.
  func accountForPlan() {
    guard let plan else { return }
    for identity in plan where !received.contains(CaseReference(identity)) {
      let verdict: Verdict
      if let stoppedBecause {
        verdict = Verdict(
          identity: identity, outcome: .skipped, cause: .notApplicable(reason: "not run: \(stoppedBecause)"),
          sources: sources(identity.ruleID), profile: profile, seed: seed)
      } else {
        verdict = Verdict(
          identity: identity, outcome: .error,
          cause: .noVerdict(reason: "the worker ended its part without a verdict for this case"),
          story: CaseStory(
            target: .worker(walker: descriptor.name, plugin: supervisor.launch.pluginPath, arch: identity.key.arch)),
          sources: sources(identity.ruleID), profile: profile, seed: seed)
      }
      received.insert(CaseReference(identity))
      grouper.record(verdict)
    }
  }

  var profile: String { "\(descriptor.apiLevel.rawValue)/\(descriptor.profile.rawValue)" }

  /// What killed the worker, as a verdict's cause.
  func cause(_ stop: Stop, _ exit: ChildExit, _ errorText: String) -> VerdictCause {
    switch stop {
    case .timedOut:
      return .timeout(seconds: supervisor.launch.caseTimeout, phase: nil, process: .worker)
    case .garbage(let line):
      return .garbage(output: line)
    case .refused(let reason):
      return .refusedMessage(reason: reason)
    case .childEnded(let status):
      return cause(.died, ChildExit(waitStatus: status), errorText)
    case .errorBudgetSpent:
      return .stoppedEarly(.errorBudget(limit: supervisor.launch.errorBudget?.limit ?? 0, started: true))
    case .died:
      if let limit = Self.limitNamed(errorText, exit: exit) { return limit }
      switch exit {
      case .signaled(let signal):
        return .crash(
          signal: signal, signalName: signalName(signal),
          address: WorkerSupervisor.crashAddress(errorText, exit: exit))
      case .exited(let code):
        return .exit(status: code)
      }
    }
  }

  /// A death that shows a resource limit: SIGXCPU (RLIMIT_CPU), or a crash
  /// whose report says the address space was at its limit (RLIMIT_AS).
  static func limitNamed(_ errorText: String, exit: ChildExit) -> VerdictCause? {
    if case .signaled(SIGXCPU) = exit {
      return .limitExceeded(limit: "RLIMIT_CPU", detail: "killed by SIGXCPU")
    }
    guard let line = errorText.split(separator: "\n").last(where: { $0.hasPrefix("pfnspec-worker: address space at") })
    else { return nil }
    return .limitExceeded(
      limit: "RLIMIT_AS", detail: String(line.dropFirst("pfnspec-worker: ".count)) + ", then \(exit)")
  }

  func record(errorFor identity: CaseIdentity, cause: VerdictCause, errorText: String) {
    let stderrLines = errorText.split(separator: "\n", omittingEmptySubsequences: false).suffix(20).map(String.init)
    let plugin = supervisor.launch.pluginPath
    var story = CaseStory(
      target: .worker(walker: descriptor.name, plugin: plugin, arch: identity.key.arch), standardError: stderrLines)
    var replay = Replay(
      spec: identity.location?.file, rule: identity.ruleID, caseName: identity.caseName,
      walker: .sharedObject(path: plugin), arch: identity.key.arch, seed: seed)
    if let serving = supervisor.launch.servingWalker {
      // A caller plug-in: the caller died, its lookups served by a built-in walker.
      story.caller = CaseStory.CallerLine(name: descriptor.name, profile: "", summary: descriptor.summary)
      story.target = .worker(walker: serving, plugin: plugin, arch: identity.key.arch)
      replay.walker = .builtin(serving)
      replay.caller = plugin
    }
    let verdict = Verdict(
      identity: identity, outcome: .error, cause: cause,
      story: story,
      replay: replay,
      sources: sources(identity.ruleID), profile: "\(descriptor.apiLevel.rawValue)/\(descriptor.profile.rawValue)",
      seed: seed, ordinal: begunOrdinals[CaseReference(identity)])
    received.insert(CaseReference(identity))
    grouper.record(verdict)
  }

  /// An error verdict for the part as a whole, when no case can be blamed.
  func recordPartError(_ cause: VerdictCause) {
    let key = SuiteKey(suite: suites.first ?? "all", walker: descriptor.name, arch: "-")
    let identity = CaseIdentity(key: key, ruleID: "worker", ruleTitle: "the plug-in's worker runs the part")
    grouper.record(
      Verdict(
        identity: identity, outcome: .error, cause: cause,
        story: CaseStory(target: .part(plugin: supervisor.launch.pluginPath, suites: suites)),
        profile: "\(descriptor.apiLevel.rawValue)/\(descriptor.profile.rawValue)", seed: seed))
  }
}
