import PfnModel
import Testing

/// A VMA-sized region used across the model tests: 1 GiB aligned, 2 GiB long.
let regionStart: UInt64 = 0x7f00_4000_0000
let gib: UInt64 = 1 << 30
let mib2: UInt64 = 2 << 20
let page: UInt64 = 4096

func makeWorld() -> World { World(arch: X86_64()) }

@Suite("World: building")
struct WorldBuildingTests {
  @Test func entryPointerCreatesIntermediateTables() throws {
    let world = makeWorld()
    let arch = world.arch
    let address = regionStart + gib + mib2 + 3 * page
    #expect(try world.entryPointer(address, at: .pte, create: false) == nil)
    #expect(try world.entryPointer(address, at: .pud, create: false) == nil)

    let ptep = try #require(try world.entryPointer(address, at: .pte, create: true))
    #expect(world.value(at: ptep) == 0)
    #expect(ptep.address & 0xFFF == 3 * 8, "pte index 3")

    // Every level above is now a valid table entry pointing at the next table.
    let pgdp = try #require(try world.entryPointer(address, at: .pgd, create: false))
    let p4dp = try #require(try world.entryPointer(address, at: .p4d, create: false))
    #expect(p4dp == pgdp, "p4d is folded into the pgd")
    let pudp = try #require(try world.entryPointer(address, at: .pud, create: false))
    let pmdp = try #require(try world.entryPointer(address, at: .pmd, create: false))
    let chain: [(EntryPointer, PageLevel, EntryPointer)] = [(p4dp, .p4d, pudp), (pudp, .pud, pmdp), (pmdp, .pmd, ptep)]
    for (pointer, level, child) in chain {
      let entry = try #require(world.value(at: pointer))
      #expect(arch.isPresent(entry, level) && !arch.isLeaf(entry, level) && !arch.isBad(entry, level))
      #expect(arch.tableAddress(entry, level) == child.address & ~0xFFF, "\(level) points at the next table")
    }
    #expect(pudp.address & 0xFFF == UInt64(arch.index(address, .pud) * 8))
    #expect(pmdp.address & 0xFFF == 1 * 8)

    // Asking again, with or without create, gives the same pointer and builds nothing.
    let before = world.snapshot()
    #expect(try world.entryPointer(address, at: .pte, create: true) == ptep)
    #expect(try world.entryPointer(address, at: .pte, create: false) == ptep)
    let unchanged = world.snapshot() == before
    #expect(unchanged)

    // A neighbour in the same PTE table shares it.
    let neighbour = try #require(try world.entryPointer(address + page, at: .pte, create: true))
    #expect(neighbour.address == ptep.address + 8)
    #expect(world.snapshot().count == before.count)
  }

  @Test(arguments: [PageLevel.pud, .pmd, .pte])
  func installsALeaf(_ level: PageLevel) throws {
    let world = makeWorld()
    let pfn: UInt64 = level == .pud ? 0x40000 : level == .pmd ? 0x200 * 7 : 0x12345
    let props = LeafProperties(pfn: pfn, writable: false, special: true)
    try world.installLeaf(props, at: level, covering: regionStart + 5 * page)
    let pointer = try #require(try world.entryPointer(regionStart + 5 * page, at: level, create: false))
    #expect(world.value(at: pointer) == world.arch.makeLeaf(props, level))
    if level != .pte {
      // Nothing can be built below a huge leaf.
      #expect(try world.entryPointer(regionStart, at: .pte, create: false) == nil)
      #expect(throws: WorldError.self) { try world.entryPointer(regionStart, at: .pte, create: true) }
    }
  }

