/// loongarch64: the default 16 KiB-page 3-level layout (47-bit VA) or the 4 KiB
/// 4-level one (48-bit VA).
///
/// Two things set loongarch apart (facts file §5, [L1]–[L4]):
/// - an empty entry is not zero: it holds the kernel virtual address of
///   `invalid_pud_table`/`invalid_pmd_table`/`invalid_pte_table`, shared tables
///   full of empty entries, and a table entry holds the next table's *virtual*
///   address (`pmd_page_vaddr()` is the value itself);
/// - `pmd_leaf()`/`pud_leaf()` are `_PAGE_HUGE` (bit 6, GLOBAL on a pte) with no
///   present test, and `__swp_entry_to_pmd()` sets `_PAGE_HUGE`, so a PMD
///   migration entry is a "leaf" that `pmd_present()` denies.
/// Also: `pmd_bad()` is "a bit below PAGE_SHIFT is set" (a huge leaf is bad),
/// `pmd_pfn()` is not aligned to the PMD, there is no `pXd_pgprot()` (pgprot is
/// the generic 0) and no `pmd_special()`/`pud_special()`; huge pfnmap is not
/// selected and PMD locks are never split.
public struct LoongArch64: Architecture {
  public let granuleShift: Int
  let layout: LevelLayout

  /// `pageShift` 14 gives the 16KB_3LEVEL default, 12 the 4KB_4LEVEL layout.
  public init(granuleShift: Int) {
    precondition(granuleShift == 14 || granuleShift == 12, "only 16K 3-level and 4K 4-level are modelled")
    self.granuleShift = granuleShift
    let perPage = 1 << (granuleShift - 3)
    let bits = granuleShift - 3
    var hardware: [(PageLevel, shift: Int, entries: Int)] = []
    if granuleShift == 14 {
      hardware = [(.pgd, granuleShift + 2 * bits, perPage), (.pmd, granuleShift + bits, perPage)]
    } else {
      hardware = [
        (.pgd, granuleShift + 3 * bits, perPage), (.pud, granuleShift + 2 * bits, perPage),
        (.pmd, granuleShift + bits, perPage),
      ]
    }
    hardware.append((.pte, granuleShift, perPage))
    layout = LevelLayout(pageShift: granuleShift, hardware: hardware)
  }

  public var name: String { granuleShift == 14 ? "loongarch64-16k" : "loongarch64-4k" }
  public var summary: String {
    granuleShift == 14
      ? "loongarch64, 16 KiB pages, 3 levels, 47-bit VA (the 64-bit default)"
      : "loongarch64, 4 KiB pages, 4 levels, 48-bit VA"
  }

  var vaBits: Int { granuleShift == 14 ? 47 : 48 }

  // MARK: Bits (facts file §5, [L2])
  static let valid: UInt64 = 1 << 0
  static let dirty: UInt64 = 1 << 1
  /// PLV 3.
  static let user: UInt64 = 3 << 2
  /// Coherent cached (`_CACHE_CC`); strongly-ordered uncached is 0.
  static let cacheCoherent: UInt64 = 1 << 4
  /// GLOBAL on a pte, `_PAGE_HUGE` on a pmd or pud.
  static let huge: UInt64 = 1 << 6
  static let present: UInt64 = 1 << 7
  static let write: UInt64 = 1 << 8
  static let modified: UInt64 = 1 << 9
  static let protnone: UInt64 = 1 << 10
  static let special: UInt64 = 1 << 11
  static let presentInvalid: UInt64 = 1 << 60
  static let noRead: UInt64 = 1 << 61
  static let noExec: UInt64 = 1 << 62
  /// The cached direct-mapped window a kernel virtual address lives in
  /// (0x9000_0000_0000_0000; derived, unconfirmed).
  static let directMapBase: UInt64 = 0x9000_0000_0000_0000
  /// Physical page number of each shared invalid table, below the frames a
  /// world allocates (the kernel image's place; any page works).
  static let invalidTablePFN: [PageLevel: UInt64] = [.pud: 0x102, .pmd: 0x101, .pte: 0x100]

  /// `_PFN_MASK`: bits [PAGE_SHIFT, 48).
  var pfnMask: UInt64 { ((1 << 48) - 1) & ~(pageSize - 1) }

  // MARK: Geometry
  public var pageShift: Int { granuleShift }
  public func shift(_ level: PageLevel) -> Int { layout.shift(level) }
  public func entriesPerTable(_ level: PageLevel) -> Int { layout.entries(level) }
  public func isFolded(_ level: PageLevel) -> Bool { layout.isFolded(level) }
  /// `TASK_SIZE64` = 2^VA_BITS for the layout (derived, unconfirmed).
  public var userAddressLimit: UInt64 { 1 << UInt64(vaBits) }

  public func capabilities(_ release: KernelRelease) -> Capabilities {
    // Neither HUGE_PFNMAP nor ARCH_ENABLE_SPLIT_PMD_PTLOCK is selected [L3].
    Capabilities(pmdPfnmap: false, pudPfnmap: false, pteSpecial: true, splitPMDLocks: false)
  }

  /// The kernel virtual address of the invalid table holding `level` entries.
  func invalidTable(_ level: PageLevel) -> UInt64 {
    Self.directMapBase | Self.invalidTablePFN[level]! << UInt64(granuleShift)
  }

