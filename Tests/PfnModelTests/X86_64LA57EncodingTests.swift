import PfnModel
import Testing

// x86 bits from arch-pagetables.md §2.
private let p: UInt64 = 1 << 0
private let rw: UInt64 = 1 << 1
private let user: UInt64 = 1 << 2
private let a: UInt64 = 1 << 5
private let d: UInt64 = 1 << 6
private let pse: UInt64 = 1 << 7
private let nx: UInt64 = 1 << 63
private let pageTable: UInt64 = p | rw | user | a | d

let la57Vectors: [HelperVector] = [
  HelperVector(
    arch: "x86_64-la57", name: "user table entry", raw: 0x1234_5000 | pageTable, level: .pgd,
    none: false, present: true, leaf: false, bad: false,
    source: "§2 5-level: pgd_bad = (flags & ~USER) != _KERNPG_TABLE [X1]"),
  HelperVector(
    arch: "x86_64-la57", name: "zero", raw: 0, level: .pgd, none: true, present: false,
    source: "§2 5-level: pgd_none = val == 0"),
  HelperVector(
    arch: "x86_64-la57", name: "table entry without ACCESSED|DIRTY", raw: 0x1234_5000 | p | rw, level: .pgd,
    bad: true, source: "§2 pgd_bad asks for exactly _KERNPG_TABLE"),
  HelperVector(
    arch: "x86_64-la57", name: "table entry with NX (PTI exception not modelled)", raw: 0x1234_5000 | pageTable | nx,
    level: .pgd, bad: true, source: "§2 pgd_bad ignores NX only under PTI"),
  HelperVector(
    arch: "x86_64-la57", name: "user table entry", raw: 0x1234_5000 | pageTable, level: .p4d,
    none: false, present: true, bad: false, source: "§2 p4d_none/p4d_bad as with 4 levels"),
  HelperVector(
    arch: "x86_64-la57", name: "PROT_NONE PUD", raw: (0x000F_FFFF_C000_0000 ^ 0x8000_0000) | (1 << 8) | pse | user | a,
    level: .pud, present: false, leaf: true, pfn: 0x80000,
    source: "§2 pud_present = PRESENT only, pud_leaf = PSE; L1TF inversion [X3]"),
  HelperVector(
    arch: "x86_64", name: "zero at the run-time-folded pgd", raw: 0, level: .pgd, none: false, bad: false,
    source: "§2 4-level: pgd_none and pgd_bad return 0"),
]

@Suite("x86_64 LA57 encoding vectors")
struct X86_64LA57EncodingTests {
  @Test(arguments: la57Vectors)
  func vector(_ vector: HelperVector) throws { try vector.check() }

  @Test func geometry() throws {
    try GeometryVector(
      arch: "x86_64-la57", pageShift: 12, shifts: [48, 39, 30, 21, 12], entries: [512, 512, 512, 512, 512],
      folded: [], userLimit: (1 << 56) - 4096, source: "§2 LA57: PGDIR_SHIFT 48, PTRS_PER_P4D 512 [X4]"
    ).check()
  }
}
