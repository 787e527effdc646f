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

    let reference = try fastest {
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
      arguments: [String] = supervisorArguments
    ) throws -> (Measurement, cpu: Double, errors: Int) {
      var cpu = 0.0
      var errors = 0
      let measurement = try timed {
        let before = childrenCPU()
        var launch = WorkerLaunch(executable: WorkerExecutable.path, pluginPath: plugin, runArguments: arguments)
        launch.guards = guards
        launch.forkServer = forkServer
        launch.stopAfterIdenticalDeaths = nil
        let supervisor = WorkerSupervisor(launch: launch)
        let descriptor = try supervisor.describe()
        if !expectErrors { pluginName = descriptor.name }
        let shared = SharedRunSink(CollectingSink())
        supervisor.run(
          descriptor: descriptor, suites: suites, jobs: jobs, seed: 0, sources: { _ in [] },
          plan: try SpecRun.plannedCases(of: descriptor, workerArguments: arguments), into: shared)
        let tally = try shared.finish(seconds: 0)
        errors = tally.errors
        guard expectErrors || tally.failed + tally.errors == 0 else {
          throw ValidationError("\(descriptor.name) failed or errored in \(tally.failed + tally.errors) case(s)")
        }
        cpu = childrenCPU() - before
        return (tally.total, supervisor.exploration.schedules)
      }
      return (measurement, cpu, errors)
    }
    func fastestInWorkers(guards: Bool) throws -> (Measurement, cpu: Double) {
      var best: (Measurement, cpu: Double)?
      for _ in 0..<max(1, repetitions) {
        let (m, cpu, _) = try inWorkers(path, guards: guards)
        if best == nil || m.seconds < best!.0.seconds { best = (m, cpu) }
      }
      return best!
    }
    let (plugin, pluginCPU) = try fastestInWorkers(guards: true)
    let (unguarded, unguardedCPU) = try fastestInWorkers(guards: false)
    // Crash and resume: the fault corpus's abort walker dies in every case on an odd page,
    // and each death costs a new worker; against the same rules without crashes.
    let directory = URL(fileURLWithPath: WorkerExecutable.path).deletingLastPathComponent().path
    var crashConfiguration = RunConfiguration()
    crashConfiguration.raceRandom = 0
    crashConfiguration.rules = ["RC-004"]  // its addresses are on odd pages: the abort walker dies in each case
    let crashArguments = crashConfiguration.workerArguments
    let abort = directory + "/libPfnFaultAbort.so"
    let (crashTime, crashCPU, crashes) = try inWorkers(abort, expectErrors: true, arguments: crashArguments)
    let (respawnTime, respawnCPU, respawns) = try inWorkers(
      abort, forkServer: false, expectErrors: true, arguments: crashArguments)
    let (calm, calmCPU, _) = try inWorkers(path, arguments: crashArguments)

    print("pfnspec bench plugin: every rule, every architecture, race bound \(raceBound), no random schedules")
    print("machine: \(ProcessInfo.processInfo.activeProcessorCount) cores; fastest of \(max(1, repetitions)) run(s)")
    func line(_ label: String, _ m: Measurement) {
      print(
        String(
          format: "%@  cases %d  schedules %d  %.3f s  %.0f cases/s  %.0f schedules/s", label, m.cases, m.schedules,
          m.seconds, Double(m.cases) / m.seconds, Double(m.schedules) / m.seconds))
    }
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
    // Both runs do the same work but for how a crash is recovered: their
    // difference per crash is what a new worker costs beyond a fork. The
    // fork server's whole CPU over its crashes bounds its cost per crash from above
    // (it includes the one load, the planning and the cases that did not crash).
    let saved = crashes > 0 ? (respawnCPU - crashCPU) / Double(crashes) : 0
    let bound = crashes > 0 ? crashCPU / Double(crashes) : 0
    print(
      String(
        format:
          "crash and resume: %d crashes in %d cases of the abort walker; fork server %.3f s, workers' CPU %.3f s "
          + "(at most %.2f ms per crash, everything included); new worker per death %.3f s, workers' CPU %.3f s "
          + "(%.2f ms more CPU per crash than a fork)",
        crashes, calm.cases, crashTime.seconds, crashCPU, bound * 1000, respawnTime.seconds, respawnCPU, saved * 1000))
    _ = (respawns, calmCPU)
  }

  /// CPU seconds (user and system) of this process's reaped children so far.
  func childrenCPU() -> Double {
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_CHILDREN.rawValue), &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
      + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1_000_000
  }
}
