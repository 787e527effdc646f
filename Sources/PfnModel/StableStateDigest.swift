extension World {
  /// The end state (entries, the locks held, the tables mapped) as one number
  /// that is the same in every process, unlike a `Hasher` value: shares of a
  /// schedule tree explored on different machines compare their end states by it.
  public var stableStateDigest: UInt64 {
    var digest = contentHash
    for lock in heldLocks { digest = Self.mix(digest, Self.lockCode(lock)) }
    for (pfn, count) in mappedTables.sorted(by: { $0.key < $1.key }) {
      digest = Self.mix(Self.mix(digest, pfn), UInt64(count))
    }
    return digest
  }

  /// A lock as a number, the same in every process.
  public static func lockCode(_ lock: LockID) -> UInt64 {
    switch lock {
    case .pageTableLock: 1
    case .pmdTable(let pfn): pfn << 2 | 2
    case .pteTable(let pfn): pfn << 2 | 3
    }
  }

  /// One step of splitmix64 over the running digest and a value.
  @inlinable public static func mix(_ digest: UInt64, _ value: UInt64) -> UInt64 {
    var z = digest &+ 0x9E37_79B9_7F4A_7C15 ^ value
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

extension World {
  /// Everything about this world that the rest of a run can depend on or that
  /// an end state is told apart by: the entries and the tables that exist, the
  /// locks held, the tables mapped, and how many writes, warnings, adversary
  /// steps and invalidations it has seen. Two schedules that meet with equal
  /// keys (and equal observed values) go on the same way; within one process only.
  public var explorationKey: UInt64 {
    var key = contentHash
    for lock in heldLocks { key = Self.mix(key, Self.lockCode(lock)) }
    // The mapped tables in any order: an XOR of one digest per table, kept as they change.
    key = Self.mix(key, mappedDigest)
    key = Self.mix(key, UInt64(tables.tables.count))
    key = Self.mix(key, nextFreePFN)
    key = Self.mix(key, UInt64(writes.count))
    key = Self.mix(key, UInt64(lockdepWarnings.count))
    key = Self.mix(key, UInt64(adversarySteps))
    return Self.mix(key, invalidationSequence)
  }
}
