import PfnModel
import Testing

// loongarch bits from arch-pagetables.md §5 [L2].
private let valid: UInt64 = 1 << 0
private let dirty: UInt64 = 1 << 1
private let user: UInt64 = 3 << 2
private let cacheCC: UInt64 = 1 << 4
private let huge: UInt64 = 1 << 6  // GLOBAL on a pte
private let present: UInt64 = 1 << 7
private let write: UInt64 = 1 << 8
private let protnone: UInt64 = 1 << 10
private let special: UInt64 = 1 << 11
private let hglobal: UInt64 = 1 << 12
private let presentInvalid: UInt64 = 1 << 60
private let noRead: UInt64 = 1 << 61
/// Table entries hold kernel virtual addresses in the cached direct-mapped window.
private let window: UInt64 = 0x9000_0000_0000_0000

/// Where the model put `invalid_pte_table`/`invalid_pmd_table`: any page works,
/// so these are read off the model, and checked to be page-aligned window addresses.
private let invalidPTETable16K = LoongArch64(granuleShift: 14).emptyEntry(.pmd)
private let invalidPMDTable16K = LoongArch64(granuleShift: 14).emptyEntry(.pud)
private let invalidPUDTable4K = LoongArch64(granuleShift: 12).emptyEntry(.p4d)

private let hugeLeaf: UInt64 = 0x400_0000 | valid | present | write | huge | user | cacheCC | special
private let swapPMD: UInt64 = (0x1234 << 24) | (1 << 16) | huge

let loongarchVectors: [HelperVector] = [
  HelperVector(
    arch: "loongarch64-16k", name: "empty pmd (&invalid_pte_table)", raw: invalidPTETable16K, level: .pmd,
    none: true, present: false, leaf: false, bad: false,
    source: "§5 pmd_none = val == invalid_pte_table; empty entries are not zero [L1]"),
  HelperVector(
    arch: "loongarch64-16k", name: "zero pmd", raw: 0, level: .pmd,
    none: false, present: true, leaf: false, bad: false,
    source: "§5 pmd_present = val != invalid_pte_table: zero is not empty here [L1]"),
  HelperVector(
    arch: "loongarch64-16k", name: "empty top entry (&invalid_pmd_table) judged as pud", raw: invalidPMDTable16K,
    level: .pud, none: true, present: false, source: "§5 3 levels: the pud is the pgd entry; pud_none [L1]"),
  HelperVector(
    arch: "loongarch64-16k", name: "table entry (virtual address)", raw: window | 0x123_4000, level: .pmd,
    none: false, present: true, leaf: false, bad: false,
    source: "§5 non-leaf entries hold the next table's virtual address [L1]"),
  HelperVector(
    arch: "loongarch64-16k", name: "writable special huge leaf", raw: hugeLeaf, level: .pmd,
    present: true, leaf: true, bad: true, transHuge: true, pfn: 0x1000, write: true, special: false, pgprot: 0,
    source: "§5 pmd_leaf = _PAGE_HUGE; pmd_bad = low bits; no pmd_special/pmd_pgprot [L1] [S6]"),
  HelperVector(
    arch: "loongarch64-16k", name: "huge leaf with an unaligned pfn field", raw: 0x400_4000 | huge | present,
    level: .pmd, pfn: 0x1001, source: "§5 pmd_pfn is not aligned to the PMD [L1]"),
  HelperVector(
    arch: "loongarch64-16k", name: "PMD migration entry (swap | _PAGE_HUGE)", raw: swapPMD, level: .pmd,
    none: false, present: false, leaf: true, bad: true, transHuge: false,
    source: "§5 __swp_entry_to_pmd ORs _PAGE_HUGE; pmd_leaf has no present test [S1] [L4]"),
  HelperVector(
    arch: "loongarch64-16k", name: "swap pte", raw: (0x1234 << 24) | (1 << 16), level: .pte,
    none: false, present: false, source: "§5 swap PTE: bits 0-15 clear"),
  HelperVector(
    arch: "loongarch64-16k", name: "PROT_NONE huge", raw: 0x400_0000 | protnone | noRead | user | cacheCC | huge,
    level: .pmd, present: true, leaf: true, write: false, source: "§5 PAGE_NONE; pmd_present with HUGE"),
  HelperVector(
    arch: "loongarch64-16k", name: "huge, present-invalid only", raw: 0x400_0000 | presentInvalid | huge,
    level: .pmd, present: true, leaf: true, source: "§5 pmd_present with HUGE accepts PRESENT_INVALID"),
  HelperVector(
    arch: "loongarch64-16k", name: "GLOBAL-only pte", raw: huge, level: .pte, none: true, present: false,
    source: "§5 pte_none = !(val & ~GLOBAL)"),
  HelperVector(
    arch: "loongarch64-16k", name: "special page", raw: 0x123_4000 | valid | present | user | special, level: .pte,
    present: true, pfn: 0x48d, write: false, special: true, pgprot: 0,
    source: "§5 _PAGE_SPECIAL bit 11, PFN_PTE_SHIFT = PAGE_SHIFT; no pte_pgprot (derived from [L1])"),
  HelperVector(
    arch: "loongarch64-4k", name: "huge leaf with HGLOBAL", raw: 0x4000_0000 | huge | present | hglobal,
    level: .pmd, leaf: true, pfn: 0x40001,
    source: "§5 with 4K pages HGLOBAL (bit 12) falls inside _PFN_MASK"),
  HelperVector(
    arch: "loongarch64-4k", name: "empty p4d (&invalid_pud_table)", raw: invalidPUDTable4K, level: .p4d,
    none: true, present: false, bad: false, source: "§5 p4d_none = val == invalid_pud_table"),
  HelperVector(
    arch: "loongarch64-4k", name: "table entry with a low bit set", raw: window | 0x1234_5000 | dirty, level: .p4d,
    none: false, bad: true, source: "§5 pXd_bad = val & ~PAGE_MASK"),
]

