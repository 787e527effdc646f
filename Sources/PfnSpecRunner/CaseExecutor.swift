import PfnCallers
import PfnModel
import PfnResults
import PfnSpecLanguage
import PfnWalkers

/// How races are explored; from the command line, or fixed by a replay token.
struct ExplorationSettings {
  /// Overrides every rule's bound when set.
  var bound: Int?
  /// Random schedules beyond the bound, per case.
  var randomSchedules = 16
  /// When exploring a case stops (schedules, time).
  var budget = ExplorationBudget()
  /// Run exactly this schedule and nothing else (replay).
  var forced: Schedule?
  var totals: ExplorationTotals?
  /// The run's seed, for the random schedules.
  var seed: UInt64 = 0
  /// Skip schedules equivalent to one already run (turned off only to check
  /// that the reduction loses nothing).
  var reduction = true
  /// Explore only this share of each race case's schedule tree.
  var partition: Shard?
  /// Stop schedules at states an earlier one explored (turned off only to
  /// check that this loses nothing).
  var stateCaching = true
  /// Explore a large case as shares of its tree on the run's threads at once.
  var splitting: ScheduleSplitting?
}

/// Runs one planned case against one walker and judges it; explores the
/// schedules of another CPU when the rule gives a race.
struct CaseExecutor {
  var rule: Rule
  var file: SpecFile
  var walker: any Walker
  /// The caller under test in a caller rule; its lookups go to `walker`.
  var caller: (any Caller)? = nil
  var planned: PlannedCase
  /// How to rerun this case; a race case's failure adds its schedule's token.
  var replay: Replay
  var settings = ExplorationSettings()
  /// Makes the replay token of a schedule.
  var token: (Schedule) -> String = { _ in "" }
  /// The case's world as its `given` clauses build it, made once: every
  /// schedule starts from a copy instead of building it again.
  var pristine = PristineWorld()

  final class PristineWorld {
    var built: Result<World, any Error>?
    /// The world the explorer's untraced schedules run in, one after another:
    /// each starts by coming back to the checkpoint, undoing what the one
    /// before changed, instead of copying the built world.
    var reused: (world: World, start: World.Checkpoint)?
    /// The host over `reused`'s world, made new for each of those runs.
    var reusedHost: ModelHost?
    /// The rule's clauses from the first call on, compiled for the case once
    /// (names resolved, what the case fixes folded) instead of per schedule.
    var clauses: [CompiledClause]?

    /// The built world again, for one more run.
    func world(reusing: Bool) throws -> World {
      let built = try built!.get()
      guard reusing else { return built.copy() }
      if let (world, start) = reused {
        world.restore(start)
        return world
      }
      let world = built.copy()
      reused = (world, world.checkpoint())
      return world
    }
  }

  /// Values an output field holds before start(), so that a failure which
  /// writes args shows.
  static func poisoned(_ args: FollowPfnmapArgs) -> FollowPfnmapArgs {
    var args = args
    args.pfn = 0x5a5a_5a5a_5a5a
    args.pgprot = 0x5a5a_5a5a_5a5a_5a5a
    args.writable = true
    args.special = true
    args.addrMask = 0x5a5a_5a5a_5a5a_5a5a
    return args
  }

  /// Args whose every output holds `fill` (booleans: whether it is non-zero),
  /// for rules that vary what the caller left in the fields (`given args fill`).
  static func filled(_ args: FollowPfnmapArgs, with fill: UInt64?) -> FollowPfnmapArgs {
    guard let fill else { return poisoned(args) }
    var args = args
    args.pfn = fill
    args.pgprot = fill
    args.writable = fill != 0
    args.special = fill != 0
    args.addrMask = fill
    return args
  }

  /// One run of the case under one schedule.
  struct Run: ExplorableRun {
    var outcome: Outcome
    /// Why it did not pass (`nil` on a pass).
    var cause: VerdictCause?
    var host: ModelHost?
    var observer: RaceObserver?
    /// Identifies the end state, to count distinct ones.
    var stateHash: Int

    var failed: Bool { outcome == .fail || outcome == .error }
  }

  /// What the case came to, for the runner to make a verdict of.
  struct Judgement {
    var outcome: Outcome
    var cause: VerdictCause?
    var story: CaseStory
    var replay: Replay?
  }

