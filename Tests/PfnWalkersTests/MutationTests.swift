import PfnModel
import PfnWalkers
import Testing

typealias Mutation = ReferenceWalker.Mutation

/// Each test below shows one mutation's defect against the model, and that the
/// reference walker does not have it.
@Suite("Mutants: each defect shown directly")
struct MutationTests {
  /// Each mutation's focused test: it shows the defect against the model and
  /// that the reference does not have it. A new mutation must get one here.
  static let focused: [Mutation: @Sendable () throws -> Void] = [
    .leakLockOnFailure: { try MutationTests().leakLockOnFailure() },
    .ignoreHugeOffset: { try MutationTests().ignoreHugeOffset(Place.pmd + 5 * page) },
    .dropFlagCheck: { try MutationTests().dropFlagCheck() },
    .inclusiveEnd: { try MutationTests().inclusiveEnd() },
    .derefNullFile: { try MutationTests().derefNullFile() },
    .skipLockdepAssert: { try MutationTests().skipLockdepAssert() },
    .assertMmapLockOnly: { try MutationTests().assertMmapLockOnly() },
    .leafBeforePresent: { try MutationTests().leafBeforePresent() },
    .endSkipsUnmap: { try MutationTests().endSkipsUnmap() },
    .specialFromVMA: { try MutationTests().specialFromVMA() },
    .writesEntry: { try MutationTests().writesEntry() },
    .writableFromVMA: { try MutationTests().writableFromVMA() },
    .staleHugeEntry: { try MutationTests().staleHugeEntryReportsAZappedLeaf() },
    .wrongLevelLock: { try MutationTests().wrongLevelLockHoldsThePUDLockForAPMDLeaf() },
    .unlockBeforeSuccess: { try MutationTests().unlockBeforeSuccessReturnsHoldingNothing() },
    .retryWithoutRewalk: { try MutationTests().retryWithoutRewalkSpinsAfterASplit() },
    .x86Shifts: { try ArchitectureWalkerTests().x86ShiftsMutant() },
    .relaxedClaimKeepsFlagCheck: { try MutationTests().relaxedClaimKeepsFlagCheck() },
    .plainReadPMD: { try MutationTests().plainReadPMD() },
  ]

  /// Runs the mutation's focused test, so a mutation without one, or whose
  /// test no longer shows the defect, fails here.
  @Test("every mutation has a focused test that shows its defect", arguments: Mutation.allCases)
  func everyMutationHasAFocusedTest(_ mutation: Mutation) throws {
    let test = try #require(Self.focused[mutation], "mutant:\(mutation.rawValue) has no focused test")
    try test()
  }

  @Test(arguments: Mutation.allCases)
  func mutantDescriptor(_ mutation: Mutation) {
    let mutant = ReferenceWalker(mutation: mutation)
    #expect(mutant.mutation == mutation)
    #expect(mutant.descriptor.name == "mutant:\(mutation.rawValue)")
    #expect(mutant.descriptor.role == .mutant)
  }

  @Test(arguments: [Place.pmd + 5 * page, Place.pud + 5 * page, Place.pud + 3 * mib2 + 7 * page])
  func ignoreHugeOffset(_ address: UInt64) throws {
    let mutant = ReferenceWalker(mutation: .ignoreHugeOffset)
    let fixture = try Fixture()
    let t = try #require(fixture.world.translate(address))
    let base = fixture.world.arch.pfn(t.entry, t.level)
    #expect(t.pfn != base)
    let bad = try fixture.start(mutant, address)
    #expect(bad.rc == 0)
    #expect(bad.args.pfn == base, "reports the leaf's first pfn")
    let good = try Fixture().start(reference, address)
    #expect(good.args.pfn == t.pfn)
  }

  @Test func ignoreHugeOffsetIsHarmlessAtPTELevel() throws {
    let mutant = ReferenceWalker(mutation: .ignoreHugeOffset)
    #expect(try Fixture().start(mutant, Place.pte + 0x123).args.pfn == Place.ptePFN)
  }

