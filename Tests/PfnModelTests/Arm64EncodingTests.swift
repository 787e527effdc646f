import PfnModel
import Testing

// Raw arm64 descriptor bits, written out from the bit table of
// arch-pagetables.md §3 (not taken from the model, whose constants are tested).
private let valid: UInt64 = 1 << 0
private let tableBit: UInt64 = 1 << 1
private let rdonly: UInt64 = 1 << 7
private let af: UInt64 = 1 << 10
private let ng: UInt64 = 1 << 11  // PTE_PRESENT_INVALID when VALID is clear
private let write: UInt64 = 1 << 51
private let pxn: UInt64 = 1 << 53
private let uxn: UInt64 = 1 << 54
private let special: UInt64 = 1 << 56

private let blockAt1G: UInt64 = 0x4000_0000 | valid | af | ng | write | special

let arm64Vectors: [HelperVector] = [
  HelperVector(
    arch: "arm64-4k-48", name: "table entry", raw: 0x1234_5000 | 3, level: .pmd,
    none: false, present: true, leaf: false, bad: false, transHuge: false,
    source: "§3 descriptor bits[1:0] = 3 is a table [A1]"),
  HelperVector(
    arch: "arm64-4k-48", name: "writable special block", raw: blockAt1G, level: .pmd,
    none: false, present: true, leaf: true, bad: true, transHuge: true, pfn: 0x40000, write: true,
    special: true, pgprot: blockAt1G ^ 0x4000_0000,
    source: "§3 pmd_leaf = present && !table; pmd_bad true for any leaf; pgprot = val ^ pfn_pmd [A1] [S8]"),
  HelperVector(
    arch: "arm64-4k-48", name: "block with address bits below the block size", raw: 0x4012_3000 | valid | af,
    level: .pmd, pfn: 0x40000, pgprot: 0x12_3000 | valid | af,
    source: "§3 pmd_pfn masks with PMD_MASK, pgprot keeps the rest [A1]"),
  HelperVector(
    arch: "arm64-4k-48", name: "PROT_NONE block", raw: 0x4000_0000 | ng | rdonly | pxn | uxn | af, level: .pmd,
    none: false, present: true, leaf: true, bad: true,
    source: "§3 PROT_NONE (v6.10+): VALID=0, nG=1 is present [A4]"),
  HelperVector(
    arch: "arm64-4k-48", name: "PROT_NONE page", raw: 0x1234_5000 | tableBit | ng | rdonly | pxn | uxn | af,
    level: .pte, present: true, leaf: true, pfn: 0x12345, write: false,
    source: "§3 pte_present = VALID or (nG && !VALID) [A4]"),
  HelperVector(
    arch: "arm64-4k-48", name: "swap PMD (type 1, offset 0x1234)", raw: (0x1234 << 12) | (1 << 6), level: .pmd,
    none: false, present: false, leaf: false, bad: true,
    source: "§3 swap: bits 0-1 and 11 clear, type 6-10, offset 12-61"),
  HelperVector(
    arch: "arm64-4k-48", name: "invalid 0b10 entry", raw: 0x1234_5000 | tableBit, level: .pmd,
    none: false, present: false, leaf: false, bad: true,
    source: "§3 pmd_bad = (val & 3) != 3: an invalid entry is bad"),
  HelperVector(
    arch: "arm64-4k-48", name: "zero", raw: 0, level: .pmd, none: true, present: false, leaf: false,
    source: "§3 pmd_none = val == 0"),
  HelperVector(
    arch: "arm64-4k-48", name: "PUD block with the special bit", raw: blockAt1G, level: .pud,
    present: true, leaf: true, bad: true, pfn: 0x40000, special: false,
    source: "§3 pud_leaf with 4K and 4 levels; no pud_special, generic false [S8b] [A1]"),
  HelperVector(
    arch: "arm64-4k-48", name: "p4d table", raw: 0x1234_5000 | 3, level: .p4d, none: false, bad: false,
    source: "§3 p4d_bad = l4_enabled && (val & 3) != 3"),
  HelperVector(
    arch: "arm64-4k-48", name: "p4d block-typed entry", raw: 0x1234_5000 | valid, level: .p4d, bad: true,
    source: "§3 p4d_bad = l4_enabled && (val & 3) != 3"),
  HelperVector(
    arch: "arm64-4k-48", name: "page, read-only, not special", raw: 0x1234_5000 | 3 | af | ng | rdonly, level: .pte,
    present: true, leaf: true, pfn: 0x12345, write: false, special: false, pgprot: 3 | af | ng | rdonly,
    source: "§3 PTE_WRITE is bit 51; pte_pgprot is every non-address bit [S6]"),
  HelperVector(
    arch: "arm64-4k-48", name: "page with address bit 49", raw: (1 << 49) | 3, level: .pte, pfn: 1 << 37,
    source: "§3 PTE_ADDR_LOW = bits [49:PAGE_SHIFT] in recent trees"),
  HelperVector(
    arch: "arm64-4k-39", name: "PUD block in the 3-level top table", raw: blockAt1G, level: .pud,
    present: true, leaf: true, pfn: 0x40000,
    source: "§3 pud_leaf real with 3 levels and 4K pages; pud folded into pgd"),
  HelperVector(
    arch: "arm64-64k-48", name: "block-typed entry at the folded pud", raw: 0x400_0000_0000 | valid | af,
    level: .pud, present: true, leaf: false,
    source: "§3 pud_leaf always false for 64K pages (pud_table constantly true)"),
  HelperVector(
    arch: "arm64-64k-42", name: "512 MiB block in the 2-level top table", raw: 0x2000_0000 | valid | af,
    level: .pmd, present: true, leaf: true, bad: true, pfn: 0x2000,
    source: "§3 64K 42-bit: 2 levels, PMD folded, PMD_SHIFT 29"),
  HelperVector(
    arch: "arm64-64k-42", name: "zero seen at the folded pud", raw: 0, level: .pud,
    none: false, present: true, leaf: false, bad: false,
    source: "§1 [G4] asm-generic nopmd: pud_none/pud_bad 0, pud_present 1; §3 pud_leaf false with <3 levels"),
  HelperVector(
    arch: "arm64-16k-47", name: "32 MiB block with an address 4 MiB inside", raw: 0x4040_0000 | valid | af,
    level: .pmd, leaf: true, pfn: 0x1_0000,
    source: "§3 16K: PMD_SHIFT 25; pmd_pfn aligned to PMD_MASK"),
]

