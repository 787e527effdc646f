/// arm64 with a 4, 16 or 64 KiB granule and a given VA size.
///
/// Geometry from `ARM64_HW_PGTABLE_LEVEL_SHIFT(n) = (PAGE_SHIFT-3)*(4-n)+3` and
/// `ARM64_HW_PGTABLE_LEVELS(va) = (va-4)/(PAGE_SHIFT-3)` (facts file §3): every
/// table is one page except the pgd, which has `2^(VA_BITS-PGDIR_SHIFT)`
/// entries. Encoding and helpers from §3 [A1]–[A5], as of v6.10+:
/// - "present" is VALID, or nG (`PTE_PRESENT_INVALID`) on an invalid entry, so a
///   PROT_NONE entry is present;
/// - `pmd_leaf()`/`pud_leaf()` test presence first and then "not a table"
///   (bits[1:0] != 3); `pud_leaf()` is constantly false with 64 KiB pages or
///   fewer than 3 levels;
/// - `pmd_bad()`/`pud_bad()` are "not a table", so every block (leaf) and
///   every invalid entry is bad;
/// - `pmd_pfn()`/`pud_pfn()` align the address to the block;
/// - `pXd_pgprot()` is every bit outside the address field;
/// - `pud_special()` does not exist (PUD pfnmap is not selected), so the
///   generic `false` answers.
/// 52-bit physical addresses (64K PA[51:48] in bits 15:12, LPA2) and the
/// 5-level LPA2 layout are not modelled.
public struct Arm64: Architecture {
  /// `PAGE_SHIFT`: 12, 14 or 16.
  public let granuleShift: Int
  /// `VA_BITS`.
  public let vaBits: Int
  let layout: LevelLayout

  public init(granuleShift: Int, vaBits: Int) {
    self.granuleShift = granuleShift
    self.vaBits = vaBits
    let bitsPerLevel = granuleShift - 3
    let levels = (vaBits - 4) / bitsPerLevel
    precondition((2...4).contains(levels), "arm64 with \(levels) levels is not modelled")
    func hardwareShift(_ n: Int) -> Int { bitsPerLevel * (4 - n) + 3 }
    let pgdShift = hardwareShift(4 - levels)
    let perPage = 1 << bitsPerLevel
    var hardware: [(PageLevel, shift: Int, entries: Int)] = [(.pgd, pgdShift, 1 << (vaBits - pgdShift))]
    if levels == 4 { hardware.append((.pud, hardwareShift(1), perPage)) }
    if levels >= 3 { hardware.append((.pmd, hardwareShift(2), perPage)) }
    hardware.append((.pte, granuleShift, perPage))
    layout = LevelLayout(pageShift: granuleShift, hardware: hardware)
  }

  public var name: String { "arm64-\((1 << granuleShift) / 1024)k-\(vaBits)" }
  public var summary: String {
    "arm64, \((1 << granuleShift) / 1024) KiB granule, \(vaBits)-bit VA, \(layout.levelCount) levels"
  }

  // MARK: Bits (facts file §3, descriptor bits)
  static let valid: UInt64 = 1 << 0
  /// bits[1:0] == 3 is a table (or a page at the last level); 1 is a block.
  static let tableBit: UInt64 = 1 << 1
  static let typeMask: UInt64 = 3
  static func attrIndex(_ index: UInt64) -> UInt64 { index << 2 }
  static let user: UInt64 = 1 << 6
  static let rdonly: UInt64 = 1 << 7
  static let innerShareable: UInt64 = 3 << 8
  static let af: UInt64 = 1 << 10
  /// nG; `PTE_PRESENT_INVALID` when VALID is clear (v6.10+, [A4]).
  static let ng: UInt64 = 1 << 11
  /// DBM, `PTE_WRITE`.
  static let write: UInt64 = 1 << 51
  static let pxn: UInt64 = 1 << 53
  static let uxn: UInt64 = 1 << 54
  static let dirty: UInt64 = 1 << 55
  static let special: UInt64 = 1 << 56
  /// Memory-attribute index for device memory (`MT_DEVICE_nGnRE`); the index
  /// value is not in the facts file (unconfirmed), it only shows up in pgprot.
  static let deviceAttrIndex: UInt64 = 4

  /// `PTE_ADDR_LOW`: bits [49:PAGE_SHIFT] in recent trees.
  var addressField: UInt64 { ((1 << 50) - 1) & ~(pageSize - 1) }

  // MARK: Geometry
  public var pageShift: Int { granuleShift }
  public func shift(_ level: PageLevel) -> Int { layout.shift(level) }
  public func entriesPerTable(_ level: PageLevel) -> Int { layout.entries(level) }
  public func isFolded(_ level: PageLevel) -> Bool { layout.isFolded(level) }
  /// `TASK_SIZE_64` = 2^VA_BITS (derived).
  public var userAddressLimit: UInt64 { 1 << UInt64(vaBits) }

  public func capabilities(_ release: KernelRelease) -> Capabilities {
    // HUGE_PFNMAP if THP from v6.12 [S8]; THP_PUD is not selected [S8b];
    // split PMD locks need more than 2 levels [G3].
    Capabilities(
      pmdPfnmap: release >= .v6_12, pudPfnmap: false, pteSpecial: true, splitPMDLocks: layout.levelCount > 2)
  }

