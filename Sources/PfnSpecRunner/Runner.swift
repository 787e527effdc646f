import PfnCallers
import PfnModel
import PfnSupport
import PfnResults
import PfnSpecLanguage
import PfnWalkers

/// What to run and how.
public struct RunOptions: Sendable {
  /// Seeds every random choice; the same seed gives the same cases.
  public var seed: UInt64 = 0
  /// The kernel release the architectures are taken at.
  public var release: KernelRelease = .newest
  /// Only these rule ids (all when empty).
  public var rules: Set<String> = []
  /// Only rules with one of these tags (all when empty).
  public var tags: Set<String> = []
  /// Only these cases, by `CaseIdentity.caseName` (all when empty).
  public var cases: Set<String> = []
  /// A rule that expands to more cases than this for one target is an error.
  public var maxCasesPerRule = 4096
  /// Adversary steps explored exhaustively per race case (overrides each rule's bound).
  public var raceBound: Int?
  /// Random schedules beyond the bound, per race case.
  public var randomSchedules = 16
  /// Run exactly this schedule (from a replay token) instead of exploring.
  public var forcedSchedule: Schedule?
  /// Collects exploration figures for benchmarks.
  public var explorationTotals: ExplorationTotals?
  /// When exploring one race case stops (schedules, time).
  public var explorationBudget = ExplorationBudget()
  /// Skip race schedules equivalent to one already explored.
  public var raceReduction = true
  /// Stop race schedules that come to a state an earlier one explored (see `VisitedStates`).
  public var raceStateCaching = true
  /// Plug-in workers: pick the run up after a case that killed the previous worker.
  public var resume: ResumePoint?
  /// Plug-in workers: called just before each case runs, to name the case in flight.
  public var caseWillRun: (@Sendable (CaseIdentity) -> Void)?
  /// Like ``caseWillRun``, with the case's place in the run (a worker tells
  /// its supervisor, whose verdict for a case that killed the worker keeps it).
  public var caseWillRunAt: (@Sendable (CaseIdentity, CaseOrdinal) -> Void)?
  public var toolVersion = "0.1.0"
  public var hostname = "localhost"
  /// Seconds since 1970 at the start of the run.
  public var startTime: Double = 0
  /// Run only this shard's cases (all when `nil`); the planner still expands
  /// every rule, the cases of other shards are dropped before they execute.
  public var shard: Shard?
  /// With ``shard``: every shard runs the race cases, each exploring its
  /// share of the schedule tree (`SchedulePartition` (PfnResults)); other cases are split as before.
  public var shardSchedules = false
  /// Run the rules that check walkers; off when only callers were asked for.
  public var walkerRules = true
  /// The part of the run this runner is (0: the pfnspec process; then each
  /// plug-in's workers, in the order named), for `CaseOrdinal.suitePosition(segment:suite:subject:arch:)`.
  public var ordinalSegment = 0
  /// Every suite of the whole run in order, when this runner sees only some
  /// of them (a worker's part); empty: the runner's own files.
  public var suiteOrder: [String] = []
  /// Threads that run built-in walkers' and callers' cases at once; the
  /// verdicts arrive in the same order at any count.
  public var jobs = 1

  public init() {}
}

/// Executes every rule against every walker and architecture, and streams the
/// verdicts to a sink.
///
/// Verdicts are grouped by suite, then walker, then architecture, so each
/// `SuiteKey` arrives in one piece. The runner interprets rules only through
/// the vocabulary's meanings: it has no code for any particular rule.
public final class Runner {
  public let files: [SpecFile]
  public let sources: [String: String]
  public let walkers: [any Walker]
  /// The callers that caller rules check; their lookups go to the first walker.
  public let callers: [any Caller]
  public let arches: [any Architecture]
  public let options: RunOptions
  private lazy var resumeGate = ResumeGate(options.resume)
  /// Each spec file's absolute path, for replay commands: made once, where
  /// asking the working folder for every rule's cases cost more than running
  /// a race-free case.
  private let absoluteSpecPaths: [String: String]

