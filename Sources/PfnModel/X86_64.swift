/// x86_64 with 4-level paging and 4 KiB pages: the kernel's default layout
/// (LA57 off, so the p4d level folds into the pgd at run time).
///
/// Encoding and helper semantics follow `arch/x86/include/asm/pgtable*.h` as
/// summarised in the project's facts file (section "x86_64"): the pfn field of a
/// non-present, non-empty entry is stored inverted (L1TF), `pmd_present()` also
/// accepts PROT_NONE and PSE, `pud_present()` looks at PRESENT only, and
/// `pXd_leaf()` tests PSE with no present check.
public struct X86_64: Architecture {
  public init() {}

  public var name: String { "x86_64" }
  public var summary: String { "x86_64, 4-level paging, 4 KiB pages (p4d folded)" }

  // MARK: Bits
  static let present: UInt64 = 1 << 0
  static let rw: UInt64 = 1 << 1
  static let user: UInt64 = 1 << 2
  static let pwt: UInt64 = 1 << 3
  static let pcd: UInt64 = 1 << 4
  static let accessed: UInt64 = 1 << 5
  static let dirty: UInt64 = 1 << 6
  static let pse: UInt64 = 1 << 7
  /// GLOBAL on a present entry; PROTNONE when PRESENT is clear.
  static let protnone: UInt64 = 1 << 8
  /// SOFTW1, `_PAGE_SPECIAL` on pte, pmd and pud.
  static let special: UInt64 = 1 << 9
  static let nx: UInt64 = 1 << 63
  /// `_KERNPG_TABLE`: what a table entry's flags must be.
  static let kernTable: UInt64 = present | rw | accessed | dirty
  /// `_PAGE_TABLE`: a user page table's entry.
  static let userTable: UInt64 = kernTable | user
  /// `_PAGE_KNL_ERRATUM_MASK`: bits `pXd_none()` ignores.
  static let erratumMask: UInt64 = accessed | dirty
  /// `PTE_PFN_MASK`: physical address bits 12..51.
  static let ptePFNMask: UInt64 = 0x000F_FFFF_FFFF_F000
  static let pmdPFNMask: UInt64 = 0x000F_FFFF_FFE0_0000
  static let pudPFNMask: UInt64 = 0x000F_FFFF_C000_0000

  // MARK: Geometry
  public var pageShift: Int { 12 }

  public func shift(_ level: PageLevel) -> Int {
    switch level {
    case .pte: 12
    case .pmd: 21
    case .pud: 30
    case .p4d, .pgd: 39
    }
  }

  public func entriesPerTable(_ level: PageLevel) -> Int { level == .p4d ? 1 : 512 }
  public func isFolded(_ level: PageLevel) -> Bool { level == .p4d }
  public var userAddressLimit: UInt64 { 0x0000_7FFF_FFFF_F000 }

  public func capabilities(_ release: KernelRelease) -> Capabilities {
    let huge = release >= .v6_12
    return Capabilities(pmdPfnmap: huge, pudPfnmap: huge, pteSpecial: true, splitPMDLocks: true)
  }

  // MARK: Helpers

  /// `protnone_mask()`: the pfn of a non-present, non-empty entry is inverted.
  func inversionMask(_ entry: UInt64) -> UInt64 {
    entry != 0 && entry & Self.present == 0 ? ~0 : 0
  }

  /// `pmd_pfn_mask()` / `pud_pfn_mask()`: the huge mask only when PSE is set.
  func pfnMask(_ entry: UInt64, _ level: PageLevel) -> UInt64 {
    switch level {
    case .pmd where entry & Self.pse != 0: Self.pmdPFNMask
    case .pud where entry & Self.pse != 0: Self.pudPFNMask
    default: Self.ptePFNMask
    }
  }

  /// `pXd_flags()`: everything outside the pfn field.
  func flags(_ entry: UInt64, _ level: PageLevel) -> UInt64 { entry & ~pfnMask(entry, level) }

  public func isNone(_ entry: UInt64, _ level: PageLevel) -> Bool {
    switch level {
    case .pgd: false  // folded at run time with 4 levels
    default: entry & ~Self.erratumMask == 0
    }
  }