  @Test(arguments: [(PageLevel.pmd, UInt64(0x201)), (.pmd, 0x100), (.pud, 0x200), (.pud, 0x40000 + 0x200)])
  func misalignedHugePFNIsAnError(_ level: PageLevel, _ pfn: UInt64) {
    let world = makeWorld()
    #expect(throws: WorldError.self) {
      try world.installLeaf(LeafProperties(pfn: pfn), at: level, covering: regionStart)
    }
    #expect(world.translate(regionStart) == nil)
  }

  @Test func installingOverAnOccupiedEntryIsAnError() throws {
    let world = makeWorld()
    try world.installLeaf(LeafProperties(pfn: 0x12345), at: .pte, covering: regionStart)
    #expect(throws: WorldError.self) {
      try world.installLeaf(LeafProperties(pfn: 0x54321), at: .pte, covering: regionStart)
    }
    #expect(throws: WorldError.self) {
      try world.installEntry(.swap, at: .pte, covering: regionStart + 0xFFF, pfn: 1)
    }
    // The PMD entry is a table now: a PMD leaf cannot replace it.
    #expect(throws: WorldError.self) {
      try world.installLeaf(LeafProperties(pfn: 0x200), at: .pmd, covering: regionStart)
    }
    // A PMD leaf elsewhere, then a PTE under it.
    try world.installLeaf(LeafProperties(pfn: 0x400), at: .pmd, covering: regionStart + mib2)
    #expect(throws: WorldError.self) {
      try world.installLeaf(LeafProperties(pfn: 0x1), at: .pte, covering: regionStart + mib2)
    }
    // The first leaf is untouched.
    #expect(world.translate(regionStart)?.pfn == 0x12345)
  }

  @Test func levelsWithoutEntriesAreErrors() {
    let world = makeWorld()
    #expect(throws: WorldError.self) { try world.installLeaf(LeafProperties(pfn: 0), at: .pgd, covering: regionStart) }
    #expect(throws: WorldError.self) { try world.installEntry(.none, at: .p4d, covering: regionStart, pfn: 0) }
    #expect(throws: WorldError.self) { try world.installEntry(.bad, at: .pte, covering: regionStart, pfn: 0) }
  }

  @Test func vmas() throws {
    let world = makeWorld()
    let vma = try world.addVMA(start: regionStart, end: regionStart + 2 * gib, flags: [.io, .pfnmap], fileBacked: false)
    #expect(vma.start == regionStart && vma.end == regionStart + 2 * gib)
    #expect(vma.file == nil)
    #expect(vma.mm == world.mm)
    #expect(world.vmas == [vma])

    // Overlaps, in every way.
    for (start, end) in [
      (regionStart, regionStart + page), (regionStart - page, regionStart + page),
      (regionStart + 2 * gib - page, regionStart + 2 * gib + page), (regionStart - gib, regionStart + 3 * gib),
    ] {
      #expect(throws: WorldError.self) { try world.addVMA(start: start, end: end, flags: [], fileBacked: false) }
    }
    // Adjacent VMAs are fine, file-backed ones get distinct mappings.
    let below = try world.addVMA(start: regionStart - page, end: regionStart, flags: [.read], fileBacked: true)
    let above = try world.addVMA(
      start: regionStart + 2 * gib, end: regionStart + 2 * gib + page, flags: [.read], fileBacked: true)
    let belowFile = try #require(below.file)
    let aboveFile = try #require(above.file)
    #expect(belowFile != aboveFile)
    let m1 = try #require(world.mapping(of: belowFile))
    let m2 = try #require(world.mapping(of: aboveFile))
    #expect(m1 != m2)
    #expect(world.vmas.count == 3)
  }

  @Test func vmaLimitsAndShape() {
    let world = makeWorld()
    let limit = world.arch.userAddressLimit
    #expect(throws: WorldError.self) {
      try world.addVMA(start: limit - page, end: limit + page, flags: [.io], fileBacked: false)
    }
    #expect(throws: WorldError.self) {
      try world.addVMA(start: limit, end: limit + page, flags: [.io], fileBacked: false)
    }
    #expect(throws: WorldError.self) {
      try world.addVMA(start: regionStart, end: regionStart, flags: [.io], fileBacked: false)
    }
    #expect(throws: WorldError.self) {
      try world.addVMA(start: regionStart + 1, end: regionStart + page, flags: [.io], fileBacked: false)
    }
    #expect(throws: WorldError.self) {
      try world.addVMA(start: regionStart + page, end: regionStart, flags: [.io], fileBacked: false)
    }
    #expect(world.vmas.isEmpty)
    // The last page below the limit is fine.
    #expect(throws: Never.self) {
      try world.addVMA(start: limit - page, end: limit, flags: [.io], fileBacked: false)
    }
  }
}

