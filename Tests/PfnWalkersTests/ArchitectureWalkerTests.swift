import PfnModel
import PfnWalkers
import Testing

/// Leaves of every level on every architecture, read back by the oracle and by
/// the reference walker.
@Suite("Every architecture: leaves round-trip through the oracle and the reference walker")
struct ArchitectureWalkerTests {
  static let archNames = Architectures.all.map(\.name)

  /// A world on `arch` with one leaf at `level` at the start of a VMA aligned
  /// to the leaf, well below the user limit.
  func world(_ arch: any Architecture, leaf level: PageLevel, pfn: UInt64) throws -> (World, VMAView, UInt64) {
    let world = World(arch: arch)
    let size = arch.size(level)
    let start = (arch.userAddressLimit / 4) & arch.mask(level) & arch.mask(.pmd)
    let vma = try world.addVMA(start: start, end: start + size, flags: [.io, .pfnmap], fileBacked: false)
    try world.installLeaf(LeafProperties(pfn: pfn, writable: true, special: true), at: level, covering: start)
    return (world, vma, start)
  }

  @Test(arguments: archNames)
  func roundTrip(_ name: String) throws {
    let arch = try #require(Architectures.named(name))
    for level in arch.capabilities(.newest).leafLevels {
      let pagesPerLeaf = arch.size(level) >> UInt64(arch.pageShift)
      let pfn = pagesPerLeaf * 3
      let (world, vma, start) = try world(arch, leaf: level, pfn: pfn)
      for offset in [0, arch.size(level) / 2 + 17, arch.size(level) - 1] {
        let address = start + offset
        let t = try #require(world.translate(address), "\(name) \(level)")
        #expect(t.level == level)
        #expect(t.pfn == pfn + offset >> UInt64(arch.pageShift), "\(name) \(level) +\(offset)")
        #expect(t.addrMask == arch.mask(level))
        #expect(t.writable && t.special == (level == .pte || arch.isSpecial(t.entry, level)))
        let host = ModelHost(world: world)
        var args = FollowPfnmapArgs(vma: vma, address: address)
        #expect(try ReferenceWalker().start(&args, host: host) == 0, "\(name) \(level)")
        #expect(args.pfn == t.pfn && args.addrMask == t.addrMask && args.pgprot == t.pgprot)
        try ReferenceWalker().end(&args, host: host)
        #expect(world.heldLocks.isEmpty)
      }
    }
  }

  @Test("x86-shifts gets a 32 MiB arm64 block wrong and a 2 MiB x86_64 one right")
  func x86ShiftsMutant() throws {
    let mutant = ReferenceWalker(mutation: .x86Shifts)
    for (arch, wrong) in [(Arm64(granuleShift: 14, vaBits: 47) as any Architecture, true), (X86_64(), false)] {
      let (world, vma, start) = try world(arch, leaf: .pmd, pfn: 0x40000)
      let address = start + arch.size(.pmd) - 1
      var args = FollowPfnmapArgs(vma: vma, address: address)
      #expect(try mutant.start(&args, host: ModelHost(world: world)) == 0)
      let t = try #require(world.translate(address))
      #expect((args.pfn != t.pfn) == wrong, "\(arch.name)")
      #expect((args.addrMask != t.addrMask) == wrong, "\(arch.name)")
    }
  }
}
