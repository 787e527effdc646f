import Foundation
import PfnPlugins
import PfnResults

/// Everything a run needs: what to check, against what, and how. The command
/// line fills one from its flags; a program that embeds the runner fills one
/// in code. Workers get theirs as ``workerArguments``, read back by
/// ``init(workerArguments:remaining:)``: the only place those flags are spelled.
public struct RunConfiguration: Sendable, Codable, Hashable {
  /// Spec files or folders (default: `Specs` here when it holds rules, else the shipped rules; see ``ShippedFiles``).
  public var specPaths: [String] = []
  /// The contract document whose clause anchors rules cite (default: `docs/contract.md`, found
  /// here, near the specs, or among the shipped files).
  public var contractPath: String?
  /// Built-in walkers by name (`reference`, `mutants`, `all`) and shared objects by path (`./libwalker.so`).
  public var walkers: [String] = []
  /// Programs that speak the stdio walker protocol.
  public var walkerCommands: [String] = []
  /// Callers for the caller rules, by name (`kvm-like`; `builtin`, `legacy`, `mutants`, `all`,
  /// `none`). Empty: the built-in callers that keep the contract when no walker is named either,
  /// else none.
  public var callers: [String] = []
  /// Run only the caller rules (the command line sets it when callers are
  /// named and walkers are not).
  public var callerRulesOnly = false
  /// Architectures by name (default: every one the model has).
  public var arches: [String] = []
  /// The kernel release the architectures are taken at (default: the newest known).
  public var kernel: String?
  public var seed: UInt64 = 0
  public var rules: [String] = []
  public var tags: [String] = []
  public var cases: [String] = []
  /// Adversary steps explored exhaustively per race case (default: each rule's bound).
  public var raceBound: Int?
  /// Seeded random schedules per race case beyond the bound.
  public var raceRandom = 16
  /// Schedules explored per race case before exploring stops (default: 50,000).
  public var raceLimit: Int?
  public var shard: Shard?
  /// With a shard: split the schedule tree of each race case by prefix (every
  /// shard runs the race cases, each exploring its share) instead of
  /// splitting the race cases themselves.
  public var shardSchedules = false
  /// Threads for built-in walkers and callers; worker processes per shared-object walker.
  public var jobs = 1
  /// Seconds one case of a walker from outside may take.
  public var timeout: Double = 30
  /// Stop starting plug-in cases once this many have ended in an error (crash, hang, exit, garbage).
  public var maxErrors: Int?
  /// Run every case of a plug-in even when its first cases all died the same way.
  public var keepGoing = false
  /// Resource limits of each worker process (RLIMIT_AS, RLIMIT_CPU, RLIMIT_NOFILE, RLIMIT_NPROC).
  public var workerLimits = WorkerLimits()
  /// Leave times, timestamps and host names out of the run's facts.
  public var deterministic = false
  public var toolVersion = "0.1.0"
  /// The executable that runs shared objects in workers; it must hand a first
  /// argument `worker` to ``WorkerMain/run(arguments:)``. Default: this process's executable.
  public var workerExecutable: String?

  public init() {}

  /// The spec paths, with the default (``ShippedFiles/defaultSpecPaths(currentDirectory:)``).
  public var paths: [String] { specPaths.isEmpty ? Self.defaultSpecPaths : specPaths }

  /// The spec paths of a run that names none, found once per process.
  public static let defaultSpecPaths = ShippedFiles.current.defaultSpecPaths()

  /// Whether a `--walker` value names a shared object rather than a built-in walker.
  public static func isSharedObject(_ name: String) -> Bool {
    name.hasSuffix(".so") || name.contains(".so.") || name.contains("/")
  }

  /// The shared objects among ``walkers``.
  public var sharedObjectPaths: [String] { walkers.filter(Self.isSharedObject) }

  /// The callers the run checks, with the default filled in, so that workers
  /// are told exactly what the parent decided.
  public var effectiveCallers: [String] {
    if !callers.isEmpty { return callers }
    return walkers.isEmpty && walkerCommands.isEmpty ? ["builtin"] : ["none"]
  }