  /// - Parameters:
  ///   - files: Checked spec files (run only files without errors).
  ///   - sources: Each file's text by path, to quote expressions in failures.
  ///   - walkers: The walkers to check, in the order their suites are reported.
  ///   - callers: The callers the caller rules check; their lookups go to the first walker.
  ///   - arches: The architectures to check each walker and caller on.
  ///   - options: Seed, filters, race exploration, shard and the run's facts.
  public init(
    files: [SpecFile], sources: [String: String], walkers: [any Walker], callers: [any Caller] = [],
    arches: [any Architecture], options: RunOptions
  ) {
    self.files = files
    self.sources = sources
    self.walkers = walkers
    self.callers = callers
    self.arches = arches
    self.options = options
    self.absoluteSpecPaths = Dictionary(files.map { ($0.path, absolutePath($0.path)) }, uniquingKeysWith: { a, _ in a })
  }

  /// The rules of each suite, in the order the suites first appear.
  var suites: [(name: String, rules: [(Rule, SpecFile)])] {
    var order: [String] = []
    var rules: [String: [(Rule, SpecFile)]] = [:]
    for file in files {
      let name = file.suiteName
      if rules[name] == nil { order.append(name) }
      for rule in file.rules where selected(rule) { rules[name, default: []].append((rule, file)) }
    }
    return order.compactMap { name in rules[name].map { (name, $0) } }
  }

  private func selected(_ rule: Rule) -> Bool {
    if !options.rules.isEmpty && !options.rules.contains(rule.id.value) { return false }
    if !options.tags.isEmpty && options.tags.isDisjoint(with: rule.tagNames) { return false }
    return true
  }

  /// Runs everything and returns the tally.
  @discardableResult
  public func run(into sink: any VerdictSink) throws -> Tally {
    try run(into: sink, prepared: nil)
  }

  /// Runs everything, or from ``RunOptions/resume`` on, and returns the tally.
  ///
  /// - Parameters:
  ///   - sink: Where the run's verdicts go, each suite key's in one piece.
  ///   - prepared: The run planned ahead by ``prepare()`` on this runner:
  ///     no rule is planned again, and a resumed run starts at the rule of
  ///     its resume point instead of planning every rule before it (a
  ///     plug-in's fork server forks a child per crash from a prepared run).
  @discardableResult
  public func run(into sink: any VerdictSink, prepared: PreparedRun?) throws -> Tally {
    let clock = ContinuousClock()
    let began = clock.now
    var info = RunInfo(
      toolVersion: options.toolVersion, seed: options.seed, specPaths: files.map(\.path),
      walkers: walkers.map(\.descriptor.name), arches: arches.map(\.name),
      startTime: options.startTime, hostname: options.hostname)
    info.callers = callers.map(\.descriptor.name)
    sink.runStarted(info)
    var tally = Tally()
    let pieces = prepared?.pieces ?? makePieces()
    let first = prepared?.firstPiece(resuming: options.resume) ?? 0
    var openKey: SuiteKey?
    try OrderedWorkPool(jobs: parallelJobs).run(
      count: pieces.count - first, cost: { pieces[first + $0].estimatedCost(raceBound: options.raceBound) },
      work: { [pieces, parallelJobs] (index: Int, sharing: (any PartSharing)?) -> [Verdict] in
        let piece = pieces[first + index]
        return self.verdicts(
          piece.rule, piece.file, piece.walker, piece.arch, piece.key, caller: piece.caller,
          position: (piece.suiteOrdinal, piece.ruleOrdinal), planned: prepared?.plans[first + index],
          splitting: sharing.map {
            ScheduleSplitting(
              sharing: $0, jobs: parallelJobs,
              pieceCost: piece.estimatedCost(raceBound: self.options.raceBound))
          })
      },
      deliver: { (index: Int, verdicts: [Verdict]) in
        let piece = pieces[first + index]
        if let key = openKey, key != piece.key {
          sink.suiteFinished(key)
          openKey = nil
        }
        for var verdict in verdicts {
          verdict.ordinal?.suite = piece.suiteOrdinal
          verdict.ordinal?.rule = piece.ruleOrdinal
          if openKey == nil {
            sink.suiteStarted(piece.key)
            openKey = piece.key
          }
          sink.record(verdict)
          tally.add(verdict.outcome)
        }
      })
    if let key = openKey { sink.suiteFinished(key) }
    try sink.runFinished(tally, seconds: (clock.now - began).seconds)
    return tally
  }

