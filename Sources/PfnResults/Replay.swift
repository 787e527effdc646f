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
    var words: [String] = []
    words.reserveCapacity(16)
    forEachArgument { words.append($0.text) }
    return words
  }

  /// One word of ``arguments``, in the pieces it is made of, so that a
  /// reporter can write it without building it: a flag or value as it is, a
  /// value joined to its flag (`--case=-x`), or a spec path made a path (`./-x.pfnspec`).
  public enum ArgumentWord {
    case whole(String)
    /// `flag=value`, for a value that starts with `-`.
    case joined(flag: String, value: String)
    /// `./path`, for a spec path that starts with `-`.
    case relative(path: String)

    /// The word.
    public var text: String {
      switch self {
      case .whole(let word): word
      case .joined(let flag, let value): flag + "=" + value
      case .relative(let path): "./" + path
      }
    }
  }

  /// Calls `body` with each word of ``arguments`` in order, without an array
  /// of them (every failing case's report words its replay command).
  public func forEachArgument(_ body: (ArgumentWord) -> Void) {
    if let token {
      body(.whole(RunFlag.replayCommand))
      body(.whole(token))
      switch walker {
      case .builtin: break
      case .sharedObject(let path):
        body(.whole(RunFlag.walker))
        body(.whole(path))
      case .command(let command):
        body(.whole(RunFlag.walkerCommand))
        body(.whole(command))
      }
      // A token names a built-in caller itself; a caller from a shared
      // object is named again, as walkers are.
      if let caller, caller.contains("/") {
        body(.whole(RunFlag.caller))
        body(.whole(caller))
      }
      return
    }
    body(.whole(RunFlag.runCommand))
    // Every field is data: a spec path that starts with '-' is written as a
    // path, a value that starts with '-' is joined to its flag.
    if let spec { body(Self.startsWithDash(spec) ? .relative(path: spec) : .whole(spec)) }
    func add(_ flag: String, _ value: String) {
      if Self.startsWithDash(value) {
        body(.joined(flag: flag, value: value))
      } else {
        body(.whole(flag))
        body(.whole(value))
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
  }

  /// `text.hasPrefix("-")`, which compares Characters (a `-` with a combining
  /// mark after it is no dash), asked only when the first byte is one.
  private static func startsWithDash(_ text: String) -> Bool {
    text.utf8.first == UInt8(ascii: "-") && text.hasPrefix("-")
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
  public static let raceLimit = "--race-limit"
  public static let shard = "--shard"
  public static let shardSchedules = "--shard-schedules"

  /// The long name without its dashes, for `@Option(name: .customLong(...))`.
  public static func long(_ flag: String) -> String { String(flag.drop { $0 == "-" }) }
}
