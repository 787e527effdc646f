import PfnModel
import Testing

@Suite("The adversary CPU keeps page tables well-formed and respects locks")
struct AdversaryTests {
  let start: UInt64 = 0x7f00_4000_0000

  func world(leafAt level: PageLevel, pfn: UInt64 = 0x40000) throws -> World {
    let world = World(arch: X86_64())
    try world.addVMA(start: start, end: start + (2 << 30), flags: [.io, .pfnmap], fileBacked: false)
    try world.installLeaf(LeafProperties(pfn: pfn), at: level, covering: start)
    return world
  }

  func ops(_ world: World, _ kinds: [AdversaryKind] = AdversaryKind.allCases) -> [AdversaryOp] {
    world.enabledAdversaryOps(kinds, address: start + 0x5123).map(\.op)
  }

  @Test("a PMD leaf can be zapped, remapped, split, made non-present or read-only; nothing else applies")
  func enabledOnPMDLeaf() throws {
    let world = try world(leafAt: .pmd)
    #expect(
      Set(ops(world)) == [
        AdversaryOp(.zap, .pmd), AdversaryOp(.remap, .pmd), AdversaryOp(.split, .pmd), AdversaryOp(.nonpresent, .pmd),
        AdversaryOp(.mprotect, .pmd),
      ])
  }

  @Test("mprotect keeps the pfn and takes the write bit away, once")
  func mprotect() throws {
    let world = try world(leafAt: .pmd)
    let before = try #require(world.translate(start + 0x5123))
    _ = try world.perform(AdversaryOp(.mprotect, .pmd), address: start + 0x5123)
    let after = try #require(world.translate(start + 0x5123))
    #expect(after.pfn == before.pfn)
    #expect(before.writable && !after.writable)
    #expect(!ops(world, [.mprotect]).contains(AdversaryOp(.mprotect, .pmd)))
  }

  /// Records what an invalidation listener hears, and whether the entry had changed by then.
  final class Listener: InvalidationListener {
    let world: World
    let address: UInt64
    var heard: [String] = []
    var blocksInvalidation = false
    init(world: World, address: UInt64) {
      self.world = world
      self.address = address
    }
    func invalidateRangeStart(_ range: InvalidationRange) throws {
      heard.append("start \(range) mapped=\(world.translate(address) != nil)")
    }
    func invalidateRangeEnd(_ range: InvalidationRange) throws {
      heard.append("end \(range) mapped=\(world.translate(address) != nil)")
    }
  }

  @Test("notifiers hear of the leaf's whole range before the change and after it, in the kernel's order")
  func notifierOrder() throws {
    let world = try world(leafAt: .pmd)
    let listener = Listener(world: world, address: start + 0x5123)
    world.invalidationListener = listener
    let sequence = world.invalidationSequence
    _ = try world.perform(AdversaryOp(.zap, .pmd), address: start + 0x5123)
    #expect(
      listener.heard == [
        "start [0x7f0040000000, 0x7f0040200000) zap mapped=true", "end [0x7f0040000000, 0x7f0040200000) zap mapped=false",
      ])
    #expect(world.invalidationSequence == sequence + 1)
    listener.blocksInvalidation = true
    #expect(ops(world).isEmpty)
  }

  @Test("zap, remap, nonpresent and split leave a table the oracle can read")
  func wellFormed() throws {
    for kind in [AdversaryKind.zap, .remap, .nonpresent, .split] {
      let world = try world(leafAt: .pmd)
      let before = try #require(world.translate(start + 0x5123))
      _ = try world.perform(AdversaryOp(kind, .pmd), address: start + 0x5123)
      let after = world.translate(start + 0x5123)
      switch kind {
      case .zap, .nonpresent: #expect(after == nil)
      case .remap:
        #expect(after?.level == .pmd)
        #expect(after?.pfn != before.pfn)
        #expect(after?.writable != before.writable)
      case .split:
        #expect(after?.level == .pte)
        #expect(after?.pfn == before.pfn, "the split maps the same frames")
      default: break
      }
      #expect(world.adversarySteps == 1)
    }
  }

  @Test("a split PUD becomes PMD leaves; collapsing a PTE table gives one PMD leaf mapping the same pfn")
  func splitAndCollapse() throws {
    let world = try world(leafAt: .pud)
    let address = start + (3 << 21) + 0x7000
    let pfn = try #require(world.translate(address)).pfn
    _ = try world.perform(AdversaryOp(.split, .pud), address: address)
    #expect(world.translate(address)?.level == .pmd)
    _ = try world.perform(AdversaryOp(.split, .pmd), address: address)
    #expect(world.translate(address)?.level == .pte)
    #expect(world.enabledAdversaryOps([.collapse], address: address).map(\.op) == [AdversaryOp(.collapse, .pmd)])
    _ = try world.perform(AdversaryOp(.collapse, .pmd), address: address)
    let collapsed = try #require(world.translate(address))
    #expect(collapsed.level == .pmd)
    #expect(collapsed.pfn == pfn)
  }

  @Test("an empty PTE table can be freed; one with a leaf cannot")
  func freeTable() throws {
    let world = try world(leafAt: .pte)
    let address = start
    #expect(!ops(world, [.freeTable]).contains(AdversaryOp(.freeTable, .pmd)))
    _ = try world.perform(AdversaryOp(.zap, .pte), address: address)
    #expect(world.enabledAdversaryOps([.freeTable], address: address).map(\.op) == [AdversaryOp(.freeTable, .pmd)])
    _ = try world.perform(AdversaryOp(.freeTable, .pmd), address: address)
    #expect(try world.entryPointer(address, at: .pte, create: false) == nil)
  }

  @Test("nothing runs that needs a lock the walker holds")
  func respectsLocks() throws {
    let world = try world(leafAt: .pmd)
    let host = ModelHost(world: world)
    let pmd = try #require(try world.entryPointer(start, at: .pmd, create: false))
    let lock = try host.pmdLock(world.mm, pmd)
    #expect(ops(world).isEmpty)
    try host.spinUnlock(lock)
    #expect(!ops(world).isEmpty)
    // The PUD lock does not protect a PMD leaf under split PMD locks.
    let pud = try #require(try world.entryPointer(start, at: .pud, create: false))
    _ = try host.pudLock(world.mm, pud)
    #expect(ops(world).contains(AdversaryOp(.zap, .pmd)))
  }

  @Test("operations parse from and print to the same text")
  func opText() {
    for kind in AdversaryKind.allCases {
      for level in PageLevel.allCases {
        let op = AdversaryOp(kind, level)
        #expect(AdversaryOp(op.description) == op)
      }
    }
    #expect(AdversaryOp("zap everything") == nil)
  }
}