  public func isPresent(_ entry: UInt64, _ level: PageLevel) -> Bool {
    let f = flags(entry, level)
    switch level {
    case .pgd: return true
    case .p4d, .pud: return f & Self.present != 0
    case .pmd: return f & (Self.present | Self.protnone | Self.pse) != 0
    case .pte: return f & (Self.present | Self.protnone) != 0
    }
  }

  public func isLeaf(_ entry: UInt64, _ level: PageLevel) -> Bool {
    switch level {
    case .pgd, .p4d: false
    case .pud, .pmd: entry & Self.pse != 0
    case .pte: true
    }
  }

  public func isBad(_ entry: UInt64, _ level: PageLevel) -> Bool {
    let f = flags(entry, level)
    switch level {
    case .pgd: return false
    case .p4d, .pud: return f & ~(Self.kernTable | Self.user) != 0
    case .pmd: return f & ~(Self.user | Self.accessed) != Self.kernTable & ~Self.accessed
    case .pte: return false
    }
  }

  public func isTransHuge(_ entry: UInt64, _ level: PageLevel) -> Bool {
    level == .pmd && entry & Self.pse != 0
  }

  public func pfn(_ entry: UInt64, _ level: PageLevel) -> UInt64 {
    ((entry ^ inversionMask(entry)) & pfnMask(entry, level)) >> 12
  }

  public func isWrite(_ entry: UInt64, _ level: PageLevel) -> Bool { entry & Self.rw != 0 }

  public func isSpecial(_ entry: UInt64, _ level: PageLevel) -> Bool {
    switch level {
    case .pte, .pmd, .pud: flags(entry, level) & Self.special != 0
    case .pgd, .p4d: false
    }
  }

  public func pgprot(_ entry: UInt64, _ level: PageLevel) -> UInt64 { flags(entry, level) }

  public func tableAddress(_ entry: UInt64, _ level: PageLevel) -> UInt64 { entry & Self.ptePFNMask }

  // MARK: Encoders

  public func emptyEntry(_ level: PageLevel) -> UInt64 { 0 }

  public func makeTable(_ table: UInt64, _ level: PageLevel) -> UInt64 {
    (table & Self.ptePFNMask) | Self.userTable
  }

  public func makeLeaf(_ leaf: LeafProperties, _ level: PageLevel) -> UInt64? {
    guard level >= .pud else { return nil }
    var value = (leaf.pfn << 12) & Self.ptePFNMask | Self.present | Self.user | Self.accessed
    if level != .pte { value |= Self.pse }
    if leaf.writable { value |= Self.rw }
    if leaf.special { value |= Self.special }
    if leaf.dirty { value |= Self.dirty }
    if !leaf.executable { value |= Self.nx }
    if leaf.uncached { value |= Self.pcd | Self.pwt }
    return value
  }

  public func makeNonLeaf(_ state: EntryState, _ level: PageLevel, pfn: UInt64) -> UInt64? {
    switch state {
    case .none:
      return 0
    case .swap:
      // Swap (and PMD migration) entries: PRESENT, PSE and PROTNONE clear, the
      // offset stored inverted in bits 9..58, the type in bits 59..63.
      guard level >= .pud else { return nil }
      let offsetBits: UInt64 = 0x07FF_FFFF_FFFF_FE00
      return (~(pfn << 9) & offsetBits) | (1 << 59)
    case .protnone:
      // PRESENT clear, PROTNONE set, pfn inverted; PSE marks a huge one.
      guard level >= .pud else { return nil }
      var value = Self.protnone | Self.user | Self.accessed
      if level != .pte { value |= Self.pse }
      let pfnField = level == .pte ? Self.ptePFNMask : pfnMask(Self.pse, level)
      return value | (~(pfn << 12) & pfnField)
    case .bad:
      // A table entry whose flags are wrong (no RW, a stray bit set).
      guard level != .pte, level != .pgd else { return nil }
      return (pfn << 12) & Self.ptePFNMask | Self.present | Self.accessed | (1 << 11)
    }
  }
}
