/// The schedule tree of a race case split across CI runners by prefix
/// (`run --shard I/N --shard-schedules`): share I of N explores the subtrees
/// under every N-th two-step prefix (in the order the explorer tries them;
/// one-step prefixes at bound 1), and takes every N-th random schedule; every
/// share runs the schedules above the split (the root and the one-step
/// schedules, as parents), and one share counts each.
///
/// Exploration order is fewest steps first, then earliest points, then the
/// order of the enabled operations; a schedule's ``key`` sorts in that order
/// (random schedules after every bounded one, in the order drawn). So the
/// unsharded run's counterexample is the share failure with the smallest key,
/// and its distinct end states are those some share first saw at a key no
/// later than that: ``merge(_:)`` gives both from the shares alone.
public enum SchedulePartition {
  /// What one share of a case's tree reports for merging.
  public struct Share: Sendable, Hashable, Codable {
    /// `I/N`.
    public var partition: String
    /// Schedules this share ran (the root only in share 1).
    public var schedules: Int
    /// Each distinct end state this share saw, as `HASH@KEY` with the key of
    /// the first schedule that reached it; hashes are the same in every process.
    public var firstSeen: [String]
    /// The key of the failing schedule this share found, if any.
    public var failure: String?

    public init(partition: String, schedules: Int = 0, firstSeen: [String], failure: String?) {
      self.partition = partition
      self.schedules = schedules
      self.firstSeen = firstSeen
      self.failure = failure
    }

    /// `1/4 schedules=12 failure=- states=HASH@KEY,...`: one line, for a report property.
    public var text: String {
      "\(partition) schedules=\(schedules) failure=\(failure ?? "-") states=" + firstSeen.joined(separator: ",")
    }

    /// Reads ``text`` back.
    public init?(text: String) {
      let fields = text.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
      guard fields.count == 4, Shard(oneBased: fields[0]) != nil, fields[1].hasPrefix("schedules="),
        let schedules = Int(fields[1].dropFirst("schedules=".count)), fields[2].hasPrefix("failure="),
        fields[3].hasPrefix("states=")
      else { return nil }
      let failure = String(fields[2].dropFirst("failure=".count))
      let states = fields[3].dropFirst("states=".count)
      self.init(
        partition: fields[0], schedules: schedules,
        firstSeen: states.isEmpty ? [] : states.split(separator: ",").map(String.init),
        failure: failure == "-" ? nil : failure)
    }
  }

  /// Whether the schedule at `position` (0-based, in exploration order, among the schedules of
  /// the splitting depth) heads a subtree of `shard`, or, above that depth, is counted by it.
  public static func owns(position: Int, _ shard: Shard) -> Bool { position % shard.count == shard.index }

  /// The number of steps at which the tree is split: the second step when the bound allows, so
  /// that the first steps' unequal subtrees (an early first step has many more points after it)
  /// are spread over the shares; every share runs the schedules above that depth.
  public static func splitDepth(bound: Int) -> Int { min(2, max(bound, 1)) }

  /// A state hash as text.
  public static func hex(_ hash: Int) -> String { String(UInt64(bitPattern: Int64(hash)), radix: 16) }

  /// The key of random schedule `number`: after every bounded schedule's key (`r` sorts after digits).
  public static func randomKey(_ number: Int) -> String {
    let digits = String(number)
    return "r" + String(repeating: "0", count: max(0, 6 - digits.count)) + digits
  }

  /// The whole case, from its shares.
  public struct Merged: Sendable, Hashable {
    /// The key of the counterexample: the smallest failure key of any share.
    public var failure: String?
    /// The share that found it (its index in the input).
    public var failingShare: Int?
    /// Distinct end states up to the counterexample (all of them when none failed).
    public var distinctStates: Int
    /// Schedules of all shares; the unsharded count when no share failed.
    public var schedules: Int
  }

  public struct MergeError: Error, CustomStringConvertible, Sendable {
    public var description: String
  }

  /// Joins the shares of one case: every share of one split, each once.
  public static func merge(_ shares: [Share]) throws -> Merged {
    let splits = shares.compactMap { Shard(oneBased: $0.partition) }
    guard splits.count == shares.count, let count = splits.first?.count, splits.allSatisfy({ $0.count == count }),
      Set(splits.map(\.index)).count == count, shares.count == count
    else {
      throw MergeError(
        description: "schedule shares \(shares.map(\.partition).joined(separator: ", ")) are not every share of one split")
    }
    var failure: (key: String, share: Int)?
    for (index, share) in shares.enumerated() {
      if let key = share.failure, failure.map({ key < $0.key }) ?? true { failure = (key, index) }
    }
    return Merged(
      failure: failure?.key, failingShare: failure?.share, distinctStates: distinctStates(shares, upTo: failure?.key),
      schedules: shares.reduce(0) { $0 + $1.schedules })
  }

  /// The distinct end states the whole tree reaches at schedules up to `key`
  /// (all of them for `nil`): each at the smallest key any share first saw it.
  public static func distinctStates(_ shares: [Share], upTo key: String?) -> Int {
    var firstSeen: [Substring: Substring] = [:]
    for share in shares {
      for entry in share.firstSeen {
        guard let at = entry.firstIndex(of: "@") else { continue }
        let hash = entry[..<at]
        let seen = entry[entry.index(after: at)...]
        if firstSeen[hash].map({ seen < $0 }) ?? true { firstSeen[hash] = seen }
      }
    }
    guard let key else { return firstSeen.count }
    return firstSeen.values.filter { $0 <= key }.count
  }
}
