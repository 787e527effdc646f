import PfnModel
import PfnWalkers
import Testing

/// A leaf level and an offset inside the leaf.
struct Probe: Sendable, CustomTestStringConvertible {
  var level: PageLevel
  var address: UInt64
  var testDescription: String { "\(level) leaf @ 0x\(String(address, radix: 16))" }
}

let successProbes: [Probe] = [
  Probe(level: .pud, address: Place.pud),
  Probe(level: .pud, address: Place.pud + 5 * page),
  Probe(level: .pud, address: Place.pud + 0x1234_5678),
  Probe(level: .pud, address: Place.pud + gib - 1),
  Probe(level: .pmd, address: Place.pmd),
  Probe(level: .pmd, address: Place.pmd + 5 * page),
  Probe(level: .pmd, address: Place.pmd + 0x1F_F123),
  Probe(level: .pmd, address: Place.pmd + mib2 - 1),
  Probe(level: .pte, address: Place.pte),
  Probe(level: .pte, address: Place.pte + 0x567),
  Probe(level: .pte, address: Place.pte + page - 1),
]

@Suite("Reference walker against the model")
struct ReferenceWalkerTests {
  @Test(arguments: successProbes)
  func success(_ probe: Probe) throws {
    let fixture = try Fixture()
    let world = fixture.world
    let t = try #require(world.translate(probe.address))
    #expect(t.level == probe.level)
    let (rc, args, host) = try fixture.start(reference, probe.address)
    #expect(rc == 0)
    #expect(args.pfn == t.pfn)
    #expect(args.pgprot == t.pgprot)
    #expect(args.writable == t.writable)
    #expect(args.special == t.special)
    #expect(args.addrMask == t.addrMask)
    #expect(args.lock?.id == t.lock)
    #expect(world.heldLocks == [t.lock])
    if probe.level == .pte {
      #expect(args.ptep == t.pointer)
      #expect(world.mappedTables == [t.pointer.address >> 12: 1])
    } else {
      #expect(args.ptep == nil)
      #expect(world.mappedTables.isEmpty, "only a PTE table is mapped")
    }
    // The pfn is the frame that holds the address inside the leaf.
    let base: UInt64 = probe.level == .pud ? Place.pudPFN : probe.level == .pmd ? Place.pmdPFN : Place.ptePFN
    let leafStart: UInt64 = probe.level == .pud ? Place.pud : probe.level == .pmd ? Place.pmd : Place.pte
    #expect(args.pfn == base + (probe.address - leafStart) / page)
    // Inputs unchanged.
    #expect(args.vma == fixture.vma && args.address == probe.address)

    var done = args
    try reference.end(&done, host: host)
    #expect(world.heldLocks.isEmpty)
    #expect(world.mappedTables.isEmpty)
    #expect(world.writes.isEmpty)
    #expect(world.lockdepWarnings.isEmpty)
  }

  @Test func leafFlagsAreReadFromTheEntry() throws {
    // Writable and special are the entry's, whatever the VMA says.
    let fixture = try Fixture(
      flags: [.io, .write], pteLeaf: LeafProperties(pfn: 0x777, writable: false, special: true))
    let (rc, args, _) = try fixture.start(reference, Place.pte)
    #expect(rc == 0)
    #expect(!args.writable)
    #expect(args.special)
  }

  enum Failure: String, CaseIterable, Sendable {
    case atVmEnd, belowVmStart, flagsWithoutIOorPFNMAP, farBelow
    case emptyPUD, emptyPMD, emptyPTE, swapPMD, swapPTE, protnonePUD, swapPUD, badPMD, erratumPMD
  }

  /// A world and an address where start() must return -EINVAL.
  func failureCase(_ failure: Failure) throws -> (Fixture, UInt64) {
    switch failure {
    case .atVmEnd:
      // A leaf right at vm_end must not be reported.
      let fixture = try Fixture()
      try fixture.world.installLeaf(LeafProperties(pfn: 0x999), at: .pte, covering: vmaEnd)
      return (fixture, vmaEnd)
    case .belowVmStart:
      let fixture = try Fixture()
      try fixture.world.installLeaf(LeafProperties(pfn: 0x999), at: .pte, covering: vmaStart - page)
      return (fixture, vmaStart - page)
    case .farBelow:
      return (try Fixture(), 0x1000)
    case .flagsWithoutIOorPFNMAP:
      return (try Fixture(flags: [.read, .write, .shared, .mixedmap]), Place.pte)
    case .emptyPUD:
      return (try Fixture(leaves: false), vmaStart + gib)
    case .emptyPMD:
      return (try Fixture(), Place.emptyPMD)
    case .emptyPTE:
      return (try Fixture(), Place.emptyPTE)
    case .swapPMD:
      let fixture = try Fixture()
      try fixture.world.installEntry(.swap, at: .pmd, covering: Place.emptyPMD, pfn: 0x4242)
      return (fixture, Place.emptyPMD + 3 * page)
    case .swapPTE:
      let fixture = try Fixture()
      try fixture.world.installEntry(.swap, at: .pte, covering: Place.emptyPTE, pfn: 0x4242)
      return (fixture, Place.emptyPTE)
    case .swapPUD:
      let fixture = try Fixture(leaves: false)
      try fixture.world.installEntry(.swap, at: .pud, covering: vmaStart, pfn: 0x4242)
      return (fixture, vmaStart + 3 * page)
    case .protnonePUD:
      let fixture = try Fixture(leaves: false)
      try fixture.world.installEntry(.protnone, at: .pud, covering: vmaStart, pfn: 0x40000)
      return (fixture, vmaStart + 3 * page)
    case .badPMD:
      let fixture = try Fixture()
      try fixture.world.installEntry(.bad, at: .pmd, covering: Place.emptyPMD, pfn: 0x4242)
      return (fixture, Place.emptyPMD)
    case .erratumPMD:
      // A pmd with only A|D set is pmd_none.
      let fixture = try Fixture()
      let pmdp = try #require(try fixture.world.entryPointer(Place.emptyPMD, at: .pmd, create: true))
      try fixture.host().write(pmdp, .pmd, 1 << 5 | 1 << 6)
      return (fixture, Place.emptyPMD)
    }
  }

