/// powerpc64 book3s with the radix MMU and 4 KiB pages: 4 levels (p4d folded),
/// index sizes 9/9/9/13, as on a little-endian host (ppc64le).
///
/// Radix entries are big-endian in memory (facts file §6, [P1]): the raw
/// values here are the bytes as a little-endian CPU loads them, and every
/// helper swaps first, as `cpu_to_be64(mask)` tests do. Quirks kept:
/// - `pmd_leaf()`/`pud_leaf()` are `_PAGE_PTE` with no present test, and swap
///   entries carry `_PAGE_PTE`, so a PMD migration entry is a "leaf" (the
///   report behind 7c18d4811000, [S3]);
/// - `pmd_present()` is PRESENT or INVALID, `pud_present()` PRESENT only;
/// - a leaf is `pXd_bad()` (`RADIX_PMD_BAD_BITS` includes `_PAGE_PTE`).
/// Huge pfnmap is RFC only [P2], so there is no `pmd_special()`/`pud_special()`
/// and no `pmd_pgprot()`/`pud_pgprot()`. Table entries carry the next table's
/// index size in their low bits (`RADIX_*_VAL_BITS`; unconfirmed). Hash MMU and
/// 64 KiB pages are not modelled.
public struct PPC64Radix: Architecture {
  let layout = LevelLayout(
    pageShift: 12, hardware: [(.pgd, 39, 8192), (.pud, 30, 512), (.pmd, 21, 512), (.pte, 12, 512)])

  public init() {}

  public var name: String { "ppc64-radix-4k" }
  public var summary: String { "powerpc64 book3s radix, 4 KiB pages, 4 levels, big-endian entries" }

  // MARK: Bits, in CPU order (facts file §6)
  static let exec: UInt64 = 0x1
  static let write: UInt64 = 0x2
  static let read: UInt64 = 0x4
  /// `_PAGE_NON_IDEMPOTENT`, for an uncached (MMIO) leaf (value unconfirmed).
  static let nonIdempotent: UInt64 = 0x20
  static let dirty: UInt64 = 0x80
  static let accessed: UInt64 = 0x100
  /// SW2, `_PAGE_SPECIAL`.
  static let special: UInt64 = 0x400
  /// SW0, `_PAGE_INVALID`: a present entry made invalid while it changes.
  static let invalid: UInt64 = 1 << 61
  /// `_PAGE_PTE`: the leaf marker.
  static let pte: UInt64 = 1 << 62
  static let present: UInt64 = 1 << 63
  /// `RADIX_PMD_BAD_BITS` (also the pud and pgd masks).
  static let badBits: UInt64 = 0x6000_0000_0000_00E0
  /// The real page number: bits [PAGE_SHIFT, 53).
  static let rpnMask: UInt64 = 0x001F_FFFF_FFFF_F000

  // MARK: Geometry
  public var pageShift: Int { 12 }
  public func shift(_ level: PageLevel) -> Int { layout.shift(level) }
  public func entriesPerTable(_ level: PageLevel) -> Int { layout.entries(level) }
  public func isFolded(_ level: PageLevel) -> Bool { layout.isFolded(level) }
  /// `TASK_SIZE_USER64` = 4 PiB (unconfirmed; mmap stays below 128 TiB without a hint).
  public var userAddressLimit: UInt64 { 1 << 52 }

  public func capabilities(_ release: KernelRelease) -> Capabilities {
    // No merged HUGE_PFNMAP (RFC only, unconfirmed); book3s64 splits PMD locks [P3].
    Capabilities(pmdPfnmap: false, pudPfnmap: false, pteSpecial: true, splitPMDLocks: true)
  }

  /// The value in CPU order.
  func cpu(_ raw: UInt64) -> UInt64 { UInt64(bigEndian: raw) }
  /// The value as stored (big-endian).
  func stored(_ value: UInt64) -> UInt64 { value.bigEndian }

  // MARK: Helpers