  @Test func leakLockOnFailure() throws {
    let mutant = ReferenceWalker(mutation: .leakLockOnFailure)
    func run(_ walker: any Walker) throws -> World {
      let fixture = try Fixture()
      try fixture.world.installEntry(.swap, at: .pte, covering: Place.emptyPTE, pfn: 0x4242)
      #expect(try fixture.start(walker, Place.emptyPTE).rc == -22)
      return fixture.world
    }
    let bad = try run(mutant)
    let lock = try #require(bad.lock(of: .pte, for: Place.emptyPTE))
    #expect(bad.heldLocks == [lock], "the PTE lock is still held after -EINVAL")
    #expect(!bad.mappedTables.isEmpty)
    let good = try run(reference)
    #expect(good.heldLocks.isEmpty && good.mappedTables.isEmpty)
  }

  @Test func dropFlagCheck() throws {
    let mutant = ReferenceWalker(mutation: .dropFlagCheck)
    let fixture = try Fixture(flags: [.read, .write])
    #expect(try fixture.start(reference, Place.pte).rc == -22)
    let bad = try fixture.start(mutant, Place.pte)
    #expect(bad.rc == 0, "walks a VMA without VM_IO or VM_PFNMAP")
    #expect(bad.args.pfn == Place.ptePFN)
  }

  @Test func relaxedClaimKeepsFlagCheck() throws {
    let mutant = ReferenceWalker(mutation: .relaxedClaimKeepsFlagCheck)
    #expect(mutant.descriptor.profile == .relaxed, "claims the relaxed profile")
    let fixture = try Fixture(flags: [.read, .write])
    #expect(try fixture.start(mutant, Place.pte).rc == -22, "yet refuses a VMA without VM_IO or VM_PFNMAP")
    let relaxed = try fixture.start(RelaxedWalker(), Place.pte)
    #expect(relaxed.rc == 0)
    #expect(relaxed.args.pfn == Place.ptePFN)
  }

  @Test func inclusiveEnd() throws {
    let mutant = ReferenceWalker(mutation: .inclusiveEnd)
    let fixture = try Fixture()
    try fixture.world.installLeaf(LeafProperties(pfn: 0x999), at: .pte, covering: vmaEnd)
    #expect(try fixture.start(reference, vmaEnd).rc == -22)
    let bad = try fixture.start(mutant, vmaEnd)
    #expect(bad.rc == 0, "address == vm_end is accepted")
    #expect(bad.args.pfn == 0x999)
  }

  @Test func derefNullFile() throws {
    let mutant = ReferenceWalker(mutation: .derefNullFile)
    let fixture = try Fixture(fileBacked: false)
    let error = #expect(throws: WalkerFault.self) { try fixture.start(mutant, Place.pte) }
    guard case .nullDereference? = error else {
      Issue.record("expected a NULL dereference, got \(String(describing: error))")
      return
    }
    #expect(throws: Never.self) { try fixture.start(reference, Place.pte) }
    // With a file it behaves.
    let fileBacked = try Fixture(fileBacked: true)
    #expect(try fileBacked.start(mutant, Place.pte).rc == 0)
  }

  @Test func skipLockdepAssert() throws {
    let mutant = ReferenceWalker(mutation: .skipLockdepAssert)
    for walker in [reference, mutant] {
      let fixture = try Fixture()
      fixture.world.mmapMode = .none
      #expect(try fixture.start(walker, Place.pte).rc == 0)
      #expect(fixture.world.lockdepWarnings.count == (walker.mutation == nil ? 1 : 0))
    }
  }

