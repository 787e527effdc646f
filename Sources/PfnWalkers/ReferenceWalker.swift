import PfnModel

/// The contract as documented, written the way mm/memory.c walks since the
/// PMD/PUD present-check fix (ffef67b93aa3), with the 6.15 `addr_mask` output.
///
/// Every mutant is this walker with exactly one ``Mutation`` switched on: the
/// places where a mutation changes behaviour are marked `mutated(.x)`, so each
/// mutant differs from the reference by one deliberate defect and nothing else.
public struct ReferenceWalker: Walker {
  /// One deliberate defect.
  public enum Mutation: String, Sendable, CaseIterable, Codable {
    /// A failure path after the PTE lock was taken returns without unlocking.
    case leakLockOnFailure = "leak-lock-on-failure"
    /// The pfn of a huge leaf is its first pfn, whatever the address inside it.
    case ignoreHugeOffset = "ignore-huge-offset"
    /// No VM_IO/VM_PFNMAP check: any VMA is walked.
    case dropFlagCheck = "drop-flag-check"
    /// `vm_end` is taken as the last byte of the VMA instead of one past it.
    case inclusiveEnd = "inclusive-end"
    /// The lockdep check dereferences `vma->vm_file` even when it is NULL (the
    /// 6.12-rc bug fixed before release).
    case derefNullFile = "deref-null-file"
    /// The caller's locking precondition is never asserted.
    case skipLockdepAssert = "skip-lockdep-assert"
    /// The assertion demands `mmap_lock` even where `i_mmap_rwsem` suffices.
    case assertMmapLockOnly = "assert-mmap-lock-only"
    /// `pud_leaf()`/`pmd_leaf()` are trusted without asking `pXd_present()` first.
    case leafBeforePresent = "leaf-before-present"
    /// end() drops the PTE lock but never unmaps the PTE table.
    case endSkipsUnmap = "end-skips-unmap"
    /// `special` is taken from the VMA (VM_PFNMAP) rather than from the entry.
    case specialFromVMA = "special-from-vma"
    /// The walker marks the leaf accessed by writing the entry.
    case writesEntry = "writes-entry"
    /// `writable` is taken from the VMA (VM_WRITE) rather than from the entry.
    case writableFromVMA = "writable-from-vma"
    /// A huge leaf is reported as read before its lock was taken; never re-read.
    case staleHugeEntry = "stale-huge-entry"
    /// A PMD leaf is protected with the PUD lock (`mm->page_table_lock`).
    case wrongLevelLock = "wrong-level-lock"
    /// The lock is dropped before start() returns success.
    case unlockBeforeSuccess = "unlock-before-success"
    /// When a huge entry stopped being a leaf, the walker locks it again and
    /// again instead of walking down from the top: it spins once a split happened.
    case retryWithoutRewalk = "retry-without-rewalk"
    /// The page, PMD and PUD shifts are x86_64's 12/21/30 instead of the host's
    /// `PAGE_SHIFT`/`PMD_SHIFT`/`PUD_SHIFT`: right wherever those happen to agree.
    case x86Shifts = "x86-shifts"
    /// The walker claims the relaxed profile but still refuses VMAs without
    /// VM_IO or VM_PFNMAP: it says one thing and does the other.
    case relaxedClaimKeepsFlagCheck = "relaxed-claim-keeps-flag-check"
    /// The pmd entry is read plainly, as a C walker's `pmd_t pmd = *pmdp` does:
    /// no accessor and no lock, so no scheduling point and a data race.
    case plainReadPMD = "plain-read-pmd"

