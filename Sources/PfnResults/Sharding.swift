import PfnSupport

/// One share of a run split across CI runners: the cases whose identity hashes
/// to ``index`` modulo ``count``.
///
/// A case's shard depends only on its own identity (suite, walker, arch, rule
/// id and case name), never on its position, so adding or removing rules does
/// not move any other case to another shard.
public struct Shard: Sendable, Hashable, Codable, CustomStringConvertible {
  /// This shard, from 0.
  public var index: Int
  /// How many shards the run is split into, at least 1.
  public var count: Int

  /// Creates shard `index` (0-based) of `count`; `nil` unless `0 <= index < count`.
  public init?(index: Int, count: Int) {
    guard count >= 1, index >= 0, index < count else { return nil }
    self.index = index
    self.count = count
  }

  /// Parses `I/N` with `I` counted from 1, as GitLab names parallel jobs
  /// (`1/4` … `4/4`); `nil` for anything else, `0/4` included.
  public init?(oneBased text: String) {
    let parts = text.split(separator: "/", omittingEmptySubsequences: false)
    guard parts.count == 2, let number = Int(parts[0]), let count = Int(parts[1]) else {
      return nil
    }
    self.init(index: number - 1, count: count)
  }

  /// `2/4` for the second of four shards (1-based, as ``init(oneBased:)`` reads it).
  public var description: String { "\(index + 1)/\(count)" }

  /// Whether the case named by `identity` belongs to this shard.
  public func contains(_ identity: CaseIdentity) -> Bool {
    count == 1 || Int(Self.hash(of: identity) % UInt64(count)) == index
  }

  /// FNV-1a over the identity's parts, each followed by a separator byte so
  /// that `("ab", "c")` and `("a", "bc")` differ. Stable across runs,
  /// machines and Swift versions (unlike `Hasher`).
  public static func hash(of identity: CaseIdentity) -> UInt64 {
    stableHash([
      identity.key.suite, identity.key.walker, identity.key.arch, identity.ruleID,
      identity.caseName,
    ])
  }

  /// Why the environment's shard settings could not be used.
  public struct EnvironmentError: Error, CustomStringConvertible, Sendable {
    public var description: String
  }

  /// The shard the CI environment asks for: Bazel's `TEST_SHARD_INDEX`
  /// (0-based) and `TEST_TOTAL_SHARDS` first, then GitLab's `CI_NODE_INDEX`
  /// (1-based) and `CI_NODE_TOTAL`; `nil` when neither asks for more than one
  /// shard.
  ///
  /// - Throws: ``EnvironmentError`` when a variable is set but malformed or
  ///   out of range, so that a misconfigured job does not run everything.
  public static func fromEnvironment(_ environment: [String: String]) throws -> Shard? {
    func number(_ name: String) throws -> Int? {
      guard let text = environment[name], !text.isEmpty else { return nil }
      guard let value = Int(text.trimmingSpaces) else {
        throw EnvironmentError(description: "\(name)='\(text)' is not a number")
      }
      return value
    }
    // Both systems are read by one rule: the total is at least 1, and above
    // 1 the index must be given and in range (a missing index would silently
    // run the first shard only).
    func shard(total totalName: String, index indexName: String, base: Int) throws -> Shard? {
      guard let total = try number(totalName) else {
        if environment[indexName].map({ !$0.isEmpty }) == true {
          throw EnvironmentError(description: "\(indexName) is set but \(totalName) is not")
        }
        return nil
      }
      guard total >= 1 else { throw EnvironmentError(description: "\(totalName)=\(total) must be at least 1") }
      guard let index = try number(indexName) else {
        guard total == 1 else {
          throw EnvironmentError(description: "\(totalName)=\(total) is set but \(indexName) is not")
        }
        return nil
      }
      guard let shard = Shard(index: index - base, count: total) else {
        throw EnvironmentError(
          description: "\(indexName)=\(index) is not in \(base)...\(total - 1 + base) (\(totalName)=\(total))")
      }
      return total > 1 ? shard : nil
    }
    if environment["TEST_TOTAL_SHARDS"].map({ !$0.isEmpty }) == true || environment["TEST_SHARD_INDEX"].map({ !$0.isEmpty }) == true {
      return try shard(total: "TEST_TOTAL_SHARDS", index: "TEST_SHARD_INDEX", base: 0)
    }
    return try shard(total: "CI_NODE_TOTAL", index: "CI_NODE_INDEX", base: 1)
  }
}

/// Where a case stands in the order of a whole, unsharded run: the suite key's
/// position, the rule's position within the suite and the case's position
/// within the rule's planned cases. The runner sets it on every verdict so
/// that shard reports can be merged back into the unsharded order.
public struct CaseOrdinal: Sendable, Hashable, Codable, Comparable, CustomStringConvertible {
  public var suite: Int
  public var rule: Int
  public var index: Int

  @inlinable
  public init(suite: Int, rule: Int, index: Int) {
    self.suite = suite
    self.rule = rule
    self.index = index
  }

  public static func < (lhs: CaseOrdinal, rhs: CaseOrdinal) -> Bool {
    (lhs.suite, lhs.rule, lhs.index) < (rhs.suite, rhs.rule, rhs.index)
  }

  /// The position of a suite key in the whole run, the same in every process
  /// and shard of the run: the segment that ran it (0 for the walkers that
  /// run in the pfnspec process, then each plug-in in the order named), the
  /// suite's position among the run's suites, the subject's position among
  /// the segment's walkers and callers, and the architecture's position.
  /// Packed into one integer, ordered as the unsharded run writes the suites.
  public static func suitePosition(segment: Int, suite: Int, subject: Int, arch: Int) -> Int {
    precondition(arch < 1 << 10 && subject < 1 << 14 && suite < 1 << 20 && segment < 1 << 18)
    return ((segment << 20 | suite) << 14 | subject) << 10 | arch
  }

  /// `suite.rule.index`, as shard reports record it.
  public var description: String { "\(suite).\(rule).\(index)" }

  /// Reads ``description``'s form back.
  public init?(_ text: some StringProtocol) {
    let parts = text.split(separator: ".")
    guard parts.count == 3, let s = Int(parts[0]), let r = Int(parts[1]), let i = Int(parts[2])
    else { return nil }
    self.init(suite: s, rule: r, index: i)
  }
}

extension String {
  fileprivate var trimmingSpaces: Substring {
    var text = Substring(self)
    while text.first == " " { text.removeFirst() }
    while text.last == " " { text.removeLast() }
    return text
  }
}
