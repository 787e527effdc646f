import CPfnWalkerHost
import Foundation

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

  /// Applies the worker's resource limits.
  public static func apply(_ limits: WorkerLimits) {
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