  // MARK: Helpers

  /// `pXd_bad()`: any bit below PAGE_SHIFT.
  func hasLowBits(_ entry: UInt64) -> Bool { entry & (pageSize - 1) != 0 }

  public func isNone(_ entry: UInt64, _ level: PageLevel) -> Bool {
    guard isEntryLevel(level) else { return false }
    switch level {
    case .pte: return entry & ~Self.huge == 0  // !(val & ~_PAGE_GLOBAL)
    case .pmd: return entry == invalidTable(.pte)
    case .pud: return entry == invalidTable(.pmd)
    case .p4d, .pgd: return entry == invalidTable(.pud)
    }
  }

  public func isPresent(_ entry: UInt64, _ level: PageLevel) -> Bool {
    guard isEntryLevel(level) else { return true }
    switch level {
    case .pte: return entry & (Self.present | Self.protnone) != 0
    case .pmd:
      if entry & Self.huge != 0 { return entry & (Self.present | Self.protnone | Self.presentInvalid) != 0 }
      return entry != invalidTable(.pte)
    case .pud: return entry != invalidTable(.pmd)
    case .p4d, .pgd: return entry != invalidTable(.pud)
    }
  }

  public func isLeaf(_ entry: UInt64, _ level: PageLevel) -> Bool {
    guard isEntryLevel(level) else { return false }
    switch level {
    case .pte: return true
    case .pmd, .pud: return entry & Self.huge != 0  // no present test
    case .p4d, .pgd: return false
    }
  }

  public func isBad(_ entry: UInt64, _ level: PageLevel) -> Bool {
    guard isEntryLevel(level), level != .pte else { return false }
    return hasLowBits(entry)
  }

  public func isTransHuge(_ entry: UInt64, _ level: PageLevel) -> Bool {
    level == .pmd && entry & Self.huge != 0 && isPresent(entry, .pmd)
  }

  /// `(val & _PFN_MASK) >> PFN_PTE_SHIFT` at every level: not aligned to the
  /// PMD, and with 4 KiB pages HGLOBAL (bit 12) falls inside it.
  public func pfn(_ entry: UInt64, _ level: PageLevel) -> UInt64 { (entry & pfnMask) >> UInt64(pageShift) }

  public func isWrite(_ entry: UInt64, _ level: PageLevel) -> Bool { entry & Self.write != 0 }

  public func isSpecial(_ entry: UInt64, _ level: PageLevel) -> Bool {
    level == .pte && entry & Self.special != 0
  }

  public func pgprot(_ entry: UInt64, _ level: PageLevel) -> UInt64 { 0 }

  /// A table entry holds a direct-mapped virtual address; its physical address
  /// drops the window bits.
  public func tableAddress(_ entry: UInt64, _ level: PageLevel) -> UInt64 { entry & pfnMask }

  // MARK: Encoders

  public func emptyEntry(_ level: PageLevel) -> UInt64 {
    switch entryLevel(of: level) {
    case .pte: 0
    case .pmd: invalidTable(.pte)
    case .pud: invalidTable(.pmd)
    case .p4d, .pgd: invalidTable(.pud)
    }
  }

  public func makeTable(_ table: UInt64, _ level: PageLevel) -> UInt64 { Self.directMapBase | (table & pfnMask) }

  public func makeLeaf(_ leaf: LeafProperties, _ level: PageLevel) -> UInt64? {
    guard level == .pte || level == .pmd else { return nil }
    var value = ((leaf.pfn << UInt64(pageShift)) & pfnMask) | Self.valid | Self.present | Self.user
    if level == .pmd { value |= Self.huge }
    if !leaf.uncached { value |= Self.cacheCoherent }
    if leaf.writable { value |= Self.write }
    if leaf.dirty { value |= Self.modified | (leaf.writable ? Self.dirty : 0) }
    if leaf.special { value |= Self.special }
    if !leaf.executable { value |= Self.noExec }
    return value
  }

  public func makeNonLeaf(_ state: EntryState, _ level: PageLevel, pfn: UInt64) -> UInt64? {
    switch state {
    case .none:
      return emptyEntry(level)
    case .swap:
      // bits 0..15 clear (PRESENT and PROTNONE among them), type from bit 16,
      // offset from bit 24; __swp_entry_to_pmd() ORs in _PAGE_HUGE.
      guard level == .pmd || level == .pte else { return nil }
      return (pfn << 24) | (1 << 16) | (level == .pmd ? Self.huge : 0)
    case .protnone:
      // PAGE_NONE = PROTNONE|NO_READ|USER|CACHE_CC; huge at pmd.
      guard level == .pmd || level == .pte else { return nil }
      let value = ((pfn << UInt64(pageShift)) & pfnMask) | Self.protnone | Self.noRead | Self.user | Self.cacheCoherent
      return level == .pmd ? value | Self.huge : value
    case .bad:
      // A table's virtual address with a low bit (DIRTY) set; not HUGE.
      guard isEntryLevel(level), level != .pte else { return nil }
      return Self.directMapBase | ((pfn << UInt64(pageShift)) & pfnMask) | Self.dirty
    }
  }
}