  func execute() -> Judgement {
    let race = planned.evaluator.spec.race
    if let forced = settings.forced {
      let run = runOnce(RaceObserver(kinds: AdversaryKind.allCases, mode: .fixed(forced)))
      if run.observer?.infeasible == true {
        return Judgement(
          outcome: .error, cause: .infeasibleReplay(schedule: forced.records), story: story(run, schedule: nil),
          replay: replay)
      }
      return judgement(run, schedule: forced, statistics: nil)
    }
    if let pinned = planned.evaluator.spec.pinned { return executePinned(pinned) }
    guard let race else { return judgement(runOnce(nil), schedule: nil, statistics: nil) }
    let bound = settings.bound ?? race.bound
    let result: ScheduleExplorer<Run>.Result
    // Shares explore without state caching, so a case that caches runs whole:
    // its counts must not depend on --jobs.
    let caches = settings.stateCaching
    if let splitting = settings.splitting, !caches, settings.partition == nil, settings.budget.time == nil,
      let shares = splitting.shares(bound: bound)
    {
      // Each share runs on its own thread, in a world of its own, with its
      // own copies of what every schedule retains (the evaluator's case
      // parts, the adversary's kinds): reference counts the threads do not
      // share, so that their atomic updates do not contend.
      result = SplitExploration.explore(shares: shares, on: splitting.sharing) { _ in
        var share = self
        share.pristine = PristineWorld()
        share.planned.evaluator = planned.evaluator.withOwnCaseParts()
        return share.explorer(kinds: race.kinds.map { $0 }, bound: bound)
      }
    } else {
      // The kinds copied for this case: every schedule's observer retains
      // them, and cases of one rule run on different threads.
      result = explorer(kinds: race.kinds.map { $0 }, bound: bound).explore()
    }
    settings.totals?.add(result.statistics)
    return judgement(result.run, schedule: result.schedule, statistics: result.statistics)
  }

  // MARK: Exploration

  /// The explorer over this case's runs: every schedule of up to `bound`
  /// adversary steps, then seeded random ones (see ``ScheduleExplorer``).
  func explorer(kinds: [AdversaryKind], bound: Int) -> ScheduleExplorer<Run> {
    let evaluator = planned.evaluator
    let randomSeed = stableHash(
      [rule.id.value, evaluator.target.arch.name, "random"] + planned.parameters.map(\.value), seed: settings.seed)
    var policy = ExplorationPolicy(
      bound: bound, reduction: settings.reduction, randomSchedules: settings.randomSchedules, randomSeed: randomSeed)
    policy.partition = settings.partition
    // A caller's state is covered too: what it got is observed, and what its
    // host keeps is part of the state key (``ModelCallerHost``).
    policy.stateCaching = settings.stateCaching
    return ScheduleExplorer(kinds: kinds, policy: policy, budget: settings.budget) { observer, tracing in
      runOnce(observer, tracing: tracing)
    }
  }

  // MARK: One run

