import PfnModel
import Testing

// Raw x86_64 bits, written out from the bit table of arch-pagetables.md §2
// (deliberately not taken from the model, whose constants are what is tested).
enum Bit {
  static let P: UInt64 = 1 << 0
  static let RW: UInt64 = 1 << 1
  static let USER: UInt64 = 1 << 2
  static let PWT: UInt64 = 1 << 3
  static let PCD: UInt64 = 1 << 4
  static let A: UInt64 = 1 << 5
  static let D: UInt64 = 1 << 6
  static let PSE: UInt64 = 1 << 7
  static let G: UInt64 = 1 << 8  // PROTNONE when P is clear
  static let SPECIAL: UInt64 = 1 << 9
  static let SOFTW3: UInt64 = 1 << 11
  static let PAT_LARGE: UInt64 = 1 << 12
  static let NX: UInt64 = 1 << 63
  /// `PTE_PFN_MASK`: bits 12..51.
  static let ptePFN: UInt64 = 0x000F_FFFF_FFFF_F000
  /// `PHYSICAL_PMD_PAGE_MASK`: bits 21..51.
  static let pmdPFN: UInt64 = 0x000F_FFFF_FFE0_0000
  /// `PHYSICAL_PUD_PAGE_MASK`: bits 30..51.
  static let pudPFN: UInt64 = 0x000F_FFFF_C000_0000
  /// `_PAGE_TABLE` = P|RW|USER|A|D.
  static let pageTable: UInt64 = P | RW | USER | A | D
}

/// The x86_64 vectors use the shared vector type, on `x86_64` by default.
typealias EncodingVector = HelperVector

// Hand-built values used by several vectors.
/// A user table entry pointing to the table at physical 0x1234_5000.
let userTableEntry: UInt64 = 0x1234_5000 | Bit.pageTable
/// A PMD leaf of pfn 0x123400 (2 MiB aligned: physical 0x1_2340_0000).
let pmdLeafEntry: UInt64 = 0x1_2340_0000 | Bit.pageTable | Bit.PSE | Bit.SPECIAL | Bit.NX
/// A PUD leaf of pfn 0x80000 (1 GiB aligned: physical 0x8000_0000).
let pudLeafEntry: UInt64 = 0x8000_0000 | Bit.pageTable | Bit.PSE
/// PROT_NONE PMD of pfn 0x123400: P=0, G=1, PSE=1, pfn bits 21..51 inverted.
let protnonePMD: UInt64 = (Bit.pmdPFN ^ 0x1_2340_0000) | Bit.G | Bit.PSE | Bit.USER | Bit.A
/// PROT_NONE PUD of pfn 0x80000: P=0, G=1, PSE=1, pfn bits 30..51 inverted.
let protnonePUD: UInt64 = (Bit.pudPFN ^ 0x8000_0000) | Bit.G | Bit.PSE | Bit.USER | Bit.A
/// PROT_NONE PTE of pfn 0x12345: P=0, G=1, pfn bits 12..51 inverted.
let protnonePTE: UInt64 = (Bit.ptePFN ^ 0x1234_5000) | Bit.G | Bit.USER | Bit.A
/// A swap entry: type 1 in bits 59..63, offset 0x1234 inverted in bits 9..58;
/// bits 0, 7 and 8 clear.
let swapEntry: UInt64 = (1 << 59) | (0x07FF_FFFF_FFFF_FE00 ^ (0x1234 << 9))
/// A PTE leaf of pfn 0x12345.
let pteLeafEntry: UInt64 = 0x1234_5000 | Bit.pageTable | Bit.SPECIAL

