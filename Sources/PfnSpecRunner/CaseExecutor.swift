import PfnModel
import PfnResults
import PfnSpecLanguage
import PfnWalkers

/// Runs one planned case against one walker and judges it.
struct CaseExecutor {
  var rule: Rule
  var file: SpecFile
  var walker: any Walker
  var planned: PlannedCase
  var replay: String

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

  /// The outcome, a one-line message and the details.
  func execute() -> (Outcome, String, String) {
    var evaluator = planned.evaluator
    let target = evaluator.target
    let world: World
    do {
      world = try evaluator.spec.build(target)
    } catch {
      return (.error, "the rule's world cannot be built: \(error)", details([], host: nil, evaluator))
    }
    let host = ModelHost(world: world)
    var failures: [String] = []
    var args: FollowPfnmapArgs?

    for clause in rule.clauses.dropFirst(CasePlanner.firstCall(in: rule)) {
      do {
        switch clause.kind {
        case .call(let call):
          switch call.name.value {
          case "start":
            guard let argument = call.arguments.first else {
              throw EvaluationError(message: "start() takes an address", range: call.name.range)
            }
            let address = try evaluator.integer(evaluator.evaluate(argument), argument)
            guard let vma = world.vmas.first else { throw EvaluationError(message: "no VMA", range: nil) }
            var current = Self.poisoned(FollowPfnmapArgs(vma: vma, address: address))
            let before = current
            host.resetSteps()
            let result = try walker.start(&current, host: host)
            evaluator.state = CallState(
              address: address, result: result, args: current, argsBefore: before,
              expected: world.translate(address), world: world)
            args = current
          case "end":
            guard var current = args, var state = evaluator.state else {
              throw EvaluationError(message: "end() before any start()", range: call.name.range)
            }
            let before = current
            host.resetSteps()
            try walker.end(&current, host: host)
            state.args = current
            state.argsBefore = before
            evaluator.state = state
            args = current
          default:
            throw EvaluationError(message: "unknown call '\(call.name.value)'", range: call.name.range)
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
        return (.fail, message, details(failures + [message], host: host, evaluator))
      } catch let skip as NotApplicable {
        return (.skipped, skip.reason, "")
      } catch let error as EvaluationError {
        let at = error.range.map { "\(file.path):\($0.start): " } ?? ""
        return (.error, "\(at)\(error.message)", details(failures, host: host, evaluator))
      } catch {
        return (.error, "\(error)", details(failures, host: host, evaluator))
      }
    }
    guard let first = failures.first else { return (.pass, "", "") }
    let headline = first.split(separator: "\n").dropFirst().first.map {
      String($0.drop { $0 == " " })
    } ?? first
    let more = failures.count > 1 ? " (+\(failures.count - 1) more)" : ""
    return (.fail, headline + more, details(failures, host: host, evaluator))
  }

  private func details(_ failures: [String], host: ModelHost?, _ evaluator: Evaluator) -> String {
    var lines: [String] = []
    if !failures.isEmpty {
      lines.append("Failed:")
      lines += failures.map { "  " + $0 }
    }
    lines.append("Rule: \(rule.id.value) \"\(rule.title.value)\" at \(file.path):\(rule.range.start.line)")
    for clause in rule.clauses {
      if case .why(let why) = clause.kind { lines.append("Why: \(why.value)") }
    }
    lines.append(
      "Case: walker \(walker.descriptor.name) (API \(walker.descriptor.apiLevel.rawValue), "
        + "\(walker.descriptor.profile.rawValue)), \(evaluator.target.arch.name), kernel \(evaluator.target.release)")
    lines.append("World:")
    lines += evaluator.spec.describe(evaluator.target.arch).map { "  " + $0 }
    if let host, !host.trace.isEmpty {
      let dropped = host.droppedTraceLines > 0 ? " (\(host.droppedTraceLines) earlier calls not shown)" : ""
      lines.append("Host calls\(dropped):")
      lines += host.trace.map { "  " + $0 }
      if !host.world.lockdepWarnings.isEmpty {
        lines.append("Lockdep warnings: " + host.world.lockdepWarnings.joined(separator: "; "))
      }
      if !host.world.heldLocks.isEmpty {
        lines.append("Still held: " + host.world.heldLocks.map(\.description).joined(separator: ", "))
      }
    }
    lines.append("Replay: \(replay)")
    return lines.joined(separator: "\n")
  }
}

extension CasePlanner {
  static func firstCall(in rule: Rule) -> Int {
    rule.clauses.firstIndex { if case .call = $0.kind { true } else { false } } ?? rule.clauses.count
  }
}
