import Foundation
import PfnCallers
import PfnModel
import PfnPlugins
import PfnResults
import PfnSpecRunner
import PfnWalkers

/// The worker side of a run: loads one shared object and runs cases for the
/// parent, streaming events on the channel. Any executable that is a run's
/// ``RunConfiguration/workerExecutable`` hands its arguments after `worker` here.
public enum WorkerMain {
  /// Runs the worker; returns the process's exit status.
  ///
  /// Arguments: `--plugin PATH` and either `--describe`, or the run's
  /// ``RunConfiguration/workerArguments`` with `--suite NAME` (repeatable),
  /// `--resume JSON`, `--count-schedules` and `--fork-server`.
  public static func run(arguments: [String]) -> Int32 {
    WorkerProcess.installCrashReporter()
    WorkerProcess.guardAgainstSurvivors()
    // A fork server reads where to resume on its standard input.
    let forkServer = arguments.contains(WorkerFlag.forkServer)
    let channel = WorkerChannel.takeStandardOutput(keepInput: forkServer)
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
    var servingWalker: String?
    var segment = 0
    var limits = WorkerLimits()
    var index = 0
    while index < rest.count {
      let flag = rest[index]
      let value = index + 1 < rest.count ? rest[index + 1] : nil
      switch flag {
      case "--plugin": plugin = value; index += 1
      case "--suite": suites += value.map { [$0] } ?? []; index += 1
      case "--resume": resume = value; index += 1
      case WorkerFlag.servingWalker: servingWalker = value; index += 1
      case WorkerFlag.segment: segment = value.flatMap { Int($0) } ?? 0; index += 1
      case "--describe": describe = true
      case "--count-schedules": countSchedules = true
      case WorkerFlag.forkServer: break
      case _ where limits.read(flag: flag, value: value): index += 1
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
    WorkerProcess.apply(limits)
    // A walker plug-in checks the walker rules and serves the run's callers; a
    // caller plug-in checks the caller rules, served by a built-in walker.
    let walker: any Walker
    var callers: [any Caller] = []
    var descriptor: WalkerDescriptor
    do {
      if let servingWalker {
        guard let server = BuiltinWalkers.named(servingWalker) else {
          throw RunError.invalid("unknown walker '\(servingWalker)' to serve the caller")
        }
        let caller = try SharedObjectCaller(path: plugin)
        walker = server
        callers = [caller]
        descriptor = server.descriptor
        descriptor.name = caller.descriptor.name
        descriptor.summary = caller.descriptor.summary
        descriptor.role = caller.descriptor.role
      } else {
        walker = try SharedObjectWalker(path: plugin)
        descriptor = walker.descriptor
      }
    } catch {
      channel.send(.fatal("\(error)"))
      return 3
    }
    if describe {
      channel.send(.hello(descriptor))
      return 0
    }
    do {
      let set = try configuration.loadSpecs()
      guard !set.hasErrors else { throw RunError.specErrors(count: set.errorCount) }
      var options = try SpecRun(configuration: configuration, specs: set).runOptions()
      if let resume {
        options.resume = try JSONDecoder().decode(ResumePoint.self, from: Data(resume.utf8))
      }
      // A fork server fills it before its first fork (``EncodedBegins``).
      let begins = forkServer ? EncodedBegins() : nil
      options.caseWillRunAt = {
        WorkerProcess.resetBetweenCases()
        channel.sendBegin($0, $1, ahead: begins)
      }
      let totals = ExplorationTotals()
      if countSchedules { options.explorationTotals = totals }
      let files = suites.isEmpty ? set.files : set.files.filter { suites.contains($0.suiteName) }
      if servingWalker != nil { options.walkerRules = false }
      options.ordinalSegment = segment
      options.suiteOrder = set.files.map(\.suiteName)
      // The parent names every caller (its default included): no default here.
      let partCallers = servingWalker != nil ? callers : try SpecRun.callers(named: configuration.callers)
      let arches = try SpecRun.arches(named: configuration.arches)
      let partOptions = options
      func runner(resuming resume: ResumePoint?) -> Runner {
        var options = partOptions
        options.resume = resume
        return Runner(
          files: files, sources: set.sources, walkers: [walker], callers: partCallers, arches: arches, options: options)
      }
      let sink = WorkerEventSink(channel: channel) {
        WorkerProcess.resetBetweenCases()
        if countSchedules { channel.send(.explored(cases: totals.cases, schedules: totals.schedules)) }
      }
      if forkServer {
        // Specs, plug-in and the whole part's plan are loaded once, here: a
        // child forked after a crash starts at its resume point's rule with
        // nothing to plan, so each crash costs a fork.
        let partRunner = runner(resuming: nil)
        let prepared = partRunner.prepare()
        partRunner.warmUp(prepared)
        begins?.encode(prepared.cases)
        WorkerProcess.warmUpEvents(firstCase: prepared.cases.first?.identity)
        return WorkerProcess.serveForks(channel: channel, resume: options.resume) { resume in
          do { try runner(resuming: resume).run(into: sink, prepared: prepared) } catch {
            channel.send(.fatal("the worker cannot run: \(error)"))
          }
          return 0
        }
      }
      try runner(resuming: options.resume).run(into: sink)
    } catch {
      channel.send(.fatal("the worker cannot run: \(error)"))
      return 3
    }
    return 0
  }
}
