import ArgumentParser
import Foundation
import PfnModel
import PfnPlugins
import PfnResults
import PfnRun
import PfnSpecLanguage
import PfnSpecRunner
import PfnSupport
import PfnWalkers

/// Times a shared-object walker in a worker against the Swift reference in
/// this process, on the same rules and architectures, in the same run.
struct BenchPlugin: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "plugin",
    abstract: "Time a shared-object walker in a worker against the Swift reference in-process.")

  @Option(help: "The shared object (default: libPfnExampleWalker.so beside pfnspec).", completion: .file(extensions: ["so"]))
  var walker: String?

  @Option(
    help: "Spec files or folders (default: Specs/ here when it holds rules, else the shipped rules).",
    completion: .custom(ShellCompletion.specPaths))
  var specPaths: [String] = []

  @Option(help: "Adversary steps explored exhaustively per race case.")
  var raceBound: Int = 2

  @Option(help: "Worker processes.")
  var jobs: Int = 1

  @Option(name: .customLong("repeat"), help: "Repetitions; the figures are from the fastest.")
  var repetitions: Int = 3

  @Flag(help: "Only the crash figures: crash and resume, and a walker that dies in every case over the shipped suite.")
  var crashesOnly = false

  struct Measurement {
    var seconds: Double
    var cases: Int
    var schedules: Int
  }

  func run() throws {
    let path = walker ?? (URL(fileURLWithPath: WorkerExecutable.path).deletingLastPathComponent().path + "/libPfnExampleWalker.so")
    var configuration = RunConfiguration()
    configuration.specPaths = specPaths
    configuration.raceBound = raceBound
    configuration.raceRandom = 0
    let set = try SpecOptions.load(configuration, color: .never)
    var options = RunOptions()
    options.raceBound = raceBound
    options.randomSchedules = 0
    let supervisorArguments = configuration.workerArguments + ["--count-schedules"]
    let suites = set.files.map(\.suiteName).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }

    func timed(_ body: () throws -> (Int, Int)) rethrows -> Measurement {
      let clock = ContinuousClock()
      let began = clock.now
      let (cases, schedules) = try body()
      return Measurement(seconds: (clock.now - began).seconds, cases: cases, schedules: schedules)
    }
    func fastest(_ body: () throws -> Measurement) rethrows -> Measurement {
      var best: Measurement?
      for _ in 0..<max(1, repetitions) {
        let m = try body()
        if best == nil || m.seconds < best!.seconds { best = m }
      }
      return best!
    }

    let reference: Measurement? = try crashesOnly ? nil : fastest {
      try timed {
        var runOptions = options
        let totals = ExplorationTotals()
        runOptions.explorationTotals = totals
        let tally = try Runner(
          files: set.files, sources: set.sources, walkers: [ReferenceWalker()], arches: Architectures.all,
          options: runOptions
        ).run(into: CollectingSink())
        guard tally.failed + tally.errors == 0 else { throw ValidationError("the reference failed a rule") }
        return (tally.total, totals.schedules)
      }
    }
    var pluginName = path
    /// The plug-in over every suite in workers: the measurement, and the CPU
    /// time the workers used (getrusage of this process's reaped children).
    func inWorkers(
      _ plugin: String, guards: Bool = true, forkServer: Bool = true, expectErrors: Bool = false,
      arguments: [String] = supervisorArguments, suites: [String] = suites, workers: Int? = nil,
      keepGoing: Bool = true
    ) throws -> (Measurement, cpu: Double, errors: Int, crashes: Int) {
      let (measurement, cpu, _, errors, crashes) = try inWorkersWithSupervisor(
        plugin, guards: guards, forkServer: forkServer, expectErrors: expectErrors, arguments: arguments,
        suites: suites, workers: workers, keepGoing: keepGoing)
      return (measurement, cpu, errors, crashes)
    }
    /// ``inWorkers`` with the supervisor's own CPU time (this process's, over the run) beside the workers'.
    func inWorkersWithSupervisor(
      _ plugin: String, guards: Bool = true, forkServer: Bool = true, expectErrors: Bool = false,
      arguments: [String] = supervisorArguments, suites: [String] = suites, workers: Int? = nil,
      keepGoing: Bool = true
    ) throws -> (Measurement, cpu: Double, supervisorCPU: Double, errors: Int, crashes: Int) {
      var cpu = 0.0
      var supervisorCPU = 0.0
      var errors = 0
      var crashes = 0
      let measurement = try timed {
        let before = childrenCPU()
        let supervisorBefore = ownCPU()
        var launch = WorkerLaunch(executable: WorkerExecutable.path, pluginPath: plugin, runArguments: arguments)
        launch.guards = guards
        launch.forkServer = forkServer
        if keepGoing { launch.stopAfterIdenticalDeaths = nil }
        let supervisor = WorkerSupervisor(launch: launch)
        let descriptor = try supervisor.describe()
        if !expectErrors { pluginName = descriptor.name }
        let collected = CollectingSink()
        let shared = SharedRunSink(collected)
        supervisor.run(
          descriptor: descriptor, suites: suites, jobs: workers ?? jobs, seed: 0, sources: { _ in [] },
          plan: try SpecRun.plannedCases(of: descriptor, workerArguments: arguments), into: shared)
        let tally = try shared.finish(seconds: 0)
        errors = tally.errors
        crashes = collected.verdicts.filter { if case .crash? = $0.cause { true } else { false } }.count
        guard expectErrors || tally.failed + tally.errors == 0 else {
          throw ValidationError("\(descriptor.name) failed or errored in \(tally.failed + tally.errors) case(s)")
        }
        cpu = childrenCPU() - before
        supervisorCPU = ownCPU() - supervisorBefore
        return (tally.total, supervisor.exploration.schedules)
      }
      return (measurement, cpu, supervisorCPU, errors, crashes)
    }
    func fastestInWorkers(guards: Bool) throws -> (Measurement, cpu: Double) {
      var best: (Measurement, cpu: Double)?
      for _ in 0..<max(1, repetitions) {
        let (m, cpu, _, _) = try inWorkers(path, guards: guards)
        if best == nil || m.seconds < best!.0.seconds { best = (m, cpu) }
      }
      return best!
    }
    let inWorkersWithGuards = try crashesOnly ? nil : (fastestInWorkers(guards: true), fastestInWorkers(guards: false))
    // Crash and resume: the fault corpus's crash-always walker dies in every case,
    // each death costing a fork (or a new worker); against the C example, which
    // it is but for the crash, on the same rules. The rules have no race cases,
    // so a case that does not crash costs little beside a crash.
    // These runs take the shipped rules whatever --spec-paths says.
    let directory = URL(fileURLWithPath: WorkerExecutable.path).deletingLastPathComponent().path
    let shipped = try SpecOptions.load(RunConfiguration(), color: .never)
    let shippedSuites = shipped.files.map(\.suiteName).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
    var crashConfiguration = RunConfiguration()
    crashConfiguration.raceRandom = 0
    crashConfiguration.rules = ["AR-001", "RG-001", "LK-001", "HG-005", "LT-004"]
    let crashArguments = crashConfiguration.workerArguments
    let crashAlways = directory + "/libPfnFaultCrashAlways.so"
    /// The least workers' CPU over the repetitions: CPU time is what a crash
    /// costs, and the least of it is the least disturbed by other load.
    func leastCPU(
      _ plugin: String, forkServer: Bool = true, expectErrors: Bool = true
    ) throws -> (Measurement, cpu: Double, supervisorCPU: Double, crashes: Int) {
      var best: (Measurement, cpu: Double, supervisorCPU: Double, crashes: Int)?
      for _ in 0..<max(1, repetitions) {
        let (m, cpu, supervisorCPU, _, crashes) = try inWorkersWithSupervisor(
          plugin, forkServer: forkServer, expectErrors: expectErrors, arguments: crashArguments,
          suites: shippedSuites)
        if best == nil || cpu + supervisorCPU < best!.cpu + best!.supervisorCPU { best = (m, cpu, supervisorCPU, crashes) }
      }
      return best!
    }
    let (crashTime, crashCPU, crashSupervisorCPU, crashes) = try leastCPU(crashAlways)
    let (respawnTime, respawnCPU, respawnSupervisorCPU, respawns) = try leastCPU(crashAlways, forkServer: false)
    let (calm, calmCPU, calmSupervisorCPU, _) = try leastCPU(path, expectErrors: false)
    // A walker that dies in every case, over the whole suite as `pfnspec run`
    // runs it (its default race bound and random schedules) on two workers:
    // with --keep-going every case dies, by default the fail-fast stop ends each part early.
    let suiteArguments = RunConfiguration().workerArguments
    let (everyCase, everyCaseCPU, everyCaseSupervisorCPU, _, everyCaseCrashes) = try inWorkersWithSupervisor(
      crashAlways, expectErrors: true, arguments: suiteArguments, suites: shippedSuites, workers: 2)
    let (failFast, failFastCPU, failFastSupervisorCPU, failFastErrors, failFastCrashes) = try inWorkersWithSupervisor(
      crashAlways, expectErrors: true, arguments: suiteArguments, suites: shippedSuites, workers: 2, keepGoing: false)

    print("pfnspec bench plugin: every rule, every architecture, race bound \(raceBound), no random schedules")
    print("machine: \(ProcessInfo.processInfo.activeProcessorCount) cores; fastest of \(max(1, repetitions)) run(s)")
    func line(_ label: String, _ m: Measurement) {
      print(
        String(
          format: "%@  cases %d  schedules %d  %.3f s  %.0f cases/s  %.0f schedules/s", label, m.cases, m.schedules,
          m.seconds, Double(m.cases) / m.seconds, Double(m.schedules) / m.seconds))
    }
    if let reference, let inWorkersWithGuards {
      let ((plugin, pluginCPU), (unguarded, unguardedCPU)) = inWorkersWithGuards
      line("reference (Swift, in-process)        ", reference)
      line("\(pluginName) (C, \(jobs) worker\(jobs == 1 ? "" : "s"))".padding(toLength: 37, withPad: " ", startingAt: 0), plugin)
      if reference.schedules > 0 && plugin.schedules > 0 {
        print(
          String(
            format: "worker/in-process: %.2fx the schedules per second (worker start-up and the channel included)",
            (Double(plugin.schedules) / plugin.seconds) / (Double(reference.schedules) / reference.seconds)))
      }
      line("\(pluginName) without isolation guards".padding(toLength: 37, withPad: " ", startingAt: 0), unguarded)
      print(
        String(
          format:
            "isolation guards: %.2fx the time (%.3f s against %.3f s; workers' CPU %.3f s against %.3f s): guarded frame, "
            + "per-case reset and reaping, planned-case accounting, nonce and sequence checks",
          plugin.seconds / unguarded.seconds, plugin.seconds, unguarded.seconds, pluginCPU, unguardedCPU))
    }
    // The same rules with the crash-always walker (every case dies) and with the C
    // example (none does): the difference in CPU over the crashes is what one
    // crash and resume costs beyond running the case, for the fork server and
    // for a new worker per death; the workers' CPU, then with the supervisor's.
    func perCrash(_ cpu: Double, _ calm: Double, _ crashes: Int) -> Double {
      crashes > 0 ? (cpu - calm) / Double(crashes) * 1000 : 0
    }
    let forkPerCrash = perCrash(crashCPU, calmCPU, crashes)
    let respawnPerCrash = perCrash(respawnCPU, calmCPU, respawns)
    let forkPerCrashAll = perCrash(crashCPU + crashSupervisorCPU, calmCPU + calmSupervisorCPU, crashes)
    let respawnPerCrashAll = perCrash(respawnCPU + respawnSupervisorCPU, calmCPU + calmSupervisorCPU, respawns)
    print(
      String(
        format:
          "crash and resume: %d crashes in %d cases of the crash-always walker (5 rules without races, least CPU of "
          + "the runs); the C example on them, no crash: %.3f s, CPU %.3f s workers + %.3f s supervisor",
        crashes, calm.cases, calm.seconds, calmCPU, calmSupervisorCPU))
    print(
      String(
        format:
          "  fork server:           %.3f s, CPU %.3f s workers + %.3f s supervisor; per crash %.2f ms workers, "
          + "%.2f ms with the supervisor's",
        crashTime.seconds, crashCPU, crashSupervisorCPU, forkPerCrash, forkPerCrashAll))
    print(
      String(
        format:
          "  new worker per death:  %.3f s, CPU %.3f s workers + %.3f s supervisor; per crash %.2f ms workers, "
          + "%.2f ms with the supervisor's",
        respawnTime.seconds, respawnCPU, respawnSupervisorCPU, respawnPerCrash, respawnPerCrashAll))
    print(
      String(
        format: "  marginal CPU per crash, fork server: %.2f ms (target 2 ms), %.1fx less than a new worker per death",
        forkPerCrashAll, forkPerCrashAll > 0 ? respawnPerCrashAll / forkPerCrashAll : 0))
    print(
      String(
        format:
          "a walker that dies in every case, the shipped suite on 2 workers (target under 10 s):\n"
          + "  --keep-going:            %.3f s, CPU %.3f s workers + %.3f s supervisor, %d cases, %d crash errors\n"
          + "  fail-fast (the default): %.3f s, CPU %.3f s workers + %.3f s supervisor, %d crash errors, %d error(s) in all",
        everyCase.seconds, everyCaseCPU, everyCaseSupervisorCPU, everyCase.cases, everyCaseCrashes, failFast.seconds,
        failFastCPU, failFastSupervisorCPU, failFastCrashes, failFastErrors))
  }

  /// CPU seconds (user and system) of this process's reaped children so far.
  func childrenCPU() -> Double { cpuSeconds(RUSAGE_CHILDREN) }

  /// CPU seconds (user and system) of this process so far: the supervisor's threads.
  func ownCPU() -> Double { cpuSeconds(RUSAGE_SELF) }

  func cpuSeconds(_ who: __rusage_who) -> Double {
    var usage = rusage()
    getrusage(__rusage_who_t(who.rawValue), &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
      + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1_000_000
  }
}
