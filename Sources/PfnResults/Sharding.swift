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
    if let total = try number("TEST_TOTAL_SHARDS") {
      let index = try number("TEST_SHARD_INDEX") ?? 0
      guard let shard = Shard(index: index, count: total) else {
        throw EnvironmentError(
          description: "TEST_SHARD_INDEX=\(index) is not in 0..<TEST_TOTAL_SHARDS=\(total)")
      }
      return total > 1 ? shard : nil
    }
    if let total = try number("CI_NODE_TOTAL"), total > 1 {
      guard let node = try number("CI_NODE_INDEX"), let shard = Shard(index: node - 1, count: total)
      else {
        throw EnvironmentError(
          description: "CI_NODE_INDEX='\(environment["CI_NODE_INDEX"] ?? "")' is not in "
            + "1...CI_NODE_TOTAL=\(total)")
      }
      return shard
    }
    return nil
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

  public init(suite: Int, rule: Int, index: Int) {
    self.suite = suite
    self.rule = rule
    self.index = index
  }

  public static func < (lhs: CaseOrdinal, rhs: CaseOrdinal) -> Bool {
    (lhs.suite, lhs.rule, lhs.index) < (rhs.suite, rhs.rule, rhs.index)
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
