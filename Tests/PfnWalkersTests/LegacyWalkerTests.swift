import PfnModel
import PfnWalkers
import Testing

@Suite("follow_pte (legacy)")
struct FollowPTEWalkerTests {
  let walker = FollowPTEWalker()

  @Test(arguments: [Place.pmd, Place.pmd + 5 * page, Place.pud, Place.pud + 3 * mib2])
  func failsOnHugeLeaves(_ address: UInt64) throws {
    let fixture = try Fixture()
    #expect(fixture.world.translate(address) != nil)
    let (rc, _, _) = try fixture.start(walker, address)
    #expect(rc == -22)
    #expect(fixture.world.heldLocks.isEmpty && fixture.world.mappedTables.isEmpty)
    #expect(fixture.world.writes.isEmpty, "a PMD leaf is not mistaken for a bad pmd")
  }

  @Test(arguments: [Place.pte, Place.pte + 0x567])
  func agreesWithTheReferenceOnPTELeaves(_ address: UInt64) throws {
    let mine = try Fixture()
    let (rc, args, host) = try mine.start(walker, address)
    #expect(rc == 0)
    let theirs = try Fixture().start(reference, address)
    #expect(Outputs(args) == Outputs(theirs.args))
    #expect(args.addrMask == 0, "API 6.12 has no addr_mask")
    #expect(theirs.args.addrMask == ~(page - 1))
    let t = try #require(mine.world.translate(address))
    #expect(mine.world.heldLocks == [t.lock])
    var done = args
    try walker.end(&done, host: host)
    #expect(mine.world.heldLocks.isEmpty && mine.world.mappedTables.isEmpty)
  }

  @Test func failsLikeTheReference() throws {
    for address in [Place.emptyPTE, Place.emptyPMD, vmaEnd, vmaStart - page] {
      let fixture = try Fixture()
      #expect(try fixture.start(walker, address).rc == -22)
      #expect(fixture.world.heldLocks.isEmpty && fixture.world.mappedTables.isEmpty)
    }
    #expect(try Fixture(flags: [.read]).start(walker, Place.pte).rc == -22)
  }

  @Test func warnsForAFileBackedVMAWithOnlyIMmapRwsem() throws {
    for w in [walker as any Walker, reference] {
      let fixture = try Fixture(fileBacked: true)
      let file = try #require(fixture.vma.file)
      fixture.world.mmapMode = .none
      fixture.world.heldMappings = [try #require(fixture.world.mapping(of: file))]
      #expect(try fixture.start(w, Place.pte).rc == 0)
      let expected = w is FollowPTEWalker ? 1 : 0
      #expect(fixture.world.lockdepWarnings.count == expected, "\(w.descriptor.name)")
    }
  }

  @Test func noWarningWithMmapLock() throws {
    let fixture = try Fixture(fileBacked: true)
    #expect(try fixture.start(walker, Place.pte).rc == 0)
    #expect(fixture.world.lockdepWarnings.isEmpty)
  }

  @Test func descriptor() {
    #expect(walker.descriptor.name == "follow_pte")
    #expect(walker.descriptor.role == .legacy)
    #expect(walker.descriptor.apiLevel == .v6_12)
  }
}

@Suite("mainline 6.12 (legacy)")
struct Mainline612WalkerTests {
  let walker = Mainline612Walker()

  @Test func reportsAProtnonePUD() throws {
    let address = vmaStart + 7 * page
    func fixture() throws -> Fixture {
      let fixture = try Fixture(leaves: false)
      try fixture.world.installEntry(.protnone, at: .pud, covering: vmaStart, pfn: 0x40000)
      return fixture
    }
    let mine = try fixture()
    let (rc, args, host) = try mine.start(walker, address)
    #expect(rc == 0, "before ffef67b93aa3, pud_none is the only test before pud_leaf")
    #expect(args.pfn == 0x40007)
    #expect(args.lock?.id == .pageTableLock)
    #expect(mine.world.translate(address) == nil)
    var done = args
    try walker.end(&done, host: host)
    #expect(mine.world.heldLocks.isEmpty)
    // The fixed reference refuses it.
    #expect(try fixture().start(reference, address).rc == -22)
  }

  @Test(arguments: successProbes)
  func agreesWithTheReferenceOnLeaves(_ probe: Probe) throws {
    let mine = try Fixture()
    let (rc, args, host) = try mine.start(walker, probe.address)
    let theirs = try Fixture().start(reference, probe.address)
    #expect(rc == 0 && theirs.rc == 0)
    #expect(Outputs(args) == Outputs(theirs.args))
    #expect(args.addrMask == 0, "API 6.12 has no addr_mask")
    #expect(mine.world.heldLocks == [try #require(mine.world.translate(probe.address)).lock])
    var done = args
    try walker.end(&done, host: host)
    #expect(mine.world.heldLocks.isEmpty && mine.world.mappedTables.isEmpty)
    #expect(mine.world.writes.isEmpty)
  }

