/// What a single case came to.
public enum Outcome: String, Sendable, CaseIterable, Codable {
  /// Every expectation held.
  case pass
  /// The walker broke a promise of the contract: an expectation did not hold, or
  /// the model caught the walker doing something the kernel forbids (unlocking a
  /// lock it does not hold, dereferencing a NULL `vm_file`, writing an entry).
  case fail
  /// The case could not be judged: the walker crashed or hung, or the runner
  /// could not evaluate the rule.
  case error
  /// The rule does not apply to this walker or architecture; `message` says why.
  case skipped
}

/// One named parameter of a case, as bound by a rule's `for` clause.
public struct CaseParameter: Sendable, Hashable, Codable {
  public var name: String
  public var value: String

  @inlinable
  public init(name: String, value: String) {
    self.name = name
    self.value = value
  }
}

/// The group a case belongs to: one JUnit `testsuite`, one KTAP subtest.
public struct SuiteKey: Sendable, Hashable, Codable, CustomStringConvertible {
  /// The spec suite, as named by the `suite` line of a `.pfnspec` file.
  public var suite: String
  public var walker: String
  public var arch: String

  @inlinable
  public init(suite: String, walker: String, arch: String) {
    self.suite = suite
    self.walker = walker
    self.arch = arch
  }

  public var description: String { "\(suite)/\(walker)/\(arch)" }
}

/// Where a rule was written.
public struct SpecLocation: Sendable, Hashable, Codable, CustomStringConvertible {
  public var file: String
  public var line: Int

  @inlinable
  public init(file: String, line: Int) {
    self.file = file
    self.line = line
  }

  public var description: String { "\(file):\(line)" }
}

/// Everything that names a case: the rule, the walker, the architecture and the
/// parameter values that the rule's quantifiers bound.
public struct CaseIdentity: Sendable, Hashable, Codable {
  public var key: SuiteKey
  public var ruleID: String
  public var ruleTitle: String
  public var parameters: [CaseParameter]
  public var location: SpecLocation?

  @inlinable
  public init(
    key: SuiteKey, ruleID: String, ruleTitle: String,
    parameters: [CaseParameter] = [], location: SpecLocation? = nil
  ) {
    self.key = key
    self.ruleID = ruleID
    self.ruleTitle = ruleTitle
    self.parameters = parameters
    self.location = location
  }

  /// `LT-001[level=pmd,addr=0x7f0040000123]`: stable, unique within a suite key.
  public var caseName: String {
    guard !parameters.isEmpty else { return ruleID }
    // Written straight into the string, measured first (every failing
    // case's replay command names it): one allocation, no byte array.
    var count = ruleID.utf8.count + 1 + parameters.count
    for parameter in parameters { count += parameter.name.utf8.count + 1 + parameter.value.utf8.count }
    return String(unsafeUninitializedCapacity: count) { buffer in
      var offset = 0
      func put(_ text: String) {
        let copied = text.utf8.withContiguousStorageIfAvailable { source -> Int in
          if let start = source.baseAddress {
            UnsafeMutableRawPointer(buffer.baseAddress! + offset).copyMemory(from: start, byteCount: source.count)
          }
          return source.count
        }
        if let copied {
          offset += copied
          return
        }
        for byte in text.utf8 {
          buffer[offset] = byte
          offset += 1
        }
      }
      func put(_ byte: UInt8) {
        buffer[offset] = byte
        offset += 1
      }
      put(ruleID)
      put(UInt8(ascii: "["))
      for (index, parameter) in parameters.enumerated() {
        if index > 0 { put(UInt8(ascii: ",")) }
        put(parameter.name)
        put(UInt8(ascii: "="))
        put(parameter.value)
      }
      put(UInt8(ascii: "]"))
      return offset
    }
  }
}

/// The judgement of one case.
///
/// A verdict holds facts, not text: its ``cause``, its ``story`` and its
/// ``replay``. PfnReports renders them (`VerdictText`), like
/// swift-argument-parser's ErrorMessageGenerator renders a `ParserError`.
public struct Verdict: Sendable, Codable {
  public var identity: CaseIdentity
  public var outcome: Outcome
  /// Why the case did not pass (`nil` on a pass).
  public var cause: VerdictCause?
  /// The rule, the target, the world, the host calls, the schedule.
  public var story: CaseStory
  /// How to rerun the case, when it can be.
  public var replay: Replay?
  /// Where the promise comes from (`contract#C14`, `msg <...>`).
  public var sources: [String]
  /// The API level and profile the case was checked against (`6.12/strict`).
  public var profile: String
  /// The run's seed, so that a report says how to reproduce it.
  public var seed: UInt64
  /// Wall-clock seconds spent on the case.
  public var seconds: Double
  /// Where the case stands in the whole run's order (set by the runner), so
  /// that the reports of a sharded run merge back in the unsharded order.
  public var ordinal: CaseOrdinal?

