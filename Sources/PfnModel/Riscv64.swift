/// riscv64 in Sv39, Sv48 or Sv57 mode, 4 KiB pages.
///
/// The kernel is built for 5 levels and folds at run time (facts file §4,
/// [R1]): with l5 off the p4d is the pgd entry, with l4 off the pud is too, and
/// a folded level's helpers say "not none, not bad, present". So on Sv39 the top
/// table is judged as pud, and a PUD leaf (1 GiB) lives in it.
///
/// A leaf is any entry with R, W or X; a table entry has V and none of them.
/// Helper quirks kept as the kernel has them:
/// - `pmd_present()` (with THP) is V|G|R|W|X, but `pud_present()` is V only,
///   so a PROT_NONE PUD is not present while a PROT_NONE PMD is;
/// - `pmd_bad()`/`pud_bad()` are "not present, or a leaf".
/// `pXd_pgprot()` and `pmd_special()`/`pud_special()` are those of v6.15+
/// [R2] for every release (before 6.15 pgprot was the generic 0; not modelled).
public struct Riscv64: Architecture {
  /// 39, 48 or 57.
  public let mode: Int
  let layout: LevelLayout

  public init(mode: Int) {
    precondition([39, 48, 57].contains(mode), "riscv64 Sv\(mode) does not exist")
    self.mode = mode
    var hardware: [(PageLevel, shift: Int, entries: Int)] = [(.pgd, mode - 9, 512)]
    if mode == 57 { hardware.append((.p4d, 39, 512)) }
    if mode >= 48 { hardware.append((.pud, 30, 512)) }
    hardware += [(.pmd, 21, 512), (.pte, 12, 512)]
    layout = LevelLayout(pageShift: 12, hardware: hardware)
  }

  public var name: String { "riscv64-sv\(mode)" }
  public var summary: String { "riscv64 Sv\(mode), \(layout.levelCount) levels, 4 KiB pages" }

  // MARK: Bits (facts file §4)
  static let v: UInt64 = 1 << 0
  static let r: UInt64 = 1 << 1
  static let w: UInt64 = 1 << 2
  static let x: UInt64 = 1 << 3
  static let u: UInt64 = 1 << 4
  /// G; `_PAGE_PROT_NONE` when V is clear.
  static let g: UInt64 = 1 << 5
  static let a: UInt64 = 1 << 6
  static let d: UInt64 = 1 << 7
  /// RSW0, `_PAGE_SPECIAL`.
  static let special: UInt64 = 1 << 8
  /// Svpbmt NC (bit 61), for an uncached leaf.
  static let noncached: UInt64 = 1 << 61
  /// `_PAGE_LEAF` = R|W|X.
  static let leafBits: UInt64 = r | w | x
  /// `_PAGE_PFN_MASK` = GENMASK(53, 10); `_PAGE_PFN_SHIFT` = 10.
  static let pfnMask: UInt64 = 0x003F_FFFF_FFFF_FC00
  static let pfnShift: UInt64 = 10

  // MARK: Geometry
  public var pageShift: Int { 12 }
  public func shift(_ level: PageLevel) -> Int { layout.shift(level) }
  public func entriesPerTable(_ level: PageLevel) -> Int { layout.entries(level) }
  public func isFolded(_ level: PageLevel) -> Bool { layout.isFolded(level) }
  /// `TASK_SIZE` = PGDIR_SIZE * PTRS_PER_PGD / 2 (derived, unconfirmed).
  public var userAddressLimit: UInt64 { 1 << UInt64(mode - 1) }

  public func capabilities(_ release: KernelRelease) -> Capabilities {
    // PMD pfnmap from v6.15 (03dc00a2b678, [R2]); PUD pfnmap once PUD THP landed
    // (c3cc2a4a3a23, [R3]): 6.16 is unconfirmed.
    Capabilities(
      pmdPfnmap: release >= .v6_15, pudPfnmap: release >= Self.pudPfnmapRelease, pteSpecial: true,
      splitPMDLocks: true)
  }

  /// The first release with PUD pfnmap on riscv (unconfirmed).
  public static let pudPfnmapRelease = KernelRelease(6, 16)

  // MARK: Helpers

  func hasLeafBits(_ entry: UInt64) -> Bool { entry & Self.leafBits != 0 }