  public func isNone(_ entry: UInt64, _ level: PageLevel) -> Bool {
    isEntryLevel(level) ? entry == 0 : false
  }

  public func isPresent(_ entry: UInt64, _ level: PageLevel) -> Bool {
    guard isEntryLevel(level) else { return true }
    switch level {
    case .pte, .pmd: return cpu(entry) & (Self.present | Self.invalid) != 0
    case .pud, .p4d, .pgd: return cpu(entry) & Self.present != 0
    }
  }

  public func isLeaf(_ entry: UInt64, _ level: PageLevel) -> Bool {
    guard isEntryLevel(level) else { return false }
    switch level {
    case .pte: return true
    case .pmd, .pud: return cpu(entry) & Self.pte != 0  // no present test
    case .p4d, .pgd: return false
    }
  }

  public func isBad(_ entry: UInt64, _ level: PageLevel) -> Bool {
    guard isEntryLevel(level), level != .pte else { return false }
    return cpu(entry) & Self.badBits != 0
  }

  public func isTransHuge(_ entry: UInt64, _ level: PageLevel) -> Bool {
    level == .pmd && cpu(entry) & Self.pte != 0
  }

  public func pfn(_ entry: UInt64, _ level: PageLevel) -> UInt64 { (cpu(entry) & Self.rpnMask) >> 12 }
  public func isWrite(_ entry: UInt64, _ level: PageLevel) -> Bool { cpu(entry) & Self.write != 0 }

  public func isSpecial(_ entry: UInt64, _ level: PageLevel) -> Bool {
    level == .pte && cpu(entry) & Self.special != 0
  }

  /// `pte_pgprot()` is every bit outside the RPN; pmd and pud have none.
  public func pgprot(_ entry: UInt64, _ level: PageLevel) -> UInt64 {
    level == .pte ? cpu(entry) & ~Self.rpnMask : 0
  }

  public func tableAddress(_ entry: UInt64, _ level: PageLevel) -> UInt64 { cpu(entry) & Self.rpnMask }

  // MARK: Encoders

  public func emptyEntry(_ level: PageLevel) -> UInt64 { 0 }

  public func makeTable(_ table: UInt64, _ level: PageLevel) -> UInt64 {
    // PRESENT | address | log2(entries of the next table).
    let next = level.below.map { entriesPerTable($0) } ?? 512
    return stored(Self.present | (table & Self.rpnMask) | UInt64(next.trailingZeroBitCount))
  }

  public func makeLeaf(_ leaf: LeafProperties, _ level: PageLevel) -> UInt64? {
    guard level >= .pud else { return nil }
    var value = ((leaf.pfn << 12) & Self.rpnMask) | Self.present | Self.pte | Self.read | Self.accessed
    if leaf.writable { value |= Self.write }
    if leaf.executable { value |= Self.exec }
    if leaf.dirty { value |= Self.dirty }
    if leaf.special { value |= Self.special }
    if leaf.uncached { value |= Self.nonIdempotent }
    return stored(value)
  }

  public func makeNonLeaf(_ state: EntryState, _ level: PageLevel, pfn: UInt64) -> UInt64? {
    switch state {
    case .none:
      return 0
    case .swap:
      // Type in the low bits, offset in the RPN field, and _PAGE_PTE set by
      // __swp_entry_to_pte() (the type/offset layout is unconfirmed).
      guard level == .pmd || level == .pte else { return nil }
      return stored(((pfn << 12) & Self.rpnMask) | 1 | Self.pte)
    case .protnone:
      // PRESENT|PTE with no R/W/X.
      guard level == .pmd || level == .pte else { return nil }
      return stored(((pfn << 12) & Self.rpnMask) | Self.present | Self.pte | Self.accessed)
    case .bad:
      // A present table entry with a bad bit (0x20) set.
      guard isEntryLevel(level), level != .pte else { return nil }
      return stored(((pfn << 12) & Self.rpnMask) | Self.present | 0x20 | 9)
    }
  }
}