  func runOnce(_ observer: RaceObserver?, tracing: Bool = true) -> Run {
    var evaluator = planned.evaluator
    let world: World
    do {
      if pristine.built == nil { pristine.built = Result { try evaluator.spec.build(evaluator.target) } }
      // A run that is traced may be reported, so it keeps a world of its own;
      // the explorer's other runs are judged at once and share one.
      world = try pristine.world(reusing: !tracing && observer != nil)
    } catch {
      return Run(
        outcome: .error, cause: .worldNotBuilt(reason: "\(error)"), host: nil,
        observer: observer, stateHash: 0)
    }
    let host: ModelHost
    if !tracing, observer != nil, let reusedHost = pristine.reusedHost, reusedHost.world === world {
      reusedHost.reset(observer: observer, tracing: tracing)
      host = reusedHost
    } else {
      host = ModelHost(world: world)
      host.observer = observer
      host.tracing = tracing
      if !tracing, observer != nil { pristine.reusedHost = host }
    }
    var failures: [FailedExpectation] = []
    var args: FollowPfnmapArgs?
    func stopped(_ outcome: Outcome, _ cause: VerdictCause?) -> Run {
      Run(
        outcome: outcome, cause: cause, host: host, observer: observer,
        stateHash: stateHash(world, args))
    }

    if pristine.clauses == nil { pristine.clauses = evaluator.compileRun(of: rule) }
    for clause in pristine.clauses! {
      if observer?.infeasible == true { break }
      do {
        switch clause {
        case .start(let compiled, let argument):
          let address = try evaluator.integer(evaluator.evaluate(compiled), argument)
          guard let vma = world.vmas.first else { throw EvaluationError(message: "no VMA", range: nil) }
          var current = Self.filled(FollowPfnmapArgs(vma: vma, address: address), with: evaluator.spec.argsFill)
          let before = current
          host.resetSteps()
          observer?.address = address
          host.log("── start(\(hexString(address))) ──")
          let result = try walker.start(&current, host: host)
          host.log("── start() returned \(result) ──")
          let expected = world.translate(address)
          evaluator.state = CallState(
            address: address, result: result, args: current, argsBefore: before,
            expected: expected, world: world, previous: args)
          args = current
          if let observer {
            var digest = Self.digest(of: current, into: UInt64(UInt32(bitPattern: result)))
            digest = Self.digest(of: expected, into: digest)
            observer.observe(digest)
          }
        case .end(let range):
          guard var current = args, let started = evaluator.state else {
            throw EvaluationError(message: "end() before any start()", range: range)
          }
          // The caller uses the outputs now; another CPU may act here too.
          try host.checkpoint(HostCall("caller uses the outputs", reads: world.pathPointers(started.address)))
          let protectedUntilEnd = world.translate(started.address) == started.expected
          host.noteReadOutsideCalls()
          let before = current
          host.resetSteps()
          host.log("── end() ──")
          try walker.end(&current, host: host)
          host.log("── end() returned ──")
          evaluator.state = started.ended(args: current, argsBefore: before, protectedUntilEnd: protectedUntilEnd)
          args = current
          if let observer {
            observer.observe(Self.digest(of: current, into: protectedUntilEnd ? 1 : 2))
          }
        case .caller(let address, let range):
          guard let caller else {
            throw NotApplicable(reason: "a caller rule, and this run checks a walker")
          }
          guard let (compiled, argument) = address else {
            throw EvaluationError(message: "caller() takes an address", range: range)
          }
          let address = try evaluator.integer(evaluator.evaluate(compiled), argument)
          host.resetSteps()
          try runCaller(caller, address: address, host: host, observer: observer, evaluator: &evaluator)
        case .expect(let compiled, let condition):
          let holds = try evaluator.bool(evaluator.evaluate(compiled), condition)
          observer?.observe(holds ? 1 : 0)
          if !holds {
            failures.append(
              FailedExpectation(
                location: point(condition.range.start), text: evaluator.text(condition),
                explanation: evaluator.explain(condition)))
          }
        case .invalid(let error):
          throw error
        }
        // The clause's judging code read the world after the last host call
        // (the translation start() is judged by, the values expectations name).
        host.noteReadOutsideCalls()
      } catch let stop as VisitedStates.Stop {
        // A run cut short at an explored state, as the last catch below would
        // say it, without the casts and the interpolation: half the schedules at bound 2 end so.
        return stopped(.error, .walkerError(message: stop.description))
      } catch let fault as WalkerFault {
        return stopped(.fail, .broken(expectations: failures, fault: "\(fault)"))
      } catch let fault as CallerFaulted {
        return stopped(.fail, .broken(expectations: failures, fault: fault.description))
      } catch let skip as NotApplicable {
        return stopped(.skipped, .notApplicable(reason: skip.reason))
      } catch let error as EvaluationError {
        return stopped(.error, .evaluation(message: error.message, location: error.range.map { point($0.start) }))
      } catch let error as any VerdictCauseError {
        return stopped(.error, error.verdictCause)
      } catch {
        return stopped(.error, .walkerError(message: "\(error)"))
      }
    }
    guard failures.isEmpty else { return stopped(.fail, .broken(expectations: failures, fault: nil)) }
    return stopped(.pass, nil)
  }

  /// Every field of `args` mixed into `digest`: what a run learned from a
  /// call, for state caching (a `Hasher` over the same fields cost more than
  /// the rest of the schedule's bookkeeping at that point).
  static func digest(of args: FollowPfnmapArgs, into digest: UInt64) -> UInt64 {
    let file: UInt64 = args.vma.file.map { UInt64(bitPattern: Int64($0.id)) &+ 1 } ?? 0
    let lock: UInt64 = args.lock.map { World.lockCode($0.id) } ?? 0
    let ptep: UInt64 = args.ptep.map { $0.address | 1 } ?? 0
    let flags: UInt64 = (args.writable ? 1 : 0) | (args.special ? 2 : 0)
    // Mixed one by one: an array of the values was made at every call.
    var digest = World.mix(World.mix(World.mix(digest, args.vma.start), args.vma.end), args.vma.flags.rawValue)
    digest = World.mix(World.mix(World.mix(digest, file), UInt64(bitPattern: Int64(args.vma.mm.id))), args.address)
    digest = World.mix(World.mix(World.mix(digest, lock), ptep), args.pfn)
    return World.mix(World.mix(World.mix(digest, args.pgprot), flags), args.addrMask)
  }

