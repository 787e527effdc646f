import CPfnWalkerHost

/// Set-up of a worker process.
public enum WorkerProcess {
  /// Makes a crash print one line naming the signal and the faulting address
  /// on standard error before the process dies by that signal.
  public static func installCrashReporter() {
    pfnspec_glue_install_crash_reporter()
  }
}
