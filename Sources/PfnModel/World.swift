/// Something wrong with the world a rule asked for (a leaf where the
/// architecture has none, a misaligned pfn, two givens that overlap).
public struct WorldError: Error, Sendable, CustomStringConvertible {
  public var description: String
  public init(_ description: String) { self.description = description }
}

/// How the caller holds `mmap_lock`.
public enum MmapMode: String, Sendable, Hashable, Codable, CaseIterable {
  case none, read, write
}

/// One write to an entry, by the walker or by the kernel on its behalf.
public struct EntryWrite: Sendable, Hashable, Codable, CustomStringConvertible {
  public var pointer: EntryPointer
  public var level: PageLevel
  public var old: UInt64
  public var new: UInt64
  /// Who wrote: the walker, or the kernel helper that did.
  public var by: EntryWriter

  public var description: String {
    "\(by) wrote \(level)@\(pointer): \(hex(old)) -> \(hex(new))"
  }
}

/// Who wrote an entry.
public enum EntryWriter: String, Sendable, Hashable, Codable, CustomStringConvertible {
  /// The walker, through the host's `write`.
  case walker
  /// `pmd_clear_bad()`, called by `pte_offset_map_lock()` on a bad PMD.
  case pmdClearBad = "pmd_clear_bad"

  public var description: String { rawValue }
}

func hex(_ value: UInt64) -> String { "0x" + String(value, radix: 16) }

/// What the oracle knows about the leaf that maps an address: read off the
/// model with the architecture's helpers, never through a walker.
public struct Translation: Sendable, Hashable, Codable {
  public var level: PageLevel
  public var pointer: EntryPointer
  public var entry: UInt64
  /// The pfn of the 4 KiB frame that holds the address (C21).
  public var pfn: UInt64
  public var pgprot: UInt64
  public var writable: Bool
  public var special: Bool
  /// `PAGE_MASK`, `PMD_MASK` or `PUD_MASK`.
  public var addrMask: UInt64
  /// The spinlock that protects the entry.
  public var lock: LockID
}

/// An address space with its page tables, VMAs and locks: the shared state a
/// walker runs against, and the record of what the walker did to it.
public final class World {
  public let arch: any Architecture
  public let release: KernelRelease
  public let capabilities: Capabilities
  public let mm = MMRef(id: 1)

  struct Frame: Hashable {
    /// The level whose entries this table holds.
    var level: PageLevel
    var entries: [UInt64]
  }

  private(set) var frames: [UInt64: Frame] = [:]
  /// An XOR of one digest per non-zero entry (Zobrist hashing): updated on
  /// every store, so that telling end states apart costs nothing per state.
  private(set) var contentHash: UInt64 = 0
  /// Counts every change that can change what the adversary may do (an entry,
  /// a table, a lock), so that the enabled operations are computed once per change.
  private(set) var mutations = 0
  /// The last answer of `enabledAdversaryOps`, valid while `mutations` has not moved.
  var enabledCache: (mutations: Int, address: UInt64, kinds: [AdversaryKind], ops: [EnabledOp])?
  private var nextFramePFN: UInt64 = 0x1000
  /// The pfn of the top-level table.
  public private(set) var rootPFN: UInt64 = 0

  public private(set) var vmas: [VMAView] = []
  private var mappings: [FileRef: MappingRef] = [:]

  // What the caller holds on entry.
  public var mmapMode: MmapMode = .read
  public var heldMappings: Set<MappingRef> = []

  // What the walker did.
  public private(set) var heldLocks: [LockID] = []
  public private(set) var mappedTables: [UInt64: Int] = [:]
  public private(set) var lockdepWarnings: [String] = []
  public private(set) var writes: [EntryWrite] = []
  /// Operations another CPU performed (see `Adversary.swift`).
  public internal(set) var adversarySteps = 0
  /// Completed invalidations of any range (what `mmu_invalidate_seq` counts).
  public internal(set) var invalidationSequence: UInt64 = 0
  /// Hears of every range another CPU changes: the mmu notifiers a caller registered.
  public weak var invalidationListener: (any InvalidationListener)?

  public init(arch: any Architecture, release: KernelRelease = .newest) {
    self.arch = arch
    self.release = release
    self.capabilities = arch.capabilities(release)
    rootPFN = allocateTable(level: .pgd)
    installSharedEmptyTables()
  }