  @Test(arguments: Failure.allCases)
  func failure(_ failure: Failure) throws {
    let (fixture, address) = try failureCase(failure)
    let world = fixture.world
    let writesBefore = world.writes.count
    let host = fixture.host()
    let original = FollowPfnmapArgs(vma: fixture.vma, address: address)
    var args = original
    let rc = try reference.start(&args, host: host)
    #expect(rc == -22)
    #expect(args == original, "a failed start() leaves the args alone")
    #expect(world.heldLocks.isEmpty)
    #expect(world.mappedTables.isEmpty)
    #expect(world.lockdepWarnings.isEmpty)
    let walkerWrites = world.writes.dropFirst(writesBefore).filter { $0.by == .walker }
    #expect(walkerWrites.isEmpty)
    if failure == .badPMD {
      #expect(world.writes.last?.by == .pmdClearBad)
    }
  }

  @Test func lastPageOfTheVMAIsInside() throws {
    let fixture = try Fixture()
    try fixture.world.installLeaf(LeafProperties(pfn: 0x31), at: .pte, covering: vmaEnd - page)
    #expect(try fixture.start(reference, vmaEnd - 1).rc == 0)
    #expect(try fixture.start(reference, vmaStart).rc == 0)
  }

  @Test(arguments: [VMAFlags.io, .pfnmap, [.io, .pfnmap]])
  func eitherFlagIsEnough(_ flags: VMAFlags) throws {
    let fixture = try Fixture(flags: flags)
    #expect(try fixture.start(reference, Place.pte).rc == 0)
  }

  // MARK: Lockdep

  @Test(arguments: [MmapMode.read, .write])
  func noWarningWithMmapLock(_ mode: MmapMode) throws {
    let fixture = try Fixture()
    fixture.world.mmapMode = mode
    let (rc, _, _) = try fixture.start(reference, Place.pte)
    #expect(rc == 0)
    #expect(fixture.world.lockdepWarnings.isEmpty)
  }

  @Test(arguments: [false, true])
  func warningWithNothingHeld(_ fileBacked: Bool) throws {
    let fixture = try Fixture(fileBacked: fileBacked)
    fixture.world.mmapMode = .none
    _ = try fixture.start(reference, Place.pte)
    #expect(fixture.world.lockdepWarnings.count == 1)
  }

  @Test func warningEvenWhenTheWalkFails() throws {
    let fixture = try Fixture()
    fixture.world.mmapMode = .none
    #expect(try fixture.start(reference, vmaEnd).rc == -22)
    #expect(fixture.world.lockdepWarnings.count == 1)
  }

  @Test func iMmapRwsemIsEnoughForAFileBackedVMA() throws {
    let fixture = try Fixture(fileBacked: true)
    let file = try #require(fixture.vma.file)
    let mapping = try #require(fixture.world.mapping(of: file))
    fixture.world.mmapMode = .none
    fixture.world.heldMappings = [mapping]
    let (rc, _, _) = try fixture.start(reference, Place.pmd)
    #expect(rc == 0)
    #expect(fixture.world.lockdepWarnings.isEmpty)
  }

  @Test func anotherMappingsRwsemIsNotEnough() throws {
    let fixture = try Fixture(fileBacked: true)
    fixture.world.mmapMode = .none
    fixture.world.heldMappings = [MappingRef(id: 4242)]
    _ = try fixture.start(reference, Place.pmd)
    #expect(fixture.world.lockdepWarnings.count == 1)
  }

  @Test func noFaultForAFilelessVMA() throws {
    let fixture = try Fixture(fileBacked: false)
    #expect(fixture.vma.file == nil)
    for address in [Place.pud, Place.pmd, Place.pte, Place.emptyPTE, vmaEnd] {
      #expect(throws: Never.self) {
        var (rc, args, host) = try fixture.start(reference, address)
        if rc == 0 { try reference.end(&args, host: host) }
      }
    }
    #expect(fixture.world.heldLocks.isEmpty)
  }

  @Test func descriptor() {
    #expect(reference.descriptor.name == "reference")
    #expect(reference.descriptor.role == .implementation)
    #expect(reference.descriptor.apiLevel == .v6_15)
    #expect(reference.mutation == nil)
  }
}
