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
  /// Stop exploring a case after this many schedules.
  var scheduleLimit = 50_000
  /// Run exactly this schedule and nothing else (replay).
  var forced: Schedule?
  var totals: ExplorationTotals?
  /// The run's seed, for the random schedules.
  var seed: UInt64 = 0
  /// Skip schedules equivalent to one already run (turned off only to check
  /// that the reduction loses nothing).
  var reduction = true
}

/// Runs one planned case against one walker and judges it; explores the
/// schedules of another CPU when the rule gives a race.
struct CaseExecutor {
  var rule: Rule
  var file: SpecFile
  var walker: any Walker
  var planned: PlannedCase
  var replay: String
  var settings = ExplorationSettings()
  /// Makes the replay token of a schedule.
  var token: (Schedule) -> String = { _ in "" }

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
  struct Run {
    var outcome: Outcome
    var message: String
    var failures: [String]
    var host: ModelHost?
    var evaluator: Evaluator
    var observer: RaceObserver?
    /// Identifies the end state, to count distinct ones.
    var stateHash: Int

    var failed: Bool { outcome == .fail || outcome == .error }
  }

  /// The outcome, a one-line message and the details.
  func execute() -> (Outcome, String, String) {
    let race = planned.evaluator.spec.race
    if let forced = settings.forced {
      let run = runOnce(RaceObserver(kinds: AdversaryKind.allCases, mode: .fixed(forced)))
      if run.observer?.infeasible == true {
        return (.error, "the replayed schedule is not feasible any more (\(forced))", details(run))
      }
      return verdict(run, schedule: forced, statistics: nil)
    }
    guard let race else { return verdict(runOnce(nil), schedule: nil, statistics: nil) }
    return explore(kinds: race.kinds, bound: settings.bound ?? race.bound)
  }

  // MARK: Exploration

  /// Every schedule of up to `bound` adversary steps, fewest steps first and
  /// earliest points first, so the first failure found is already minimal;
  /// then seeded random schedules with more steps, shrunk when one fails.
  private func explore(kinds: [AdversaryKind], bound: Int) -> (Outcome, String, String) {
    let clock = ContinuousClock()
    let began = clock.now
    var statistics = ExplorationStatistics()
    statistics.bound = bound
    var states = Set<Int>()
    func finish(_ run: Run, _ schedule: Schedule) -> (Outcome, String, String) {
      // Schedules run without a trace; the one reported runs again with it.
      let run = run.failed ? runOnce(RaceObserver(kinds: kinds, mode: .fixed(schedule))) : run
      statistics.distinctStates = states.count
      let elapsed = clock.now - began
      statistics.seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
      settings.totals?.add(statistics)
      return verdict(run, schedule: schedule, statistics: statistics)
    }
    func attempt(_ schedule: Schedule) -> Run {
      statistics.schedules += 1
      let run = runOnce(RaceObserver(kinds: kinds, mode: .fixed(schedule)), tracing: false)
      if run.observer?.infeasible != true { states.insert(run.stateHash) }
      return run
    }

    let base = attempt(Schedule())
    if base.failed { return finish(base, Schedule()) }
    var frontier: [(Schedule, [RaceObserver.Point])] = [(Schedule(), base.observer?.points ?? [])]
    var last = base
    for size in 1...max(bound, 1) where size <= bound {
      // Schedules shorter than the bound are all run: they are the prefixes of
      // the longer ones. A schedule of the bound's length is run only if its
      // last step stands right before a call that touches what the step
      // touches (or at the last point): moving that last step later across
      // calls it cannot interfere with gives the same run.
      let final = size == bound
      var next: [(Schedule, [RaceObserver.Point])] = []
      for (schedule, points) in frontier {
        let first = schedule.steps.last?.point ?? 0
        guard first < points.count else { continue }
        for index in first..<points.count {
          // At the point of the previous step, what is possible after it.
          let candidates = index == schedule.steps.last?.point ? points[index].enabledAfter : points[index].enabled
          for enabled in candidates {
            let isLast = index == points.count - 1
            if final && settings.reduction && !isLast
              && !points[index].call.conflicts(writing: enabled.writes, locking: enabled.locks)
            {
              continue
            }
            let candidate = schedule.appending(.init(point: index, op: enabled.op))
            let run = attempt(candidate)
            if run.observer?.infeasible == true { continue }
            if run.failed { return finish(run, candidate) }
            last = run
            if !final { next.append((candidate, run.observer?.points ?? [])) }
            if statistics.schedules >= settings.scheduleLimit {
              statistics.truncated = true
              return finish(last, Schedule())
            }
          }
        }
      }
      frontier = next
    }

    // Beyond the bound: random schedules with a few more steps.
    let points = max(base.observer?.points.count ?? 1, 1)
    let evaluator = planned.evaluator
    var generator = SeededGenerator(seed: stableHash(
        [rule.id.value, evaluator.target.arch.name, "random"] + planned.parameters.map(\.value), seed: settings.seed))
    for _ in 0..<settings.randomSchedules {
      let steps = bound + 1 + Int(generator.next() % 2)
      let chance = UInt64(min(1000, 1000 * steps / points))
      statistics.schedules += 1
      statistics.random += 1
      let run = runOnce(
        RaceObserver(kinds: kinds, mode: .random(generator, chance: chance, maxSteps: steps)), tracing: false)
      _ = generator.next()
      states.insert(run.stateHash)
      if run.failed, let performed = run.observer?.performed {
        let (shrunk, shrunkRun) = shrink(Schedule(performed), run, kinds: kinds, statistics: &statistics)
        return finish(shrunkRun, shrunk)
      }
    }
    return finish(last.failed ? last : base, Schedule())
  }

