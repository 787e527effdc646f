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
  /// The architecture's geometry as plain values, for the hot paths.
  public let geometry: Geometry
  public let mm = MMRef(id: 1)

  // Every stored property below is read or written at scheduling points.
  // Dynamic exclusivity checks (one per access the optimizer cannot prove
  // safe) are off for them: no method lends one out across a call that could
  // touch it again, and a world is used by one thread at a time.

  /// The page tables, flat, with the content hash and the undo log.
  @exclusivity(unchecked) private(set) var tables: TableStore
  /// An XOR of one digest per non-zero entry (Zobrist hashing): updated on
  /// every store, so that telling end states apart costs nothing per state.
  var contentHash: UInt64 { tables.contentHash }
  /// Counts every change that can change what the adversary may do (an entry,
  /// a table, a lock); it only grows, so a cached answer never matches a
  /// state it was not computed for.
  var mutations: Int { tables.mutations }
  // The last answer of `existingPath`, valid while `mutations` has not moved;
  // not copied with the world.
  @exclusivity(unchecked) private var pathCacheMutations = Int.min
  @exclusivity(unchecked) private var pathCacheAddress: UInt64 = 0
  @exclusivity(unchecked) private var pathCache = PerLevel<EntryPointer?>(repeating: nil)
  /// `pathPointers`'s last answer, kept as `existingPath`'s is.
  @exclusivity(unchecked) private var pointersCacheMutations = Int.min
  @exclusivity(unchecked) private var pointersCacheAddress: UInt64 = 0
  @exclusivity(unchecked) private var pointersCache: [EntryPointer] = []
  // The last answer of `enabledAdversaryOps`, valid while `mutations` has not
  // moved: plain fields, so that checking it copies no struct of arrays.
  /// The `mutations` the cached answer is for; never a real count when there is none.
  @exclusivity(unchecked) var enabledCacheMutations = Int.min
  @exclusivity(unchecked) var enabledCacheAddress: UInt64 = 0
  @exclusivity(unchecked) var enabledCacheKinds: [AdversaryKind] = []
  @exclusivity(unchecked) var enabledCacheOps: [EnabledOp] = []
  /// The enabled operations of every state met so far (see `EnabledMemo`).
  @exclusivity(unchecked) var enabledMemo = EnabledMemo()
  /// How many tables exist.
  var tableCount: Int { tables.tables.count }
  @exclusivity(unchecked) private var nextFramePFN: UInt64 = 0x1000
  /// The frame the next table would take.
  var nextFreePFN: UInt64 { nextFramePFN }
  /// The pfn of the top-level table.
  @exclusivity(unchecked) public private(set) var rootPFN: UInt64 = 0

  @exclusivity(unchecked) public private(set) var vmas: [VMAView] = []
  @exclusivity(unchecked) private var mappings: [FileRef: MappingRef] = [:]

  // What the caller holds on entry.
  @exclusivity(unchecked) public var mmapMode: MmapMode = .read
  @exclusivity(unchecked) public var heldMappings: Set<MappingRef> = []

  // What the walker did.
  @exclusivity(unchecked) public private(set) var heldLocks: [LockID] = []
  @exclusivity(unchecked) public private(set) var mappedTables: [UInt64: Int] = [:]
  /// An XOR of `mix(pfn, count)` over ``mappedTables``, kept on every map and
  /// unmap so that ``explorationKey`` does not walk the dictionary.
  @exclusivity(unchecked) private(set) var mappedDigest: UInt64 = 0
  @exclusivity(unchecked) public private(set) var lockdepWarnings: [String] = []
  /// Plain reads of entries another CPU may change, without their lock (``DataRace``).
  @exclusivity(unchecked) public private(set) var dataRaces: [DataRace] = []
  @exclusivity(unchecked) public private(set) var writes: [EntryWrite] = []
  /// Operations another CPU performed (see `Adversary.swift`).
  public internal(set) var adversarySteps = 0
  /// Completed invalidations of any range (what `mmu_invalidate_seq` counts).
  public internal(set) var invalidationSequence: UInt64 = 0
  /// Hears of every range another CPU changes: the mmu notifiers a caller registered.
  public weak var invalidationListener: (any InvalidationListener)? {
    didSet { mayHaveInvalidationListener = invalidationListener != nil }
  }
  /// Whether a listener was registered (it may have gone since): a plain flag,
  /// so that a world without one never loads the weak reference at every point.
  @exclusivity(unchecked) private(set) var mayHaveInvalidationListener = false

  public init(arch: any Architecture, release: KernelRelease = .newest) {
    self.arch = arch
    self.release = release
    self.capabilities = arch.capabilities(release)
    self.geometry = Geometry(arch)
    self.tables = TableStore(pageShift: arch.pageShift)
    rootPFN = allocateTable(level: .pgd)
    installSharedEmptyTables()
  }

  private init(copying other: World) {
    arch = other.arch
    release = other.release
    capabilities = other.capabilities
    geometry = other.geometry
    tables = other.tables
    enabledCacheMutations = other.enabledCacheMutations
    enabledCacheAddress = other.enabledCacheAddress
    enabledCacheKinds = other.enabledCacheKinds
    enabledCacheOps = other.enabledCacheOps
    nextFramePFN = other.nextFramePFN
    rootPFN = other.rootPFN
    vmas = other.vmas
    mappings = other.mappings
    mmapMode = other.mmapMode
    heldMappings = other.heldMappings
    heldLocks = other.heldLocks
    mappedTables = other.mappedTables
    mappedDigest = other.mappedDigest
    lockdepWarnings = other.lockdepWarnings
    dataRaces = other.dataRaces
    writes = other.writes
    adversarySteps = other.adversarySteps
    invalidationSequence = other.invalidationSequence
  }

  /// A world in the same state that changes on its own. Listeners are not copied.
  public func copy() -> World { World(copying: self) }

  // MARK: Checkpoints

  /// A state of a world to come back to: what ``checkpoint()`` saved.
  public struct Checkpoint {
    fileprivate var tableMark: TableStore.Mark
    fileprivate var nextFramePFN: UInt64
    fileprivate var vmas: [VMAView]
    fileprivate var mappings: [FileRef: MappingRef]
    fileprivate var mmapMode: MmapMode
    fileprivate var heldMappings: Set<MappingRef>
    fileprivate var heldLocks: [LockID]
    fileprivate var mappedTables: [UInt64: Int]
    fileprivate var mappedDigest: UInt64
    fileprivate var lockdepWarnings: [String]
    fileprivate var dataRaces: [DataRace]
    fileprivate var writes: [EntryWrite]
    fileprivate var adversarySteps: Int
    fileprivate var invalidationSequence: UInt64
    /// The enabled operations as they were, when known.
    fileprivate var enabled: EnabledCache?
  }

  /// Saves this state, to come back to it with ``restore(_:)``: what a race
  /// explorer does between schedules instead of building or copying the world.
  /// From now on every store is logged, so that restoring costs as much as the
  /// schedule changed, not as much as the world holds.
  public func checkpoint() -> Checkpoint {
    Checkpoint(
      tableMark: tables.mark(), nextFramePFN: nextFramePFN, vmas: vmas, mappings: mappings, mmapMode: mmapMode,
      heldMappings: heldMappings,
      heldLocks: heldLocks, mappedTables: mappedTables, mappedDigest: mappedDigest, lockdepWarnings: lockdepWarnings, dataRaces: dataRaces,
      writes: writes,
      adversarySteps: adversarySteps, invalidationSequence: invalidationSequence,
      enabled: enabledCacheMutations == mutations
        ? EnabledCache(
          mutations: mutations, address: enabledCacheAddress, kinds: enabledCacheKinds, ops: enabledCacheOps) : nil)
  }

  /// Comes back to a state ``checkpoint()`` saved; later checkpoints are
  /// forgotten. Listeners are dropped: whoever registers one does so again.
  public func restore(_ saved: Checkpoint) {
    tables.rewind(to: saved.tableMark)
    nextFramePFN = saved.nextFramePFN
    vmas = saved.vmas
    mappings = saved.mappings
    mmapMode = saved.mmapMode
    heldMappings = saved.heldMappings
    heldLocks = saved.heldLocks
    mappedTables = saved.mappedTables
    mappedDigest = saved.mappedDigest
    lockdepWarnings = saved.lockdepWarnings
    dataRaces = saved.dataRaces
    writes = saved.writes
    adversarySteps = saved.adversarySteps
    invalidationSequence = saved.invalidationSequence
    invalidationListener = nil
    if let enabled = saved.enabled {
      enabledCacheMutations = mutations
      enabledCacheAddress = enabled.address
      enabledCacheKinds = enabled.kinds
      enabledCacheOps = enabled.ops
    }
  }

  // MARK: Memory

  func allocateTable(level: PageLevel) -> UInt64 {
    let pfn = nextFramePFN
    let count = geometry.entriesPerTable[level == .pgd ? .pgd : level]
    // A table can be larger than a page (ppc64 radix: 8192 pgd entries with
    // 4 KiB pages); it then occupies consecutive frames.
    let pages = max(1, (UInt64(count) * 8 + geometry.pageSize - 1) / geometry.pageSize)
    nextFramePFN += pages
    addTable(level: level, filledWith: geometry.emptyEntry[level], count: count, at: pfn, pages: pages)
    return pfn
  }

  private func addTable(level: PageLevel, filledWith fill: UInt64, count: Int, at pfn: UInt64, pages: UInt64) {
    tables.addTable(level: level, filledWith: fill, count: count, at: pfn, pages: pages)
  }

  /// Makes a table at the next free frames with the entries `make` gives, in one pass.
  func allocateTable(level: PageLevel, _ make: (Int) -> UInt64) -> UInt64 {
    let pfn = nextFramePFN
    let count = geometry.entriesPerTable[level]
    let pages = max(1, (UInt64(count) * 8 + geometry.pageSize - 1) / geometry.pageSize)
    nextFramePFN += pages
    tables.addTable(level: level, count: count, at: pfn, pages: pages, make)
    return pfn
  }

  /// Makes a table at the next free frames whose entry `i` is `first + i * step`.
  func allocateLinearTable(level: PageLevel, first: UInt64, step: UInt64) -> UInt64 {
    let pfn = nextFramePFN
    let count = geometry.entriesPerTable[level]
    let pages = max(1, (UInt64(count) * 8 + geometry.pageSize - 1) / geometry.pageSize)
    nextFramePFN += pages
    tables.addLinearTable(level: level, count: count, at: pfn, pages: pages, first: first, step: step)
    return pfn
  }

  func table(at pfn: UInt64) -> TableStore.Table? { tables.table(at: pfn) }

  /// The level of the table that starts at page `pfn`, if there is one.
  public func tableLevel(at pfn: UInt64) -> PageLevel? { table(at: pfn)?.level }

  /// The entries of the table that starts at page `pfn`.
  func tableEntries(at pfn: UInt64) -> ArraySlice<UInt64>? { tables.tableEntries(at: pfn) }

  /// The value of one entry of a table by its place.
  func entry(pfn: UInt64, index: Int) -> UInt64 { tables.entry(pfn: pfn, index: index) }

  /// Stores one entry of a table by its place, keeping the content hash.
  func storeEntry(pfn: UInt64, index: Int, _ value: UInt64) { tables.storeEntry(pfn: pfn, index: index, value) }

  /// The level of the table that holds `pointer`'s entry, for naming it in reports.
  public func level(of pointer: EntryPointer) -> PageLevel? {
    tables.find(pointer)?.table.level
  }

  /// The frame and index an entry pointer designates, if it points into a table.
  func locate(_ pointer: EntryPointer) -> (pfn: UInt64, index: Int)? {
    tables.find(pointer).map { ($0.table.pfn, $0.index) }
  }

  /// The most pages one table spans on any modelled architecture (ppc64's pgd: 16).
  static let maxPagesPerTable: UInt64 = 16

  /// Architectures whose empty entries are not zero but point at a shared,
  /// always-empty table (loongarch's `invalid_pud_table`, `invalid_pmd_table`,
  /// `invalid_pte_table`): the kernel can read through such an entry, so the
  /// tables exist here as real frames, each full of its own level's empty entry.
  private func installSharedEmptyTables() {
    for level in arch.entryLevels where level != .pte {
      let empty = geometry.emptyEntry[level]
      guard empty != 0, let below = level.below else { continue }
      let pfn = arch.tableAddress(empty, level) >> UInt64(geometry.pageShift)
      guard table(at: pfn) == nil else { continue }
      let entryLevel = arch.entryLevel(of: below)
      let count = geometry.entriesPerTable[below]
      addTable(
        level: below, filledWith: geometry.emptyEntry[entryLevel], count: count, at: pfn,
        pages: max(1, (UInt64(count) * 8 + geometry.pageSize - 1) / geometry.pageSize))
    }
  }

  /// The raw value at a pointer; `nil` for a wild pointer.
  public func value(at pointer: EntryPointer) -> UInt64? { tables.value(at: pointer) }

  /// Stores a value; the caller records who did it.
  func store(_ value: UInt64, at pointer: EntryPointer) -> UInt64? { tables.store(value, at: pointer) }

  func pointer(pfn: UInt64, index: Int) -> EntryPointer {
    EntryPointer(address: pfn << UInt64(geometry.pageShift) + UInt64(index * 8))
  }

  /// Feeds the page tables and what the walker holds to a hasher, to count
  /// distinct states without copying them.
  public func hashState(into hasher: inout Hasher) {
    hasher.combine(contentHash)
    hasher.combine(heldLocks)
    hasher.combine(mappedTables)
  }

  /// A copy of every table, to tell whether anything changed.
  public func snapshot() -> [UInt64: [UInt64]] {
    Dictionary(uniqueKeysWithValues: tables.tables.map { ($0.pfn, Array(tables.entries[$0.base..<$0.base + $0.count])) })
  }

  // MARK: Building

  /// The pointer to the entry for `address` at `level`, creating the tables
  /// above it when `create` is set. Folded levels share their parent's entry.
  public func entryPointer(_ address: UInt64, at level: PageLevel, create: Bool) throws -> EntryPointer? {
    var pointer = pointer(pfn: rootPFN, index: geometry.index(address, .pgd))
    var pointerLevel = PageLevel.pgd
    for raw in stride(from: PageLevel.p4d.rawValue, through: level.rawValue, by: 1) {
      let next = PageLevel(rawValue: raw)!
      if geometry.folded[next] {
        pointerLevel = next
        continue
      }
      let parent = value(at: pointer)!
      let tablePFN: UInt64
      if arch.isNone(parent, pointerLevel) || parent == geometry.emptyEntry[pointerLevel] {
        guard create else { return nil }
        tablePFN = allocateTable(level: next)
        _ = store(arch.makeTable(tablePFN << UInt64(geometry.pageShift), pointerLevel), at: pointer)
      } else if arch.isPresent(parent, pointerLevel) && !arch.isLeaf(parent, pointerLevel)
        && !arch.isBad(parent, pointerLevel)
      {
        tablePFN = arch.tableAddress(parent, pointerLevel) >> UInt64(geometry.pageShift)
      } else {
        guard create else { return nil }
        throw WorldError(
          "cannot build below the \(pointerLevel) entry for \(hex(address)): it is not a table (\(hex(parent)))")
      }
      pointer = self.pointer(pfn: tablePFN, index: geometry.index(address, next))
      pointerLevel = next
    }
    return pointer
  }

  /// The entry pointer for `address` at every level, as
  /// `entryPointer(address, at: level, create: false)` gives it, found in one
  /// walk from the top: `nil` from the first level whose parent is no table on.
  /// The last answer is kept while no entry, table or lock has changed: the
  /// oracle and the adversary ask about the same address again and again.
  func existingPath(_ address: UInt64) -> PerLevel<EntryPointer?> {
    let now = mutations
    if pathCacheMutations == now, pathCacheAddress == address { return pathCache }
    var path = PerLevel<EntryPointer?>(repeating: nil)
    var pointer = pointer(pfn: rootPFN, index: geometry.index(address, .pgd))
    var pointerLevel = PageLevel.pgd
    path[.pgd] = pointer
    walk: for next in [PageLevel.p4d, .pud, .pmd, .pte] {
      if geometry.folded[next] {
        pointerLevel = next
        path[next] = pointer
        continue
      }
      // A wild pointer ends the walk (where a walk to this level alone would have stopped short of it).
      guard let parent = value(at: pointer) else { break walk }
      if arch.isNone(parent, pointerLevel) || parent == geometry.emptyEntry[pointerLevel] { break walk }
      guard arch.isPresent(parent, pointerLevel) && !arch.isLeaf(parent, pointerLevel) && !arch.isBad(parent, pointerLevel)
      else { break walk }
      let tablePFN = arch.tableAddress(parent, pointerLevel) >> UInt64(geometry.pageShift)
      pointer = self.pointer(pfn: tablePFN, index: geometry.index(address, next))
      pointerLevel = next
      path[next] = pointer
    }
    pathCacheMutations = now
    pathCacheAddress = address
    pathCache = path
    return path
  }

  /// Adds a VMA; returns its view.
  @discardableResult
  public func addVMA(start: UInt64, end: UInt64, flags: VMAFlags, fileBacked: Bool) throws -> VMAView {
    guard start < end, start % geometry.pageSize == 0, end % geometry.pageSize == 0 else {
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
    let pagesPerLeaf = geometry.size(level) >> UInt64(geometry.pageShift)
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
    guard !geometry.folded[level] || (geometry.entryLevel[level] && level >= .pud) else {
      throw WorldError("\(level) is folded on \(arch.name)")
    }
    guard let pointer = try entryPointer(address, at: level, create: true) else {
      throw WorldError("no \(level) entry for \(hex(address))")
    }
    let current = self.value(at: pointer)!
    guard current == geometry.emptyEntry[level] else {
      throw WorldError("the \(level) entry for \(hex(address)) is already set (\(hex(current)))")
    }
    _ = store(value, at: pointer)
  }

  // MARK: Locks (the walker's side)

  func acquire(_ lock: LockID) throws {
    if heldLocks.contains(lock) { throw WalkerFault.selfDeadlock(lock) }
    heldLocks.append(lock)
    tables.mutations &+= 1
  }

  func release(_ lock: LockID) throws {
    guard let index = heldLocks.lastIndex(of: lock) else { throw WalkerFault.unlockNotHeld(lock) }
    heldLocks.remove(at: index)
    tables.mutations &+= 1
  }

  func mapTable(_ pfn: UInt64) {
    let count = mappedTables[pfn, default: 0]
    if count > 0 { mappedDigest ^= Self.mix(pfn, UInt64(count)) }
    mappedDigest ^= Self.mix(pfn, UInt64(count + 1))
    mappedTables[pfn] = count + 1
  }

  func unmapTable(containing pointer: EntryPointer) throws {
    let pfn = pointer.address >> UInt64(geometry.pageShift)
    guard let count = mappedTables[pfn], count > 0 else { throw WalkerFault.unmapNotMapped(pointer) }
    mappedTables[pfn] = count == 1 ? nil : count - 1
    mappedDigest ^= Self.mix(pfn, UInt64(count))
    if count > 1 { mappedDigest ^= Self.mix(pfn, UInt64(count - 1)) }
  }

  func recordWrite(_ write: EntryWrite) { writes.append(write) }
  func recordLockdepWarning(_ what: String) { lockdepWarnings.append(what) }
  func recordDataRace(_ race: DataRace) { dataRaces.append(race) }

  /// The PMD lock for a pmd entry pointer: split or mm-wide.
  public func pmdLockID(_ pmd: EntryPointer) -> LockID {
    capabilities.splitPMDLocks ? .pmdTable(pfn: pmd.address >> UInt64(geometry.pageShift)) : .pageTableLock
  }

  // MARK: Oracle

  /// The present leaf that maps `address`, read with the architecture's
  /// helpers, or `nil` when a walker must fail.
  public func translate(_ address: UInt64) -> Translation? {
    let path = existingPath(address)
    for level in [PageLevel.pud, .pmd, .pte] where geometry.entryLevel[level] {
      guard let pointer = path[level], let entry = value(at: pointer) else { return nil }
      guard arch.isPresent(entry, level), !arch.isNone(entry, level) else { return nil }
      if level == .pte || arch.isLeaf(entry, level) {
        let mask = geometry.mask(level)
        let pfn = arch.pfn(entry, level) + ((address & ~mask) >> UInt64(geometry.pageShift))
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
  /// A caller asks this at every one of its calls: the last answer is kept
  /// while no entry or table has changed, so that asking again makes no array.
  public func pathPointers(_ address: UInt64) -> [EntryPointer] {
    let now = mutations
    if pointersCacheMutations == now, pointersCacheAddress == address { return pointersCache }
    let path = existingPath(address)
    var pointers: [EntryPointer] = []
    pointers.reserveCapacity(4)
    for level in [PageLevel.p4d, .pud, .pmd, .pte] where !geometry.folded[level] {
      if let pointer = path[level] { pointers.append(pointer) }
    }
    pointersCacheMutations = now
    pointersCacheAddress = address
    pointersCache = pointers
    return pointers
  }

  /// The lock that protects the entry at `level` for `address`, if that entry
  /// exists.
  public func lock(of level: PageLevel, for address: UInt64) -> LockID? {
    guard let pointer = existingPath(address)[level] else { return nil }
    return lockProtecting(pointer, level)
  }

  func lockProtecting(_ pointer: EntryPointer, _ level: PageLevel) -> LockID {
    switch level {
    case .pte: .pteTable(pfn: pointer.address >> UInt64(geometry.pageShift))
    case .pmd: pmdLockID(pointer)
    default: .pageTableLock
    }
  }
}