    var summary: String {
      switch self {
      case .leakLockOnFailure: "returns -EINVAL for a non-present pte with the PTE lock still held"
      case .ignoreHugeOffset: "reports the first pfn of a huge leaf for every address inside it"
      case .dropFlagCheck: "accepts VMAs that have neither VM_IO nor VM_PFNMAP"
      case .inclusiveEnd: "accepts address == vm_end"
      case .derefNullFile: "dereferences vma->vm_file for a VMA without a backing file"
      case .skipLockdepAssert: "never asserts that the caller holds mmap_lock or i_mmap_rwsem"
      case .assertMmapLockOnly: "asserts mmap_lock even for a file mapping whose i_mmap_rwsem is held"
      case .leafBeforePresent: "asks pXd_leaf() before pXd_present() at PUD and PMD level"
      case .endSkipsUnmap: "end() unlocks the PTE lock but leaves the PTE table mapped"
      case .specialFromVMA: "reports special from VM_PFNMAP instead of the entry's special bit"
      case .writesEntry: "sets the accessed bit of the leaf it reports"
      case .writableFromVMA: "reports writable from VM_WRITE instead of the entry's write bit"
      case .staleHugeEntry: "reports a huge leaf read before taking its lock without reading it again"
      case .wrongLevelLock: "takes the PUD lock to protect a PMD leaf"
      case .unlockBeforeSuccess: "drops the lock before start() returns success"
      case .retryWithoutRewalk: "retries a huge entry that became a table without walking again, forever"
      case .x86Shifts: "computes masks and pfn offsets with x86_64's 4-level shifts (12, 21, 30)"
      case .relaxedClaimKeepsFlagCheck: "claims the relaxed profile yet refuses VMAs without VM_IO or VM_PFNMAP"
      case .plainReadPMD: "reads the pmd entry plainly (*pmdp) instead of with pmdp_get_lockless()"
      }
    }
  }

  public let mutation: Mutation?
  public let descriptor: WalkerDescriptor

  public init(mutation: Mutation? = nil) {
    self.mutation = mutation
    if let mutation {
      descriptor = WalkerDescriptor(
        name: "mutant:\(mutation.rawValue)", summary: "reference, except that it \(mutation.summary)",
        role: .mutant, apiLevel: .v6_15, profile: mutation == .relaxedClaimKeepsFlagCheck ? .relaxed : .strict)
    } else {
      descriptor = WalkerDescriptor(
        name: "reference",
        summary: "follow_pfnmap_start/end as documented, with the PMD/PUD present-check fix",
        role: .implementation, apiLevel: .v6_15, profile: .strict)
    }
  }

  private func mutated(_ m: Mutation) -> Bool { mutation == m }

  /// What a C walker's plain `*p` is through the kernel shim: the entry's value
  /// without a scheduling point, and the host told of the read.
  private func plainRead(_ entry: EntryPointer, _ level: PageLevel, _ host: any WalkerHost) throws -> UInt64 {
    guard let value = host.peek(entry) else { throw WalkerFault.wildPointer(entry) }
    host.plainRead(entry, level)
    return value
  }

  public func start(_ args: inout FollowPfnmapArgs, host: any WalkerHost) throws -> Int32 {
    let vma = args.vma
    let mm = vma.mm
    let address = args.address
    let failure = -Errno.EINVAL

    try assertCallerLocks(vma, host)

    let end = mutated(.inclusiveEnd) ? vma.end + 1 : vma.end
    guard address >= vma.start, address < end else { return failure }
    if !mutated(.dropFlagCheck) {
      guard !vma.flags.isDisjoint(with: [.io, .pfnmap]) else { return failure }
    }

    while true {
      guard let p4dp = try walkToP4D(mm, address, host) else { return failure }
      let pudp = try host.offset(.pud, below: p4dp, address)
      let pud = try host.read(pudp, .pud)
      switch try huge(.pud, pudp, pud, &args, host) {
      case .reported: return 0
      case .failed: return failure
      case .retry: continue
      case .notLeaf: break
      }

      let pmdp = try host.offset(.pmd, below: pudp, address)
      let pmd = mutated(.plainReadPMD) ? try plainRead(pmdp, .pmd, host) : try host.read(pmdp, .pmd)
      switch try huge(.pmd, pmdp, pmd, &args, host) {
      case .reported: return 0
      case .failed: return failure
      case .retry: continue
      case .notLeaf: break
      }

      guard let (ptep, lock) = try host.pteOffsetMapLock(mm, pmdp, address) else { return failure }
      let pte = try host.read(ptep, .pte)
      guard host.isPresent(pte, .pte) else {
        if !mutated(.leakLockOnFailure) { try host.pteUnmapUnlock(ptep, lock) }
        return failure
      }
      try report(pte, .pte, at: ptep, &args, lock: lock, ptep: ptep, host)
      return 0
    }
  }

  public func end(_ args: inout FollowPfnmapArgs, host: any WalkerHost) throws {
    if let lock = args.lock { try host.spinUnlock(lock) }
    if let ptep = args.ptep, !mutated(.endSkipsUnmap) { try host.pteUnmap(ptep) }
  }

  // MARK: Steps

