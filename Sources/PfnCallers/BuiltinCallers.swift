import PfnModel
import PfnWalkers

/// A KVM-like caller (hva_to_pfn_remapped() and the fault path around it):
/// reads the invalidation sequence, looks the pfn up, ends the lookup, then
/// installs a secondary-MMU entry under its own `mmu_lock` only if no
/// invalidation started or finished since the sequence read; its notifier
/// zaps the entries of a range and bumps the sequence. A use after end(), made
/// safe by synchronisation: the `synchronized` profile's first pattern (C11).
public struct KVMLikeCaller: Caller {
  public enum Mutation: String, Sendable, CaseIterable {
    /// Installs the entry without checking the sequence.
    case noRetry = "kvm-no-retry"
    /// The notifier bumps the sequence but leaves the entries in place.
    case notifierKeepsMap = "kvm-notifier-keeps-map"
    /// Claims the strict profile for code that only synchronises.
    case claimsStrict = "kvm-claims-strict"
    /// Allocates with GFP_KERNEL between start() and end().
    case sleepsInWindow = "kvm-sleeps-in-window"
    /// Takes a page reference whatever `special` says (CVE-2021-22543).
    case getPageAlways = "kvm-get-page-special"
    /// When a lookup fails, looks again at once instead of asking
    /// fixup_user_fault(), so a zapped address makes it spin for ever.
    case retryForever = "kvm-retry-forever"
  }

  public let mutation: Mutation?

  public init(mutation: Mutation? = nil) { self.mutation = mutation }

  public var descriptor: CallerDescriptor {
    guard let mutation else {
      return CallerDescriptor(
        name: "kvm-like",
        summary: "secondary-MMU map after end(), with an mmu notifier and an invalidation-sequence retry",
        role: .implementation, profile: .synchronized)
    }
    return CallerDescriptor(
      name: "mutant:" + mutation.rawValue, summary: "kvm-like with a defect: \(mutation.rawValue)", role: .mutant,
      profile: mutation == .claimsStrict ? .strict : .synchronized)
  }

  /// KVM's `mmu_lock`, `mmu_invalidate_seq` and `mmu_invalidate_in_progress`.
  final class SecondaryMMU: MMUNotifier {
    let lock = CallerSpinlock(id: 1)
    var sequence: UInt64 = 0
    var inProgress = 0
    /// gfn -> user address of each installed entry.
    var entries: [UInt64: UInt64] = [:]
    let zapsEntries: Bool

    init(zapsEntries: Bool) { self.zapsEntries = zapsEntries }

    func invalidateRangeStart(_ range: InvalidationRange, host: any CallerHost) throws {
      try host.spinLock(lock)
      inProgress += 1
      if zapsEntries {
        for (gfn, address) in entries.sorted(by: { $0.key < $1.key }) where range.contains(address) {
          try host.unmap(.secondaryMMU, key: gfn)
          entries[gfn] = nil
        }
      }
      try host.spinUnlock(lock)
    }

    func invalidateRangeEnd(_ range: InvalidationRange, host: any CallerHost) throws {
      try host.spinLock(lock)
      sequence &+= 1
      inProgress -= 1
      try host.spinUnlock(lock)
    }
  }

  public func run(_ request: CallerRequest, host: any CallerHost) throws -> Int32 {
    let mmu = SecondaryMMU(zapsEntries: mutation != .notifierKeepsMap)
    _ = try host.registerNotifier(mmu)
    let gfn = request.address >> UInt64(host.pageShift)
    while true {
      let sequence = mmu.sequence
      var args = FollowPfnmapArgs(vma: request.vma, address: request.address)
      if try host.followPfnmapStart(&args) != 0 {
        if mutation == .retryForever { continue }
        // Not mapped (yet): fault it in outside any window, then look again.
        if try host.fixupUserFault(request.address, write: request.write) != 0 { return -Errno.EFAULT }
        continue
      }
      if mutation == .sleepsInWindow { try host.mightSleep("kmalloc(GFP_KERNEL)") }
      let pfn = args.pfn
      let writable = args.writable
      let special = args.special
      try host.followPfnmapEnd(&args)
      if request.write && !writable {
        if try host.fixupUserFault(request.address, write: true) != 0 { return -Errno.EFAULT }
        continue
      }
      if !special || mutation == .getPageAlways { try host.getPage(pfn: pfn) }
      try host.spinLock(mmu.lock)
      let moved = mmu.inProgress > 0 || mmu.sequence != sequence
      if moved && mutation != .noRetry {
        try host.spinUnlock(mmu.lock)
        if !special || mutation == .getPageAlways { try host.putPage(pfn: pfn) }
        continue
      }
      try host.map(.secondaryMMU, key: gfn, pfn: pfn, pages: 1, writable: writable && request.write)
      mmu.entries[gfn] = request.address
      try host.spinUnlock(mmu.lock)
      if !special || mutation == .getPageAlways { try host.putPage(pfn: pfn) }
      return 0
    }
  }
}

