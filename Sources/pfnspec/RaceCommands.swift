import ArgumentParser
import Foundation
import PfnCallers
import PfnModel
import PfnPlugins
import PfnReports
import PfnResults
import PfnRun
import PfnSpecLanguage
import PfnSpecRunner
import PfnSupport
import PfnWalkers

/// How `run` explores races (the worker processes get them through `RunConfiguration`).
struct RaceOptions: ParsableArguments {
  @Option(help: "Adversary steps explored exhaustively per race case (default: each rule's bound, usually 2).")
  var raceBound: Int?

  @Option(help: "Seeded random schedules per race case beyond the bound.")
  var raceRandom: Int = 16

  @Option(
    help: ArgumentHelp(
      "Schedules explored per race case before exploring stops (default: 50000).",
      discussion: "A case that passes what ran before the limit is reported as explored in part."))
  var raceLimit: Int?
}

struct Replay: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Rerun exactly one schedule of one case, from the token a failure printed.")

  @Argument(help: "The replay token (v1.…).")
  var token: String

  @Option(help: "The spec file, when it moved since the token was made.", completion: .file(extensions: ["pfnspec"]))
  var spec: String?

  @Option(help: "The contract document whose clause anchors rules cite (default: docs/contract.md).")
  var contract: String?

  @Option(
    name: .customLong(RunFlag.long(RunFlag.walker)),
    help: "The plug-in the token's walker came from (PATH.so); it runs in this process, so a crash shows as it is.",
    completion: .file(extensions: ["so"]))
  var pluginPath: String?

  @Option(name: .customLong(RunFlag.long(RunFlag.walkerCommand)), help: "The command of a stdio walker the token's walker came from.")
  var walkerCommand: String?

  @Option(
    name: .customLong(RunFlag.long(RunFlag.caller)),
    help: "The plug-in the token's caller came from (PATH.so); it runs in this process.",
    completion: .file(extensions: ["so"]))
  var callerPath: String?

  @Flag(help: "Print the failing case as a rule with its schedule pinned (given schedule { ... }), to keep as a regression.")
  var asRule = false

  @Option(help: "The id of the rule --as-rule prints (default: the rule's id with -PIN).")
  var ruleID: String?

  /// The walker the token names: a built-in one, or the plug-in given on the command line.
  func walker(for replay: ReplayToken) throws -> any Walker {
    let plugged: (any Walker)?
    if let pluginPath {
      plugged = try SharedObjectWalker(path: pluginPath)
    } else if let walkerCommand {
      plugged = try StdioWalker(command: walkerCommand)
    } else {
      plugged = nil
    }
    if let plugged {
      if plugged.descriptor.name != replay.walker {
        FileHandle.standardError.write(
          Data("pfnspec: note: the token was made with walker '\(replay.walker)', this one is '\(plugged.descriptor.name)'\n".utf8))
      }
      return plugged
    }
    guard let builtin = BuiltinWalkers.named(replay.walker) else {
      throw ValidationError(
        "the token names walker '\(replay.walker.escapingControlCharacters)', which is not built in: pass the plug-in with --walker PATH.so or --walker-cmd")
    }
    return builtin
  }

  func run() throws {
    let replay: ReplayToken
    do { replay = try ReplayToken(decoding: token) } catch { throw ValidationError("\(error)") }
    // A token's fields are data: its spec must name a spec file, never an
    // option or some other file whose lines diagnostics would echo.
    if spec == nil {
      let named = replay.spec
      guard named.hasSuffix(".pfnspec"), !named.hasPrefix("-"), named.escapingControlCharacters == named else {
        throw ValidationError(
          "the token names spec '\(named.escapingControlCharacters)', which is not a .pfnspec file; pass the spec with --spec PATH")
      }
    }
    var configuration = RunConfiguration()
    configuration.specPaths = [spec ?? replay.spec]
    configuration.contractPath = contract
    let set = try SpecOptions.load(configuration, color: .never)
    let walker = try walker(for: replay)
    guard let arch = Architectures.named(replay.arch) else {
      throw ValidationError("the token names architecture '\(replay.arch.escapingControlCharacters)', which this pfnspec does not have")
    }
    var options = RunOptions()
    options.seed = replay.seed
    options.release = KernelRelease(replay.kernel) ?? .newest
    options.rules = [replay.rule]
    options.cases = [replay.caseName]
    options.forcedSchedule = try replay.decodedSchedule()
    var callers: [any Caller] = []
    if let name = replay.caller {
      if let callerPath {
        callers = [try SharedObjectCaller(path: callerPath)]
      } else if let caller = BuiltinCallers.named(name) {
        callers = [caller]
      } else {
        throw ValidationError(
          "the token names caller '\(name.escapingControlCharacters)', which is not built in: pass the plug-in with --caller PATH.so")
      }
      options.walkerRules = false
    }
    let sink = CollectingSink()
    try Runner(
      files: set.files, sources: set.sources, walkers: [walker], callers: callers, arches: [arch], options: options
    ).run(into: sink)
    guard let verdict = sink.verdicts.first else {
      throw ValidationError(
        "case '\(replay.caseName.escapingControlCharacters)' of rule \(replay.rule.escapingControlCharacters) "
          + "is not in \((spec ?? replay.spec).escapingControlCharacters) any more")
    }
    if asRule {
      try printRule(verdict, replay: replay, set: set)
      return
    }
    print("\(verdict.outcome.rawValue.uppercased()) \(verdict.identity.caseName) on \(verdict.identity.key.walker)/\(replay.arch)")
    if !verdict.message.isEmpty { print(verdict.message) }
    if !verdict.details.isEmpty { print(verdict.details) }
    if verdict.outcome == .fail || verdict.outcome == .error { throw Exit.failures }
  }
}