  @inlinable
  public init(
    identity: CaseIdentity, outcome: Outcome, cause: VerdictCause? = nil, story: CaseStory = CaseStory(),
    replay: Replay? = nil, sources: [String] = [], profile: String = "", seed: UInt64 = 0, seconds: Double = 0,
    ordinal: CaseOrdinal? = nil
  ) {
    self.identity = identity
    self.outcome = outcome
    self.cause = cause
    self.story = story
    self.replay = replay
    self.sources = sources
    self.profile = profile
    self.seed = seed
    self.seconds = seconds
    self.ordinal = ordinal
  }
}

/// Facts about a run that reporters print in headers and properties.
public struct RunInfo: Sendable, Codable {
  public var toolVersion: String
  public var seed: UInt64
  public var specPaths: [String]
  public var walkers: [String]
  /// The callers the caller rules check (empty when none run).
  public var callers: [String] = []
  public var arches: [String]
  /// Seconds since 1970, UTC.
  public var startTime: Double
  public var hostname: String
  /// How many verdicts the run will deliver, when its producer knows it
  /// before the first one (`nil`: not known). A reporter whose header
  /// carries the count (TAP's plan `1..N`) can then write the header first
  /// instead of spooling its lines; it must still be right if the run ends
  /// with another count.
  public var plannedCases: Int?
  /// How many suites (runs of one ``SuiteKey`` between `suiteStarted` and
  /// `suiteFinished`) the run will deliver, when known before the first
  /// (KTAP's plan `1..S`); `nil` when not known.
  public var plannedSuites: Int?

  public init(
    toolVersion: String, seed: UInt64, specPaths: [String], walkers: [String],
    arches: [String], startTime: Double, hostname: String
  ) {
    self.toolVersion = toolVersion
    self.seed = seed
    self.specPaths = specPaths
    self.walkers = walkers
    self.arches = arches
    self.startTime = startTime
    self.hostname = hostname
  }
}

/// Counts of outcomes.
public struct Tally: Sendable, Hashable, Codable {
  public var passed = 0
  public var failed = 0
  public var errors = 0
  public var skipped = 0

  public init() {}

  public var total: Int { passed + failed + errors + skipped }

  public mutating func add(_ outcome: Outcome) {
    switch outcome {
    case .pass: passed += 1
    case .fail: failed += 1
    case .error: errors += 1
    case .skipped: skipped += 1
    }
  }
}

/// The stream of events from the engine to reporters.
///
/// The engine promises that the verdicts of one ``SuiteKey`` arrive together,
/// between `suiteStarted` and `suiteFinished`, so that a reporter needs to hold
/// at most one suite, never the whole run.
public protocol VerdictSink: AnyObject {
  func runStarted(_ info: RunInfo)
  func suiteStarted(_ key: SuiteKey)
  func record(_ verdict: Verdict)
  func suiteFinished(_ key: SuiteKey)
  /// `seconds` is the wall-clock time of the whole run.
  func runFinished(_ tally: Tally, seconds: Double) throws
}

/// Sends every event to several sinks, in order.
public final class FanOutSink: VerdictSink {
  public private(set) var sinks: [any VerdictSink]

  public init(_ sinks: [any VerdictSink]) { self.sinks = sinks }

  public func runStarted(_ info: RunInfo) { sinks.forEach { $0.runStarted(info) } }
  public func suiteStarted(_ key: SuiteKey) { sinks.forEach { $0.suiteStarted(key) } }
  public func record(_ verdict: Verdict) { sinks.forEach { $0.record(verdict) } }
  public func suiteFinished(_ key: SuiteKey) { sinks.forEach { $0.suiteFinished(key) } }
  public func runFinished(_ tally: Tally, seconds: Double) throws {
    var firstError: (any Error)?
    for sink in sinks {
      do { try sink.runFinished(tally, seconds: seconds) } catch { firstError = firstError ?? error }
    }
    if let firstError { throw firstError }
  }
}

/// Keeps every verdict in memory; for tests and for small runs that want the list.
public final class CollectingSink: VerdictSink {
  public private(set) var verdicts: [Verdict] = []
  public private(set) var tally = Tally()
  public private(set) var info: RunInfo?

  public init() {}

  public func runStarted(_ info: RunInfo) { self.info = info }
  public func suiteStarted(_ key: SuiteKey) {}
  public func record(_ verdict: Verdict) {
    verdicts.append(verdict)
    tally.add(verdict.outcome)
  }
  public func suiteFinished(_ key: SuiteKey) {}
  public func runFinished(_ tally: Tally, seconds: Double) throws {}
}