  /// Every (suite, subject, architecture, rule) in the run's order; each is
  /// one piece of work, its verdicts delivered in this order whatever the
  /// number of jobs.
  func makePieces() -> [Piece] {
    // Positions for merging shard reports (CaseOrdinal): the same for a suite
    // key in every process and shard of the run, whatever part of it ran here.
    let order = options.suiteOrder.isEmpty ? files.map(\.suiteName) : options.suiteOrder
    var suiteIndex: [String: Int] = [:]
    for name in order where suiteIndex[name] == nil { suiteIndex[name] = suiteIndex.count }
    var pieces: [Piece] = []
    for (suite, rules) in suites {
      // Walker rules run once per walker; caller rules once per caller, with
      // their lookups served by the first walker.
      let walkerRules = rules.filter { !$0.0.callsCaller }
      let callerRules = rules.filter { $0.0.callsCaller }
      var subjects: [(walker: any Walker, caller: (any Caller)?, rules: [(Rule, SpecFile)])] = []
      if !walkerRules.isEmpty && options.walkerRules { subjects += walkers.map { ($0, nil, walkerRules) } }
      if !callerRules.isEmpty, let server = walkers.first {
        subjects += callers.map { (server, $0, callerRules) }
      }
      for (subject, (walker, caller, rules)) in subjects.enumerated() {
        for (archIndex, arch) in arches.enumerated() {
          // Walker subjects first, then callers after every walker.
          let subjectIndex = caller == nil ? subject : walkers.count + subject - (subjects.count - callers.count)
          let suiteOrdinal = CaseOrdinal.suitePosition(
            segment: options.ordinalSegment, suite: suiteIndex[suite] ?? suiteIndex.count, subject: subjectIndex,
            arch: archIndex)
          let key = SuiteKey(suite: suite, walker: caller.map { Self.callerKey($0, served: walker) } ?? walker.descriptor.name, arch: arch.name)
          for (ruleOrdinal, (rule, file)) in rules.enumerated() {
            pieces.append(
              Piece(
                key: key, rule: rule, file: file, walker: walker, caller: caller, arch: arch, suiteOrdinal: suiteOrdinal,
                ruleOrdinal: ruleOrdinal))
          }
        }
      }
    }
    return pieces
  }

  /// The name reports give a caller's suites: the caller, and the walker that
  /// served its lookups when that is not the reference.
  static func callerKey(_ caller: any Caller, served walker: any Walker) -> String {
    walker.descriptor.name == "reference" ? caller.descriptor.name : "\(caller.descriptor.name)@\(walker.descriptor.name)"
  }