/// A generic_access_phys()-like caller: looks up pfn, pgprot and writable,
/// ends the lookup, maps the I/O memory (which may sleep), then looks up
/// again and accesses the memory inside the second window only if the second
/// lookup says the same; otherwise it starts over (C11's second pattern, C28).
public struct AccessPhysLikeCaller: Caller {
  public enum Mutation: String, Sendable, CaseIterable {
    /// Compares only the pfn, so a write goes through a mapping made read-only.
    case comparePFNOnly = "gap-compare-pfn-only"
    /// Ends the second lookup before the access.
    case accessAfterEnd = "gap-access-after-end"
    /// Ends the first lookup a second time on the retry path.
    case doubleEnd = "gap-double-end"
    /// Calls ioremap_prot(), which may sleep, inside the first window.
    case ioremapInWindow = "gap-ioremap-in-window"
  }

  public let mutation: Mutation?

  public init(mutation: Mutation? = nil) { self.mutation = mutation }

  public var descriptor: CallerDescriptor {
    guard let mutation else {
      return CallerDescriptor(
        name: "gap-like", summary: "generic_access_phys: a second lookup that compares, the access inside its window",
        role: .implementation, profile: .strict)
    }
    return CallerDescriptor(
      name: "mutant:" + mutation.rawValue, summary: "gap-like with a defect: \(mutation.rawValue)", role: .mutant,
      profile: .strict)
  }

  public func run(_ request: CallerRequest, host: any CallerHost) throws -> Int32 {
    var retried = false
    while true {
      var first = FollowPfnmapArgs(vma: request.vma, address: request.address)
      if try host.followPfnmapStart(&first) != 0 { return -Errno.EINVAL }
      if request.write && !first.writable {
        try host.followPfnmapEnd(&first)
        return -Errno.EINVAL
      }
      let (pfn, pgprot, writable) = (first.pfn, first.pgprot, first.writable)
      if mutation == .ioremapInWindow { try host.mightSleep("ioremap_prot()") }
      try host.followPfnmapEnd(&first)
      if mutation == .doubleEnd && retried { try host.followPfnmapEnd(&first) }
      if mutation != .ioremapInWindow { try host.mightSleep("ioremap_prot()") }

      var second = FollowPfnmapArgs(vma: request.vma, address: request.address)
      if try host.followPfnmapStart(&second) != 0 { return -Errno.EINVAL }
      let same =
        mutation == .comparePFNOnly
        ? second.pfn == pfn : second.pfn == pfn && second.pgprot == pgprot && second.writable == writable
      if !same {
        try host.followPfnmapEnd(&second)
        retried = true
        continue
      }
      if mutation == .accessAfterEnd {
        try host.followPfnmapEnd(&second)
        try host.access(pfn: pfn, write: request.write)
      } else {
        try host.access(pfn: pfn, write: request.write)
        try host.followPfnmapEnd(&second)
      }
      try host.mightSleep("iounmap()")
      return 0
    }
  }
}

/// An x86 PAT-like caller: reads the pfn and pgprot of a VMA's first page
/// inside the window and uses them only as numbers (to look up the memory
/// type). No use of memory, so it is safe under either profile.
public struct PATLikeCaller: Caller {
  /// Returns early without end() when the entry is special.
  public let missesEndWhenSpecial: Bool

  public init(missesEndWhenSpecial: Bool = false) { self.missesEndWhenSpecial = missesEndWhenSpecial }