@Suite("The entry pointers a world keeps for an address follow every change")
struct EntryPathTests {
  @Test(
    "pathPointers and lock(of:) agree with a walk from the top after every adversary step, on every architecture",
    arguments: Architectures.all.map(\.name))
  func pathFollowsChanges(arch name: String) throws {
    let arch = try #require(Architectures.all.first { $0.name == name })
    let world = World(arch: arch)
    let start: UInt64 = 0x4000_0000
    let address = start + 0x5123
    try world.addVMA(start: start, end: start + (1 << 30), flags: [.io, .pfnmap], fileBacked: false)
    try world.installLeaf(LeafProperties(pfn: 0x40000), at: .pte, covering: address)
    func expectWalkedPath() throws {
      let walked = try [PageLevel.p4d, .pud, .pmd, .pte].compactMap { level in
        arch.isFolded(level) ? nil : try world.entryPointer(address, at: level, create: false)
      }
      #expect(world.pathPointers(address) == walked)
      for level in PageLevel.allCases {
        let pointer = try world.entryPointer(address, at: level, create: false)
        #expect((world.lock(of: level, for: address) == nil) == (pointer == nil))
      }
    }
    // Asked twice per state (the second answer comes from what the world kept), through
    // collapse, free-table and the other steps that replace tables.
    for _ in 0..<6 {
      try expectWalkedPath()
      try expectWalkedPath()
      // A step above the PTE level where there is one: those move or drop the tables below.
      let enabled = world.enabledAdversaryOps(AdversaryKind.allCases, address: address)
      guard let op = (enabled.first { $0.op.level != .pte } ?? enabled.first)?.op else { break }
      _ = try world.apply(op, address: address)
    }
    try expectWalkedPath()
  }
}
