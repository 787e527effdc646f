import PfnModel
import Testing

@Suite("ModelHost")
struct ModelHostTests {
  /// A world whose PMD table exists for `regionStart` (pmd entry empty).
  func worldWithPMDTable() throws -> (World, ModelHost, EntryPointer) {
    let world = makeWorld()
    let pmdp = try #require(try world.entryPointer(regionStart, at: .pmd, create: true))
    return (world, ModelHost(world: world), pmdp)
  }

  enum NoPTETable: String, CaseIterable, Sendable { case none, erratumNone, swap, leaf, protnone }

  @Test(arguments: NoPTETable.allCases)
  func pteOffsetMapLockReturnsNil(_ what: NoPTETable) throws {
    let world = makeWorld()
    switch what {
    case .none: _ = try world.entryPointer(regionStart, at: .pmd, create: true)
    case .erratumNone: break
    case .swap: try world.installEntry(.swap, at: .pmd, covering: regionStart, pfn: 0x42)
    case .leaf: try world.installLeaf(LeafProperties(pfn: 0x200), at: .pmd, covering: regionStart)
    case .protnone: try world.installEntry(.protnone, at: .pmd, covering: regionStart, pfn: 0x200)
    }
    if what == .erratumNone {
      // An entry with only A|D is pmd_none; the host must not descend through it.
      _ = try world.entryPointer(regionStart, at: .pmd, create: true)
    }
    let pmdp = try #require(try world.entryPointer(regionStart, at: .pmd, create: false))
    let host = ModelHost(world: world)
    if what == .erratumNone {
      try host.write(pmdp, .pmd, Bit.A | Bit.D)
    }
    let before = world.snapshot()
    let writesBefore = world.writes.count
    #expect(try host.pteOffsetMapLock(world.mm, pmdp, regionStart) == nil)
    #expect(world.heldLocks.isEmpty)
    #expect(world.mappedTables.isEmpty)
    let unchanged = world.snapshot() == before
    #expect(unchanged)
    #expect(world.writes.count == writesBefore)
  }

  @Test func badPMDIsClearedByPmdClearBad() throws {
    let world = makeWorld()
    try world.installEntry(.bad, at: .pmd, covering: regionStart, pfn: 0x5555)
    let pmdp = try #require(try world.entryPointer(regionStart, at: .pmd, create: false))
    let old = try #require(world.value(at: pmdp))
    #expect(old != 0)
    let host = ModelHost(world: world)
    #expect(try host.pteOffsetMapLock(world.mm, pmdp, regionStart) == nil)
    #expect(world.value(at: pmdp) == 0, "pmd_clear_bad clears the entry")
    #expect(world.heldLocks.isEmpty && world.mappedTables.isEmpty)
    try #require(world.writes.count == 1)
    let write = world.writes[0]
    #expect(write.by == .pmdClearBad)
    #expect(write.pointer == pmdp)
    #expect(write.level == .pmd)
    #expect(write.old == old)
    #expect(write.new == 0)
  }

  @Test func pteOffsetMapLockMapsAndLocks() throws {
    let world = makeWorld()
    let address = regionStart + 7 * page
    try world.installLeaf(LeafProperties(pfn: 0x12345), at: .pte, covering: address)
    let pmdp = try #require(try world.entryPointer(address, at: .pmd, create: false))
    let expected = try #require(try world.entryPointer(address, at: .pte, create: false))
    let host = ModelHost(world: world)
    let (ptep, lock) = try #require(try host.pteOffsetMapLock(world.mm, pmdp, address))
    let tablePFN = ptep.address >> 12
    #expect(ptep == expected)
    #expect(lock.id == .pteTable(pfn: tablePFN))
    #expect(lock.id == world.translate(address)?.lock)
    #expect(world.heldLocks == [.pteTable(pfn: tablePFN)])
    #expect(world.mappedTables == [tablePFN: 1])
    #expect(try host.read(ptep, .pte) == world.arch.makeLeaf(LeafProperties(pfn: 0x12345), .pte))
    try host.pteUnmapUnlock(ptep, lock)
    #expect(world.heldLocks.isEmpty && world.mappedTables.isEmpty)
    #expect(world.writes.isEmpty)
  }

  @Test func doubleLockIsASelfDeadlock() throws {
    let (world, host, pmdp) = try worldWithPMDTable()
    let pudp = try #require(try world.entryPointer(regionStart, at: .pud, create: false))
    let pud = try host.pudLock(world.mm, pudp)
    #expect(pud.id == .pageTableLock)
    #expect(throws: WalkerFault.selfDeadlock(.pageTableLock)) { try host.pudLock(world.mm, pudp) }
    let pmd = try host.pmdLock(world.mm, pmdp)
    #expect(pmd.id == .pmdTable(pfn: pmdp.address >> 12))
    #expect(throws: WalkerFault.selfDeadlock(pmd.id)) { try host.pmdLock(world.mm, pmdp) }
    #expect(world.heldLocks == [.pageTableLock, pmd.id])
    try host.spinUnlock(pmd)
    try host.spinUnlock(pud)
    #expect(world.heldLocks.isEmpty)
  }

