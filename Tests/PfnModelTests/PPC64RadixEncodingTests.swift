import PfnModel
import Testing

// powerpc64 radix bits in CPU order, from arch-pagetables.md §6 [P1].
private let exec: UInt64 = 0x1
private let write: UInt64 = 0x2
private let read: UInt64 = 0x4
private let accessed: UInt64 = 0x100
private let special: UInt64 = 0x400
private let invalid: UInt64 = 1 << 61
private let pteBit: UInt64 = 1 << 62
private let present: UInt64 = 1 << 63
/// Entries are big-endian in memory: the raw value a little-endian CPU loads.
private func stored(_ value: UInt64) -> UInt64 { value.bigEndian }

private let hugeLeaf: UInt64 = 0x4000_0000 | present | pteBit | read | write | accessed | special

let ppc64Vectors: [HelperVector] = [
  HelperVector(
    arch: "ppc64-radix-4k", name: "table entry (PRESENT | address | next index size)",
    raw: stored(present | 0x1234_5000 | 9), level: .pud,
    none: false, present: true, leaf: false, bad: false, source: "§6 leaf marker _PAGE_PTE absent; bad bits clear"),
  HelperVector(
    arch: "ppc64-radix-4k", name: "writable special huge leaf", raw: stored(hugeLeaf), level: .pmd,
    present: true, leaf: true, bad: true, transHuge: true, pfn: 0x40000, write: true, special: false, pgprot: 0,
    source: "§6 leaf = _PAGE_PTE; RADIX_PMD_BAD_BITS include it; pmd_special/pgprot only in the RFC [P2]"),
  HelperVector(
    arch: "ppc64-radix-4k", name: "swap PMD (carries _PAGE_PTE)", raw: stored(pteBit | 1 | (0x1234 << 12)),
    level: .pmd, none: false, present: false, leaf: true,
    source: "§6 __swp_entry_to_pmd sets _PAGE_PTE: swap PMDs are pmd_leaf [S3]"),
  HelperVector(
    arch: "ppc64-radix-4k", name: "invalidated huge PMD", raw: stored(invalid | pteBit | read | 0x4000_0000),
    level: .pmd, present: true, leaf: true, source: "§6 pmd_present = PRESENT or INVALID"),
  HelperVector(
    arch: "ppc64-radix-4k", name: "invalidated huge PUD", raw: stored(invalid | pteBit | read | 0x4000_0000),
    level: .pud, present: false, leaf: true, source: "§6 pud_present = PRESENT only; pud_leaf has no present test"),
  HelperVector(
    arch: "ppc64-radix-4k", name: "PROT_NONE (PRESENT|PTE, no R/W/X)", raw: stored(present | pteBit | 0x20_0000),
    level: .pmd, present: true, leaf: true, write: false, source: "§6 PROT_NONE"),
  HelperVector(
    arch: "ppc64-radix-4k", name: "PRESENT as stored: byte 0, bit 7", raw: 0x80, level: .pud,
    present: true, bad: false, source: "§6 entries are big-endian; helpers test cpu_to_be64(mask)"),
  HelperVector(
    arch: "ppc64-radix-4k", name: "bit 63 as stored is 0x80 (DIRTY) in CPU order", raw: 1 << 63, level: .pmd,
    present: false, bad: true, source: "§6 bad bits 0x60000000000000e0, in CPU order"),
  HelperVector(
    arch: "ppc64-radix-4k", name: "special page", raw: stored(0x1234_5000 | present | pteBit | read | exec | special),
    level: .pte, present: true, pfn: 0x12345, write: false, special: true,
    pgprot: present | pteBit | read | exec | special,
    source: "§6 SW2 = _PAGE_SPECIAL; pte_pgprot exists (the bits outside the RPN: unconfirmed)"),
  HelperVector(
    arch: "ppc64-radix-4k", name: "zero", raw: 0, level: .pmd, none: true, present: false,
    source: "§6 none = raw 0"),
]

@Suite("ppc64 radix encoding vectors")
struct PPC64RadixEncodingTests {
  @Test(arguments: ppc64Vectors)
  func vector(_ vector: HelperVector) throws { try vector.check() }

  @Test func geometry() throws {
    try GeometryVector(
      arch: "ppc64-radix-4k", pageShift: 12, shifts: [39, 39, 30, 21, 12], entries: [8192, 1, 512, 512, 512],
      folded: [.p4d], userLimit: 1 << 52, source: "§6 radix 4K index sizes 9/9/9/13; TASK_SIZE unconfirmed"
    ).check()
  }

  @Test("the 64 KiB pgd spans 16 frames, and its last entry is reachable")
  func largePGD() throws {
    let arch = PPC64Radix()
    let world = World(arch: arch)
    let top = arch.userAddressLimit - arch.pageSize
    try world.addVMA(start: top, end: arch.userAddressLimit, flags: [.io, .pfnmap], fileBacked: false)
    try world.installLeaf(LeafProperties(pfn: 0x777), at: .pte, covering: top)
    let t = try #require(world.translate(top + 5))
    #expect(t.pfn == 0x777)
    let pgdEntry = try #require(try world.entryPointer(top, at: .pgd, create: false))
    #expect(arch.index(top, .pgd) == 8191)
    #expect(world.value(at: pgdEntry) != 0)
  }
}