@Suite("arm64 encoding vectors")
struct Arm64EncodingTests {
  @Test(arguments: arm64Vectors)
  func vector(_ v: HelperVector) throws { try v.check() }

  @Test(arguments: [
    GeometryVector(
      arch: "arm64-4k-39", pageShift: 12, shifts: [30, 30, 30, 21, 12], entries: [512, 1, 1, 512, 512],
      folded: [.p4d, .pud], userLimit: 1 << 39, source: "§3 levels table, ARM64_HW_PGTABLE_LEVEL_SHIFT"),
    GeometryVector(
      arch: "arm64-4k-48", pageShift: 12, shifts: [39, 39, 30, 21, 12], entries: [512, 1, 512, 512, 512],
      folded: [.p4d], userLimit: 1 << 48, source: "§3 levels table"),
    GeometryVector(
      arch: "arm64-16k-47", pageShift: 14, shifts: [36, 36, 36, 25, 14], entries: [2048, 1, 1, 2048, 2048],
      folded: [.p4d, .pud], userLimit: 1 << 47, source: "§3 levels table"),
    GeometryVector(
      arch: "arm64-16k-48", pageShift: 14, shifts: [47, 47, 36, 25, 14], entries: [2, 1, 2048, 2048, 2048],
      folded: [.p4d], userLimit: 1 << 48, source: "§3 levels table: PTRS_PER_PGD = 2"),
    GeometryVector(
      arch: "arm64-64k-42", pageShift: 16, shifts: [29, 29, 29, 29, 16], entries: [8192, 1, 1, 1, 8192],
      folded: [.p4d, .pud, .pmd], userLimit: 1 << 42, source: "§3 levels table: 2 levels, PMD folded"),
    GeometryVector(
      arch: "arm64-64k-48", pageShift: 16, shifts: [42, 42, 42, 29, 16], entries: [64, 1, 1, 8192, 8192],
      folded: [.p4d, .pud], userLimit: 1 << 48, source: "§3 levels table"),
  ])
  func geometry(_ g: GeometryVector) throws { try g.check() }

  @Test("huge pfnmap at PMD only, from 6.12; split PMD locks need 3 levels")
  func capabilities() throws {
    let arch = try #require(Architectures.named("arm64-4k-48"))
    #expect(!arch.capabilities(KernelRelease(6, 11)).pmdPfnmap)
    #expect(arch.capabilities(.v6_12).pmdPfnmap)
    #expect(!arch.capabilities(.newest).pudPfnmap)
    #expect(try #require(Architectures.named("arm64-64k-42")).capabilities(.newest).splitPMDLocks == false)
  }
}