  public func isNone(_ entry: UInt64, _ level: PageLevel) -> Bool {
    isEntryLevel(level) ? entry == 0 : false
  }

  public func isPresent(_ entry: UInt64, _ level: PageLevel) -> Bool {
    guard isEntryLevel(level) else { return true }
    switch level {
    case .pte: return entry & (Self.v | Self.g) != 0
    case .pmd: return entry & (Self.v | Self.g | Self.leafBits) != 0
    case .pud, .p4d, .pgd: return entry & Self.v != 0
    }
  }

  public func isLeaf(_ entry: UInt64, _ level: PageLevel) -> Bool {
    guard isEntryLevel(level) else { return false }
    switch level {
    case .pte: return true
    case .pmd, .pud: return isPresent(entry, level) && hasLeafBits(entry)
    case .p4d, .pgd: return false
    }
  }

  public func isBad(_ entry: UInt64, _ level: PageLevel) -> Bool {
    guard isEntryLevel(level) else { return false }
    switch level {
    case .pte: return false
    case .pmd, .pud: return !isPresent(entry, level) || hasLeafBits(entry)
    case .p4d, .pgd: return entry & Self.v == 0
    }
  }

  public func isTransHuge(_ entry: UInt64, _ level: PageLevel) -> Bool { level == .pmd && isLeaf(entry, .pmd) }

  public func pfn(_ entry: UInt64, _ level: PageLevel) -> UInt64 {
    let physical = ((entry & Self.pfnMask) >> Self.pfnShift) << 12
    return (level == .pte ? physical : physical & mask(level)) >> 12
  }

  public func isWrite(_ entry: UInt64, _ level: PageLevel) -> Bool { entry & Self.w != 0 }

  public func isSpecial(_ entry: UInt64, _ level: PageLevel) -> Bool {
    switch level {
    case .pte, .pmd, .pud: entry & Self.special != 0
    case .p4d, .pgd: false
    }
  }

  public func pgprot(_ entry: UInt64, _ level: PageLevel) -> UInt64 {
    // val ^ pfn_pte(pfn, 0)
    entry ^ ((pfn(entry, level) << Self.pfnShift) & Self.pfnMask)
  }

  public func tableAddress(_ entry: UInt64, _ level: PageLevel) -> UInt64 {
    ((entry & Self.pfnMask) >> Self.pfnShift) << 12
  }

  // MARK: Encoders

  public func emptyEntry(_ level: PageLevel) -> UInt64 { 0 }

  public func makeTable(_ table: UInt64, _ level: PageLevel) -> UInt64 {
    (((table >> 12) << Self.pfnShift) & Self.pfnMask) | Self.v
  }

  public func makeLeaf(_ leaf: LeafProperties, _ level: PageLevel) -> UInt64? {
    guard level >= .pud, isEntryLevel(level) else { return nil }
    var value = ((leaf.pfn << Self.pfnShift) & Self.pfnMask) | Self.v | Self.r | Self.u | Self.a
    if leaf.writable { value |= Self.w }
    if leaf.executable { value |= Self.x }
    if leaf.dirty { value |= Self.d }
    if leaf.special { value |= Self.special }
    if leaf.uncached { value |= Self.noncached }
    return value
  }

  public func makeNonLeaf(_ state: EntryState, _ level: PageLevel, pfn: UInt64) -> UInt64? {
    switch state {
    case .none:
      return 0
    case .swap:
      // V, R, W and G clear; type in bits 7..11, offset from bit 12. The
      // soft-dirty bit 3 (= X, Svrsw60t59b only) is left clear: with it a swap
      // PMD would be pmd_present() and pmd_leaf() (derived, see the vectors).
      guard level == .pmd || level == .pte else { return nil }
      return (pfn << 12) | (1 << 7)
    case .protnone:
      // PAGE_NONE = _PAGE_PROT_NONE | _PAGE_READ (the READ bit is unconfirmed):
      // V clear, G set, so a huge one is still a leaf.
      guard level >= .pud, isEntryLevel(level) else { return nil }
      return ((pfn << Self.pfnShift) & Self.pfnMask) | Self.g | Self.r | Self.u | Self.a
    case .bad:
      // A table pointer with V clear: not present, hence bad.
      guard isEntryLevel(level), level != .pte else { return nil }
      return ((pfn << Self.pfnShift) & Self.pfnMask) | Self.a | Self.d
    }
  }
}
