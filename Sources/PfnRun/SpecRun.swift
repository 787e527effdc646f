import Foundation
import PfnCallers
import PfnModel
import PfnPlugins
import PfnResults
import PfnSpecLanguage
import PfnSpecRunner
import PfnSupport
import PfnWalkers

/// Runs checked specs against every walker of a configuration: built-in
/// walkers and stdio walkers in this process, shared objects in worker
/// processes (``RunConfiguration/jobs`` at a time), the shard's cases only,
/// and streams the verdicts to one `VerdictSink`.
///
/// ```swift
/// var configuration = RunConfiguration()
/// configuration.walkers = ["reference", "./libmy_walker.so"]
/// let specs = try configuration.loadSpecs()
/// let tally = try SpecRun(configuration: configuration, specs: specs).run(into: mySink)
/// ```
public final class SpecRun {
  public let configuration: RunConfiguration
  public let specs: SpecSet
  /// Collects the race explorer's figures (in-process walkers).
  public var explorationTotals: ExplorationTotals?
  /// Called just before each in-process case runs.
  public var caseWillRun: (@Sendable (CaseIdentity) -> Void)?

  /// - Parameters:
  ///   - configuration: What to run: specs, walkers, callers, architectures, filters, shard, jobs.
  ///   - specs: Specs from ``RunConfiguration/loadSpecs()`` without errors.
  public init(configuration: RunConfiguration, specs: SpecSet) {
    self.configuration = configuration
    self.specs = specs
  }

  /// The built-in walkers the configuration names; `reference` when it names no walker at all.
  public func builtinWalkers() throws -> [any Walker] {
    try Self.builtinWalkers(
      named: configuration.walkers, defaultToReference: configuration.walkerCommands.isEmpty)
  }

  /// Built-in walkers by name (`all`, `mutants` or a walker's name); shared-object paths are skipped.
  public static func builtinWalkers(named names: [String], defaultToReference: Bool = true) throws -> [any Walker] {
    let builtinNames = names.filter { !RunConfiguration.isSharedObject($0) }
    var walkers: [any Walker] = []
    for name in names.isEmpty && defaultToReference ? ["reference"] : builtinNames {
      switch name {
      case "all": walkers += BuiltinWalkers.all
      case "mutants": walkers += BuiltinWalkers.mutants
      default:
        guard let walker = BuiltinWalkers.named(name) else {
          let known = BuiltinWalkers.all.map(\.descriptor.name).joined(separator: ", ")
          throw RunError.invalid("unknown walker '\(name)'; known: \(known), mutants, all")
        }
        walkers.append(walker)
      }
    }
    var seen = Set<String>()
    return walkers.filter { seen.insert($0.descriptor.name).inserted }
  }

  /// The built-in callers the configuration names (see ``RunConfiguration/effectiveCallers``);
  /// callers from shared objects run in workers.
  public func builtinCallers() throws -> [any Caller] {
    try Self.callers(named: configuration.effectiveCallers.filter { !RunConfiguration.isSharedObject($0) })
  }

  /// Callers by name: a built-in caller's name, `builtin` (those that keep the
  /// contract), `legacy`, `mutants`, `all`, `none`, or a shared object's path.
  public static func callers(named names: [String]) throws -> [any Caller] {
    var callers: [any Caller] = []
    for name in names {
      switch name {
      case "none": continue
      case "builtin": callers += BuiltinCallers.implementations
      case "legacy": callers += BuiltinCallers.legacy
      case "mutants": callers += BuiltinCallers.mutants
      case "all": callers += BuiltinCallers.all
      case _ where RunConfiguration.isSharedObject(name):
        do { callers.append(try SharedObjectCaller(path: name)) } catch { throw RunError.pluginLoad("\(error)") }
      default:
        guard let caller = BuiltinCallers.named(name) else {
          let known = BuiltinCallers.all.map(\.descriptor.name).joined(separator: ", ")
          throw RunError.invalid("unknown caller '\(name)'; known: \(known), builtin, legacy, mutants, all, none")
        }
        callers.append(caller)
      }
    }
    var seen = Set<String>()
    return callers.filter { seen.insert($0.descriptor.name).inserted }
  }

  /// The architectures by name; every one the model has when none is named.
  public static func arches(named names: [String]) throws -> [any Architecture] {
    guard !names.isEmpty else { return Architectures.all }
    return try names.map { name in
      guard let arch = Architectures.named(name) else {
        let known = Architectures.all.map(\.name).joined(separator: ", ")
        throw RunError.invalid("unknown architecture '\(name)'; known: \(known)")
      }
      return arch
    }
  }