  /// The shared objects among the callers.
  public var callerSharedObjectPaths: [String] { callers.filter(Self.isSharedObject) }

  /// Whether the walker rules run.
  public var runsWalkerRules: Bool { !callerRulesOnly }

  // MARK: Worker arguments

  /// What a worker needs to run the same cases: spec paths and filters.
  public var workerArguments: [String] {
    var arguments = specPaths
    if let contractPath { arguments += [RunFlag.contract, contractPath] }
    for arch in arches { arguments += [RunFlag.arch, arch] }
    if let kernel { arguments += [RunFlag.kernel, kernel] }
    arguments += [RunFlag.seed, String(seed)]
    for rule in rules { arguments += [RunFlag.rule, rule] }
    for tag in tags { arguments += [RunFlag.tag, tag] }
    for name in cases { arguments += [RunFlag.caseName, name] }
    if let raceBound { arguments += [RunFlag.raceBound, String(raceBound)] }
    arguments += [RunFlag.raceRandom, String(raceRandom)]
    if let raceLimit { arguments += [RunFlag.raceLimit, String(raceLimit)] }
    if let shard { arguments += [RunFlag.shard, shard.description] }
    if shardSchedules { arguments.append(RunFlag.shardSchedules) }
    for caller in effectiveCallers { arguments += [RunFlag.caller, caller] }
    if !runsWalkerRules { arguments.append(RunFlag.callerRulesOnly) }
    return arguments
  }

  /// Reads ``workerArguments`` back; other flags are left in `remaining`.
  public init(workerArguments: [String], remaining: inout [String]) throws {
    var index = 0
    func value(_ flag: String) throws -> String {
      guard index + 1 < workerArguments.count else { throw RunError.invalid("\(flag) takes a value") }
      index += 1
      return workerArguments[index]
    }
    func number<T: LosslessStringConvertible>(_ flag: String) throws -> T {
      let text = try value(flag)
      guard let number = T(text) else { throw RunError.invalid("\(flag) takes a number, not '\(text)'") }
      return number
    }
    while index < workerArguments.count {
      let argument = workerArguments[index]
      switch argument {
      case RunFlag.contract: contractPath = try value(argument)
      case RunFlag.arch: arches.append(try value(argument))
      case RunFlag.kernel: kernel = try value(argument)
      case RunFlag.seed: seed = try number(argument)
      case RunFlag.rule: rules.append(try value(argument))
      case RunFlag.tag: tags.append(try value(argument))
      case RunFlag.caseName: cases.append(try value(argument))
      case RunFlag.raceBound: raceBound = try number(argument)
      case RunFlag.raceRandom: raceRandom = try number(argument)
      case RunFlag.raceLimit: raceLimit = try number(argument)
      case RunFlag.caller: callers.append(try value(argument))
      case RunFlag.callerRulesOnly: callerRulesOnly = true
      case RunFlag.shardSchedules: shardSchedules = true
      case RunFlag.shard:
        let text = try value(argument)
        guard let shard = Shard(oneBased: text) else { throw RunError.invalid("--shard takes I/N, not '\(text)'") }
        self.shard = shard.count > 1 ? shard : nil
      default:
        if argument.hasPrefix("--") {
          remaining.append(argument)
          // A flag of the caller's with its value, if it has one.
          if index + 1 < workerArguments.count, !workerArguments[index + 1].hasPrefix("--") {
            index += 1
            remaining.append(workerArguments[index])
          }
        } else {
          specPaths.append(argument)
        }
      }
      index += 1
    }
  }
}

/// Why a run cannot start.
public enum RunError: Error, CustomStringConvertible {
  /// The configuration names something that does not exist or takes another value.
  case invalid(String)
  /// The specs have errors; the diagnostics are in the set.
  case specErrors(count: Int)
  /// A shared object cannot be used.
  case pluginLoad(String)

  public var description: String {
    switch self {
    case .invalid(let message): message
    case .specErrors(let count): "\(count) error(s) in the specs; nothing was run"
    case .pluginLoad(let message): message
    }
  }
}
