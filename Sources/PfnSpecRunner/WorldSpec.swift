import PfnModel
import PfnResults

/// The world a case asks for, collected from its `given` clauses before
/// anything is built, so that `for` domains can refer to it (`leaf.start`).
struct WorldSpec {
  /// The default VMA: 2 GiB at a 1 GiB-aligned address, so that a PUD leaf fits
  /// at its start on every 4 KiB-page architecture.
  var vmaStart: UInt64 = 0x7f00_4000_0000
  var vmaSize: UInt64 = 2 << 30
  var vmaFlags: VMAFlags = [.io, .pfnmap]
  var fileBacked = false
  var leaves: [(level: PageLevel, properties: LeafProperties, covering: UInt64)] = []
  var entries: [(level: PageLevel, state: EntryState, covering: UInt64, pfn: UInt64)] = []
  var caller: Set<CallerHold> = [.mmapRead]
  /// Another CPU racing the walker: which operations, and at most how many.
  var race: (kinds: [AdversaryKind], bound: Int)?
  /// The other CPU's steps pinned to named points (`given schedule`): the
  /// case runs that schedule only.
  var pinned: PinnedProgram?
  /// What every output field of args holds before start() (`given args fill`);
  /// `nil` for the default poison pattern.
  var argsFill: UInt64?
  /// The caller is asked for write access (`given request write true`).
  var requestWrite = false

  /// The default VMA start on `arch`: the historical 0x7f00_4000_0000 where the
  /// default VMA fits below the user address limit (x86_64 and most layouts),
  /// else half the limit aligned down to the largest of 1 GiB and a PMD block,
  /// so that a leaf of any level fits at its start (riscv Sv39, arm64 39-bit,
  /// arm64 64K 42-bit).
  static func defaultVMAStart(for arch: any Architecture, size: UInt64 = 2 << 30) -> UInt64 {
    let classic: UInt64 = 0x7f00_4000_0000
    if classic + size <= arch.userAddressLimit { return classic }
    let alignment = max(1 << 30, arch.size(.pmd))
    return (arch.userAddressLimit / 2) & ~(alignment - 1)
  }

  /// Distinct, well-aligned default pfns, one per leaf.
  func defaultPFN(index: Int) -> UInt64 { 0x10_0000 + UInt64(index) * 0x4_0000 }

  /// Builds the world.
  func build(_ target: Target) throws -> World {
    let world = World(arch: target.arch, release: target.release)
    let vma = try world.addVMA(
      start: vmaStart, end: vmaStart &+ vmaSize, flags: vmaFlags, fileBacked: fileBacked)
    for leaf in leaves {
      try world.installLeaf(leaf.properties, at: leaf.level, covering: leaf.covering)
    }
    for entry in entries {
      try world.installEntry(entry.state, at: entry.level, covering: entry.covering, pfn: entry.pfn)
    }
    switch (caller.contains(.mmapWrite), caller.contains(.mmapRead)) {
    case (true, _): world.mmapMode = .write
    case (false, true): world.mmapMode = .read
    default: world.mmapMode = .none
    }
    if caller.contains(.iMmapRwsem), let file = vma.file, let mapping = world.mapping(of: file) {
      world.heldMappings.insert(mapping)
    }
    return world
  }

  /// One line per part, for failure reports.
  func describe(_ arch: any Architecture) -> [String] {
    var lines = [
      "vma [\(Value.integer(vmaStart)), \(Value.integer(vmaStart &+ vmaSize))) flags \(vmaFlags)"
        + (fileBacked ? ", file-backed" : ", no file")
    ]
    for leaf in leaves {
      let p = leaf.properties
      lines.append(
        "\(leaf.level) leaf covering \(Value.integer(leaf.covering)): pfn \(Value.integer(p.pfn))"
          + (p.writable ? " writable" : " read-only") + (p.special ? " special" : "")
          + (p.uncached ? " uncached" : "") + (p.dirty ? " dirty" : "") + (p.executable ? " exec" : ""))
    }
    for entry in entries {
      lines.append("\(entry.level) entry covering \(Value.integer(entry.covering)) is \(entry.state.rawValue)")
    }
    lines.append(
      "caller holds " + Value.callerLocks(caller).description)
    if requestWrite { lines.append("request: write access") }
    if let race {
      lines.append("race: up to \(race.bound) of " + race.kinds.map(\.rawValue).joined(separator: ", "))
    }
    if let pinned { lines.append("schedule: " + pinned.steps.map(\.text).joined(separator: "; ")) }
    return lines
  }
}

