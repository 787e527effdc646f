/// One host call that touches shared state, as the race explorer sees it: what
/// it reads, writes, takes and releases. Two operations that share none of
/// these commute, which is what lets the explorer skip equivalent schedules.
public struct HostCall: Sendable, Hashable, CustomStringConvertible {
  public var name: String
  public var reads: [EntryPointer]
  public var writes: [EntryPointer]
  /// Locks the call takes or releases.
  public var locks: [LockID]

  public init(_ name: String, reads: [EntryPointer] = [], writes: [EntryPointer] = [], locks: [LockID] = []) {
    self.name = name
    self.reads = reads
    self.writes = writes
    self.locks = locks
  }

  public var description: String { name }

  /// Whether this call and an operation with the given footprint could see
  /// each other's effects.
  public func conflicts(writing entries: Set<EntryPointer>, locking needed: Set<LockID>) -> Bool {
    reads.contains(where: entries.contains) || writes.contains(where: entries.contains)
      || locks.contains(where: needed.contains)
  }
}