  private init(copying other: World) {
    arch = other.arch
    release = other.release
    capabilities = other.capabilities
    frames = other.frames
    contentHash = other.contentHash
    mutations = other.mutations
    enabledCache = other.enabledCache
    nextFramePFN = other.nextFramePFN
    rootPFN = other.rootPFN
    vmas = other.vmas
    mappings = other.mappings
    mmapMode = other.mmapMode
    heldMappings = other.heldMappings
    heldLocks = other.heldLocks
    mappedTables = other.mappedTables
    lockdepWarnings = other.lockdepWarnings
    writes = other.writes
    adversarySteps = other.adversarySteps
    invalidationSequence = other.invalidationSequence
  }

  /// A world in the same state that changes on its own: what a race explorer
  /// starts each schedule from instead of building the world again. Tables are
  /// shared until one side writes them (copy on write, one table at a time).
  /// Listeners are not copied.
  public func copy() -> World { World(copying: self) }

  // MARK: Memory

  func allocateTable(level: PageLevel) -> UInt64 {
    let pfn = nextFramePFN
    let count = arch.entriesPerTable(level == .pgd ? .pgd : level)
    // A table can be larger than a page (ppc64 radix: 8192 pgd entries with
    // 4 KiB pages); it then occupies consecutive frames.
    nextFramePFN += max(1, (UInt64(count) * 8 + arch.pageSize - 1) / arch.pageSize)
    install(Frame(level: level, entries: Array(repeating: arch.emptyEntry(level), count: count)), at: pfn)
    return pfn
  }

