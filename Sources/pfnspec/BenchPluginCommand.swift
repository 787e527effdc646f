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
    let plugin = try fastest {
      try timed {
        let supervisor = WorkerSupervisor(
          launch: WorkerLaunch(executable: WorkerExecutable.path, pluginPath: path, runArguments: supervisorArguments))
        let descriptor = try supervisor.describe()
        pluginName = descriptor.name
        let shared = SharedRunSink(CollectingSink())
        supervisor.run(
          descriptor: descriptor, suites: suites, jobs: jobs, seed: 0, sources: { _ in [] }, into: shared)
        let tally = try shared.finish(seconds: 0)
        guard tally.failed + tally.errors == 0 else {
          throw ValidationError("\(descriptor.name) failed or errored in \(tally.failed + tally.errors) case(s)")
        }
        return (tally.total, supervisor.exploration.schedules)
      }
    }

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
    print(
      String(
        format: "worker/in-process: %.2fx the schedules per second (worker start-up and the channel included)",
        (Double(plugin.schedules) / plugin.seconds) / (Double(reference.schedules) / reference.seconds)))
  }
}