  /// The verdicts of one rule for one walker and architecture.
  func verdicts(
    _ rule: Rule, _ file: SpecFile, _ walker: any Walker, _ arch: any Architecture, _ key: SuiteKey,
    caller: (any Caller)? = nil, position: (suite: Int, rule: Int) = (0, 0), planned prepared: Plan? = nil,
    splitting: ScheduleSplitting? = nil
  ) -> [Verdict] {
    let clock = ContinuousClock()
    let descriptor = walker.descriptor
    let target = target(walker, caller, arch)
    let sources = rule.sourceReferences.map(\.description)
    let profile =
      caller.map { "caller \($0.descriptor.profile.rawValue)" }
      ?? "\(descriptor.apiLevel.rawValue)/\(descriptor.profile.rawValue)"
    func identity(_ parameters: [CaseParameter]) -> CaseIdentity {
      CaseIdentity(
        key: key, ruleID: rule.id.value, ruleTitle: rule.title.value, parameters: parameters,
        location: SpecLocation(file: file.path, line: rule.range.start.line))
    }
    func verdict(
      _ parameters: [CaseParameter], _ outcome: Outcome, _ cause: VerdictCause?, story: CaseStory = CaseStory(),
      replay: Replay? = nil, _ seconds: Double, index: Int = 0
    ) -> Verdict {
      Verdict(
        identity: identity(parameters), outcome: outcome, cause: cause, story: story, replay: replay,
        sources: sources, profile: profile, seed: options.seed, seconds: seconds,
        ordinal: CaseOrdinal(suite: position.suite, rule: position.rule, index: index))
    }
    func inShard(_ parameters: [CaseParameter]) -> Bool { options.shard?.contains(identity(parameters)) ?? true }

    let began = clock.now
    let plan = prepared ?? planPiece(rule, file, target)
    switch plan {
    case .skipped(let reason):
      guard options.cases.isEmpty || options.cases.contains(rule.id.value), inShard([]),
        resumeGate.admitsUnexecutedVerdict
      else { return [] }
      return [verdict([], .skipped, .notApplicable(reason: reason), 0)]
    case .error(let message):
      guard options.cases.isEmpty || options.cases.contains(rule.id.value), inShard([]),
        resumeGate.admitsUnexecutedVerdict
      else { return [] }
      let story = CaseStory(rule: CaseStory.RuleLine(id: rule.id.value, title: nil, file: file.path, line: rule.range.start.line))
      return [verdict([], .error, .planning(message: message), story: story, began.secondsElapsed)]
    case .cases(let planned):
      let spec = absoluteSpecPaths[file.path] ?? absolutePath(file.path)
      return planned.enumerated().compactMap { index, plannedCase in
        let caseIdentity = identity(plannedCase.parameters)
        let name = caseIdentity.caseName
        let splitsSchedules = splitsSchedules(plannedCase)
        guard options.cases.isEmpty || options.cases.contains(name),
          splitsSchedules || (options.shard?.contains(caseIdentity) ?? true),
          resumeGate.admits(caseIdentity)
        else { return nil }
        options.caseWillRun?(caseIdentity)
        options.caseWillRunAt?(caseIdentity, CaseOrdinal(suite: position.suite, rule: position.rule, index: index))
        let caseBegan = clock.now
        var executor = CaseExecutor(
          rule: rule, file: file, walker: walker, caller: caller, planned: plannedCase,
          replay: replay(spec: spec, rule: rule, caseName: name, walker: descriptor, caller: caller, arch: arch.name))
        executor.settings = ExplorationSettings(
          bound: options.raceBound, randomSchedules: options.randomSchedules, budget: options.explorationBudget,
          forced: options.forcedSchedule, totals: options.explorationTotals, seed: options.seed,
          reduction: options.raceReduction, partition: splitsSchedules ? options.shard : nil,
          stateCaching: options.raceStateCaching, splitting: splitting)
        let release = options.release.description
        let seed = options.seed
        executor.token = { schedule in
          ReplayToken(
            spec: spec, rule: rule.id.value, caseName: name, walker: descriptor.name, arch: arch.name,
            seed: seed, kernel: release, schedule: schedule, caller: caller?.descriptor.name
          ).encoded
        }
        let judgement = executor.execute()
        return verdict(
          plannedCase.parameters, judgement.outcome, judgement.cause, story: judgement.story,
          replay: judgement.replay, caseBegan.secondsElapsed, index: index)
      }
    }
  }