let encodingVectors: [EncodingVector] = [
  // Table entries.
  EncodingVector(
    name: "user table entry", raw: userTableEntry, level: .pud,
    none: false, present: true, leaf: false, bad: false, pfn: 0x12345,
    source: "arch-pagetables.md §2 Table entries (_PAGE_TABLE), pud_present/pud_leaf/pud_bad"),
  EncodingVector(
    name: "user table entry", raw: userTableEntry, level: .pmd,
    none: false, present: true, leaf: false, bad: false, transHuge: false, pfn: 0x12345,
    pgprot: Bit.pageTable,
    source: "arch-pagetables.md §2 Table entries (_PAGE_TABLE), pmd_present/pmd_leaf/pmd_bad"),
  EncodingVector(
    name: "user table entry", raw: userTableEntry, level: .p4d,
    none: false, present: true, leaf: false, bad: false,
    source: "arch-pagetables.md §2 p4d_present/p4d_none/p4d_bad"),
  EncodingVector(
    name: "kernel table entry without USER", raw: 0x1234_5000 | Bit.P | Bit.RW | Bit.A | Bit.D, level: .pmd,
    present: true, leaf: false, bad: false,
    source: "arch-pagetables.md §2 pmd_bad ((flags & ~(USER|A)) != _KERNPG_TABLE & ~A)"),
  EncodingVector(
    name: "table entry without A (ignored by pmd_bad)", raw: 0x1234_5000 | Bit.P | Bit.RW | Bit.USER | Bit.D,
    level: .pmd, bad: false,
    source: "arch-pagetables.md §2 pmd_bad ((flags & ~(USER|A)) != _KERNPG_TABLE & ~A)"),
  EncodingVector(
    name: "table entry without D", raw: 0x1234_5000 | Bit.P | Bit.RW | Bit.USER | Bit.A, level: .pmd,
    present: true, leaf: false, bad: true,
    source: "arch-pagetables.md §2 pmd_bad (_KERNPG_TABLE includes DIRTY)"),
  EncodingVector(
    name: "table entry with a stray SOFTW3", raw: userTableEntry | Bit.SOFTW3, level: .pud,
    present: true, leaf: false, bad: true,
    source: "arch-pagetables.md §2 pud_bad (flags & ~(_KERNPG_TABLE|USER) != 0)"),

  // Huge leaves.
  EncodingVector(
    name: "PMD leaf (PSE)", raw: pmdLeafEntry, level: .pmd,
    none: false, present: true, leaf: true, bad: true, transHuge: true, pfn: 0x123400, write: true,
    special: true, pgprot: Bit.pageTable | Bit.PSE | Bit.SPECIAL | Bit.NX,
    source: "arch-pagetables.md §2 pmd_leaf (flags & PSE), pmd_bad (true for any PSE leaf)"),
  EncodingVector(
    name: "PMD leaf with PAT_LARGE", raw: pmdLeafEntry | Bit.PAT_LARGE, level: .pmd,
    present: true, leaf: true, pfn: 0x123400,
    pgprot: Bit.pageTable | Bit.PSE | Bit.SPECIAL | Bit.NX | Bit.PAT_LARGE,
    source: "arch-pagetables.md §2 pmd_flags (huge pfn mask when PSE is set), pXd_pgprot"),
  EncodingVector(
    name: "PMD leaf, read-only, not special", raw: 0x1_2340_0000 | Bit.P | Bit.USER | Bit.A | Bit.PSE,
    level: .pmd, present: true, leaf: true, pfn: 0x123400, write: false, special: false,
    source: "arch-pagetables.md §2 pmd_write (RW, bit 1), pmd_special (bit 9)"),
  EncodingVector(
    name: "PUD leaf (PSE)", raw: pudLeafEntry, level: .pud,
    none: false, present: true, leaf: true, bad: true, pfn: 0x80000, write: true, special: false,
    pgprot: Bit.pageTable | Bit.PSE,
    source: "arch-pagetables.md §2 pud_leaf (val & PSE), pud_bad (flags & ~(_KERNPG_TABLE|USER))"),
  EncodingVector(
    name: "PUD leaf with PAT_LARGE and SPECIAL", raw: pudLeafEntry | Bit.PAT_LARGE | Bit.SPECIAL, level: .pud,
    present: true, leaf: true, pfn: 0x80000, special: true,
    pgprot: Bit.pageTable | Bit.PSE | Bit.PAT_LARGE | Bit.SPECIAL,
    source: "arch-pagetables.md §2 pud_flags (huge pfn mask when PSE is set), pud_special (bit 9)"),

  // PROT_NONE (L1TF-inverted pfn).
  EncodingVector(
    name: "PROT_NONE PMD", raw: protnonePMD, level: .pmd,
    none: false, present: true, leaf: true, bad: true, transHuge: true, pfn: 0x123400, write: false,
    special: false, pgprot: Bit.G | Bit.PSE | Bit.USER | Bit.A,
    source: "arch-pagetables.md §2 pmd_present (PRESENT|PROTNONE|PSE), Swap entries: PROT_NONE PMD, L1TF inversion"),
  EncodingVector(
    name: "PROT_NONE PUD", raw: protnonePUD, level: .pud,
    none: false, present: false, leaf: true, pfn: 0x80000,
    source: "arch-pagetables.md §2 pud_present (PRESENT only) vs pud_leaf (PSE, no present test)"),
  EncodingVector(
    name: "PROT_NONE PTE", raw: protnonePTE, level: .pte,
    none: false, present: true, pfn: 0x12345, write: false, special: false,
    pgprot: Bit.G | Bit.USER | Bit.A,
    source: "arch-pagetables.md §2 pte_present (PRESENT|PROTNONE), L1TF inversion"),

  // Swap entries.
  EncodingVector(
    name: "swap PMD (migration entry)", raw: swapEntry, level: .pmd,
    none: false, present: false, leaf: false, transHuge: false,
    source: "arch-pagetables.md §2 Swap entries (bits 0, 7, 8 clear: pmd_present=0, pmd_leaf=0)"),
  EncodingVector(
    name: "swap PTE", raw: swapEntry, level: .pte,
    none: false, present: false,
    source: "arch-pagetables.md §2 Swap entries, pte_present (PRESENT|PROTNONE)"),
  EncodingVector(
    name: "swap PUD", raw: swapEntry, level: .pud,
    none: false, present: false, leaf: false,
    source: "arch-pagetables.md §2 Swap entries, pud_present (PRESENT only)"),

  // pXd_none and the erratum mask.
  EncodingVector(
    name: "only A|D (erratum)", raw: Bit.A | Bit.D, level: .pte, none: true, present: false,
    source: "arch-pagetables.md §2 pmd_none/pud_none/p4d_none ((val & ~(A|D)) == 0), _PAGE_KNL_ERRATUM_MASK"),
  EncodingVector(
    name: "only A|D (erratum)", raw: Bit.A | Bit.D, level: .pmd, none: true, present: false,
    source: "arch-pagetables.md §2 pmd_none ((val & ~(A|D)) == 0)"),
  EncodingVector(
    name: "only A|D (erratum)", raw: Bit.A | Bit.D, level: .pud, none: true, present: false,
    source: "arch-pagetables.md §2 pud_none ((val & ~(A|D)) == 0)"),
  EncodingVector(
    name: "only A|D (erratum)", raw: Bit.A | Bit.D, level: .p4d, none: true, present: false,
    source: "arch-pagetables.md §2 p4d_none ((val & ~(A|D)) == 0)"),
  EncodingVector(
    name: "zero", raw: 0, level: .pmd, none: true, present: false, leaf: false,
    source: "arch-pagetables.md §2 pmd_none"),
  EncodingVector(
    name: "A|D|USER is not none", raw: Bit.A | Bit.D | Bit.USER, level: .pud, none: false,
    source: "arch-pagetables.md §2 pud_none ((val & ~(A|D)) == 0)"),

  // PTE leaves: special, write, pgprot.
  EncodingVector(
    name: "PTE leaf, special", raw: pteLeafEntry, level: .pte,
    none: false, present: true, pfn: 0x12345, write: true, special: true,
    pgprot: Bit.pageTable | Bit.SPECIAL,
    source: "arch-pagetables.md §2 Bits (9 = _PAGE_SPECIAL on pte), pte_write (RW)"),
  EncodingVector(
    name: "PTE leaf, read-only, not special", raw: 0x1234_5000 | Bit.P | Bit.USER | Bit.A, level: .pte,
    present: true, pfn: 0x12345, write: false, special: false, pgprot: Bit.P | Bit.USER | Bit.A,
    source: "arch-pagetables.md §2 pte_write (RW, bit 1), Bits (bit 9 SPECIAL)"),
  EncodingVector(
    name: "PTE leaf with PAT (bit 7), PCD|PWT, NX", raw: 0x1234_5000 | Bit.pageTable | Bit.PSE | Bit.PCD | Bit.PWT | Bit.NX,
    level: .pte, present: true, pfn: 0x12345,
    pgprot: Bit.pageTable | Bit.PSE | Bit.PCD | Bit.PWT | Bit.NX,
    source: "arch-pagetables.md §2 Bits (7 = PAT on 4K PTEs), pXd_pgprot (everything outside PTE_PFN_MASK)"),

  // Corner cases of the present/bad tests.
  EncodingVector(
    name: "only PSE", raw: Bit.PSE, level: .pmd, none: false, present: true, leaf: true,
    source: "arch-pagetables.md §2 pmd_present (PRESENT|PROTNONE|PSE)"),
  EncodingVector(
    name: "only PSE", raw: Bit.PSE, level: .pud, none: false, present: false, leaf: true,
    source: "arch-pagetables.md §2 pud_present (PRESENT only), pud_leaf (val & PSE)"),
  EncodingVector(
    name: "only G (PROTNONE)", raw: Bit.G, level: .pte, none: false, present: true,
    source: "arch-pagetables.md §2 pte_present (PRESENT|PROTNONE)"),
  EncodingVector(
    name: "only G (PROTNONE)", raw: Bit.G, level: .pmd, present: true, leaf: false,
    source: "arch-pagetables.md §2 pmd_present (PRESENT|PROTNONE|PSE), pmd_leaf (PSE)"),
  EncodingVector(
    name: "table entry with NX", raw: userTableEntry | Bit.NX, level: .pmd, present: true, bad: true,
    source: "arch-pagetables.md §2 pmd_bad (only USER and A are ignored)"),
  EncodingVector(
    name: "table entry with NX", raw: userTableEntry | Bit.NX, level: .pud, present: true, bad: true,
    source: "arch-pagetables.md §2 pud_bad (flags & ~(_KERNPG_TABLE|USER) != 0)"),
  EncodingVector(
    name: "only A|D: pfn field inverted", raw: Bit.A | Bit.D, level: .pte, pfn: 0xFF_FFFF_FFFF,
    source: "arch-pagetables.md §2 L1TF inversion (val != 0 && !PRESENT)"),
  EncodingVector(
    name: "non-present PMD with PSE: huge pfn mask", raw: (Bit.pmdPFN ^ 0x4000_0000) | Bit.PSE | Bit.PAT_LARGE,
    level: .pmd, present: true, leaf: true, pfn: 0x40000, pgprot: Bit.PSE | Bit.PAT_LARGE,
    source: "arch-pagetables.md §2 L1TF inversion, pmd_flags (huge pfn mask when PSE is set)"),

  // The folded-at-run-time pgd (4-level paging).
  EncodingVector(
    name: "empty pgd", raw: 0, level: .pgd, none: false, bad: false,
    source: "arch-pagetables.md §2 Levels, 4-level (runtime fold): pgd_none returns 0"),
  EncodingVector(
    name: "garbage pgd", raw: 0xDEAD_BEEF_0000_0FFF, level: .pgd, none: false, bad: false,
    source: "arch-pagetables.md §2 Levels, 4-level (runtime fold): pgd_bad returns 0"),
]

