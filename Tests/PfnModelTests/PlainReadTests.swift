import PfnModel
import Testing

@Suite("Plain reads of entry pointers, judged as KCSAN would")
struct PlainReadTests {
  /// A world with a PTE leaf at `regionStart`, its host, and the entry pointers of the walk.
  func walkPointers(_ arch: any Architecture = X86_64()) throws
    -> (World, ModelHost, [PageLevel: EntryPointer])
  {
    let world = World(arch: arch)
    try world.installLeaf(LeafProperties(pfn: 0x1000), at: .pte, covering: regionStart)
    var pointers: [PageLevel: EntryPointer] = [:]
    for level in PageLevel.allCases where !world.geometry.folded[level] {
      pointers[level] = try #require(try world.entryPointer(regionStart, at: level, create: false))
    }
    return (world, ModelHost(world: world), pointers)
  }

  @Test("the pgd entry may be read plainly at any time; a folded p4d is that same entry")
  func pgdIsLegitimate() throws {
    let (world, host, pointers) = try walkPointers()
    let pgdp = try #require(pointers[.pgd])
    host.plainRead(pgdp, .pgd)
    host.plainRead(pgdp, .p4d)  // p4d_offset() of a folded p4d hands out the pgd entry
    #expect(world.dataRaces.isEmpty)
    #expect(host.trace.contains { $0.hasPrefix("plain read pgd@") })
  }

  @Test("a pud, pmd or pte read plainly without its lock is a data race that names the accessor", arguments: [
    (PageLevel.pud, "data race: plain read of a pud entry without its lock (pud_lock()); read it once with pudp_get()"),
    (.pmd, "data race: plain read of a pmd entry without its lock (pmd_lock()); read it once with pmdp_get_lockless()"),
    (.pte, "data race: plain read of a pte entry without its lock (pte_offset_map_lock()); read it once with ptep_get()"),
  ])
  func racyWithoutLock(level: PageLevel, words: String) throws {
    let (world, host, pointers) = try walkPointers()
    let entry = try #require(pointers[level])
    host.plainRead(entry, level)
    #expect(world.dataRaces.map(\.description) == [words])
    #expect(world.dataRaces.first?.pointer == entry)
    #expect(host.trace.contains { $0.hasPrefix("DATA RACE: plain read \(level)@") })
  }

  @Test("under the entry's own lock the same reads are legitimate; under another lock they are not")
  func legitimateUnderItsLock() throws {
    let (world, host, pointers) = try walkPointers()
    let pudp = try #require(pointers[.pud]), pmdp = try #require(pointers[.pmd])
    let pmdLock = try host.pmdLock(world.mm, pmdp)
    host.plainRead(pmdp, .pmd)
    #expect(world.dataRaces.isEmpty)
    // The split PMD lock does not cover the pud above it.
    host.plainRead(pudp, .pud)
    #expect(world.dataRaces.map(\.level) == [.pud])
    try host.spinUnlock(pmdLock)

    let (locked, lockedHost, lockedPointers) = try walkPointers()
    let lockedPMD = try #require(lockedPointers[.pmd])
    let (ptep, pteLock) = try #require(try lockedHost.pteOffsetMapLock(locked.mm, lockedPMD, regionStart))
    lockedHost.plainRead(ptep, .pte)
    #expect(locked.dataRaces.isEmpty)
    try lockedHost.pteUnmapUnlock(ptep, pteLock)
    lockedHost.plainRead(ptep, .pte)  // after pte_unmap_unlock(): no lock any more
    #expect(locked.dataRaces.map(\.level) == [.pte])
  }

  @Test("a p4d below a real pgd (LA57) has no lock that makes a plain read legitimate")
  func unfoldedP4DIsRacy() throws {
    let (world, host, pointers) = try walkPointers(X86_64LA57())
    let p4dp = try #require(pointers[.p4d])
    _ = try host.pudLock(world.mm, p4dp)
    host.plainRead(p4dp, .p4d)
    #expect(world.dataRaces.map(\.description) == [
      "data race: plain read of a p4d entry that no lock keeps stable; read it once with p4dp_get()"
    ])
  }

  @Test("a checkpoint restores the data races, as it does the other records of the walk")
  func checkpointRestores() throws {
    let (world, host, pointers) = try walkPointers()
    let saved = world.checkpoint()
    let pmdp = try #require(pointers[.pmd])
    host.plainRead(pmdp, .pmd)
    #expect(world.dataRaces.count == 1)
    world.restore(saved)
    #expect(world.dataRaces.isEmpty)
  }
}
