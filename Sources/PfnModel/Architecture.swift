/// What a kind of non-leaf entry a world can hold at some level.
public enum EntryState: String, Sendable, Hashable, CaseIterable, Codable {
  /// Empty: the kernel's `pXd_none()` is true.
  case none
  /// A swap entry (at PMD level: a migration entry of a huge page).
  case swap
  /// A PROT_NONE leaf: not accessible, but `pXd_present()` may still say yes.
  case protnone
  /// A table entry whose flags are wrong: `pXd_bad()` is true.
  case bad
}

/// The bits a leaf entry is built from, before an architecture encodes them.
public struct LeafProperties: Sendable, Hashable, Codable {
  /// The first 4 KiB frame the leaf maps; for a huge leaf it must be aligned to
  /// the leaf's size in pages.
  public var pfn: UInt64
  public var writable: Bool
  /// The architecture's software "special" bit: a raw pfnmap entry without a
  /// refcounted struct page.
  public var special: Bool
  public var dirty: Bool
  public var executable: Bool
  /// Uncached device memory (x86 PCD|PWT).
  public var uncached: Bool

  public init(
    pfn: UInt64, writable: Bool = true, special: Bool = true, dirty: Bool = false,
    executable: Bool = false, uncached: Bool = false
  ) {
    self.pfn = pfn
    self.writable = writable
    self.special = special
    self.dirty = dirty
    self.executable = executable
    self.uncached = uncached
  }
}

/// Which parts of the huge pfnmap series an architecture has in a release.
public struct Capabilities: Sendable, Hashable, Codable {
  /// `ARCH_SUPPORTS_PMD_PFNMAP`: PMD leaves can appear in a pfnmap VMA.
  public var pmdPfnmap: Bool
  /// `ARCH_SUPPORTS_PUD_PFNMAP`: PUD leaves can appear in a pfnmap VMA.
  public var pudPfnmap: Bool
  /// `ARCH_HAS_PTE_SPECIAL`.
  public var pteSpecial: Bool
  /// `CONFIG_SPLIT_PMD_PTLOCKS`: the PMD lock lives in the PMD table's page.
  public var splitPMDLocks: Bool

  public init(pmdPfnmap: Bool, pudPfnmap: Bool, pteSpecial: Bool, splitPMDLocks: Bool) {
    self.pmdPfnmap = pmdPfnmap
    self.pudPfnmap = pudPfnmap
    self.pteSpecial = pteSpecial
    self.splitPMDLocks = splitPMDLocks
  }

  /// The levels at which a pfnmap VMA can hold a leaf.
  public var leafLevels: [PageLevel] {
    var levels: [PageLevel] = []
    if pudPfnmap { levels.append(.pud) }
    if pmdPfnmap { levels.append(.pmd) }
    levels.append(.pte)
    return levels
  }
}

/// An architecture's page tables: geometry, entry encoding and the semantics of
/// the helpers a walker calls.
///
/// The helpers must answer exactly as that architecture's kernel code does,
/// quirks included: a helper that says "leaf" for a non-present entry is a
/// behaviour rules must be able to expose, not a bug to tidy away. The encoders
/// (`makeTable`, `makeLeaf`, `makeNonLeaf`) are for building worlds; walkers never
/// see them.
public protocol Architecture: Sendable {
  /// `x86_64`, `arm64-4k`, ...
  var name: String { get }
  /// One line for `pfnspec list arches`.
  var summary: String { get }

  /// `PAGE_SHIFT`.
  var pageShift: Int { get }
  /// The shift of a level: `PAGE_SHIFT` for pte, `PMD_SHIFT`, `PUD_SHIFT`, ...
  func shift(_ level: PageLevel) -> Int
  /// `PTRS_PER_*`; a folded level has 1.
  func entriesPerTable(_ level: PageLevel) -> Int
  /// Whether a level is folded into the one above it: its "table" is the entry
  /// of the level above, reinterpreted.
  func isFolded(_ level: PageLevel) -> Bool
  /// The lowest address above the user address space.
  var userAddressLimit: UInt64 { get }