  /// What a rule is planned for and run on: one architecture at the run's
  /// release, one walker, and the caller of a caller rule.
  func target(_ walker: any Walker, _ caller: (any Caller)?, _ arch: any Architecture) -> Target {
    var target = Target(
      arch: arch, release: options.release, capabilities: arch.capabilities(options.release), walker: walker.descriptor)
    target.caller = caller?.descriptor
    return target
  }

  /// Plans one rule for one target.
  func planPiece(_ rule: Rule, _ file: SpecFile, _ target: Target) -> Plan {
    CasePlanner(
      rule: rule, source: sources[file.path] ?? "", target: target, seed: options.seed,
      maxCases: options.maxCasesPerRule
    ).plan()
  }

  /// How to rerun one case of this run; `spec` is its spec file's absolute path.
  func replay(
    spec: String, rule: Rule, caseName: String, walker: WalkerDescriptor, caller: (any Caller)? = nil, arch: String
  ) -> Replay {
    // The spec and a shared object's path are absolute: the command works from any folder.
    Replay(
      spec: spec, rule: rule.id.value, caseName: caseName, walker: Replay.Walker(walker), arch: arch,
      seed: options.seed, kernel: options.release == .newest ? nil : options.release.description,
      caller: caller.map { $0.descriptor.replayArguments?.last ?? $0.descriptor.name })
  }
}

extension Replay.Walker {
  /// How the command line names this walker.
  public init(_ descriptor: WalkerDescriptor) {
    switch descriptor.origin {
    case .builtin: self = .builtin(descriptor.name)
    case .sharedObject(let path): self = .sharedObject(path: absolutePath(path))
    case .command(let command): self = .command(command)
    }
  }
}

extension Runner {
  /// A `--rule`, `--tag` or `--case` value that selects nothing, with the nearest name there is.
  public struct UnmatchedFilter: Sendable, Equatable, CustomStringConvertible {
    /// `--rule`, `--tag` or `--case`.
    public var flag: String
    public var value: String
    /// `rule`, `tag` or `case`.
    public var kind: String
    public var nearest: String?

    public var description: String {
      "\(flag) '\(value)' matches no \(kind)" + (nearest.map { "; did you mean '\($0)'?" } ?? "")
    }
  }

  /// The filter values that match nothing in these files: a rule id no rule
  /// has, a tag no rule carries, a case name no selected rule plans on these
  /// architectures. A rule that is skipped on every target still matches
  /// (its skip is a verdict); only a value that selects nothing at all is here.
  public func unmatchedFilters() -> [UnmatchedFilter] {
    let rules = files.flatMap(\.rules)
    var problems: [UnmatchedFilter] = []
    let ids = Set(rules.map(\.id.value))
    for value in options.rules.sorted() where !ids.contains(value) {
      problems.append(UnmatchedFilter(flag: "--rule", value: value, kind: "rule", nearest: Suggestions.nearest(to: value, among: ids)))
    }
    let tags = Set(rules.flatMap(\.tagNames))
    for value in options.tags.sorted() where !tags.contains(value) {
      problems.append(UnmatchedFilter(flag: "--tag", value: value, kind: "tag", nearest: Suggestions.nearest(to: value, among: tags)))
    }
    guard !options.cases.isEmpty else { return problems }
    let names = plannedCaseNames()
    for value in options.cases.sorted() where !names.contains(value) {
      problems.append(UnmatchedFilter(flag: "--case", value: value, kind: "case", nearest: Suggestions.nearest(to: value, among: names)))
    }
    return problems
  }