@Suite("loongarch64 encoding vectors")
struct LoongArch64EncodingTests {
  @Test(arguments: loongarchVectors)
  func vector(_ vector: HelperVector) throws { try vector.check() }

  @Test("invalid tables are page-aligned addresses in the direct-mapped window")
  func invalidTables() {
    for (value, pageSize) in [(invalidPTETable16K, 1 << 14), (invalidPMDTable16K, 1 << 14), (invalidPUDTable4K, 1 << 12)] {
      #expect(value & 0xF000_0000_0000_0000 == window)
      #expect(value & UInt64(pageSize - 1) == 0)
    }
    #expect(invalidPTETable16K != invalidPMDTable16K)
  }

  @Test("a new world's empty entries point at real, empty invalid tables")
  func worldHasInvalidTables() throws {
    let arch = LoongArch64(granuleShift: 14)
    let world = World(arch: arch)
    let address: UInt64 = 0x7f00_4000_0000
    let top = try #require(try world.entryPointer(address, at: .pud, create: false))
    #expect(world.value(at: top) == invalidPMDTable16K)
    // Reading through the empty entry finds invalid_pmd_table's own empty entries.
    let inInvalidPMD = EntryPointer(address: arch.tableAddress(invalidPMDTable16K, .pud))
    #expect(world.value(at: inInvalidPMD) == invalidPTETable16K)
    let inInvalidPTE = EntryPointer(address: arch.tableAddress(invalidPTETable16K, .pmd))
    #expect(world.value(at: inInvalidPTE) == 0)
  }

  @Test(arguments: [
    GeometryVector(
      arch: "loongarch64-16k", pageShift: 14, shifts: [36, 36, 36, 25, 14], entries: [2048, 1, 1, 2048, 2048],
      folded: [.p4d, .pud], userLimit: 1 << 47, source: "§5 layouts table (16KB_3LEVEL, derived shifts) [L3]"),
    GeometryVector(
      arch: "loongarch64-4k", pageShift: 12, shifts: [39, 39, 30, 21, 12], entries: [512, 1, 512, 512, 512],
      folded: [.p4d], userLimit: 1 << 48, source: "§5 layouts table (4KB_4LEVEL) [L3]"),
  ])
  func geometry(_ g: GeometryVector) throws { try g.check() }

  @Test("no huge pfnmap and no split PMD locks in any release")
  func capabilities() {
    for release in [KernelRelease.v6_12, .v6_15, .newest] {
      let c = LoongArch64(granuleShift: 14).capabilities(release)
      #expect(!c.pmdPfnmap && !c.pudPfnmap && !c.splitPMDLocks && c.pteSpecial)
    }
  }
}