  @Test func pteLockTakenTwiceIsASelfDeadlock() throws {
    let world = makeWorld()
    try world.installLeaf(LeafProperties(pfn: 0x1), at: .pte, covering: regionStart)
    let pmdp = try #require(try world.entryPointer(regionStart, at: .pmd, create: false))
    let host = ModelHost(world: world)
    let (_, lock) = try #require(try host.pteOffsetMapLock(world.mm, pmdp, regionStart))
    #expect(throws: WalkerFault.selfDeadlock(lock.id)) { try host.pteOffsetMapLock(world.mm, pmdp, regionStart) }
  }

  @Test func unlockNotHeld() throws {
    let (world, host, pmdp) = try worldWithPMDTable()
    #expect(throws: WalkerFault.unlockNotHeld(.pageTableLock)) { try host.spinUnlock(LockRef(.pageTableLock)) }
    let pmd = try host.pmdLock(world.mm, pmdp)
    try host.spinUnlock(pmd)
    #expect(throws: WalkerFault.unlockNotHeld(pmd.id)) { try host.spinUnlock(pmd) }
  }

  @Test func pteUnmapOfAnUnmappedTable() throws {
    let world = makeWorld()
    let ptep = try #require(try world.entryPointer(regionStart, at: .pte, create: true))
    let host = ModelHost(world: world)
    #expect(throws: WalkerFault.unmapNotMapped(ptep)) { try host.pteUnmap(ptep) }
  }

  @Test func pteUnmapTwice() throws {
    let world = makeWorld()
    try world.installLeaf(LeafProperties(pfn: 0x1), at: .pte, covering: regionStart)
    let pmdp = try #require(try world.entryPointer(regionStart, at: .pmd, create: false))
    let host = ModelHost(world: world)
    let (ptep, lock) = try #require(try host.pteOffsetMapLock(world.mm, pmdp, regionStart))
    try host.pteUnmapUnlock(ptep, lock)
    #expect(throws: WalkerFault.unmapNotMapped(ptep)) { try host.pteUnmap(ptep) }
  }

  @Test func fileMapping() throws {
    let world = makeWorld()
    let vma = try world.addVMA(start: regionStart, end: regionStart + gib, flags: [.io], fileBacked: true)
    let host = ModelHost(world: world)
    let file = try #require(vma.file)
    #expect(try host.fileMapping(file) == world.mapping(of: file))
    let error = #expect(throws: WalkerFault.self) { try host.fileMapping(nil) }
    guard case .nullDereference? = error else {
      Issue.record("expected a NULL dereference, got \(String(describing: error))")
      return
    }
    let unknown = #expect(throws: WalkerFault.self) { try host.fileMapping(FileRef(id: 99)) }
    guard case .nullDereference? = unknown else {
      Issue.record("expected a NULL dereference, got \(String(describing: unknown))")
      return
    }
  }

  @Test func wildPointers() throws {
    let (world, host, pmdp) = try worldWithPMDTable()
    let wild = EntryPointer(address: 0xDEAD_0000)
    #expect(throws: WalkerFault.wildPointer(wild)) { try host.read(wild, .pte) }
    #expect(throws: WalkerFault.wildPointer(wild)) { try host.write(wild, .pte, 1) }
    #expect(throws: WalkerFault.wildPointer(wild)) { try host.pudLock(world.mm, wild) }
    #expect(throws: WalkerFault.wildPointer(wild)) { try host.pmdLock(world.mm, wild) }
    #expect(throws: WalkerFault.wildPointer(wild)) { try host.pteOffsetMapLock(world.mm, wild, regionStart) }
    let misaligned = EntryPointer(address: pmdp.address + 3)
    #expect(throws: WalkerFault.wildPointer(misaligned)) { try host.read(misaligned, .pmd) }
    #expect(world.heldLocks.isEmpty)
    #expect(world.writes.isEmpty)
  }

  @Test func stepLimit() throws {
    let (world, _, pmdp) = try worldWithPMDTable()
    let host = ModelHost(world: world, stepLimit: 3)
    for _ in 0..<3 { _ = try host.read(pmdp, .pmd) }
    #expect(host.steps == 3)
    #expect(throws: WalkerFault.stepLimit(3)) { try host.read(pmdp, .pmd) }
    host.resetSteps()
    #expect(host.steps == 0)
    #expect(throws: Never.self) { try host.read(pmdp, .pmd) }
  }