@Suite("x86_64 encoding vectors")
struct X86_64EncodingVectorTests {
  let arch = X86_64()

  @Test("helpers answer as the facts file says", arguments: encodingVectors)
  func vector(_ v: EncodingVector) throws {
    try v.check()
  }

  @Test func everyVectorNamesItsSourceAndChecksSomething() {
    for v in encodingVectors {
      #expect(v.source.hasPrefix("arch-pagetables.md §"), "\(v.testDescription)")
      let checks: [Any?] = [v.none, v.present, v.leaf, v.bad, v.transHuge, v.pfn, v.write, v.special, v.pgprot]
      #expect(checks.contains { $0 != nil }, "\(v.testDescription) checks nothing")
    }
  }

  @Test func hugeVectorsAreBuiltCorrectly() {
    // The hand-built inverted values really are inversions (guards against typos above).
    #expect(protnonePMD & Bit.P == 0)
    #expect((protnonePMD ^ ~UInt64(0)) & Bit.pmdPFN == 0x1_2340_0000)
    #expect((protnonePUD ^ ~UInt64(0)) & Bit.pudPFN == 0x8000_0000)
    #expect((protnonePTE ^ ~UInt64(0)) & Bit.ptePFN == 0x1234_5000)
    #expect(swapEntry & (Bit.P | Bit.PSE | Bit.G) == 0)
  }

