import Foundation
import PfnModel
import PfnPlugins
import PfnResults
import PfnSpecRunner

/// The worker side of a run: loads one shared object and runs cases for the
/// parent, streaming events on the channel. Any executable that is a run's
/// ``RunConfiguration/workerExecutable`` hands its arguments after `worker` here.
public enum WorkerMain {
  /// Runs the worker; returns the process's exit status.
  ///
  /// Arguments: `--plugin PATH` and either `--describe`, or the run's
  /// ``RunConfiguration/workerArguments`` with `--suite NAME` (repeatable),
  /// `--resume JSON` and `--count-schedules`.
  public static func run(arguments: [String]) -> Int32 {
    WorkerProcess.installCrashReporter()
    let channel = WorkerChannel.takeStandardOutput()
    var rest: [String] = []
    let configuration: RunConfiguration
    do {
      configuration = try RunConfiguration(workerArguments: arguments, remaining: &rest)
    } catch {
      channel.send(.fatal("the worker cannot run: \(error)"))
      return 3
    }
    var plugin: String?
    var describe = false
    var countSchedules = false
    var suites: [String] = []
    var resume: String?
    var index = 0
    while index < rest.count {
      let flag = rest[index]
      let value = index + 1 < rest.count ? rest[index + 1] : nil
      switch flag {
      case "--plugin": plugin = value; index += 1
      case "--suite": suites += value.map { [$0] } ?? []; index += 1
      case "--resume": resume = value; index += 1
      case "--describe": describe = true
      case "--count-schedules": countSchedules = true
      default:
        channel.send(.fatal("the worker does not know the argument '\(flag)'"))
        return 3
      }
      index += 1
    }
    guard let plugin else {
      channel.send(.fatal("the worker needs --plugin PATH"))
      return 3
    }
    let walker: SharedObjectWalker
    do {
      walker = try SharedObjectWalker(path: plugin)
    } catch {
      channel.send(.fatal("\(error)"))
      return 3
    }
    if describe {
      channel.send(.hello(walker.descriptor))
      return 0
    }
    do {
      let set = try configuration.loadSpecs()
      guard !set.hasErrors else { throw RunError.specErrors(count: set.errorCount) }
      var options = try SpecRun(configuration: configuration, specs: set).runOptions()
      if let resume {
        options.resume = try JSONDecoder().decode(ResumePoint.self, from: Data(resume.utf8))
      }
      options.caseWillRun = { channel.send(.begin($0)) }
      let totals = ExplorationTotals()
      if countSchedules { options.explorationTotals = totals }
      let files = suites.isEmpty ? set.files : set.files.filter { suites.contains($0.suiteName) }
      let runner = Runner(
        files: files, sources: set.sources, walkers: [walker], callers: try SpecRun.callers(named: configuration.effectiveCallers),
        arches: try SpecRun.arches(named: configuration.arches), options: options)
      try runner.run(
        into: WorkerEventSink(channel: channel) {
          if countSchedules { channel.send(.explored(cases: totals.cases, schedules: totals.schedules)) }
        })
    } catch {
      channel.send(.fatal("the worker cannot run: \(error)"))
      return 3
    }
    return 0
  }
}