  /// The debug check of the caller's locks: a file-backed VMA may be protected
  /// by its mapping's `i_mmap_rwsem` instead of `mmap_lock`.
  private func assertCallerLocks(_ vma: VMAView, _ host: any WalkerHost) throws {
    if mutated(.skipLockdepAssert) { return }
    if (vma.file != nil && !mutated(.assertMmapLockOnly)) || mutated(.derefNullFile) {
      let mapping = try host.fileMapping(vma.file)
      host.lockdepAssert(
        host.lockdepIsHeld(.iMmapRwsem(mapping)) || host.lockdepIsHeld(.mmapLock),
        "i_mmap_rwsem or mmap_lock held")
    } else {
      host.lockdepAssert(host.lockdepIsHeld(.mmapLock), "mmap_lock held")
    }
  }

  private enum HugeStep { case reported, failed, retry, notLeaf }

  /// A PUD or PMD entry read locklessly: fail if not present, report it if it is
  /// still a present leaf once its lock is held, retry the walk if it stopped
  /// being a leaf meanwhile.
  private func huge(
    _ level: PageLevel, _ pointer: EntryPointer, _ lockless: UInt64,
    _ args: inout FollowPfnmapArgs, _ host: any WalkerHost
  ) throws -> HugeStep {
    if mutated(.leafBeforePresent) {
      if host.isLeaf(lockless, level) {
        let lock = try lockFor(level, pointer, args.vma.mm, host)
        let entry = try host.read(pointer, level)
        guard host.isLeaf(entry, level) else {
          try host.spinUnlock(lock)
          return .retry
        }
        try report(entry, level, at: pointer, &args, lock: lock, ptep: nil, host)
        return .reported
      }
      return host.isPresent(lockless, level) ? .notLeaf : .failed
    }
    guard host.isPresent(lockless, level) else { return .failed }
    guard host.isLeaf(lockless, level) else { return .notLeaf }
    while true {
      let lock = try lockFor(level, pointer, args.vma.mm, host)
      let entry = mutated(.staleHugeEntry) ? lockless : try host.read(pointer, level)
      guard host.isPresent(entry, level) else {
        try host.spinUnlock(lock)
        return .failed
      }
      guard host.isLeaf(entry, level) else {
        try host.spinUnlock(lock)
        if mutated(.retryWithoutRewalk) { continue }
        return .retry
      }
      try report(entry, level, at: pointer, &args, lock: lock, ptep: nil, host)
      return .reported
    }
  }

  private func lockFor(_ level: PageLevel, _ pointer: EntryPointer, _ mm: MMRef, _ host: any WalkerHost)
    throws -> LockRef
  {
    level == .pud || mutated(.wrongLevelLock) ? try host.pudLock(mm, pointer) : try host.pmdLock(mm, pointer)
  }

  /// Fills the outputs from the leaf and keeps what end() must release.
  /// `PXD_MASK` as 4-level x86_64 has it, for the `x86Shifts` mutant.
  private static func x86Mask(_ level: PageLevel) -> UInt64 {
    let shift: UInt64 = level == .pud ? 30 : level == .pmd ? 21 : 12
    return ~((1 << shift) - 1)
  }

  private func report(
    _ entry: UInt64, _ level: PageLevel, at pointer: EntryPointer, _ args: inout FollowPfnmapArgs,
    lock: LockRef, ptep: EntryPointer?, _ host: any WalkerHost
  ) throws {
    let mask = mutated(.x86Shifts) ? Self.x86Mask(level) : host.mask(level)
    let pageShift = mutated(.x86Shifts) ? 12 : host.pageShift
    let offset = mutated(.ignoreHugeOffset) ? 0 : (args.address & ~mask) >> UInt64(pageShift)
    // Bit 5 is x86's accessed bit; on any architecture it is a write the contract forbids.
    if mutated(.writesEntry) { try host.write(pointer, level, entry | 1 << 5) }
    args.pfn = host.pfn(entry, level) + offset
    args.pgprot = host.pgprot(entry, level)
    args.writable = mutated(.writableFromVMA) ? args.vma.flags.contains(.write) : host.isWrite(entry, level)
    args.special = mutated(.specialFromVMA) ? args.vma.flags.contains(.pfnmap) : host.isSpecial(entry, level)
    args.addrMask = mask
    args.lock = lock
    args.ptep = ptep
    if mutated(.unlockBeforeSuccess) {
      try host.spinUnlock(lock)
      args.lock = nil
    }
  }
}