  public var descriptor: CallerDescriptor {
    missesEndWhenSpecial
      ? CallerDescriptor(
        name: "mutant:pat-no-end-on-special", summary: "pat-like that leaves a window open on one path",
        role: .mutant, profile: .strict)
      : CallerDescriptor(
        name: "pat-like", summary: "x86 PAT: pfn and pgprot read inside the window, used only as numbers",
        role: .implementation, profile: .strict)
  }

  public func run(_ request: CallerRequest, host: any CallerHost) throws -> Int32 {
    var args = FollowPfnmapArgs(vma: request.vma, address: request.vma.start)
    if try host.followPfnmapStart(&args) != 0 { return -Errno.EINVAL }
    if missesEndWhenSpecial && args.special { return 0 }
    try host.followPfnmapEnd(&args)
    return 0
  }
}

/// Shapes the review thread and the kernel's history show to be unsafe; each
/// must fail the rule named in its summary.
public struct UnsafeCaller: Caller {
  public enum Shape: String, Sendable, CaseIterable {
    /// VFIO type1's DMA map before it had a notifier: the pfn goes into the
    /// IOMMU after end(), and nothing takes it out when the BAR is revoked.
    case vfioLike = "vfio-like"
    /// ACRN's ram map: the pfn goes into a device table after end(), no notifier.
    case acrnLike = "acrn-like"
    /// "It is a PFN so it is safe": end() at once, then access the memory.
    case endThenUse = "end-then-use"
    /// Takes a page reference on the result (CVE-2021-22543).
    case getPage = "get-page"
    /// Takes a mutex between start() and end().
    case sleeper = "sleeper"
  }

  public let shape: Shape

  public init(_ shape: Shape) { self.shape = shape }

  public var descriptor: CallerDescriptor {
    let summary: String
    switch shape {
    case .vfioLike: summary = "IOMMU map after end() with no notifier: the device keeps a revoked pfn (CL-002)"
    case .acrnLike: summary = "device-table map after end() with no notifier (CL-002)"
    case .endThenUse: summary = "end() at once, then access the pfn (CL-001)"
    case .getPage: summary = "get_page() on a pfnmap result, the CVE-2021-22543 shape (CL-003)"
    case .sleeper: summary = "mutex_lock() between start() and end() (CL-004)"
    }
    return CallerDescriptor(name: shape.rawValue, summary: summary, role: .legacy, profile: .synchronized)
  }

  public func run(_ request: CallerRequest, host: any CallerHost) throws -> Int32 {
    var args = FollowPfnmapArgs(vma: request.vma, address: request.address)
    if try host.followPfnmapStart(&args) != 0 { return -Errno.EFAULT }
    if shape == .sleeper { try host.mightSleep("mutex_lock()") }
    let (pfn, writable) = (args.pfn, args.writable)
    if shape == .getPage { try host.getPage(pfn: pfn) }
    try host.followPfnmapEnd(&args)
    switch shape {
    case .vfioLike:
      try host.map(.iommu, key: 0x10_0000, pfn: pfn, pages: 1, writable: writable)
    case .acrnLike:
      try host.map(.deviceTable, key: request.address >> UInt64(host.pageShift), pfn: pfn, pages: 1, writable: writable)
    case .endThenUse:
      try host.access(pfn: pfn, write: request.write)
    case .getPage:
      try host.putPage(pfn: pfn)
    case .sleeper:
      break
    }
    return 0
  }
}

/// The callers built into pfnspec.
public enum BuiltinCallers {
  /// Those that keep the contract: what the default run checks.
  public static let implementations: [any Caller] = [KVMLikeCaller(), AccessPhysLikeCaller(), PATLikeCaller()]
  /// Known-unsafe shapes, each failing a named rule.
  public static let legacy: [any Caller] = UnsafeCaller.Shape.allCases.map { UnsafeCaller($0) }
  /// Deliberately broken versions of the implementations.
  public static let mutants: [any Caller] =
    KVMLikeCaller.Mutation.allCases.map { KVMLikeCaller(mutation: $0) }
    + AccessPhysLikeCaller.Mutation.allCases.map { AccessPhysLikeCaller(mutation: $0) }
    + [PATLikeCaller(missesEndWhenSpecial: true)]
  public static var all: [any Caller] { implementations + legacy + mutants }

  public static func named(_ name: String) -> (any Caller)? {
    all.first { $0.descriptor.name == name }
  }
}