  /// The kernel release a `--kernel` value names (the newest when `nil`).
  public static func release(_ kernel: String?) throws -> KernelRelease {
    guard let kernel else { return .newest }
    guard let release = KernelRelease(kernel), release >= .v6_12 else {
      throw RunError.invalid("--kernel takes a release from 6.12 on, such as 6.12 or 6.15")
    }
    return release
  }

  /// The engine's options for this configuration.
  public func runOptions() throws -> RunOptions {
    var options = RunOptions()
    options.seed = configuration.seed
    options.release = try Self.release(configuration.kernel)
    options.rules = Set(configuration.rules)
    options.tags = Set(configuration.tags)
    options.cases = Set(configuration.cases)
    options.toolVersion = configuration.toolVersion
    if let bound = configuration.raceBound {
      guard (0...6).contains(bound) else { throw RunError.invalid("--race-bound takes 0 to 6") }
      options.raceBound = bound
    }
    guard configuration.raceRandom >= 0 else { throw RunError.invalid("--race-random takes a count") }
    options.randomSchedules = configuration.raceRandom
    if let limit = configuration.raceLimit {
      guard limit >= 1 else { throw RunError.invalid("--race-limit takes a count of schedules, at least 1") }
      options.explorationBudget.schedules = limit
    }
    options.hostname = configuration.deterministic ? "localhost" : ProcessInfo.processInfo.hostName
    options.startTime = configuration.deterministic ? 0 : Date().timeIntervalSince1970
    options.shard = configuration.shard
    options.shardSchedules = configuration.shardSchedules
    options.walkerRules = configuration.runsWalkerRules
    options.explorationTotals = explorationTotals
    options.caseWillRun = caseWillRun
    options.jobs = configuration.jobs
    return options
  }

  /// The `--rule`, `--tag` and `--case` values of the configuration that
  /// select nothing in the specs on its architectures, each with the nearest
  /// name there is. Empty when every filter selects something (a rule that
  /// is skipped on every target is selected: its skip is a verdict).
  public func unmatchedFilters() throws -> [Runner.UnmatchedFilter] {
    let runner = Runner(
      files: specs.files, sources: specs.sources, walkers: try builtinWalkers(),
      callers: try builtinCallers(), arches: try Self.arches(named: configuration.arches), options: try runOptions())
    return runner.unmatchedFilters()
  }