  /// A 64-bit digest of one entry's place and value; zero entries contribute nothing.
  private static func digest(_ pfn: UInt64, _ index: Int, _ value: UInt64) -> UInt64 {
    guard value != 0 else { return 0 }
    var z = (pfn << 12 | UInt64(index)) &* 0x9E37_79B9_7F4A_7C15 ^ value
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// Puts a whole table in place, keeping the content hash.
  private func install(_ frame: Frame, at pfn: UInt64) {
    if let old = frames[pfn] { contentHash ^= Self.digest(of: old.entries, at: pfn) }
    contentHash ^= Self.digest(of: frame.entries, at: pfn)
    frames[pfn] = frame
    mutations &+= 1
  }

  /// The digest of a whole table; a table of zeros (most new tables) costs one pass.
  private static func digest(of entries: [UInt64], at pfn: UInt64) -> UInt64 {
    var hash: UInt64 = 0
    entries.withUnsafeBufferPointer { buffer in
      for index in buffer.indices where buffer[index] != 0 { hash ^= digest(pfn, index, buffer[index]) }
    }
    return hash
  }

  /// Stores one entry of a table by its place, keeping the content hash.
  func storeEntry(pfn: UInt64, index: Int, _ value: UInt64) {
    let old = frames[pfn]!.entries[index]
    contentHash ^= Self.digest(pfn, index, old) ^ Self.digest(pfn, index, value)
    frames[pfn]!.entries[index] = value
    mutations &+= 1
  }

  /// The frame and index an entry pointer designates, if it points into a table.
  /// The level of the table that holds `pointer`'s entry, for naming it in reports.
  public func level(of pointer: EntryPointer) -> PageLevel? {
    locate(pointer).flatMap { frames[$0.pfn]?.level }
  }

  func locate(_ pointer: EntryPointer) -> (pfn: UInt64, index: Int)? {
    guard pointer.address % 8 == 0 else { return nil }
    // The nearest frame at or below the pointer's page: a table that spans
    // several pages is keyed by its first one.
    var pfn = pointer.address >> UInt64(arch.pageShift)
    while frames[pfn] == nil {
      guard pfn > 0, (pointer.address >> UInt64(arch.pageShift)) - pfn < Self.maxPagesPerTable else { return nil }
      pfn -= 1
    }
    let index = Int((pointer.address - (pfn << UInt64(arch.pageShift))) / 8)
    guard index < frames[pfn]!.entries.count else { return nil }
    return (pfn, index)
  }

  /// The most pages one table spans on any modelled architecture (ppc64's pgd: 16).
  static let maxPagesPerTable: UInt64 = 16

  /// Architectures whose empty entries are not zero but point at a shared,
  /// always-empty table (loongarch's `invalid_pud_table`, `invalid_pmd_table`,
  /// `invalid_pte_table`): the kernel can read through such an entry, so the
  /// tables exist here as real frames, each full of its own level's empty entry.
  private func installSharedEmptyTables() {
    for level in arch.entryLevels where level != .pte {
      let empty = arch.emptyEntry(level)
      guard empty != 0, let below = level.below else { continue }
      let pfn = arch.tableAddress(empty, level) >> UInt64(arch.pageShift)
      guard frames[pfn] == nil else { continue }
      let entryLevel = arch.entryLevel(of: below)
      install(
        Frame(level: below, entries: Array(repeating: arch.emptyEntry(entryLevel), count: arch.entriesPerTable(below))),
        at: pfn)
    }
  }

  /// The raw value at a pointer; `nil` for a wild pointer.
  public func value(at pointer: EntryPointer) -> UInt64? {
    guard let (pfn, index) = locate(pointer) else { return nil }
    return frames[pfn]!.entries[index]
  }

  /// Stores a value; the caller records who did it.
  func store(_ value: UInt64, at pointer: EntryPointer) -> UInt64? {
    guard let (pfn, index) = locate(pointer) else { return nil }
    let old = frames[pfn]!.entries[index]
    storeEntry(pfn: pfn, index: index, value)
    return old
  }

  func pointer(pfn: UInt64, index: Int) -> EntryPointer {
    EntryPointer(address: pfn << UInt64(arch.pageShift) + UInt64(index * 8))
  }

  /// Feeds the page tables and what the walker holds to a hasher, to count
  /// distinct states without copying them.
  public func hashState(into hasher: inout Hasher) {
    hasher.combine(contentHash)
    hasher.combine(heldLocks)
    hasher.combine(mappedTables)
  }

  /// A copy of every table, to tell whether anything changed.
  public func snapshot() -> [UInt64: [UInt64]] { frames.mapValues(\.entries) }

  // MARK: Building

  /// The pointer to the entry for `address` at `level`, creating the tables
  /// above it when `create` is set. Folded levels share their parent's entry.
  public func entryPointer(_ address: UInt64, at level: PageLevel, create: Bool) throws -> EntryPointer? {
    var pointer = pointer(pfn: rootPFN, index: arch.index(address, .pgd))
    var pointerLevel = PageLevel.pgd
    for next in PageLevel.allCases.dropFirst() where next <= level {
      if arch.isFolded(next) {
        pointerLevel = next
        continue
      }
      let parent = value(at: pointer)!
      let tablePFN: UInt64
      if arch.isNone(parent, pointerLevel) || parent == arch.emptyEntry(pointerLevel) {
        guard create else { return nil }
        tablePFN = allocateTable(level: next)
        _ = store(arch.makeTable(tablePFN << UInt64(arch.pageShift), pointerLevel), at: pointer)
      } else if arch.isPresent(parent, pointerLevel) && !arch.isLeaf(parent, pointerLevel)
        && !arch.isBad(parent, pointerLevel)
      {
        tablePFN = arch.tableAddress(parent, pointerLevel) >> UInt64(arch.pageShift)
      } else {
        guard create else { return nil }
        throw WorldError(
          "cannot build below the \(pointerLevel) entry for \(hex(address)): it is not a table (\(hex(parent)))")
      }
      pointer = self.pointer(pfn: tablePFN, index: arch.index(address, next))
      pointerLevel = next
    }
    return pointer
  }

  /// Adds a VMA; returns its view.
  @discardableResult
  public func addVMA(start: UInt64, end: UInt64, flags: VMAFlags, fileBacked: Bool) throws -> VMAView {
    guard start < end, start % arch.pageSize == 0, end % arch.pageSize == 0 else {
      throw WorldError("a VMA must be page-aligned and non-empty: [\(hex(start)), \(hex(end)))")
    }
    guard end <= arch.userAddressLimit else {
      throw WorldError("VMA end \(hex(end)) is above the user address limit \(hex(arch.userAddressLimit))")
    }
    if let other = vmas.first(where: { $0.start < end && start < $0.end }) {
      throw WorldError("VMA [\(hex(start)), \(hex(end))) overlaps [\(hex(other.start)), \(hex(other.end)))")
    }
    var file: FileRef?
    if fileBacked {
      let ref = FileRef(id: mappings.count + 1)
      mappings[ref] = MappingRef(id: mappings.count + 1)
      file = ref
    }
    let vma = VMAView(start: start, end: end, flags: flags, file: file, mm: mm)
    vmas.append(vma)
    return vma
  }

  /// The mapping of a VMA's file.
  public func mapping(of file: FileRef) -> MappingRef? { mappings[file] }

  /// Installs a leaf at `level` covering `address`.
  public func installLeaf(_ leaf: LeafProperties, at level: PageLevel, covering address: UInt64) throws {
    let pagesPerLeaf = arch.size(level) >> UInt64(arch.pageShift)
    guard leaf.pfn % pagesPerLeaf == 0 else {
      throw WorldError("pfn \(hex(leaf.pfn)) of a \(level) leaf must be aligned to \(pagesPerLeaf) pages")
    }
    guard let value = arch.makeLeaf(leaf, level) else {
      throw WorldError("\(arch.name) cannot encode a leaf at \(level)")
    }
    try install(value, at: level, covering: address)
  }

  /// Installs a non-leaf entry (empty, swap, PROT_NONE, bad) at `level`.
  public func installEntry(_ state: EntryState, at level: PageLevel, covering address: UInt64, pfn: UInt64) throws {
    guard let value = arch.makeNonLeaf(state, level, pfn: pfn) else {
      throw WorldError("\(arch.name) has no \(state) entry at \(level)")
    }
    try install(value, at: level, covering: address)
  }

  private func install(_ value: UInt64, at level: PageLevel, covering address: UInt64) throws {
    // A folded level holds entries only where it is the last of its fold chain
    // (a PMD leaf in the top table of 2-level arm64, a PUD leaf on riscv Sv39).
    guard !arch.isFolded(level) || (arch.isEntryLevel(level) && level >= .pud) else {
      throw WorldError("\(level) is folded on \(arch.name)")
    }
    guard let pointer = try entryPointer(address, at: level, create: true) else {
      throw WorldError("no \(level) entry for \(hex(address))")
    }
    let current = self.value(at: pointer)!
    guard current == arch.emptyEntry(level) else {
      throw WorldError("the \(level) entry for \(hex(address)) is already set (\(hex(current)))")
    }
    _ = store(value, at: pointer)
  }

  // MARK: Locks (the walker's side)

  func acquire(_ lock: LockID) throws {
    if heldLocks.contains(lock) { throw WalkerFault.selfDeadlock(lock) }
    heldLocks.append(lock)
    mutations &+= 1
  }

  func release(_ lock: LockID) throws {
    guard let index = heldLocks.lastIndex(of: lock) else { throw WalkerFault.unlockNotHeld(lock) }
    heldLocks.remove(at: index)
    mutations &+= 1
  }

  func mapTable(_ pfn: UInt64) { mappedTables[pfn, default: 0] += 1 }

  func unmapTable(containing pointer: EntryPointer) throws {
    let pfn = pointer.address >> UInt64(arch.pageShift)
    guard let count = mappedTables[pfn], count > 0 else { throw WalkerFault.unmapNotMapped(pointer) }
    mappedTables[pfn] = count == 1 ? nil : count - 1
  }

  func recordWrite(_ write: EntryWrite) { writes.append(write) }
  func recordLockdepWarning(_ what: String) { lockdepWarnings.append(what) }

  /// The PMD lock for a pmd entry pointer: split or mm-wide.
  public func pmdLockID(_ pmd: EntryPointer) -> LockID {
    capabilities.splitPMDLocks ? .pmdTable(pfn: pmd.address >> UInt64(arch.pageShift)) : .pageTableLock
  }

  // MARK: Oracle

  /// The present leaf that maps `address`, read with the architecture's
  /// helpers, or `nil` when a walker must fail.
  public func translate(_ address: UInt64) -> Translation? {
    for level in [PageLevel.pud, .pmd, .pte] where arch.isEntryLevel(level) {
      guard let pointer = try? entryPointer(address, at: level, create: false),
        let entry = value(at: pointer)
      else { return nil }
      guard arch.isPresent(entry, level), !arch.isNone(entry, level) else { return nil }
      if level == .pte || arch.isLeaf(entry, level) {
        let mask = arch.mask(level)
        let pfn = arch.pfn(entry, level) + ((address & ~mask) >> UInt64(arch.pageShift))
        return Translation(
          level: level, pointer: pointer, entry: entry, pfn: pfn,
          pgprot: arch.pgprot(entry, level), writable: arch.isWrite(entry, level),
          special: arch.isSpecial(entry, level), addrMask: mask,
          lock: lockProtecting(pointer, level))
      }
      if arch.isBad(entry, level) { return nil }
    }
    return nil
  }

  /// The entries a walk for `address` reads below the top level, as far as
  /// they exist now.
  public func pathPointers(_ address: UInt64) -> [EntryPointer] {
    [PageLevel.p4d, .pud, .pmd, .pte].compactMap { level in
      arch.isFolded(level) ? nil : (try? entryPointer(address, at: level, create: false)) ?? nil
    }
  }

  /// The lock that protects the entry at `level` for `address`, if that entry
  /// exists.
  public func lock(of level: PageLevel, for address: UInt64) -> LockID? {
    guard let pointer = try? entryPointer(address, at: level, create: false) else { return nil }
    return lockProtecting(pointer, level)
  }

  func lockProtecting(_ pointer: EntryPointer, _ level: PageLevel) -> LockID {
    switch level {
    case .pte: .pteTable(pfn: pointer.address >> UInt64(arch.pageShift))
    case .pmd: pmdLockID(pointer)
    default: .pageTableLock
    }
  }
}