  @Test func assertMmapLockOnly() throws {
    let mutant = ReferenceWalker(mutation: .assertMmapLockOnly)
    for walker in [reference, mutant] {
      let fixture = try Fixture(fileBacked: true)
      let file = try #require(fixture.vma.file)
      fixture.world.mmapMode = .none
      fixture.world.heldMappings = [try #require(fixture.world.mapping(of: file))]
      #expect(try fixture.start(walker, Place.pmd).rc == 0)
      #expect(fixture.world.lockdepWarnings.count == (walker.mutation == nil ? 0 : 1))
    }
  }

  @Test func leafBeforePresent() throws {
    let mutant = ReferenceWalker(mutation: .leafBeforePresent)
    func world() throws -> Fixture {
      let fixture = try Fixture(leaves: false)
      try fixture.world.installEntry(.protnone, at: .pud, covering: vmaStart, pfn: 0x40000)
      return fixture
    }
    let good = try world()
    #expect(good.world.translate(vmaStart + 3 * page) == nil)
    #expect(try good.start(reference, vmaStart + 3 * page).rc == -22)
    let bad = try world()
    let run = try bad.start(mutant, vmaStart + 3 * page)
    #expect(run.rc == 0, "reports a PROT_NONE PUD (pud_leaf without pud_present)")
    #expect(run.args.pfn == 0x40003)
    #expect(bad.world.heldLocks == [.pageTableLock])
  }

  @Test func endSkipsUnmap() throws {
    let mutant = ReferenceWalker(mutation: .endSkipsUnmap)
    for walker in [reference, mutant] {
      let fixture = try Fixture()
      var (rc, args, host) = try fixture.start(walker, Place.pte)
      #expect(rc == 0)
      try walker.end(&args, host: host)
      #expect(fixture.world.heldLocks.isEmpty)
      #expect(fixture.world.mappedTables.isEmpty == (walker.mutation == nil))
    }
  }

  @Test func specialFromVMA() throws {
    let mutant = ReferenceWalker(mutation: .specialFromVMA)
    let fixture = try Fixture(pteLeaf: LeafProperties(pfn: 0x777, special: false))
    #expect(try fixture.start(reference, Place.pte).args.special == false)
    let bad = try Fixture(pteLeaf: LeafProperties(pfn: 0x777, special: false)).start(mutant, Place.pte)
    #expect(bad.rc == 0)
    #expect(bad.args.special == true, "taken from VM_PFNMAP")
  }

  @Test func plainReadPMD() throws {
    let mutant = ReferenceWalker(mutation: .plainReadPMD)
    for walker in [reference, mutant] {
      let fixture = try Fixture()
      let (rc, args, host) = try fixture.start(walker, Place.pmd)
      #expect(rc == 0)
      #expect(args.pfn == Place.pmdPFN, "the plain read still sees the entry's value")
      let pmdp = try #require(try fixture.world.entryPointer(Place.pmd, at: .pmd, create: false))
      if walker.mutation == nil {
        #expect(fixture.world.dataRaces.isEmpty)
        #expect(host.trace.contains { $0.hasPrefix("read pmd@") })
      } else {
        // Read before pmd_lock(), without an accessor: a data race, and no scheduling point.
        #expect(fixture.world.dataRaces.map(\.pointer) == [pmdp])
        #expect(fixture.world.dataRaces.first?.level == .pmd)
        #expect(host.trace.contains { $0.hasPrefix("DATA RACE: plain read pmd@\(pmdp)") })
      }
    }
  }

  @Test func writesEntry() throws {
    let mutant = ReferenceWalker(mutation: .writesEntry)
    for walker in [reference, mutant] {
      let fixture = try Fixture()
      let before = fixture.world.snapshot()
      #expect(try fixture.start(walker, Place.pmd).rc == 0)
      let walkerWrites = fixture.world.writes.filter { $0.by == .walker }
      let unchanged = fixture.world.snapshot() == before
      if walker.mutation == nil {
        #expect(walkerWrites.isEmpty)
        #expect(unchanged)
      } else {
        // The write is a contract violation even though the leaf already had
        // its accessed bit (makeLeaf sets A), so the value stays the same.
        try #require(walkerWrites.count == 1)
        let pmdp = try #require(try fixture.world.entryPointer(Place.pmd, at: .pmd, create: false))
        #expect(walkerWrites[0].pointer == pmdp)
        #expect(walkerWrites[0].level == .pmd)
        #expect(walkerWrites[0].new == walkerWrites[0].old | 1 << 5)
      }
    }
  }

  @Test func writableFromVMA() throws {
    let mutant = ReferenceWalker(mutation: .writableFromVMA)
    // The PTE leaf is writable; the VMA has no VM_WRITE.
    let fixture = try Fixture(flags: [.io, .pfnmap])
    #expect(try fixture.start(reference, Place.pte).args.writable == true)
    let bad = try Fixture(flags: [.io, .pfnmap]).start(mutant, Place.pte)
    #expect(bad.rc == 0)
    #expect(bad.args.writable == false, "taken from VM_WRITE")
  }

  // MARK: Mutants that only races expose

  /// Performs one adversary operation right before the first host call with
  /// the given name, as another CPU would.
  final class OneStep: SchedulingObserver {
    let before: String
    let op: AdversaryOp
    let address: UInt64
    var done = false

    init(before: String, _ op: AdversaryOp, address: UInt64) {
      self.before = before
      self.op = op
      self.address = address
    }

    func willPerform(_ call: HostCall, host: ModelHost) throws {
      guard !done, call.name == before else { return }
      done = true
      _ = try host.world.perform(op, address: address)
    }
  }

  func raced(_ walker: any Walker, before: String, _ op: AdversaryOp, at address: UInt64) throws
    -> (rc: Int32, args: FollowPfnmapArgs, world: World)
  {
    let fixture = try Fixture()
    let host = fixture.host()
    host.observer = OneStep(before: before, op, address: address)
    host.stepLimit = 500
    var args = FollowPfnmapArgs(vma: fixture.vma, address: address)
    let rc = try walker.start(&args, host: host)
    return (rc, args, fixture.world)
  }

  @Test func staleHugeEntryReportsAZappedLeaf() throws {
    let zap = AdversaryOp(.zap, .pmd)
    let bad = try raced(ReferenceWalker(mutation: .staleHugeEntry), before: "pmd_lock", zap, at: Place.pmd)
    #expect(bad.rc == 0, "reports the leaf it read before the zap")
    #expect(bad.world.translate(Place.pmd) == nil)
    let good = try raced(reference, before: "pmd_lock", zap, at: Place.pmd)
    #expect(good.rc == -22)
    #expect(good.world.heldLocks.isEmpty)
  }

  @Test func wrongLevelLockHoldsThePUDLockForAPMDLeaf() throws {
    let bad = try Fixture().start(ReferenceWalker(mutation: .wrongLevelLock), Place.pmd)
    #expect(bad.rc == 0)
    #expect(bad.host.world.heldLocks == [.pageTableLock])
    let good = try Fixture().start(reference, Place.pmd)
    #expect(good.host.world.heldLocks == [try #require(good.host.world.lock(of: .pmd, for: Place.pmd))])
    // With the wrong lock held, another CPU can still zap the leaf.
    let enabled = bad.host.world.enabledAdversaryOps([.zap], address: Place.pmd)
    #expect(enabled.map(\.op) == [AdversaryOp(.zap, .pmd)])
    #expect(good.host.world.enabledAdversaryOps([.zap], address: Place.pmd).isEmpty)
  }

  @Test func unlockBeforeSuccessReturnsHoldingNothing() throws {
    let bad = try Fixture().start(ReferenceWalker(mutation: .unlockBeforeSuccess), Place.pud)
    #expect(bad.rc == 0)
    #expect(bad.host.world.heldLocks.isEmpty)
    #expect(bad.args.lock == nil)
    #expect(try Fixture().start(reference, Place.pud).host.world.heldLocks == [.pageTableLock])
  }

  @Test func retryWithoutRewalkSpinsAfterASplit() throws {
    let split = AdversaryOp(.split, .pmd)
    #expect(throws: WalkerFault.stepLimit(500)) {
      _ = try raced(ReferenceWalker(mutation: .retryWithoutRewalk), before: "pmd_lock", split, at: Place.pmd)
    }
    let good = try raced(reference, before: "pmd_lock", split, at: Place.pmd)
    #expect(good.rc == 0)
    #expect(good.args.addrMask == 0xFFFF_FFFF_FFFF_F000, "found the PTE the split made")
    #expect(good.args.pfn == Place.pmdPFN)
  }
}
