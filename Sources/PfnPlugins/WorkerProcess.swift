import CPfnWalkerHost
import Foundation
import PfnResults
import PfnSpecRunner

/// Set-up of a worker process.
public enum WorkerProcess {
  /// Makes a crash print one line naming the signal and the faulting address
  /// on standard error before the process dies by that signal.
  public static func installCrashReporter() {
    pfnspec_glue_install_crash_reporter()
  }

  /// Whether the isolation guards are on (``WorkerLaunch/guards``).
  public static let guarded = getenv(WorkerLaunch.unguardedVariable) == nil

  /// Makes this worker leave nothing behind: the subreaper of whatever the
  /// plug-in forks (setsid daemons included), which dies with its parent
  /// (PR_SET_PDEATHSIG) and takes every descendant along when it dies by a
  /// crash, SIGTERM or SIGHUP.
  public static func guardAgainstSurvivors() {
    let parent = getenv(WorkerLaunch.supervisorVariable).flatMap { Int32(String(cString: $0)) } ?? 0
    _ = pfnspec_glue_guard_worker(parent)
  }

  /// Between cases: kills whatever the last case forked and resets the
  /// signals and timers a walker may have armed for itself (alarm, itimers),
  /// so that nothing the last case set up strikes the next one.
  public static func resetBetweenCases() {
    guard guarded else { return }
    _ = pfnspec_glue_kill_descendants(-1)
    pfnspec_glue_reset_case_signals()
  }

  /// Serves a part as a fork server: the specs, the plan and the plug-in are
  /// loaded once, in this process; each child forked from it runs the part
  /// from a resume point (`run`, whose result is the child's exit status).
  /// When a child dies, this process kills what it left, tells the
  /// supervisor (``WorkerEvent/childEnded(status:)``) and forks the next one
  /// from where the supervisor says to resume. A crash so costs a fork, not
  /// a new worker that loads and plans everything again.
  ///
  /// - Returns: The exit status of the worker: 0 once a child finished the part.
  public static func serveForks(
    channel: WorkerChannel, resume initial: ResumePoint?, run: (ResumePoint?) -> Int32
  ) -> Int32 {
    var resume = initial
    while true {
      let pid = fork()
      if pid < 0 {
        channel.send(.fatal("the worker cannot fork: \(String(cString: strerror(errno)))"))
        return 3
      }
      if pid == 0 {
        // The child: dies with the server, reads nothing meant for it.
        _ = pfnspec_glue_die_with_parent(SIGKILL, 0)
        WorkerChannel.closeStandardInput()
        _exit(run(resume))  // write(2) only: no buffers to flush, no atexit work to run in a fork
      }
      var status: Int32 = 0
      while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
      resetBetweenCases()
      // Exit status 0: the child said done (or fatal) itself.
      if status == 0 { return 0 }
      channel.send(.childEnded(status: status))
      guard let line = WorkerChannel.readInputLine(), line != "stop" else { return 0 }
      if line == "null" {
        resume = nil
      } else if let point = try? JSONDecoder().decode(ResumePoint.self, from: Data(line.utf8)) {
        resume = point
      } else {
        channel.send(.fatal("the worker got a resume point it cannot read"))
        return 3
      }
    }
  }

  /// Encodes, and drops, the events a fork server's children send most: the
  /// Swift runtime builds the type metadata of their encoding lazily, on
  /// first use, and a child's first use would otherwise build it again after
  /// every crash. Built here, in the server, every child inherits it.
  public static func warmUpEvents(firstCase: CaseIdentity?) {
    let identity = firstCase ?? CaseIdentity(key: SuiteKey(suite: "-", walker: "-", arch: "-"), ruleID: "-", ruleTitle: "-")
    _ = CaseReference(identity).hashValue
    let events: [WorkerEvent] = [
      .beginAt(identity, CaseOrdinal(suite: 0, rule: 0, index: 0)),
      .verdict(Verdict(identity: identity, outcome: .skipped, cause: .notApplicable(reason: "-"))),
      .suiteStarted(identity.key), .suiteFinished(identity.key), .explored(cases: 0, schedules: 0), .done,
    ]
    for event in events { _ = ChannelFrame(nonce: "-", sequence: 0, payload: event.encodedLine()).line }
  }

  /// Applies the worker's resource limits.
  public static func apply(_ limits: WorkerLimits) {
    // No core files: a walker that crashes in every case would write one per
    // case (or hand each to the system's core handler, at tens of ms apiece).
    var noCore = rlimit(rlim_cur: 0, rlim_max: 0)
    _ = getrlimit(__rlimit_resource_t(RLIMIT_CORE.rawValue), &noCore)
    noCore.rlim_cur = 0
    _ = setrlimit(__rlimit_resource_t(RLIMIT_CORE.rawValue), &noCore)
    if let bytes = limits.addressSpaceBytes { _ = pfnspec_glue_set_limit(PFNSPEC_GLUE_LIMIT_AS, bytes) }
    if let seconds = limits.cpuSeconds { _ = pfnspec_glue_set_limit(PFNSPEC_GLUE_LIMIT_CPU, seconds) }
    if let files = limits.openFiles { _ = pfnspec_glue_set_limit(PFNSPEC_GLUE_LIMIT_NOFILE, files) }
    if let processes = limits.processes { _ = pfnspec_glue_set_limit(PFNSPEC_GLUE_LIMIT_NPROC, processes) }
  }
}

/// Resource limits of each worker process (`nil`: left as inherited).
public struct WorkerLimits: Sendable, Hashable, Codable {
  /// RLIMIT_AS: the worker's address space, in bytes (default 8 GiB).
  public var addressSpaceBytes: UInt64? = 8 << 30
  /// RLIMIT_CPU: CPU seconds of one worker (default 600); it gets SIGXCPU past them.
  public var cpuSeconds: UInt64? = 600
  /// RLIMIT_NOFILE: open files (default 1024).
  public var openFiles: UInt64? = 1024
  /// RLIMIT_NPROC: processes of the user, counted by the kernel across the
  /// whole user (so off by default: a busy machine's user may be near any value).
  public var processes: UInt64?

  public init() {}

  /// The limits as `pfnspec worker` arguments.
  var arguments: [String] {
    var arguments: [String] = []
    func add(_ flag: String, _ value: UInt64?) { arguments += [flag, value.map(String.init) ?? "off"] }
    add("--limit-as", addressSpaceBytes)
    add("--limit-cpu", cpuSeconds)
    add("--limit-nofile", openFiles)
    add("--limit-nproc", processes)
    return arguments
  }

  /// Reads one `--limit-*` flag of ``arguments``; whether it was one.
  public mutating func read(flag: String, value: String?) -> Bool {
    let number = value == "off" ? nil : value.flatMap { UInt64($0) }
    switch flag {
    case "--limit-as": addressSpaceBytes = number
    case "--limit-cpu": cpuSeconds = number
    case "--limit-nofile": openFiles = number
    case "--limit-nproc": processes = number
    default: return false
    }
    return true
  }
}