extension Replay {
  /// `--as-rule`: the replayed failure as a rule of its own.
  func printRule(_ verdict: Verdict, replay: ReplayToken, set: SpecSet) throws {
    guard verdict.outcome == .fail, case .broken(let expectations, let fault)? = verdict.cause else {
      throw ValidationError(
        "the replayed case did not fail an expectation (\(verdict.outcome.rawValue)\(verdict.message.isEmpty ? "" : ": " + verdict.message)); there is no failure to keep as a rule")
    }
    guard let file = set.files.first(where: { $0.rules.contains { $0.id.value == replay.rule } }),
      let rule = file.rules.first(where: { $0.id.value == replay.rule }), let source = set.sources[file.path]
    else {
      throw ValidationError("rule \(replay.rule.escapingControlCharacters) is not in the spec any more")
    }
    let origin =
      "\(verdict.identity.key.walker) fails \(verdict.identity.caseName) on \(replay.arch), kernel \(replay.kernel): "
      + VerdictText.message(verdict)
    let regression = RegressionRule(
      rule: rule, source: source, parameters: verdict.identity.parameters, schedule: verdict.story.schedule ?? [],
      failed: fault == nil ? expectations : [], id: ruleID,
      provenance: [origin.escapingControlCharacters, "pfnspec replay \(token)"])
    do { print(try regression.text(), terminator: "") } catch { throw ValidationError("\(error)") }
  }
}