  /// What the architecture supports in a kernel release.
  func capabilities(_ release: KernelRelease) -> Capabilities

  // MARK: Helper semantics (as the kernel defines them)

  /// `pXd_none()`.
  func isNone(_ entry: UInt64, _ level: PageLevel) -> Bool
  /// `pXd_present()`.
  func isPresent(_ entry: UInt64, _ level: PageLevel) -> Bool
  /// `pXd_leaf()`; for pte, true (a present pte is always a leaf).
  func isLeaf(_ entry: UInt64, _ level: PageLevel) -> Bool
  /// `pXd_bad()`.
  func isBad(_ entry: UInt64, _ level: PageLevel) -> Bool
  /// `pmd_trans_huge()` at pmd (false elsewhere): what `pte_offset_map_lock()`
  /// refuses to descend through.
  func isTransHuge(_ entry: UInt64, _ level: PageLevel) -> Bool
  /// `pXd_pfn()`: for a huge leaf, the first pfn of the block.
  func pfn(_ entry: UInt64, _ level: PageLevel) -> UInt64
  /// `pXd_write()`.
  func isWrite(_ entry: UInt64, _ level: PageLevel) -> Bool
  /// `pXd_special()` (the generic fallback `false` where the arch has none).
  func isSpecial(_ entry: UInt64, _ level: PageLevel) -> Bool
  /// `pXd_pgprot()` (the generic fallback 0 where the arch has none).
  func pgprot(_ entry: UInt64, _ level: PageLevel) -> UInt64
  /// The physical address of the table a non-leaf entry points to.
  func tableAddress(_ entry: UInt64, _ level: PageLevel) -> UInt64

  // MARK: Encoders, for building worlds

  /// The value of an empty entry (zero on most architectures).
  func emptyEntry(_ level: PageLevel) -> UInt64
  /// An entry at `level` pointing to the table at physical address `table`.
  func makeTable(_ table: UInt64, _ level: PageLevel) -> UInt64
  /// A leaf at `level`; `nil` if the architecture cannot encode one there.
  func makeLeaf(_ leaf: LeafProperties, _ level: PageLevel) -> UInt64?
  /// A non-leaf entry of the given state; `nil` if it cannot exist at `level`.
  func makeNonLeaf(_ state: EntryState, _ level: PageLevel, pfn: UInt64) -> UInt64?
}

extension Architecture {
  /// `PXD_SIZE`.
  public func size(_ level: PageLevel) -> UInt64 { 1 << UInt64(shift(level)) }
  /// `PXD_MASK`: the bits that stay when an address is aligned down to the level.
  public func mask(_ level: PageLevel) -> UInt64 { ~(size(level) - 1) }
  /// The index of `address` in a table of `level`.
  public func index(_ address: UInt64, _ level: PageLevel) -> Int {
    Int((address >> UInt64(shift(level))) & UInt64(entriesPerTable(level) - 1))
  }
  /// Bytes in a page.
  public var pageSize: UInt64 { 1 << UInt64(pageShift) }
  /// The levels that are not folded, top first.
  public var hardwareLevels: [PageLevel] { PageLevel.allCases.filter { !isFolded($0) } }
}

/// The architectures the model has, by name.
public enum Architectures {
  public static let all: [any Architecture] = [
    X86_64(), X86_64LA57(),
    Arm64(granuleShift: 12, vaBits: 39), Arm64(granuleShift: 12, vaBits: 48),
    Arm64(granuleShift: 14, vaBits: 47), Arm64(granuleShift: 14, vaBits: 48),
    Arm64(granuleShift: 16, vaBits: 42), Arm64(granuleShift: 16, vaBits: 48),
    Riscv64(mode: 39), Riscv64(mode: 48), Riscv64(mode: 57),
    LoongArch64(granuleShift: 14), LoongArch64(granuleShift: 12),
    PPC64Radix(),
  ]

  public static func named(_ name: String) -> (any Architecture)? {
    all.first { $0.name == name }
  }
}