  /// Every case name the selected rules plan on this run's architectures
  /// (the rule id for a rule that is skipped or cannot be planned), as the
  /// first walker or the reference would see them.
  func plannedCaseNames() -> Set<String> {
    var names = Set<String>()
    let walker = walkers.first?.descriptor ?? ReferenceWalker().descriptor
    let key = SuiteKey(suite: "-", walker: walker.name, arch: "-")
    for file in files {
      for rule in file.rules where selected(rule) {
        for arch in arches {
          var target = Target(
            arch: arch, release: options.release, capabilities: arch.capabilities(options.release), walker: walker)
          if rule.callsCaller { target.caller = callers.first?.descriptor }
          let planner = CasePlanner(
            rule: rule, source: sources[file.path] ?? "", target: target, seed: options.seed,
            maxCases: options.maxCasesPerRule)
          guard case .cases(let planned) = planner.plan() else {
            names.insert(rule.id.value)  // a skip or a planning error is named by the rule
            continue
          }
          for plannedCase in planned {
            names.insert(
              CaseIdentity(
                key: key, ruleID: rule.id.value, ruleTitle: rule.title.value, parameters: plannedCase.parameters,
                location: SpecLocation(file: file.path, line: rule.range.start.line)
              ).caseName)
          }
        }
      }
    }
    return names
  }
}

extension Runner {
  /// Whether a case's schedule tree is shared out among the shards
  /// (`--shard-schedules`): such a case runs on every shard, each exploring its share.
  func splitsSchedules(_ plannedCase: PlannedCase) -> Bool {
    options.shardSchedules && options.forcedSchedule == nil && plannedCase.evaluator.spec.race != nil
      && plannedCase.evaluator.spec.pinned == nil
  }

  /// Every case this runner gives a verdict, in run order, without running
  /// any: the cases its rules plan on each walker, caller and architecture,
  /// after the rule, tag, case and shard filters (a rule that is skipped or
  /// cannot be planned is one case named by the rule). A supervisor of plug-in
  /// workers counts its verdicts against this list, not against what a worker says.
  public func plannedCases() -> [CaseIdentity] {
    var planned: [CaseIdentity] = []
    for (suite, rules) in suites {
      let walkerRules = rules.filter { !$0.0.callsCaller }
      let callerRules = rules.filter { $0.0.callsCaller }
      var subjects: [(walker: any Walker, caller: (any Caller)?, rules: [(Rule, SpecFile)])] = []
      if !walkerRules.isEmpty && options.walkerRules { subjects += walkers.map { ($0, nil, walkerRules) } }
      if !callerRules.isEmpty, let server = walkers.first { subjects += callers.map { (server, $0, callerRules) } }
      for (walker, caller, rules) in subjects {
        for arch in arches {
          let key = SuiteKey(
            suite: suite, walker: caller.map { Self.callerKey($0, served: walker) } ?? walker.descriptor.name,
            arch: arch.name)
          for (rule, file) in rules {
            var target = Target(
              arch: arch, release: options.release, capabilities: arch.capabilities(options.release),
              walker: walker.descriptor)
            target.caller = caller?.descriptor
            func identity(_ parameters: [CaseParameter]) -> CaseIdentity {
              CaseIdentity(
                key: key, ruleID: rule.id.value, ruleTitle: rule.title.value, parameters: parameters,
                location: SpecLocation(file: file.path, line: rule.range.start.line))
            }
            // As the run decides: a race case whose schedule tree is shared
            // out runs on every shard, any other case on its own shard.
            func admitted(_ identity: CaseIdentity, splitsSchedules: Bool = false) -> Bool {
              (options.cases.isEmpty || options.cases.contains(identity.caseName))
                && (splitsSchedules || (options.shard?.contains(identity) ?? true))
            }
            let planner = CasePlanner(
              rule: rule, source: sources[file.path] ?? "", target: target, seed: options.seed,
              maxCases: options.maxCasesPerRule)
            switch planner.plan() {
            case .skipped, .error:
              let whole = identity([])
              if (options.cases.isEmpty || options.cases.contains(rule.id.value)) && (options.shard?.contains(whole) ?? true) {
                planned.append(whole)
              }
            case .cases(let cases):
              for plannedCase in cases {
                let caseIdentity = identity(plannedCase.parameters)
                if admitted(caseIdentity, splitsSchedules: splitsSchedules(plannedCase)) { planned.append(caseIdentity) }
              }
            }
          }
        }
      }
    }
    return planned
  }
}
