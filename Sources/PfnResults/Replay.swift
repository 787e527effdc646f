/// How to rerun exactly one case, as facts; PfnReports renders the command.
public struct Replay: Sendable, Hashable, Codable {
  /// The walker, as the command line names it.
  public enum Walker: Sendable, Hashable, Codable {
    /// A built-in walker, by name (`--walker reference`).
    case builtin(String)
    /// A shared object (`--walker PATH.so`).
    case sharedObject(path: String)
    /// A program that speaks the stdio protocol (`--walker-cmd COMMAND`).
    case command(String)
  }

  /// The spec file, when the case has one.
  public var spec: String?
  public var rule: String
  public var caseName: String
  public var walker: Walker
  public var arch: String
  public var seed: UInt64
  /// The kernel release, when it is not the newest.
  public var kernel: String?
  /// A race case's schedule token (`v1.…`); the replay is then `pfnspec replay TOKEN`.
  public var token: String?
  /// The caller of a caller rule's case: a built-in name or a shared object's path.
  public var caller: String?

  public init(
    spec: String?, rule: String, caseName: String, walker: Walker, arch: String, seed: UInt64,
    kernel: String? = nil, token: String? = nil, caller: String? = nil
  ) {
    self.caller = caller
    self.spec = spec
    self.rule = rule
    self.caseName = caseName
    self.walker = walker
    self.arch = arch
    self.seed = seed
    self.kernel = kernel
    self.token = token
  }

  /// The `pfnspec` arguments that rerun the case (without `pfnspec` itself).
  public var arguments: [String] {
    if let token {
      switch walker {
      case .builtin: return [RunFlag.replayCommand, token] + callerArguments
      case .sharedObject, .command: return [RunFlag.replayCommand, token] + walker.arguments + callerArguments
      }
    }
    // Built in one array (every failing case's report words this).
    var words = [RunFlag.runCommand]
    words.reserveCapacity(16)
    // Every field is data: a spec path that starts with '-' is written as a
    // path, a value that starts with '-' is joined to its flag.
    if let spec { words.append(spec.hasPrefix("-") ? "./" + spec : spec) }
    func add(_ flag: String, _ value: String) {
      if value.hasPrefix("-") {
        words.append(flag + "=" + value)
      } else {
        words.append(flag)
        words.append(value)
      }
    }
    add(RunFlag.rule, rule)
    add(RunFlag.caseName, caseName)
    switch walker {
    case .builtin(let name): add(RunFlag.walker, name)
    case .sharedObject(let path): add(RunFlag.walker, path)
    case .command(let command): add(RunFlag.walkerCommand, command)
    }
    if let caller { add(RunFlag.caller, caller) }
    add(RunFlag.arch, arch)
    add(RunFlag.seed, String(seed))
    if let kernel { add(RunFlag.kernel, kernel) }
    return words
  }
}

extension Replay {
  /// `--caller NAME` for a caller case. A token names a built-in caller
  /// itself; a caller from a shared object is named again, as walkers are.
  var callerArguments: [String] {
    guard let caller else { return [] }
    if token != nil && !caller.contains("/") { return [] }
    return [RunFlag.caller, caller]
  }
}

extension Replay.Walker {
  /// The flag and value that name this walker on the command line.
  public var arguments: [String] {
    switch self {
    case .builtin(let name): [RunFlag.walker, name]
    case .sharedObject(let path): [RunFlag.walker, path]
    case .command(let command): [RunFlag.walkerCommand, command]
    }
  }
}

/// The spellings of the `pfnspec` flags that replay commands and workers'
/// arguments use; the command line declares its options with these names.
public enum RunFlag {
  public static let runCommand = "run"
  public static let replayCommand = "replay"
  public static let rule = "--rule"
  public static let tag = "--tag"
  public static let caseName = "--case"
  public static let walker = "--walker"
  public static let walkerCommand = "--walker-cmd"
  public static let caller = "--caller"
  public static let callerRulesOnly = "--caller-rules-only"
  public static let arch = "--arch"
  public static let seed = "--seed"
  public static let kernel = "--kernel"
  public static let contract = "--contract"
  public static let raceBound = "--race-bound"
  public static let raceRandom = "--race-random"
  public static let shard = "--shard"
  public static let shardSchedules = "--shard-schedules"

  /// The long name without its dashes, for `@Option(name: .customLong(...))`.
  public static func long(_ flag: String) -> String { String(flag.drop { $0 == "-" }) }
}