struct BenchExplore: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "explore",
    abstract: "Time the race explorer: schedules and states per second for the reference walker and the built-in callers.")

  @Option(
    help: "Spec files or folders with race rules (default: Specs/ here when it holds rules, else the shipped rules).",
    completion: .custom(ShellCompletion.specPaths))
  var specPaths: [String] = []

  @Option(help: "Adversary steps explored exhaustively.")
  var bound = 2

  @Option(name: .customLong("repeat"), help: "Repetitions; the figures are from the fastest.")
  var repetitions: Int = 3

  /// One timed run of the race rules: wall-clock and processor seconds, the fastest of `repetitions`.
  func measure(
    _ set: SpecSet, bound: Int, reduction: Bool, stateCaching: Bool = true, callers: [any Caller] = [], share: Shard? = nil
  ) throws -> Measured {
    var best: Measured?
    for _ in 0..<max(1, repetitions) {
      var options = RunOptions()
      options.tags = ["race"]
      options.raceBound = bound
      options.randomSchedules = 0
      options.raceReduction = reduction
      options.raceStateCaching = stateCaching
      options.shard = share
      options.shardSchedules = share != nil
      // The walker suite, or the caller suite alone (its rules also carry the race tag).
      options.rules = Set(set.rules.filter { $0.callsCaller == !callers.isEmpty }.map(\.id.value))
      options.walkerRules = callers.isEmpty
      let totals = ExplorationTotals()
      options.explorationTotals = totals
      let clock = ContinuousClock()
      let began = clock.now
      let cpuBegan = processCPUSeconds()
      let tally = try Runner(
        files: set.files, sources: set.sources, walkers: [ReferenceWalker()], callers: callers,
        arches: Architectures.all, options: options
      ).run(into: CollectingSink())
      let measured = Measured(
        seconds: (clock.now - began).seconds, cpuSeconds: processCPUSeconds() - cpuBegan, totals: totals)
      guard tally.failed + tally.errors == 0 else { throw ValidationError("the reference failed a race rule") }
      if best == nil || measured.cpuSeconds < best!.cpuSeconds { best = measured }
    }
    guard let best, best.totals.cases > 0 else { throw ValidationError("no race case found (tag race)") }
    return best
  }

  /// One run's figures. Rates are per processor-second, which on one thread
  /// is per core, and which other processes on a shared machine do not inflate.
  struct Measured {
    var seconds: Double
    var cpuSeconds: Double
    var totals: ExplorationTotals
    var schedulesPerCoreSecond: Double { Double(totals.schedules) / cpuSeconds }
  }

  func run() throws {
    var configuration = RunConfiguration()
    configuration.specPaths = specPaths
    let set = try SpecOptions.load(configuration, color: .never)
    print("pfnspec bench explore: race rules (tag race), walker reference, every architecture")
    print("machine: \(ProcessInfo.processInfo.activeProcessorCount) cores; fastest of \(max(1, repetitions)) run(s); rates per CPU-second (one thread: per core)")
    let baseline = try measure(set, bound: 0, reduction: true)
    let reduced = try measure(set, bound: bound, reduction: true)
    let full = try measure(set, bound: bound, reduction: false, stateCaching: false)
    let uncached = try measure(set, bound: bound, reduction: true, stateCaching: false)
    print("schedules: runs started, counting those stopped early (pruned) at a state an earlier schedule explored")
    func line(_ label: String, _ m: Measured) {
      let t = m.totals
      print(
        String(
          format: "%@  cases %d  schedules %d (pruned %d)  distinct end states %d  %.3f s (%.3f s CPU)  %.0f schedules/s/core  %.0f states/s/core",
          label, t.cases, t.schedules, t.pruned, t.distinctStates, m.seconds, m.cpuSeconds, m.schedulesPerCoreSecond,
          Double(t.distinctStates) / m.cpuSeconds))
    }
    line("bound 0 (no race, baseline)       ", baseline)
    line("bound \(bound) with every reduction    ", reduced)
    line("bound \(bound) without state caching   ", uncached)
    line("bound \(bound) without any reduction   ", full)
    print(
      String(
        format: "race suite at bound %d: %.3f s CPU, %.1fx the race-free baseline", bound, reduced.cpuSeconds,
        reduced.cpuSeconds / baseline.cpuSeconds))
    print(
      String(
        format: "reductions: %.1fx fewer schedules, %.1fx faster (state caching alone: %.1fx fewer, %.1fx faster)",
        Double(full.totals.schedules) / Double(reduced.totals.schedules), full.cpuSeconds / reduced.cpuSeconds,
        Double(uncached.totals.schedules) / Double(reduced.totals.schedules), uncached.cpuSeconds / reduced.cpuSeconds))
    // Where the time goes: what each case costs with its one race-free schedule
    // (planning, building the world, judging, the verdict), and what each schedule
    // beyond it adds, which is what prefix sharing or a cheaper point would cut.
    let extraSchedules = reduced.totals.schedules - baseline.totals.schedules
    if extraSchedules > 0, reduced.cpuSeconds > baseline.cpuSeconds {
      let perSchedule = (reduced.cpuSeconds - baseline.cpuSeconds) / Double(extraSchedules)
      print(
        String(
          format: "per case at bound 0: %.0f µs; per schedule beyond a case's first: %.0f ns (%.0f schedules/s/core), %.0f%% of the bound-%d CPU",
          1e6 * baseline.cpuSeconds / Double(max(1, baseline.totals.cases)), 1e9 * perSchedule, 1 / perSchedule,
          100 * (reduced.cpuSeconds - baseline.cpuSeconds) / reduced.cpuSeconds, bound))
    }
    // Schedule shares: how evenly --shard-schedules splits the same exploration over four runners.
    let shares = try (0..<4).map { try measure(set, bound: bound, reduction: true, share: Shard(index: $0, count: 4)!) }
    let perShare = shares.map(\.totals.schedules)
    let largest = shares.map(\.cpuSeconds).max() ?? 0
    // Shares run without state caching (their counts must add up to the whole's): compare with that.
    print(
      "schedule shares (--shard-schedules, 4 runners, no state caching) at bound \(bound): schedules per share "
        + perShare.map(String.init).joined(separator: ", ")
        + " (sum \(perShare.reduce(0, +)), unsharded without state caching \(uncached.totals.schedules))")
    print(
      String(
        format: "  the largest share takes %.0f%% of the schedules (25%% is an even split); slowest share %.3f s CPU, %.1fx faster than one runner without state caching",
        100 * Double(perShare.max() ?? 0) / Double(max(1, uncached.totals.schedules)), largest, uncached.cpuSeconds / max(largest, 1e-9)))
    // The physical limit: the same shape of schedule replayed in C.
    switch ExploreAnchor.measure() {
    case .success(let anchor):
      print(
        String(
          format: "C anchor (cc -O2, the same walk replayed at one scheduling point): %.0f schedules/s/core, %.1f ns each; pfnspec at bound %d: %.0f schedules/s/core, %.0f ns each (1/%.0f of the anchor)",
          anchor.perSecond, 1e9 / anchor.perSecond, bound, reduced.schedulesPerCoreSecond,
          1e9 / reduced.schedulesPerCoreSecond, anchor.perSecond / reduced.schedulesPerCoreSecond))
      print(
        String(
          format: "target 1000000 schedules/s/core: %@ (%.0f, %.1f%% of it)",
          reduced.schedulesPerCoreSecond >= 1_000_000 ? "met" : "not met", reduced.schedulesPerCoreSecond,
          reduced.schedulesPerCoreSecond / 10_000))
    case .failure(let error):
      print("C anchor: not measured: \(error)")
    }
    // The caller suite: the built-in callers that keep the contract, their
    // lookups served by the reference, at the bounds their rules give.
    let callers = BuiltinCallers.implementations
    let callerBaseline = try measure(set, bound: 0, reduction: true, callers: callers)
    let callerSuite = try measure(set, bound: 1, reduction: true, callers: callers)
    let callersCached = try measure(set, bound: bound, reduction: true, callers: callers)
    let callersUncached = try measure(set, bound: bound, reduction: true, stateCaching: false, callers: callers)
    line("callers bound 0 (no race, baseline)", callerBaseline)
    line("callers bound 1 with every reduction", callerSuite)
    line("callers bound \(bound) with every reduction", callersCached)
    line("callers bound \(bound) without state caching", callersUncached)
    print(
      String(
        format: "caller state caching at bound %d: %.1fx fewer schedules, %.1fx less CPU, the same %d distinct end states%@",
        bound, Double(callersUncached.totals.schedules) / Double(max(1, callersCached.totals.schedules)),
        callersUncached.cpuSeconds / max(callersCached.cpuSeconds, 1e-9), callersCached.totals.distinctStates,
        callersCached.totals.distinctStates == callersUncached.totals.distinctStates
          ? "" : " (NOT the same: \(callersUncached.totals.distinctStates) without caching)"))
    let walkerRate = reduced.schedulesPerCoreSecond
    let callerRate = callerSuite.schedulesPerCoreSecond
    print(
      String(
        format: "caller suite at bound 1: %.3f s CPU, %.0f schedules/s/core beside the walker suite's %.0f (%.2fx)",
        callerSuite.cpuSeconds, callerRate, walkerRate, callerRate / walkerRate))
  }
}
