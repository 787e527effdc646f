import PfnModel
import PfnWalkers
import Testing

let vmaStart: UInt64 = 0x7f00_4000_0000
let gib: UInt64 = 1 << 30
let mib2: UInt64 = 2 << 20
let page: UInt64 = 4096
let vmaEnd: UInt64 = vmaStart + 2 * gib

/// Where each kind of leaf lives in the standard fixture.
enum Place {
  /// The first GiB of the VMA is one PUD leaf.
  static let pud: UInt64 = vmaStart
  static let pudPFN: UInt64 = 0x5 << 18
  /// A PMD leaf 4 MiB into the second GiB.
  static let pmd: UInt64 = vmaStart + gib + 2 * mib2
  static let pmdPFN: UInt64 = 0x200 * 0x123
  /// A PTE leaf in the first 2 MiB of the second GiB.
  static let pte: UInt64 = vmaStart + gib + 9 * page
  static let ptePFN: UInt64 = 0x12345
  /// Addresses that must fail in the fixture.
  static let emptyPTE: UInt64 = vmaStart + gib + 10 * page
  static let emptyPMD: UInt64 = vmaStart + gib + 20 * mib2
}

/// A world with one `VM_IO|VM_PFNMAP` VMA of 2 GiB and a leaf at every level.
struct Fixture {
  let world: World
  let vma: VMAView

  init(
    flags: VMAFlags = [.io, .pfnmap], fileBacked: Bool = false, leaves: Bool = true,
    pudLeaf: LeafProperties = LeafProperties(pfn: Place.pudPFN, writable: true, special: true),
    pmdLeaf: LeafProperties = LeafProperties(pfn: Place.pmdPFN, writable: false, special: true),
    pteLeaf: LeafProperties = LeafProperties(pfn: Place.ptePFN, writable: true, special: false, uncached: true)
  ) throws {
    world = World(arch: X86_64())
    vma = try world.addVMA(start: vmaStart, end: vmaEnd, flags: flags, fileBacked: fileBacked)
    if leaves {
      try world.installLeaf(pudLeaf, at: .pud, covering: Place.pud)
      try world.installLeaf(pmdLeaf, at: .pmd, covering: Place.pmd)
      try world.installLeaf(pteLeaf, at: .pte, covering: Place.pte)
    }
  }

  func host() -> ModelHost { ModelHost(world: world) }

  /// Runs `start`; returns the result, the args after it and the host.
  func start(_ walker: any Walker, _ address: UInt64, vma: VMAView? = nil) throws
    -> (rc: Int32, args: FollowPfnmapArgs, host: ModelHost)
  {
    let host = host()
    var args = FollowPfnmapArgs(vma: vma ?? self.vma, address: address)
    let rc = try walker.start(&args, host: host)
    return (rc, args, host)
  }
}

/// What a successful walk reported, for comparing walkers.
struct Outputs: Equatable, CustomStringConvertible {
  var pfn: UInt64
  var pgprot: UInt64
  var writable: Bool
  var special: Bool
  var lock: LockID?
  var ptep: EntryPointer?

  init(_ args: FollowPfnmapArgs) {
    pfn = args.pfn
    pgprot = args.pgprot
    writable = args.writable
    special = args.special
    lock = args.lock?.id
    ptep = args.ptep
  }

  var description: String {
    "pfn 0x\(String(pfn, radix: 16)) pgprot 0x\(String(pgprot, radix: 16)) w \(writable) s \(special) lock \(String(describing: lock)) ptep \(String(describing: ptep))"
  }
}

let reference = ReferenceWalker()