@Suite("World: the oracle")
struct WorldOracleTests {
  static let offsets: [UInt64] = [0, 5 * page, 5 * page + 0x123, mib2 - 1, mib2 + 7 * page, gib - page, gib - 1]

  @Test(arguments: offsets)
  func pudLeaf(_ offset: UInt64) throws {
    let world = makeWorld()
    let base: UInt64 = 0x3 << 18
    try world.installLeaf(LeafProperties(pfn: base, writable: true, special: true), at: .pud, covering: regionStart)
    let t = try #require(world.translate(regionStart + offset))
    #expect(t.level == .pud)
    #expect(t.pfn == base + (offset >> 12))
    #expect(t.pfn == base + ((regionStart + offset) & ~world.arch.mask(.pud)) >> 12)
    #expect(t.addrMask == 0xFFFF_FFFF_C000_0000)
    #expect(t.writable && t.special)
    #expect(t.pgprot == Bit.P | Bit.RW | Bit.USER | Bit.A | Bit.PSE | Bit.SPECIAL | Bit.NX)
    #expect(t.lock == .pageTableLock)
    #expect(t.pointer == (try world.entryPointer(regionStart, at: .pud, create: false)))
    #expect(t.entry == world.value(at: t.pointer))
  }

  @Test(arguments: offsets.filter { $0 < mib2 })
  func pmdLeaf(_ offset: UInt64) throws {
    let world = makeWorld()
    let base: UInt64 = 0x200 * 0x91
    let address = regionStart + gib + 3 * mib2
    try world.installLeaf(LeafProperties(pfn: base, writable: false, special: false), at: .pmd, covering: address)
    let t = try #require(world.translate(address + offset))
    #expect(t.level == .pmd)
    #expect(t.pfn == base + (offset >> 12))
    #expect(t.addrMask == 0xFFFF_FFFF_FFE0_0000)
    #expect(!t.writable && !t.special)
    #expect(t.pgprot == Bit.P | Bit.USER | Bit.A | Bit.PSE | Bit.NX)
    let pmdp = try #require(try world.entryPointer(address, at: .pmd, create: false))
    #expect(t.pointer == pmdp)
    #expect(t.lock == .pmdTable(pfn: pmdp.address >> 12), "split PMD lock: the PMD table page's lock")
    #expect(world.lock(of: .pmd, for: address + offset) == t.lock)
    // The next 2 MiB is not mapped.
    #expect(world.translate(address + mib2) == nil)
  }

  @Test func pteLeaf() throws {
    let world = makeWorld()
    let address = regionStart + 9 * page
    try world.installLeaf(
      LeafProperties(pfn: 0x12345, writable: true, special: false, dirty: true, executable: true, uncached: true),
      at: .pte, covering: address)
    for offset: UInt64 in [0, 1, 0x800, page - 1] {
      let t = try #require(world.translate(address + offset))
      #expect(t.level == .pte)
      #expect(t.pfn == 0x12345)
      #expect(t.addrMask == 0xFFFF_FFFF_FFFF_F000)
      #expect(t.writable && !t.special)
      #expect(t.pgprot == Bit.pageTable | Bit.PCD | Bit.PWT)
      let ptep = try #require(try world.entryPointer(address, at: .pte, create: false))
      #expect(t.pointer == ptep)
      #expect(t.lock == .pteTable(pfn: ptep.address >> 12), "PTE lock: the PTE table page's lock")
    }
    #expect(world.translate(address - page) == nil, "empty pte")
    #expect(world.translate(address + page) == nil, "empty pte")
  }

  @Test func protnonePMDIsAMapping() throws {
    // pmd_present() is true for PROT_NONE, so the oracle (like the fixed walker) reports it.
    let world = makeWorld()
    try world.installEntry(.protnone, at: .pmd, covering: regionStart, pfn: 0x400)
    let t = try #require(world.translate(regionStart + 3 * page))
    #expect(t.level == .pmd)
    #expect(t.pfn == 0x403)
    #expect(!t.writable)
  }

  @Test func protnonePTEIsAMapping() throws {
    let world = makeWorld()
    try world.installEntry(.protnone, at: .pte, covering: regionStart, pfn: 0x777)
    let t = try #require(world.translate(regionStart))
    #expect(t.level == .pte && t.pfn == 0x777)
  }