  @Test(arguments: [PageLevel.pte, .pmd, .pud])
  func specialIsBit9(_ level: PageLevel) {
    let base: UInt64 = 0x8000_0000 | Bit.pageTable | (level == .pte ? 0 : Bit.PSE)
    #expect(!arch.isSpecial(base, level))
    #expect(arch.isSpecial(base | Bit.SPECIAL, level))
    // Neighbouring software bits are not special.
    #expect(!arch.isSpecial(base | (1 << 10) | Bit.SOFTW3, level))
  }

  @Test(arguments: [PageLevel.pte, .pmd, .pud])
  func writeIsBit1(_ level: PageLevel) {
    let base: UInt64 = 0x8000_0000 | Bit.P | Bit.USER | Bit.A | Bit.D | (level == .pte ? 0 : Bit.PSE)
    #expect(!arch.isWrite(base, level))
    #expect(arch.isWrite(base | Bit.RW, level))
  }

  @Test func pgdAndP4dAreNeverLeaves() {
    #expect(!arch.isLeaf(pudLeafEntry, .p4d))
    #expect(!arch.isLeaf(pudLeafEntry, .pgd))
    #expect(!arch.isSpecial(pudLeafEntry | Bit.SPECIAL, .p4d))
    #expect(arch.isPresent(0, .pgd), "pgd_present with a run-time fold")
  }
}