  @Test(arguments: MmapMode.allCases)
  func lockdepIsHeldFollowsTheCaller(_ mode: MmapMode) throws {
    let world = makeWorld()
    let vma = try world.addVMA(start: regionStart, end: regionStart + gib, flags: [.io], fileBacked: true)
    let file = try #require(vma.file)
    let mapping = try #require(world.mapping(of: file))
    world.mmapMode = mode
    let host = ModelHost(world: world)
    #expect(host.lockdepIsHeld(.mmapLock) == (mode != .none))
    #expect(!host.lockdepIsHeld(.iMmapRwsem(mapping)))
    world.heldMappings = [mapping]
    #expect(host.lockdepIsHeld(.iMmapRwsem(mapping)))
    #expect(!host.lockdepIsHeld(.iMmapRwsem(MappingRef(id: mapping.id + 100))))
  }

  @Test func lockdepAssert() {
    let world = makeWorld()
    let host = ModelHost(world: world)
    host.lockdepAssert(true, "fine")
    #expect(world.lockdepWarnings.isEmpty)
    host.lockdepAssert(false, "mmap_lock held")
    #expect(world.lockdepWarnings == ["mmap_lock held"])
  }

  @Test func writeIsRecordedAsTheWalkers() throws {
    let world = makeWorld()
    try world.installLeaf(LeafProperties(pfn: 0x12345), at: .pte, covering: regionStart)
    let ptep = try #require(try world.entryPointer(regionStart, at: .pte, create: false))
    let old = try #require(world.value(at: ptep))
    let host = ModelHost(world: world)
    try host.write(ptep, .pte, old | Bit.D)
    #expect(world.value(at: ptep) == old | Bit.D)
    try #require(world.writes.count == 1)
    #expect(world.writes[0].by == .walker)
    #expect(world.writes[0].pointer == ptep)
    #expect(world.writes[0].level == .pte)
    #expect(world.writes[0].old == old)
    #expect(world.writes[0].new == old | Bit.D)
  }

  @Test func offsets() throws {
    let world = makeWorld()
    let address = regionStart + gib + 3 * mib2 + 5 * page
    try world.installLeaf(LeafProperties(pfn: 0x1), at: .pte, covering: address)
    let host = ModelHost(world: world)
    let pgdp = try host.pgdOffset(world.mm, address)
    #expect(pgdp == (try world.entryPointer(address, at: .pgd, create: false)))
    #expect(try host.offset(.pgd, below: pgdp, address) == pgdp)
    let p4dp = try host.offset(.p4d, below: pgdp, address)
    #expect(p4dp == pgdp, "p4d_offset returns the pgd pointer on 4-level x86_64")
    let pudp = try host.offset(.pud, below: p4dp, address)
    #expect(pudp == (try world.entryPointer(address, at: .pud, create: false)))
    let pmdp = try host.offset(.pmd, below: pudp, address)
    #expect(pmdp == (try world.entryPointer(address, at: .pmd, create: false)))
    let ptep = try host.offset(.pte, below: pmdp, address)
    #expect(ptep == (try world.entryPointer(address, at: .pte, create: false)))
    #expect(throws: WalkerFault.self) { try host.pgdOffset(MMRef(id: 42), address) }
  }

  @Test func constantsAndHelpers() {
    let host = ModelHost(world: makeWorld())
    #expect(host.pageShift == 12)
    #expect(host.shift(.pmd) == 21)
    #expect(host.mask(.pud) == 0xFFFF_FFFF_C000_0000)
    #expect(host.mask(.pte) == 0xFFFF_FFFF_FFFF_F000)
    #expect(host.isPresent(protnonePMD, .pmd) && host.isLeaf(protnonePMD, .pmd))
    #expect(!host.isPresent(protnonePUD, .pud) && host.isLeaf(protnonePUD, .pud))
    #expect(host.pfn(protnonePUD, .pud) == 0x80000)
    #expect(host.isNone(Bit.A | Bit.D, .pmd))
    #expect(host.isBad(pmdLeafEntry, .pmd))
    #expect(host.isSpecial(pmdLeafEntry, .pmd) && host.isWrite(pmdLeafEntry, .pmd))
    #expect(host.pgprot(pmdLeafEntry | Bit.PAT_LARGE, .pmd) & Bit.PAT_LARGE != 0)
  }

  @Test func traceRecordsCalls() throws {
    let (_, host, pmdp) = try worldWithPMDTable()
    host.traceLimit = 8
    for _ in 0..<12 { _ = try host.read(pmdp, .pmd) }
    // The first quarter of the limit is kept, then the most recent lines.
    #expect(host.droppedTraceLines == 4)
    #expect(host.trace.count == 9)
    #expect(host.trace[2] == "... 4 lines not shown ...")
    #expect(host.trace.filter { $0.hasPrefix("read pmd@") }.count == 8)
  }
}