  enum Absent: String, CaseIterable, Sendable {
    case nothingBuilt, swapPTE, swapPMD, swapPUD, protnonePUD, badPMD, badPUD, emptyPTE, emptyPMD
  }

  @Test(arguments: Absent.allCases)
  func translateIsNil(_ what: Absent) throws {
    let world = makeWorld()
    let address = regionStart + gib + mib2 + page
    switch what {
    case .nothingBuilt: break
    case .swapPTE: try world.installEntry(.swap, at: .pte, covering: address, pfn: 0x99)
    case .swapPMD: try world.installEntry(.swap, at: .pmd, covering: address, pfn: 0x99)
    case .swapPUD: try world.installEntry(.swap, at: .pud, covering: address, pfn: 0x99)
    case .protnonePUD: try world.installEntry(.protnone, at: .pud, covering: address, pfn: 0x40000)
    case .badPMD: try world.installEntry(.bad, at: .pmd, covering: address, pfn: 0x99)
    case .badPUD: try world.installEntry(.bad, at: .pud, covering: address, pfn: 0x99)
    case .emptyPTE: _ = try world.entryPointer(address, at: .pte, create: true)
    case .emptyPMD: _ = try world.entryPointer(address, at: .pmd, create: true)
    }
    let before = world.snapshot()
    #expect(world.translate(address) == nil)
    let unchanged = world.snapshot() == before
    #expect(unchanged, "the oracle builds nothing")
  }

  @Test func lockOf() throws {
    let world = makeWorld()
    let address = regionStart + 4 * page
    #expect(world.lock(of: .pte, for: address) == nil)
    #expect(world.lock(of: .pmd, for: address) == nil)
    try world.installLeaf(LeafProperties(pfn: 0x1000), at: .pte, covering: address)
    let pmdp = try #require(try world.entryPointer(address, at: .pmd, create: false))
    let ptep = try #require(try world.entryPointer(address, at: .pte, create: false))
    #expect(world.lock(of: .pud, for: address) == .pageTableLock)
    #expect(world.lock(of: .pmd, for: address) == .pmdTable(pfn: pmdp.address >> 12))
    #expect(world.lock(of: .pte, for: address) == .pteTable(pfn: ptep.address >> 12))
    #expect(world.lock(of: .pte, for: address) == world.translate(address)?.lock)
    #expect(world.pmdLockID(pmdp) == .pmdTable(pfn: pmdp.address >> 12))
    // Two PTE tables have two locks; one PMD table has one.
    try world.installLeaf(LeafProperties(pfn: 0x2000), at: .pte, covering: address + mib2)
    #expect(world.lock(of: .pte, for: address + mib2) != world.lock(of: .pte, for: address))
    #expect(world.lock(of: .pmd, for: address + mib2) == world.lock(of: .pmd, for: address))
  }

  @Test func callerLockDefaults() {
    let world = makeWorld()
    #expect(world.mmapMode == .read)
    #expect(world.heldMappings.isEmpty)
    #expect(world.heldLocks.isEmpty && world.mappedTables.isEmpty)
    #expect(world.lockdepWarnings.isEmpty && world.writes.isEmpty)
    #expect(world.release == .newest)
  }
}

@Suite("A copied world")
struct WorldCopyTests {
  @Test("a copy starts equal and then changes on its own")
  func copyIsIndependent() throws {
    let world = World(arch: X86_64())
    let start: UInt64 = 0x7f00_4000_0000
    try world.addVMA(start: start, end: start + (2 << 30), flags: [.io, .pfnmap], fileBacked: false)
    try world.installLeaf(LeafProperties(pfn: 0x40000), at: .pmd, covering: start)
    let copy = world.copy()
    var a = Hasher(), b = Hasher()
    world.hashState(into: &a)
    copy.hashState(into: &b)
    #expect(a.finalize() == b.finalize())
    #expect(copy.translate(start) == world.translate(start))
    _ = try copy.perform(AdversaryOp(.zap, .pmd), address: start)
    #expect(copy.translate(start) == nil)
    #expect(world.translate(start) != nil)
    #expect(world.adversarySteps == 0 && copy.adversarySteps == 1)
    var c = Hasher(), d = Hasher()
    world.hashState(into: &c)
    copy.hashState(into: &d)
    #expect(c.finalize() != d.finalize())
    // Zapping the original the same way gives the same state again.
    _ = try world.perform(AdversaryOp(.zap, .pmd), address: start)
    var e = Hasher(), f = Hasher()
    world.hashState(into: &e)
    copy.hashState(into: &f)
    #expect(e.finalize() == f.finalize())
  }
}

