import PfnModel

/// The pgd and p4d steps every walker shares: the p4d entry pointer for
/// `address`, or `nil` when either level is empty or bad.
func walkToP4D(_ mm: MMRef, _ address: UInt64, _ host: any WalkerHost) throws -> EntryPointer? {
  let pgdp = try host.pgdOffset(mm, address)
  let pgd = try host.read(pgdp, .pgd)
  if host.isNone(pgd, .pgd) || host.isBad(pgd, .pgd) { return nil }
  let p4dp = try host.offset(.p4d, below: pgdp, address)
  let p4d = try host.read(p4dp, .p4d)
  if host.isNone(p4d, .p4d) || host.isBad(p4d, .p4d) { return nil }
  return p4dp
}

/// `follow_pte()` as it was before the huge pfnmap series (v6.10 to v6.11),
/// seen through the start/end interface: its callers read the pte it returned.
///
/// It knows PTE leaves only: a PUD leaf is `pud_bad()` and a PMD leaf has no
/// PTE table to map, so both fail. Its lock assertion is `mmap_assert_locked()`,
/// which knows nothing of `i_mmap_rwsem`.
public struct FollowPTEWalker: Walker {
  public init() {}

  public let descriptor = WalkerDescriptor(
    name: "follow_pte",
    summary: "the PTE-only lookup the series replaced (v6.10-v6.11), adapted to start/end",
    role: .legacy, apiLevel: .v6_12, profile: .strict)

  public func start(_ args: inout FollowPfnmapArgs, host: any WalkerHost) throws -> Int32 {
    let vma = args.vma
    let address = args.address
    host.lockdepAssert(host.lockdepIsHeld(.mmapLock), "mmap_lock held")
    guard address >= vma.start, address < vma.end else { return -Errno.EINVAL }
    guard !vma.flags.isDisjoint(with: [.io, .pfnmap]) else { return -Errno.EINVAL }

    guard let p4dp = try walkToP4D(vma.mm, address, host) else { return -Errno.EINVAL }
    let pudp = try host.offset(.pud, below: p4dp, address)
    let pud = try host.read(pudp, .pud)
    if host.isNone(pud, .pud) || host.isBad(pud, .pud) { return -Errno.EINVAL }
    let pmdp = try host.offset(.pmd, below: pudp, address)
    guard let (ptep, lock) = try host.pteOffsetMapLock(vma.mm, pmdp, address) else { return -Errno.EINVAL }
    let pte = try host.read(ptep, .pte)
    guard host.isPresent(pte, .pte) else {
      try host.pteUnmapUnlock(ptep, lock)
      return -Errno.EINVAL
    }
    args.pfn = host.pfn(pte, .pte)
    args.pgprot = host.pgprot(pte, .pte)
    args.writable = host.isWrite(pte, .pte)
    args.special = host.isSpecial(pte, .pte)
    args.lock = lock
    args.ptep = ptep
    return 0
  }

  public func end(_ args: inout FollowPfnmapArgs, host: any WalkerHost) throws {
    if let lock = args.lock, let ptep = args.ptep { try host.pteUnmapUnlock(ptep, lock) }
  }
}

/// follow_pfnmap_start() as merged for v6.12, before ffef67b93aa3.
///
/// At PUD level it tests `pud_none()` rather than `pud_present()`, at PMD level
/// nothing before `pmd_leaf()`, and its check after taking the lock looks at the
/// copy it read before locking, so a huge entry is never read again.
public struct Mainline612Walker: Walker {
  public init() {}

  public let descriptor = WalkerDescriptor(
    name: "mainline-6.12",
    summary: "follow_pfnmap_start/end as merged for v6.12, before the PMD/PUD present-check fix",
    role: .legacy, apiLevel: .v6_12, profile: .strict)

  public func start(_ args: inout FollowPfnmapArgs, host: any WalkerHost) throws -> Int32 {
    let vma = args.vma
    let address = args.address
    if let file = vma.file {
      let mapping = try host.fileMapping(file)
      host.lockdepAssert(
        host.lockdepIsHeld(.iMmapRwsem(mapping)) || host.lockdepIsHeld(.mmapLock),
        "i_mmap_rwsem or mmap_lock held")
    } else {
      host.lockdepAssert(host.lockdepIsHeld(.mmapLock), "mmap_lock held")
    }
    guard address >= vma.start, address < vma.end else { return -Errno.EINVAL }
    guard !vma.flags.isDisjoint(with: [.io, .pfnmap]) else { return -Errno.EINVAL }

    guard let p4dp = try walkToP4D(vma.mm, address, host) else { return -Errno.EINVAL }
    let pudp = try host.offset(.pud, below: p4dp, address)
    let pud = try host.read(pudp, .pud)
    if host.isNone(pud, .pud) { return -Errno.EINVAL }
    if host.isLeaf(pud, .pud) {
      let lock = try host.pudLock(vma.mm, pudp)
      // The stale copy is tested again: this check cannot fail.
      fill(&args, pud, .pud, lock: lock, ptep: nil, host)
      return 0
    }
    let pmdp = try host.offset(.pmd, below: pudp, address)
    let pmd = try host.read(pmdp, .pmd)
    if host.isLeaf(pmd, .pmd) {
      let lock = try host.pmdLock(vma.mm, pmdp)
      fill(&args, pmd, .pmd, lock: lock, ptep: nil, host)
      return 0
    }
    guard let (ptep, lock) = try host.pteOffsetMapLock(vma.mm, pmdp, address) else { return -Errno.EINVAL }
    let pte = try host.read(ptep, .pte)
    guard host.isPresent(pte, .pte) else {
      try host.pteUnmapUnlock(ptep, lock)
      return -Errno.EINVAL
    }
    fill(&args, pte, .pte, lock: lock, ptep: ptep, host)
    return 0
  }

  private func fill(
    _ args: inout FollowPfnmapArgs, _ entry: UInt64, _ level: PageLevel, lock: LockRef,
    ptep: EntryPointer?, _ host: any WalkerHost
  ) {
    let mask = host.mask(level)
    args.pfn = host.pfn(entry, level) + ((args.address & ~mask) >> UInt64(host.pageShift))
    args.pgprot = host.pgprot(entry, level)
    args.writable = host.isWrite(entry, level)
    args.special = host.isSpecial(entry, level)
    args.lock = lock
    args.ptep = ptep
  }

  public func end(_ args: inout FollowPfnmapArgs, host: any WalkerHost) throws {
    if let lock = args.lock { try host.spinUnlock(lock) }
    if let ptep = args.ptep { try host.pteUnmap(ptep) }
  }
}

/// The built-in walkers, by name.
public enum BuiltinWalkers {
  /// The reference, the legacy functions, every mutant, then the other profiles.
  public static let all: [any Walker] =
    [ReferenceWalker(), FollowPTEWalker(), Mainline612Walker()]
    + ReferenceWalker.Mutation.allCases.map { ReferenceWalker(mutation: $0) }
    + [RelaxedWalker()]

  public static func named(_ name: String) -> (any Walker)? {
    all.first { $0.descriptor.name == name }
  }

  /// Every mutant.
  public static var mutants: [any Walker] { all.filter { $0.descriptor.role == .mutant } }
}