  /// Fewer steps first, then earlier points, as long as the case still fails.
  private func shrink(_ schedule: Schedule, _ run: Run, kinds: [AdversaryKind], statistics: inout ExplorationStatistics)
    -> (Schedule, Run)
  {
    var best = (schedule, run)
    func stillFails(_ candidate: Schedule) -> Run? {
      statistics.schedules += 1
      let run = runOnce(RaceObserver(kinds: kinds, mode: .fixed(candidate)), tracing: false)
      return run.observer?.infeasible != true && run.failed ? run : nil
    }
    var index = 0
    while index < best.0.steps.count {
      var steps = best.0.steps
      steps.remove(at: index)
      if let run = stillFails(Schedule(steps)) { best = (Schedule(steps), run) } else { index += 1 }
    }
    for index in best.0.steps.indices {
      let floor = index == 0 ? 0 : best.0.steps[index - 1].point + 1
      var point = floor
      while point < best.0.steps[index].point {
        var steps = best.0.steps
        steps[index].point = point
        if let run = stillFails(Schedule(steps)) {
          best = (Schedule(steps), run)
          break
        }
        point += 1
      }
    }
    return best
  }

  // MARK: One run

  func runOnce(_ observer: RaceObserver?, tracing: Bool = true) -> Run {
    var evaluator = planned.evaluator
    let target = evaluator.target
    let world: World
    do {
      world = try evaluator.spec.build(target)
    } catch {
      return Run(
        outcome: .error, message: "the rule's world cannot be built: \(error)", failures: [], host: nil,
        evaluator: evaluator, observer: observer, stateHash: 0)
    }
    let host = ModelHost(world: world)
    host.observer = observer
    host.tracing = tracing
    var failures: [String] = []
    var args: FollowPfnmapArgs?
    func stopped(_ outcome: Outcome, _ message: String) -> Run {
      Run(
        outcome: outcome, message: message, failures: failures, host: host, evaluator: evaluator,
        observer: observer, stateHash: stateHash(world, args))
    }

    for clause in rule.clauses.dropFirst(CasePlanner.firstCall(in: rule)) {
      if observer?.infeasible == true { break }
      do {
        switch clause.kind {
        case .call(let call):
          guard let operation = CallName(rawValue: call.name.value) else {
            throw EvaluationError(message: "unknown call '\(call.name.value)'", range: call.name.range)
          }
          switch operation {
          case .start:
            guard let argument = call.arguments.first else {
              throw EvaluationError(message: "start() takes an address", range: call.name.range)
            }
            let address = try evaluator.integer(evaluator.evaluate(argument), argument)
            guard let vma = world.vmas.first else { throw EvaluationError(message: "no VMA", range: nil) }
            var current = Self.filled(FollowPfnmapArgs(vma: vma, address: address), with: evaluator.spec.argsFill)
            let before = current
            host.resetSteps()
            observer?.address = address
            let result = try walker.start(&current, host: host)
            evaluator.state = CallState(
              address: address, result: result, args: current, argsBefore: before,
              expected: world.translate(address), world: world, previous: args)
            args = current
          case .end:
            guard var current = args, var state = evaluator.state else {
              throw EvaluationError(message: "end() before any start()", range: call.name.range)
            }
            // The caller uses the outputs now; another CPU may act here too.
            try host.checkpoint(HostCall("caller uses the outputs", reads: world.pathPointers(state.address)))
            state.protectedUntilEnd = world.translate(state.address) == state.expected
            let before = current
            host.resetSteps()
            try walker.end(&current, host: host)
            state.args = current
            state.argsBefore = before
            evaluator.state = state
            args = current
          }
        case .expect(let condition):
          let holds = try evaluator.bool(evaluator.evaluate(condition), condition)
          if !holds {
            failures.append(
              "\(file.path):\(condition.range.start): expect \(evaluator.text(condition))\n    "
                + evaluator.explain(condition))
          }
        case .given, .forEach:
          throw EvaluationError(message: "'given' and 'for' must come before the first call", range: clause.range)
        case .tags, .source, .why, .requires:
          continue
        }
      } catch let fault as WalkerFault {
        let message = "the walker faulted: \(fault)"
        failures.append(message)
        return stopped(.fail, message)
      } catch let skip as NotApplicable {
        return stopped(.skipped, skip.reason)
      } catch let error as EvaluationError {
        let at = error.range.map { "\(file.path):\($0.start): " } ?? ""
        return stopped(.error, "\(at)\(error.message)")
      } catch {
        return stopped(.error, "\(error)")
      }
    }
    guard let first = failures.first else { return stopped(.pass, "") }
    let headline = first.split(separator: "\n").dropFirst().first.map { String($0.drop { $0 == " " }) } ?? first
    let more = failures.count > 1 ? " (+\(failures.count - 1) more)" : ""
    return stopped(.fail, headline + more)
  }