  @Test func agreesOnProtnonePMDAndPTE() throws {
    // pmd_present and pte_present accept PROT_NONE; both walkers report them.
    for walker in [walker as any Walker, reference] {
      let fixture = try Fixture(leaves: false)
      try fixture.world.installEntry(.protnone, at: .pmd, covering: vmaStart + gib, pfn: 0x400)
      try fixture.world.installEntry(.protnone, at: .pte, covering: vmaStart + gib + mib2, pfn: 0x800)
      let pmd = try fixture.start(walker, vmaStart + gib + page)
      #expect(pmd.rc == 0 && pmd.args.pfn == 0x401, "\(walker.descriptor.name)")
      let pte = try Fixture(leaves: false)
      try pte.world.installEntry(.protnone, at: .pte, covering: vmaStart + gib + mib2, pfn: 0x800)
      let run = try pte.start(walker, vmaStart + gib + mib2)
      #expect(run.rc == 0 && run.args.pfn == 0x800, "\(walker.descriptor.name)")
    }
  }

  @Test func failsLikeTheReference() throws {
    for address in [Place.emptyPTE, Place.emptyPMD, vmaEnd, vmaStart - page] {
      let fixture = try Fixture()
      #expect(try fixture.start(walker, address).rc == -22)
      #expect(fixture.world.heldLocks.isEmpty && fixture.world.mappedTables.isEmpty)
    }
    let swapPMD = try Fixture()
    try swapPMD.world.installEntry(.swap, at: .pmd, covering: Place.emptyPMD, pfn: 0x42)
    #expect(try swapPMD.start(walker, Place.emptyPMD).rc == -22)
    #expect(swapPMD.world.heldLocks.isEmpty)
  }

  @Test func lockdep() throws {
    let fileless = try Fixture()
    fileless.world.mmapMode = .none
    _ = try fileless.start(walker, Place.pte)
    #expect(fileless.world.lockdepWarnings.count == 1)

    let file = try Fixture(fileBacked: true)
    file.world.mmapMode = .none
    let fileRef = try #require(file.vma.file)
    file.world.heldMappings = [try #require(file.world.mapping(of: fileRef))]
    _ = try file.start(walker, Place.pte)
    #expect(file.world.lockdepWarnings.isEmpty)
  }
}

@Suite("Built-in walkers")
struct BuiltinWalkersTests {
  @Test func namesAreUnique() {
    let names = BuiltinWalkers.all.map(\.descriptor.name)
    #expect(Set(names).count == names.count, "\(names)")
  }

  @Test func mutantsAreNamedAsSuch() {
    let mutants = BuiltinWalkers.mutants
    #expect(mutants.count == ReferenceWalker.Mutation.allCases.count)
    for mutant in mutants {
      #expect(mutant.descriptor.name.hasPrefix("mutant:"), "\(mutant.descriptor.name)")
    }
    for walker in BuiltinWalkers.all where walker.descriptor.name.hasPrefix("mutant:") {
      #expect(walker.descriptor.role == .mutant)
    }
    for walker in BuiltinWalkers.all where walker.descriptor.role != .mutant {
      #expect(!walker.descriptor.name.hasPrefix("mutant:"))
    }
  }

  @Test func lookupByName() {
    #expect(BuiltinWalkers.named("reference")?.descriptor.role == .implementation)
    #expect(BuiltinWalkers.named("follow_pte") is FollowPTEWalker)
    #expect(BuiltinWalkers.named("mainline-6.12") is Mainline612Walker)
    #expect(BuiltinWalkers.named("mutant:writes-entry")?.descriptor.role == .mutant)
    #expect(BuiltinWalkers.named("nonexistent") == nil)
    #expect(BuiltinWalkers.all.first?.descriptor.name == "reference")
  }
}

@Suite("Bad PUD entries")
struct BadPUDTests {
  /// follow_pfnmap_start() never calls pud_bad() (facts §0 step 5), so a bad PUD
  /// whose "table" address points nowhere is followed and the PMD read is wild;
  /// follow_pte() tests pud_bad() and fails cleanly. The oracle says "no mapping".
  @Test func badPUDIsFollowedByTheReferenceButRefusedByFollowPTE() throws {
    func fixture() throws -> Fixture {
      let fixture = try Fixture(leaves: false)
      try fixture.world.installEntry(.bad, at: .pud, covering: vmaStart, pfn: 0x5_5555)
      return fixture
    }
    #expect(try fixture().world.translate(vmaStart) == nil)
    #expect(try fixture().start(FollowPTEWalker(), vmaStart).rc == -22)
    let error = #expect(throws: WalkerFault.self) { try fixture().start(reference, vmaStart) }
    guard case .wildPointer? = error else {
      Issue.record("expected a wild pointer, got \(String(describing: error))")
      return
    }
  }
}