@Suite("x86_64 geometry")
struct X86_64GeometryTests {
  let arch = X86_64()

  @Test func shiftsAndSizes() {
    #expect(arch.pageShift == 12)
    #expect(arch.shift(.pte) == 12)
    #expect(arch.shift(.pmd) == 21)
    #expect(arch.shift(.pud) == 30)
    #expect(arch.shift(.pgd) == 39)
    #expect(arch.size(.pmd) == 2 << 20)
    #expect(arch.size(.pud) == 1 << 30)
    #expect(arch.mask(.pmd) == 0xFFFF_FFFF_FFE0_0000)
    #expect(arch.mask(.pud) == 0xFFFF_FFFF_C000_0000)
    #expect(arch.mask(.pte) == 0xFFFF_FFFF_FFFF_F000)
    #expect(arch.pageSize == 4096)
  }

  @Test func folding() {
    #expect(arch.isFolded(.p4d))
    #expect(arch.entriesPerTable(.p4d) == 1)
    for level in [PageLevel.pgd, .pud, .pmd, .pte] {
      #expect(!arch.isFolded(level))
      #expect(arch.entriesPerTable(level) == 512)
    }
    #expect(arch.hardwareLevels == [.pgd, .pud, .pmd, .pte])
    #expect(arch.userAddressLimit == 0x7FFF_FFFF_F000)
  }

  @Test func indices() {
    let address: UInt64 = 0x7f00_8020_3000
    #expect(arch.index(address, .pgd) == Int((address >> 39) & 511))
    #expect(arch.index(address, .pud) == Int((address >> 30) & 511))
    #expect(arch.index(address, .pmd) == 1)
    #expect(arch.index(address, .pte) == 3)
    #expect(arch.index(address, .p4d) == 0)
  }

  @Test func capabilities() {
    let newest = arch.capabilities(.newest)
    #expect(newest.pmdPfnmap && newest.pudPfnmap && newest.pteSpecial && newest.splitPMDLocks)
    #expect(newest.leafLevels == [.pud, .pmd, .pte])
    let old = arch.capabilities(KernelRelease(6, 11))
    #expect(!old.pmdPfnmap && !old.pudPfnmap)
    #expect(old.leafLevels == [.pte])
    #expect(Architectures.named("x86_64")?.name == "x86_64")
  }
}

@Suite("x86_64 encoders against the helpers")
struct X86_64EncoderTests {
  let arch = X86_64()

  static let leafLevels: [PageLevel] = [.pud, .pmd, .pte]
  static let flagCombos: [(writable: Bool, special: Bool)] = [(true, true), (true, false), (false, true), (false, false)]

  /// A pfn aligned for `level`, with high bits set to catch truncation.
  static func alignedPFN(_ level: PageLevel) -> UInt64 {
    switch level {
    case .pud: 0xABC << 18
    case .pmd: 0xABCDE << 9
    default: 0xABC_DEF1
    }
  }

  @Test(arguments: leafLevels)
  func leafRoundTrip(_ level: PageLevel) throws {
    let pfn = Self.alignedPFN(level)
    for combo in Self.flagCombos {
      let props = LeafProperties(pfn: pfn, writable: combo.writable, special: combo.special)
      let entry = try #require(arch.makeLeaf(props, level))
      #expect(arch.pfn(entry, level) == pfn)
      #expect(arch.isPresent(entry, level))
      #expect(arch.isLeaf(entry, level))
      #expect(!arch.isNone(entry, level))
      #expect(arch.isWrite(entry, level) == combo.writable)
      #expect(arch.isSpecial(entry, level) == combo.special)
      // pgprot never contains pfn bits (huge mask at pmd/pud).
      let pfnField = level == .pud ? Bit.pudPFN : level == .pmd ? Bit.pmdPFN : Bit.ptePFN
      #expect(arch.pgprot(entry, level) & pfnField == 0)
      #expect(arch.pgprot(entry, level) | (entry & pfnField) == entry)
      if level != .pte {
        #expect(arch.isBad(entry, level), "a \(level) leaf is \(level)_bad on x86_64")
        #expect(entry & Bit.PSE != 0)
      }
    }
  }