  /// Runs everything into `sink` and returns the tally.
  ///
  /// - Throws: ``RunError`` when a walker, an architecture or a shared object
  ///   cannot be used (before anything runs), or what the sink throws when the run finishes.
  @discardableResult
  public func run(into sink: any VerdictSink) throws -> Tally {
    let options = try runOptions()
    let commands = try configuration.walkerCommands.map { command -> any Walker in
      do { return try StdioWalker(command: command, timeout: configuration.timeout) } catch {
        throw RunError.invalid("\(error)")
      }
    }
    let runner = Runner(
      files: specs.files, sources: specs.sources, walkers: try builtinWalkers() + commands,
      callers: try builtinCallers(), arches: try Self.arches(named: configuration.arches), options: options)
    let paths = configuration.sharedObjectPaths
    // Callers from shared objects run in workers of their own, served by the
    // first built-in walker; a walker's worker serves them too.
    let servingWalker = runner.walkers.first { $0.descriptor.origin == .builtin }?.descriptor.name
    let callerPaths = servingWalker == nil ? [] : configuration.callerSharedObjectPaths
    guard !paths.isEmpty || !callerPaths.isEmpty else { return try runner.run(into: sink) }

    let executable = configuration.workerExecutable ?? Self.currentExecutable
    // Segment 0 is this process's runner; each plug-in is the next segment,
    // so that shard reports order (and merge) every walker's suites apart.
    let budget = configuration.maxErrors.map { ErrorBudget(limit: $0) }
    func failFast(_ launch: WorkerLaunch) -> WorkerLaunch {
      var launch = launch
      launch.errorBudget = budget
      launch.limits = configuration.workerLimits
      if configuration.keepGoing { launch.stopAfterIdenticalDeaths = nil }
      return launch
    }
    let launches =
      paths.map { path in
        failFast(
          WorkerLaunch(
            executable: executable, pluginPath: path, runArguments: configuration.workerArguments,
            caseTimeout: configuration.timeout))
      }
      + callerPaths.map { path in
        var launch = WorkerLaunch(
          executable: executable, pluginPath: path, runArguments: configuration.workerArguments,
          caseTimeout: configuration.timeout)
        launch.servingWalker = servingWalker
        return failFast(launch)
      }
    let supervisors = launches.enumerated().map { index, launch in
      var launch = launch
      launch.segment = index + 1
      return WorkerSupervisor(launch: launch)
    }
    let descriptors = try supervisors.map { supervisor in
      do { return try supervisor.describe() } catch { throw RunError.pluginLoad("\(error)") }
    }

    let began = ContinuousClock.now
    // Parts of a plug-in run in parallel finish in any order, and a worker
    // restarted after a crash delivers a suite in pieces: a deterministic run
    // holds each plug-in's suites (memory for one plug-in's verdicts) and
    // writes them in the run's order, the order a merge of its shards gives.
    let shared = SharedRunSink(sink, ordered: configuration.deterministic)
    // Caller plug-ins describe themselves through the same channel as walkers.
    let described = zip(supervisors, descriptors)
    var info = RunInfo(
      toolVersion: options.toolVersion, seed: options.seed, specPaths: specs.files.map(\.path),
      walkers: runner.walkers.map(\.descriptor.name)
        + described.filter { $0.0.launch.servingWalker == nil }.map(\.1.name),
      arches: runner.arches.map(\.name), startTime: options.startTime, hostname: options.hostname)
    info.callers =
      runner.callers.map(\.descriptor.name) + described.filter { $0.0.launch.servingWalker != nil }.map(\.1.name)
    shared.start(info)
    if !runner.walkers.isEmpty { try runner.run(into: shared.part()) }
    let suites = specs.files.map(\.suiteName).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
    let sourcesByRule = Dictionary(
      specs.rules.map { ($0.id.value, $0.sourceReferences.map(\.description)) }, uniquingKeysWith: { first, _ in first })
    for (supervisor, descriptor) in zip(supervisors, descriptors) {
      supervisor.run(
        descriptor: descriptor, suites: suites, jobs: configuration.jobs, seed: options.seed,
        sources: { sourcesByRule[$0] ?? [] },
        plan: supervisor.launch.servingWalker == nil
          ? try Self.plannedCases(of: descriptor, workerArguments: supervisor.launch.runArguments) : nil,
        into: shared)
      shared.flushOrdered()
    }
    return try shared.finish(seconds: began.secondsElapsed)
  }

  /// The running executable, which workers run again.
  public static var currentExecutable: String {
    var buffer = [CChar](repeating: 0, count: 4096)
    let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    if count > 0 { return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self) }
    return CommandLine.arguments[0]
  }
}

extension SpecRun {
  /// The cases a walker plug-in's workers must give verdicts, planned in this
  /// process exactly as a worker plans them (from the same worker arguments:
  /// specs, filters, callers), so that the supervisor counts verdicts against
  /// its own list. `nil` when a shared-object caller is in the run: its
  /// descriptor is only known inside workers.
  public static func plannedCases(of descriptor: WalkerDescriptor, workerArguments: [String]) throws -> [CaseIdentity]? {
    var rest: [String] = []
    let configuration = try RunConfiguration(workerArguments: workerArguments, remaining: &rest)
    guard !configuration.callers.contains(where: RunConfiguration.isSharedObject) else { return nil }
    let set = try configuration.loadSpecs()
    guard !set.hasErrors else { throw RunError.specErrors(count: set.errorCount) }
    let options = try SpecRun(configuration: configuration, specs: set).runOptions()
    let runner = Runner(
      files: set.files, sources: set.sources, walkers: [PlannedWalker(descriptor: descriptor)],
      callers: try callers(named: configuration.callers), arches: try arches(named: configuration.arches),
      options: options)
    return runner.plannedCases()
  }
}

/// A plug-in walker as the parent knows it, by its descriptor: enough to
/// plan its cases, never called.
struct PlannedWalker: Walker {
  let descriptor: WalkerDescriptor

  func start(_ args: inout FollowPfnmapArgs, host: any WalkerHost) throws -> Int32 {
    throw RunError.invalid("the walker '\(descriptor.name)' runs in workers, not in this process")
  }

  func end(_ args: inout FollowPfnmapArgs, host: any WalkerHost) throws {
    throw RunError.invalid("the walker '\(descriptor.name)' runs in workers, not in this process")
  }
}