@Suite("A world's checkpoints")
struct WorldCheckpointTests {
  /// Below every architecture's user address limit (riscv64 Sv39: 256 GiB), 1 GiB aligned.
  static let start: UInt64 = 0x10_4000_0000

  func hash(_ world: World) -> Int {
    var hasher = Hasher()
    world.hashState(into: &hasher)
    return hasher.finalize()
  }

  @Test("restore undoes stores, new tables and counters, on every architecture")
  func restoreUndoesEverything() throws {
    for arch in Architectures.all {
      let world = World(arch: arch)
      let start = Self.start
      try world.addVMA(start: start, end: start + 2 * gib, flags: [.io, .pfnmap], fileBacked: false)
      let level: PageLevel = arch.capabilities(.newest).pmdPfnmap ? .pmd : .pte
      let pagesPerLeaf = arch.size(level) >> UInt64(arch.pageShift)
      try world.installLeaf(LeafProperties(pfn: pagesPerLeaf * 64), at: level, covering: start)
      let before = (world.snapshot(), hash(world), world.translate(start))
      let saved = world.checkpoint()
      for round in 0..<3 {
        // Split (a new table) where it can, then zap what maps the address.
        let ops = world.enabledAdversaryOps(AdversaryKind.allCases, address: start)
        // The adversary works on hardware levels; a leaf in a folded level (2-level arm64) is out of its reach.
        guard !ops.isEmpty else {
          #expect(arch.isFolded(level), "\(arch.name)")
          break
        }
        if let split = ops.first(where: { $0.op.kind == .split }) { _ = try world.apply(split.op, address: start) }
        if let zap = world.enabledAdversaryOps([.zap], address: start).first {
          _ = try world.apply(zap.op, address: start)
        }
        #expect(world.adversarySteps > 0, "\(arch.name)")
        #expect(hash(world) != before.1, "\(arch.name)")
        world.restore(saved)
        #expect(world.snapshot() == before.0, "\(arch.name) round \(round)")
        #expect(hash(world) == before.1, "\(arch.name) round \(round)")
        #expect(world.translate(start) == before.2, "\(arch.name) round \(round)")
        #expect(world.adversarySteps == 0 && world.invalidationSequence == 0)
        // The enabled operations are those of the restored state, not of the one before.
        #expect(
          world.enabledAdversaryOps(AdversaryKind.allCases, address: start).map(\.op)
            == World(copying: arch, start: start, level: level).enabledAdversaryOps(AdversaryKind.allCases, address: start).map(\.op))
      }
    }
  }

  @Test("a split's leaves are encoded as the architecture encodes each one")
  func splitLeaves() throws {
    for arch in Architectures.all where arch.capabilities(.newest).pmdPfnmap && !arch.isFolded(.pmd) {
      let world = World(copying: arch, start: Self.start, level: .pmd)
      _ = try world.apply(AdversaryOp(.split, .pmd), address: Self.start)
      for index in [0, 1, 7, arch.entriesPerTable(.pte) - 1] {
        let address = Self.start + UInt64(index) << UInt64(arch.pageShift)
        let translation = try #require(world.translate(address), "\(arch.name)")
        #expect(translation.level == .pte)
        #expect(translation.pfn == arch.size(.pmd) >> UInt64(arch.pageShift) * 64 + UInt64(index), "\(arch.name) \(index)")
      }
    }
  }
}

extension World {
  /// A world with one VMA and a leaf at `level` covering `start`, for the checkpoint tests.
  fileprivate convenience init(copying arch: any Architecture, start: UInt64, level: PageLevel) {
    self.init(arch: arch)
    try! addVMA(start: start, end: start + 2 * gib, flags: [.io, .pfnmap], fileBacked: false)
    let pagesPerLeaf = arch.size(level) >> UInt64(arch.pageShift)
    try! installLeaf(LeafProperties(pfn: pagesPerLeaf * 64), at: level, covering: start)
  }
}
