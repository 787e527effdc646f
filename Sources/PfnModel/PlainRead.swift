/// A plain read of a page-table entry (`*pmdp`, `pmd_t pmd = *pmdp`) that
/// another CPU may change while it is read: what KCSAN reports as a data race.
///
/// The kernel reads an entry plainly only where nothing can change it: the pgd
/// entry (top-level entries are filled in, never cleared, while the mm lives;
/// a folded p4d or pud is that same entry), and a pud, pmd or pte entry while
/// the lock that covers it is held (`pud_lock()`, `pmd_lock()`, the PTE lock of
/// `pte_offset_map_lock()`). Any other entry is read once with an accessor
/// (`p4dp_get()`, `pudp_get()`, `pmdp_get_lockless()`, `ptep_get()`), and the
/// walk works on that copy. See docs/walkers.md, "Plain reads and writes
/// through an entry pointer", and contract C34.
public struct DataRace: Sendable, Hashable, Codable, CustomStringConvertible {
  /// The entry that was read.
  public var pointer: EntryPointer
  /// The level of the table the entry lives in.
  public var level: PageLevel
  /// The lock that would have made the read legitimate; `nil` where none
  /// does (a p4d entry below a real pgd).
  public var lock: LockID?

  public init(pointer: EntryPointer, level: PageLevel, lock: LockID?) {
    self.pointer = pointer
    self.level = level
    self.lock = lock
  }

  /// The accessor that reads the entry once, as the kernel does.
  public var accessor: String {
    switch level {
    case .pgd: "pgdp_get()"
    case .p4d: "p4dp_get()"
    case .pud: "pudp_get()"
    case .pmd: "pmdp_get_lockless()"
    case .pte: "ptep_get()"
    }
  }

  /// The call that takes the entry's lock.
  public var locking: String? {
    switch level {
    case .pud: "pud_lock()"
    case .pmd: "pmd_lock()"
    case .pte: "pte_offset_map_lock()"
    case .pgd, .p4d: nil
    }
  }

  /// In KCSAN's words, and what to do instead (the same for every entry of a level).
  public var description: String {
    let without = locking.map { "without its lock (\($0))" } ?? "that no lock keeps stable"
    return "data race: plain read of a \(level) entry \(without); read it once with \(accessor)"
  }
}

extension World {
  /// What a plain read of the entry at `pointer` is with the locks the walker
  /// holds now: `nil` when it is legitimate (or `pointer` is no entry), else
  /// the data race.
  public func dataRace(ofPlainReadAt pointer: EntryPointer) -> DataRace? {
    // The table the entry lives in, not the level it was handed out at: a
    // folded p4d or pud pointer is the pgd entry itself.
    guard let level = level(of: pointer) else { return nil }
    switch level {
    case .pgd: return nil
    case .p4d: return DataRace(pointer: pointer, level: .p4d, lock: nil)
    case .pud, .pmd, .pte:
      let lock = lockProtecting(pointer, level)
      return heldLocks.contains(lock) ? nil : DataRace(pointer: pointer, level: level, lock: lock)
    }
  }
}