  private func stateHash(_ world: World, _ args: FollowPfnmapArgs?) -> Int {
    var hasher = Hasher()
    world.hashState(into: &hasher)
    hasher.combine(args)
    return hasher.finalize()
  }

  // MARK: Verdicts

  private func verdict(_ run: Run, schedule: Schedule?, statistics: ExplorationStatistics?) -> (Outcome, String, String) {
    switch run.outcome {
    case .pass:
      return (.pass, "", statistics.map { "Races: \($0.summary)" } ?? "")
    case .skipped:
      return (.skipped, run.message, "")
    case .fail, .error:
      var message = run.message
      if let schedule, !schedule.steps.isEmpty {
        message += " (with \(schedule.steps.count) adversary step\(schedule.steps.count == 1 ? "" : "s"))"
      }
      return (run.outcome, message, details(run, schedule: schedule, statistics: statistics))
    }
  }

  private func details(_ run: Run, schedule: Schedule? = nil, statistics: ExplorationStatistics? = nil) -> String {
    var lines: [String] = []
    if !run.failures.isEmpty {
      lines.append("Failed:")
      lines += run.failures.map { "  " + $0 }
    } else if run.outcome == .error {
      lines.append("Error: \(run.message)")
    }
    lines.append("Rule: \(rule.id.value) \"\(rule.title.value)\" at \(file.path):\(rule.range.start.line)")
    for clause in rule.clauses {
      if case .why(let why) = clause.kind { lines.append("Why: \(why.value)") }
    }
    let evaluator = run.evaluator
    lines.append(
      "Case: walker \(walker.descriptor.name) (API \(walker.descriptor.apiLevel.rawValue), "
        + "\(walker.descriptor.profile.rawValue)), \(evaluator.target.arch.name), kernel \(evaluator.target.release)")
    lines.append("World:")
    lines += evaluator.spec.describe(evaluator.target.arch).map { "  " + $0 }
    if let schedule, evaluator.spec.race != nil || settings.forced != nil {
      lines.append("Schedule: \(schedule)")
      if let statistics { lines.append("Races: \(statistics.summary)") }
    }
    if let host = run.host, !host.trace.isEmpty {
      lines.append("Host calls and other CPUs, in order:")
      lines += host.trace.map { "  " + $0 }
      if !host.world.lockdepWarnings.isEmpty {
        lines.append("Lockdep warnings: " + host.world.lockdepWarnings.joined(separator: "; "))
      }
      if !host.world.heldLocks.isEmpty {
        lines.append("Still held: " + host.world.heldLocks.map(\.description).joined(separator: ", "))
      }
    }
    if let schedule, !schedule.steps.isEmpty {
      let walkerArguments = (walker.descriptor.replayArguments ?? []).map(shellQuoted)
      lines.append((["Replay: pfnspec replay", token(schedule)] + walkerArguments).joined(separator: " "))
    } else {
      lines.append("Replay: \(replay)")
    }
    return lines.joined(separator: "\n")
  }
}

extension CasePlanner {
  static func firstCall(in rule: Rule) -> Int {
    rule.clauses.firstIndex { if case .call = $0.kind { true } else { false } } ?? rule.clauses.count
  }
}
