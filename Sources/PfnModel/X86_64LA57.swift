/// x86_64 with 5-level paging (LA57) and 4 KiB pages.
///
/// Everything below the top level is the 4-level model's (``X86_64``): same
/// bits, the same L1TF pfn inversion, the same helper quirks. What LA57 changes
/// (facts file §2, [X2] [X4]) is that the p4d level is real: `PGDIR_SHIFT` is
/// 48 and `PTRS_PER_P4D` 512, and the pgd helpers stop being the run-time fold's
/// constants: `pgd_none()` is "the value is zero" and `pgd_bad()` asks for
/// exactly `_KERNPG_TABLE` flags (USER ignored; PTI's NX exception is not
/// modelled).
public struct X86_64LA57: Architecture {
  let base = X86_64()

  public init() {}

  public var name: String { "x86_64-la57" }
  public var summary: String { "x86_64, 5-level paging (LA57), 4 KiB pages" }

  public var pageShift: Int { 12 }
  public func shift(_ level: PageLevel) -> Int { level == .pgd ? 48 : base.shift(level) }
  public func entriesPerTable(_ level: PageLevel) -> Int { 512 }
  public func isFolded(_ level: PageLevel) -> Bool { false }
  /// `TASK_SIZE_MAX` with 5 levels: 2^56 minus the guard page (derived).
  public var userAddressLimit: UInt64 { (1 << 56) - 4096 }

  public func capabilities(_ release: KernelRelease) -> Capabilities { base.capabilities(release) }

  public func isNone(_ entry: UInt64, _ level: PageLevel) -> Bool {
    level == .pgd ? entry == 0 : base.isNone(entry, level)
  }

  public func isPresent(_ entry: UInt64, _ level: PageLevel) -> Bool {
    level == .pgd ? entry & X86_64.present != 0 : base.isPresent(entry, level)
  }

  public func isLeaf(_ entry: UInt64, _ level: PageLevel) -> Bool { base.isLeaf(entry, level) }

  public func isBad(_ entry: UInt64, _ level: PageLevel) -> Bool {
    guard level == .pgd else { return base.isBad(entry, level) }
    return base.flags(entry, .pgd) & ~X86_64.user != X86_64.kernTable
  }

  public func isTransHuge(_ entry: UInt64, _ level: PageLevel) -> Bool { base.isTransHuge(entry, level) }
  public func pfn(_ entry: UInt64, _ level: PageLevel) -> UInt64 { base.pfn(entry, level) }
  public func isWrite(_ entry: UInt64, _ level: PageLevel) -> Bool { base.isWrite(entry, level) }
  public func isSpecial(_ entry: UInt64, _ level: PageLevel) -> Bool { base.isSpecial(entry, level) }
  public func pgprot(_ entry: UInt64, _ level: PageLevel) -> UInt64 { base.pgprot(entry, level) }
  public func tableAddress(_ entry: UInt64, _ level: PageLevel) -> UInt64 { base.tableAddress(entry, level) }

  public func emptyEntry(_ level: PageLevel) -> UInt64 { 0 }
  public func makeTable(_ table: UInt64, _ level: PageLevel) -> UInt64 { base.makeTable(table, level) }
  public func makeLeaf(_ leaf: LeafProperties, _ level: PageLevel) -> UInt64? { base.makeLeaf(leaf, level) }

  public func makeNonLeaf(_ state: EntryState, _ level: PageLevel, pfn: UInt64) -> UInt64? {
    guard level == .pgd else { return base.makeNonLeaf(state, level, pfn: pfn) }
    switch state {
    case .none: return 0
    // The same wrong-flags table entry the 4-level model builds at p4d.
    case .bad: return (pfn << 12) & X86_64.ptePFNMask | X86_64.present | X86_64.accessed | (1 << 11)
    case .swap, .protnone: return nil
    }
  }
}