  /// `pud_table()` is constantly true with 64 KiB pages or fewer than 3
  /// levels, so no PUD entry is ever a leaf there.
  var pudCanBeLeaf: Bool { granuleShift != 16 && layout.levelCount >= 3 }

  // MARK: Helpers

  func isTable(_ entry: UInt64) -> Bool { entry & Self.typeMask == Self.typeMask }

  /// `pte_present()` and friends: valid, or invalid but marked present.
  func presentBits(_ entry: UInt64) -> Bool { entry & (Self.valid | Self.ng) != 0 }

  public func isNone(_ entry: UInt64, _ level: PageLevel) -> Bool {
    isEntryLevel(level) ? entry == 0 : false
  }

  public func isPresent(_ entry: UInt64, _ level: PageLevel) -> Bool {
    guard isEntryLevel(level) else { return true }
    switch level {
    case .pte, .pmd, .pud: return presentBits(entry)
    // p4d_present() is !p4d_none() with l4 enabled (unconfirmed; no walker asks).
    case .p4d, .pgd: return entry != 0
    }
  }

  public func isLeaf(_ entry: UInt64, _ level: PageLevel) -> Bool {
    guard isEntryLevel(level) else { return false }
    switch level {
    case .pte: return true
    case .pmd: return presentBits(entry) && !isTable(entry)
    case .pud: return pudCanBeLeaf && presentBits(entry) && !isTable(entry)
    case .p4d, .pgd: return false
    }
  }

  public func isBad(_ entry: UInt64, _ level: PageLevel) -> Bool {
    guard isEntryLevel(level), level != .pte else { return false }
    return !isTable(entry)
  }

  public func isTransHuge(_ entry: UInt64, _ level: PageLevel) -> Bool {
    // present && !table(val | VALID): bit 1 clear on a present entry.
    level == .pmd && presentBits(entry) && entry & Self.tableBit == 0
  }

  public func pfn(_ entry: UInt64, _ level: PageLevel) -> UInt64 {
    let physical = entry & addressField
    return (level == .pte ? physical : physical & mask(level)) >> UInt64(pageShift)
  }

  public func isWrite(_ entry: UInt64, _ level: PageLevel) -> Bool { entry & Self.write != 0 }

  public func isSpecial(_ entry: UInt64, _ level: PageLevel) -> Bool {
    switch level {
    case .pte, .pmd: entry & Self.special != 0
    case .pud, .p4d, .pgd: false
    }
  }

  public func pgprot(_ entry: UInt64, _ level: PageLevel) -> UInt64 {
    // val ^ pfn_pXd(pXd_pfn(val), 0): the address bits the pfn keeps are cleared.
    entry ^ ((pfn(entry, level) << UInt64(pageShift)) & addressField)
  }

  public func tableAddress(_ entry: UInt64, _ level: PageLevel) -> UInt64 { entry & addressField }

  // MARK: Encoders

  public func emptyEntry(_ level: PageLevel) -> UInt64 { 0 }

  public func makeTable(_ table: UInt64, _ level: PageLevel) -> UInt64 {
    (table & addressField) | Self.typeMask
  }

  public func makeLeaf(_ leaf: LeafProperties, _ level: PageLevel) -> UInt64? {
    switch level {
    case .pte, .pmd: break
    case .pud where pudCanBeLeaf: break
    default: return nil
    }
    var value = (leaf.pfn << UInt64(pageShift)) & addressField
    value |= Self.valid | Self.af | Self.innerShareable | Self.ng | Self.user | Self.pxn
    if level == .pte { value |= Self.tableBit }  // a page descriptor is 0b11, a block 0b01
    if leaf.uncached { value |= Self.attrIndex(Self.deviceAttrIndex) }
    if !leaf.executable { value |= Self.uxn }
    if leaf.special { value |= Self.special }
    if leaf.writable {
      // Writable-clean is DBM with RDONLY still set; dirty clears RDONLY.
      value |= Self.write
      if !leaf.dirty { value |= Self.rdonly }
    } else {
      value |= Self.rdonly
    }
    if leaf.dirty { value |= Self.dirty }
    return value
  }

  public func makeNonLeaf(_ state: EntryState, _ level: PageLevel, pfn: UInt64) -> UInt64? {
    switch state {
    case .none:
      return 0
    case .swap:
      // bits 1:0 and 11 clear, type in bits 6..10, offset in bits 12..61.
      guard level == .pmd || level == .pte else { return nil }
      return (pfn << 12) & 0x3FFF_FFFF_FFFF_F000 | (1 << 6)
    case .protnone:
      // PAGE_NONE: VALID clear, nG (present-invalid), RDONLY, PXN, UXN, no USER;
      // a huge one is a block (bit 1 cleared by pmd_mkhuge()).
      guard level == .pmd || level == .pte else { return nil }
      var value = (pfn << UInt64(pageShift)) & addressField
      value |= Self.af | Self.innerShareable | Self.ng | Self.rdonly | Self.pxn | Self.uxn
      if level == .pte { value |= Self.tableBit }
      return value
    case .bad:
      // bits[1:0] = 0b10: neither table nor block, invalid, so pXd_bad() says
      // yes; without nG it is not present either.
      guard isEntryLevel(level), level != .pte else { return nil }
      return (pfn << UInt64(pageShift)) & addressField | Self.tableBit
    }
  }
}