  /// The translation the oracle read, mixed into `digest` (`nil` differs from every leaf).
  static func digest(of translation: Translation?, into digest: UInt64) -> UInt64 {
    guard let t = translation else { return World.mix(digest, 0) }
    let flags: UInt64 = (t.writable ? 1 : 0) | (t.special ? 2 : 0)
    var digest = World.mix(World.mix(digest, UInt64(t.level.rawValue) + 1), t.pointer.address)
    digest = World.mix(World.mix(World.mix(digest, t.entry), t.pfn), t.pgprot)
    return World.mix(World.mix(World.mix(digest, flags), t.addrMask), World.lockCode(t.lock))
  }

  private func point(_ position: SourcePosition) -> SourcePoint {
    SourcePoint(file: file.path, line: position.line, column: position.column)
  }

  /// The same in every process, so that shares of a schedule tree run on
  /// different runners can be merged (`SchedulePartition` (PfnResults)).
  private func stateHash(_ world: World, _ args: FollowPfnmapArgs?) -> Int {
    var digest = world.stableStateDigest
    if let args {
      let values: [UInt64] = [
        args.pfn, args.pgprot, args.addrMask, args.address, args.ptep?.address ?? 0,
        UInt64(args.writable ? 1 : 0) | UInt64(args.special ? 2 : 0), args.lock.map { World.lockCode($0.id) } ?? 0,
      ]
      for value in values { digest = World.mix(digest, value) }
    }
    return Int(truncatingIfNeeded: digest)
  }

  // MARK: Verdicts

  func judgement(_ run: Run, schedule: Schedule?, statistics: ExplorationStatistics?) -> Judgement {
    switch run.outcome {
    case .pass:
      return Judgement(outcome: .pass, cause: nil, story: CaseStory(exploration: statistics), replay: nil)
    case .skipped:
      return Judgement(outcome: .skipped, cause: run.cause, story: CaseStory(), replay: nil)
    case .fail, .error:
      var replay = replay
      if let schedule, !schedule.steps.isEmpty { replay.token = token(schedule) }
      return Judgement(
        outcome: run.outcome, cause: run.cause, story: story(run, schedule: schedule, statistics: statistics),
        replay: replay)
    }
  }

  /// The rule, the target, the world, the schedule and the host calls of a run.
  func story(_ run: Run, schedule: Schedule?, statistics: ExplorationStatistics? = nil) -> CaseStory {
    // A run changes only the evaluator's call state; the story reads the case's target and world.
    let evaluator = planned.evaluator
    let descriptor = walker.descriptor
    var story = CaseStory(
      rule: CaseStory.RuleLine(
        id: rule.id.value, title: rule.title.value, file: file.path, line: rule.range.start.line, why: rule.whyTexts),
      target: .engine(
        walker: descriptor.name, apiLevel: descriptor.apiLevel.rawValue, profile: descriptor.profile.rawValue,
        arch: evaluator.target.arch.name, kernel: "\(evaluator.target.release)"),
      world: evaluator.spec.describe(evaluator.target.arch))
    if let caller {
      let d = caller.descriptor
      story.caller = CaseStory.CallerLine(name: d.name, profile: d.profile.rawValue, summary: d.summary)
    }
    if let schedule, evaluator.spec.race != nil || evaluator.spec.pinned != nil || settings.forced != nil {
      story.schedule = schedule.records(labelledBy: run.observer)
      story.exploration = statistics
      if let timeline = run.observer?.timeline, !timeline.points.isEmpty { story.timeline = timeline }
    }
    if let host = run.host, !host.trace.isEmpty {
      story.trace = host.trace
      story.lockdepWarnings = host.world.lockdepWarnings
      story.stillHeld = host.world.heldLocks.map(\.description)
    }
    return story
  }
}

extension CasePlanner {
  static func firstCall(in rule: Rule) -> Int {
    rule.clauses.firstIndex { if case .call = $0.kind { true } else { false } } ?? rule.clauses.count
  }
}