  @Test func leafOptionalBits() throws {
    let plain = try #require(arch.makeLeaf(LeafProperties(pfn: 0x12345, writable: false, special: false), .pte))
    #expect(plain == 0x1234_5000 | Bit.P | Bit.USER | Bit.A | Bit.NX)
    let all = try #require(
      arch.makeLeaf(
        LeafProperties(pfn: 0x12345, writable: true, special: true, dirty: true, executable: true, uncached: true),
        .pte))
    #expect(all == 0x1234_5000 | Bit.pageTable | Bit.SPECIAL | Bit.PCD | Bit.PWT)
    let pmd = try #require(arch.makeLeaf(LeafProperties(pfn: 0x200), .pmd))
    #expect(pmd == 0x20_0000 | Bit.P | Bit.RW | Bit.USER | Bit.A | Bit.PSE | Bit.SPECIAL | Bit.NX)
  }

  @Test func noLeafAboveThePUD() {
    #expect(arch.makeLeaf(LeafProperties(pfn: 0), .pgd) == nil)
    #expect(arch.makeLeaf(LeafProperties(pfn: 0), .p4d) == nil)
  }

  @Test(arguments: [PageLevel.p4d, .pud, .pmd])
  func tableRoundTrip(_ level: PageLevel) {
    let table: UInt64 = 0x1234_5000
    let entry = arch.makeTable(table, level)
    #expect(entry == table | Bit.pageTable)
    #expect(arch.isPresent(entry, level))
    #expect(!arch.isLeaf(entry, level))
    #expect(!arch.isBad(entry, level))
    #expect(!arch.isNone(entry, level))
    #expect(arch.tableAddress(entry, level) == table)
  }

  @Test func protnone() throws {
    let pmd = try #require(arch.makeNonLeaf(.protnone, .pmd, pfn: 0x123400))
    #expect(pmd == protnonePMD)
    #expect(arch.isPresent(pmd, .pmd) && arch.isLeaf(pmd, .pmd))
    #expect(arch.pfn(pmd, .pmd) == 0x123400)

    let pud = try #require(arch.makeNonLeaf(.protnone, .pud, pfn: 0x80000))
    #expect(pud == protnonePUD)
    #expect(!arch.isPresent(pud, .pud), "pud_present looks at PRESENT only")
    #expect(arch.isLeaf(pud, .pud), "pud_leaf has no present test")
    #expect(arch.pfn(pud, .pud) == 0x80000)

    let pte = try #require(arch.makeNonLeaf(.protnone, .pte, pfn: 0x12345))
    #expect(pte == protnonePTE)
    #expect(arch.isPresent(pte, .pte))
    #expect(arch.pfn(pte, .pte) == 0x12345)
    #expect(!arch.isNone(pte, .pte))
  }

  @Test(arguments: [PageLevel.pud, .pmd, .pte])
  func swap(_ level: PageLevel) throws {
    let entry = try #require(arch.makeNonLeaf(.swap, level, pfn: 0x1234))
    #expect(entry & (Bit.P | Bit.PSE | Bit.G) == 0)
    #expect(!arch.isPresent(entry, level))
    #expect(!arch.isNone(entry, level))
    if level != .pte { #expect(!arch.isLeaf(entry, level)) }
  }

  @Test(arguments: [PageLevel.pud, .pmd])
  func bad(_ level: PageLevel) throws {
    let entry = try #require(arch.makeNonLeaf(.bad, level, pfn: 0x5555))
    #expect(arch.isBad(entry, level))
    #expect(arch.isPresent(entry, level))
    #expect(!arch.isLeaf(entry, level))
    #expect(!arch.isNone(entry, level))
  }

  @Test func nonLeafAvailability() {
    for level in PageLevel.allCases {
      #expect(arch.makeNonLeaf(.none, level, pfn: 7).map { arch.isNone($0, level) || level == .pgd } == true)
    }
    #expect(arch.makeNonLeaf(.bad, .pte, pfn: 1) == nil)
    #expect(arch.makeNonLeaf(.bad, .pgd, pfn: 1) == nil)
    #expect(arch.makeNonLeaf(.swap, .pgd, pfn: 1) == nil)
    #expect(arch.makeNonLeaf(.protnone, .p4d, pfn: 1) == nil)
    #expect(arch.emptyEntry(.pmd) == 0)
  }
}
