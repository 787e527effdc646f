import PfnModel
import Testing

// riscv bits from arch-pagetables.md §4.
private let v: UInt64 = 1 << 0
private let r: UInt64 = 1 << 1
private let w: UInt64 = 1 << 2
private let x: UInt64 = 1 << 3
private let u: UInt64 = 1 << 4
private let g: UInt64 = 1 << 5  // _PAGE_PROT_NONE when V is clear
private let a: UInt64 = 1 << 6
private let d: UInt64 = 1 << 7
private let special: UInt64 = 1 << 8
/// A pfn in the pfn field (bits 10..53).
private func field(_ pfn: UInt64) -> UInt64 { pfn << 10 }

private let hugeLeaf: UInt64 = field(0x40000) | v | r | w | u | a | d | special

let riscvVectors: [HelperVector] = [
  HelperVector(
    arch: "riscv64-sv48", name: "table entry", raw: field(0x12345) | v, level: .pmd,
    none: false, present: true, leaf: false, bad: false, transHuge: false,
    source: "§4 a table entry has V and no R/W/X [R1]"),
  HelperVector(
    arch: "riscv64-sv48", name: "table entry", raw: field(0x12345) | v, level: .pud,
    present: true, leaf: false, bad: false, source: "§4 pud_bad = !present || LEAF [R3]"),
  HelperVector(
    arch: "riscv64-sv48", name: "writable special huge leaf", raw: hugeLeaf, level: .pmd,
    present: true, leaf: true, bad: true, transHuge: true, pfn: 0x40000, write: true, special: true,
    pgprot: v | r | w | u | a | d | special,
    source: "§4 leaf = any of R/W/X; pmd_bad true for a leaf; pgprot = val ^ pfn_pte(pfn, 0) [R2]"),
  HelperVector(
    arch: "riscv64-sv48", name: "huge leaf", raw: hugeLeaf, level: .pud,
    present: true, leaf: true, bad: true, pfn: 0x40000, special: true,
    source: "§4 pud_leaf = pud_present && LEAF; pud_special = pte_special [R2] [R3]"),
  HelperVector(
    arch: "riscv64-sv48", name: "PROT_NONE (G|R, V clear)", raw: field(0x200) | g | r | u | a, level: .pmd,
    present: true, leaf: true,
    source: "§4 pmd_present (THP) = V|G|R|W|X; PAGE_NONE with R is unconfirmed"),
  HelperVector(
    arch: "riscv64-sv48", name: "PROT_NONE (G|R, V clear)", raw: field(0x40000) | g | r | u | a, level: .pud,
    present: false, leaf: false, bad: true,
    source: "§4 pud_present = V only: a PROT_NONE PUD is not present (derived)"),
  HelperVector(
    arch: "riscv64-sv48", name: "invalidated huge PMD (V and G cleared)", raw: field(0x40000) | r | w | u | a,
    level: .pmd, present: true, leaf: true,
    source: "§4 pmd_present with THP also accepts R/W/X"),
  HelperVector(
    arch: "riscv64-sv48", name: "swap PMD (type 1, offset 0x1234)", raw: (0x1234 << 12) | (1 << 7), level: .pmd,
    none: false, present: false, leaf: false, bad: true,
    source: "§4 swap: V, R, W, G clear; type 7-11; offset 12+"),
  HelperVector(
    arch: "riscv64-sv48", name: "soft-dirty swap PMD (bit 3 = X)", raw: (0x1234 << 12) | (1 << 7) | x,
    level: .pmd, present: true, leaf: true,
    source: "§4 observation (derived, unconfirmed as a real bug): SWP_SOFT_DIRTY is _PAGE_EXEC"),
  HelperVector(
    arch: "riscv64-sv48", name: "soft-dirty swap PTE", raw: (0x1234 << 12) | (1 << 7) | x, level: .pte,
    present: false, source: "§4 pte_present = V|G"),
  HelperVector(
    arch: "riscv64-sv48", name: "table pointer without V at the p4d", raw: field(0x12345), level: .p4d,
    none: false, bad: true, source: "§4 non-folded p4d_bad = !(val & V)"),
  HelperVector(
    arch: "riscv64-sv48", name: "anything at the folded pgd", raw: 0, level: .pgd,
    none: false, present: true, bad: false, source: "§4 folded level: none 0, bad 0, present 1"),
  HelperVector(
    arch: "riscv64-sv39", name: "zero at the folded p4d", raw: 0, level: .p4d,
    none: false, present: true, bad: false, source: "§4 Sv39: l4 off, p4d folded"),
  HelperVector(
    arch: "riscv64-sv39", name: "1 GiB leaf in the top table", raw: hugeLeaf, level: .pud,
    present: true, leaf: true, pfn: 0x40000, source: "§4 Sv39: PUD folded into the pgd, PUD_SHIFT 30"),
  HelperVector(
    arch: "riscv64-sv48", name: "special page", raw: field(0x12345) | v | r | u | a | special, level: .pte,
    present: true, pfn: 0x12345, write: false, special: true, pgprot: v | r | u | a | special,
    source: "§4 RSW0 = _PAGE_SPECIAL; _PAGE_PFN_SHIFT 10"),
]

@Suite("riscv64 encoding vectors")
struct Riscv64EncodingTests {
  @Test(arguments: riscvVectors)
  func vector(_ vector: HelperVector) throws { try vector.check() }

  @Test(arguments: [
    GeometryVector(
      arch: "riscv64-sv39", pageShift: 12, shifts: [30, 30, 30, 21, 12], entries: [512, 1, 1, 512, 512],
      folded: [.p4d, .pud], userLimit: 1 << 38, source: "§4 modes table; TASK_SIZE derived"),
    GeometryVector(
      arch: "riscv64-sv48", pageShift: 12, shifts: [39, 39, 30, 21, 12], entries: [512, 1, 512, 512, 512],
      folded: [.p4d], userLimit: 1 << 47, source: "§4 modes table"),
    GeometryVector(
      arch: "riscv64-sv57", pageShift: 12, shifts: [48, 39, 30, 21, 12], entries: [512, 512, 512, 512, 512],
      folded: [], userLimit: 1 << 56, source: "§4 modes table"),
  ])
  func geometry(_ g: GeometryVector) throws { try g.check() }

  @Test("PMD pfnmap from 6.15, PUD from 6.16 (unconfirmed)")
  func capabilities() throws {
    let arch = try #require(Architectures.named("riscv64-sv48"))
    #expect(!arch.capabilities(.v6_12).pmdPfnmap)
    #expect(arch.capabilities(.v6_15).pmdPfnmap && !arch.capabilities(.v6_15).pudPfnmap)
    #expect(arch.capabilities(KernelRelease(6, 16)).pudPfnmap)
  }
}
