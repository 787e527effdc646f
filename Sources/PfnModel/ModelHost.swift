/// Called before every host call that touches shared state; the race explorer
/// uses it to let another CPU act at that point.
public protocol SchedulingObserver: AnyObject {
  func willPerform(_ call: HostCall, host: ModelHost) throws
  /// Hears of a value the walker (or the code judging it) got from the
  /// shared state: together with the world, these values decide everything
  /// the rest of a run does, so an explorer can tell when two schedules have
  /// come to the same place.
  func observe(_ value: UInt64)
  /// Hears that code outside the host's calls read the shared state after
  /// the last call (the code judging a walker reads the translation when
  /// start() returns): an explorer must not move a step of the other CPU from
  /// the next point to before that call, which would change what was read.
  func readOutsideCalls()
}

extension SchedulingObserver {
  public func observe(_ value: UInt64) {}
  public func readOutsideCalls() {}
}

/// State that lives beside the world for the rest of a run and decides what
/// the run does next (a caller host's lookups, maps, locks and violations):
/// an explorer that caches visited states mixes its digest into the state
/// key, so that two runs meet only when it is the same too.
public protocol ExplorationStateSource: AnyObject {
  /// A digest of the state, equal for equal states.
  var explorationDigest: UInt64 { get }
}

/// The host interface backed by the model: every call is checked, counted and
/// written to a trace that failure reports show.
public final class ModelHost: WalkerHost {
  public let world: World
  public var observer: (any SchedulingObserver)? {
    get { schedulingObserver }
    set { schedulingObserver = newValue }
  }
  /// Host calls allowed per walk; more means the walker does not terminate.
  @exclusivity(unchecked) public var stepLimit: Int
  public var steps: Int { stepCount }
  /// The host calls and other CPUs' steps, oldest first. A long trace keeps
  /// its beginning (where races usually start) and its end, and says how many
  /// lines it left out between them.
  public var trace: [String] {
    droppedTraceLines == 0 ? traceHead + traceTail : traceHead + ["... \(droppedTraceLines) lines not shown ..."] + traceTail
  }
  @exclusivity(unchecked) public var traceLimit = 400
  /// Off while the explorer runs schedules that will not be reported:
  /// formatting every call is most of a run's cost.
  public var tracing: Bool {
    get { keepsTrace }
    set { keepsTrace = newValue }
  }
  // The storage of `observer`, `steps` and `tracing`, read at every host call.
  // A class's stored properties pay a dynamic exclusivity check at every
  // access the optimizer cannot prove safe; these are never accessed while an
  // access to them is open (no method lends them out across a call), and a
  // host serves one thread, so the checks are switched off for them.
  @exclusivity(unchecked) private var schedulingObserver: (any SchedulingObserver)?
  @exclusivity(unchecked) private var stepCount = 0
  @exclusivity(unchecked) private var keepsTrace = true
  /// State of the run kept outside the world, which a cached state must match
  /// too; cleared by ``reset(observer:tracing:)``.
  /// Held weakly: the source (a caller host) holds this host.
  @exclusivity(unchecked) public weak var stateSource: (any ExplorationStateSource)?
  @exclusivity(unchecked) public private(set) var droppedTraceLines = 0
  @exclusivity(unchecked) private var traceHead: [String] = []
  @exclusivity(unchecked) private var traceTail: [String] = []

  public init(world: World, stepLimit: Int = 10_000) {
    self.world = world
    self.arch = world.arch
    self.stepLimit = stepLimit
  }

  /// The world's architecture, held here as a constant: every helper call
  /// reads it in place, where a computed property copied the existential
  /// (and retained what the architecture holds) at every call.
  private let arch: any Architecture

  // Scheduling points are named at every step: literals, so that naming one
  // costs neither a formatting nor a lazy global's check.
  private static func offsetName(_ level: PageLevel) -> String {
    switch level {
    case .pgd: "pgd_offset"
    case .p4d: "p4d_offset"
    case .pud: "pud_offset"
    case .pmd: "pmd_offset"
    case .pte: "pte_offset"
    }
  }
  private static func readName(_ level: PageLevel) -> String {
    switch level {
    case .pgd: "read pgd"
    case .p4d: "read p4d"
    case .pud: "read pud"
    case .pmd: "read pmd"
    case .pte: "read pte"
    }
  }
  private static func writeName(_ level: PageLevel) -> String {
    switch level {
    case .pgd: "write pgd"
    case .p4d: "write p4d"
    case .pud: "write pud"
    case .pmd: "write pmd"
    case .pte: "write pte"
    }
  }

  /// Counts a shared-state access, gives the observer its turn, and checks the limit.
  private func step(_ call: @autoclosure () -> HostCall) throws {
    try step(call(), observer: schedulingObserver)
  }

  /// `step(_:)` with the observer a call already loaded: a call that also
  /// tells it what it read loads it once (every load retains it).
  private func step(_ call: @autoclosure () -> HostCall, observer: (any SchedulingObserver)?) throws {
    stepCount += 1
    if stepCount > stepLimit { throw WalkerFault.stepLimit(stepLimit) }
    if let observer { try observer.willPerform(call(), host: self) }
  }

  /// Adds a line to the trace: the host's own calls, and what another CPU did.
  public func log(_ line: @autoclosure () -> String) {
    guard keepsTrace else { return }
    let line = line()
    if traceHead.count < traceLimit / 4 {
      traceHead.append(line)
      return
    }
    traceTail.append(line)
    if traceTail.count > traceLimit - traceLimit / 4 {
      traceTail.removeFirst()
      droppedTraceLines += 1
    }
  }

  /// A scheduling point that is not a walker call: the moment the caller uses
  /// the outputs, between start() and end(). Another CPU may act here too.
  public func checkpoint(_ call: HostCall) throws {
    if let observer = schedulingObserver { try observer.willPerform(call, host: self) }
  }

  /// Starts a new walk's count (the trace goes on, so a case shows every call).
  public func resetSteps() { stepCount = 0 }

  /// Code outside the host calls (the code judging a walker or a caller)
  /// read the shared state since the last call (`SchedulingObserver.readOutsideCalls()`).
  public func noteReadOutsideCalls() { schedulingObserver?.readOutsideCalls() }

  /// Makes this host as new over the same world, for another run with
  /// `observer`: an explorer runs many schedules in one world, one after
  /// another, and one host serves them all instead of one allocated per run.
  public func reset(observer: (any SchedulingObserver)?, tracing: Bool) {
    schedulingObserver = observer
    keepsTrace = tracing
    stateSource = nil
    stepCount = 0
    droppedTraceLines = 0
    traceHead.removeAll(keepingCapacity: true)
    traceTail.removeAll(keepingCapacity: true)
  }

  // MARK: Architecture constants
  public var archName: String { arch.name }
  public var pageShift: Int { world.geometry.pageShift }
  public func shift(_ level: PageLevel) -> Int { world.geometry.shifts[level] }

  // MARK: Page-table access

  public func pgdOffset(_ mm: MMRef, _ address: UInt64) throws -> EntryPointer {
    guard mm == world.mm else { throw WalkerFault.nullDereference("mm \(mm.id) is not the VMA's mm") }
    let pointer = world.pointer(pfn: world.rootPFN, index: world.geometry.index(address, .pgd))
    log("pgd_offset(\(hex(address))) = \(pointer)")
    return pointer
  }

  public func offset(_ level: PageLevel, below parent: EntryPointer, _ address: UInt64) throws
    -> EntryPointer
  {
    guard let parentLevel = level.above else { return try pgdOffset(world.mm, address) }
    if world.geometry.folded[level] {
      log("\(level)_offset(\(parent)) = \(parent) (folded)")
      return parent
    }
    let observer = schedulingObserver
    try step(HostCall(Self.offsetName(level), reading: parent), observer: observer)
    guard let value = world.value(at: parent) else { throw WalkerFault.wildPointer(parent) }
    observer?.observe(value)
    let table = arch.tableAddress(value, parentLevel)
    let pointer = EntryPointer(address: table + UInt64(world.geometry.index(address, level) * 8))
    log("\(level)_offset(\(parent) = \(hex(value))) = \(pointer)")
    return pointer
  }

  public func read(_ entry: EntryPointer, _ level: PageLevel) throws -> UInt64 {
    let observer = schedulingObserver
    try step(HostCall(Self.readName(level), reading: entry), observer: observer)
    guard let value = world.value(at: entry) else { throw WalkerFault.wildPointer(entry) }
    observer?.observe(value)
    log("read \(level)@\(entry) = \(hex(value))")
    return value
  }

  public func write(_ entry: EntryPointer, _ level: PageLevel, _ value: UInt64) throws {
    try step(HostCall(Self.writeName(level), writing: entry))
    guard let old = world.store(value, at: entry) else { throw WalkerFault.wildPointer(entry) }
    world.recordWrite(EntryWrite(pointer: entry, level: level, old: old, new: value, by: .walker))
    log("WRITE \(level)@\(entry): \(hex(old)) -> \(hex(value))")
  }

  // MARK: Helpers
  public func isNone(_ entry: UInt64, _ level: PageLevel) -> Bool { arch.isNone(entry, level) }
  public func isPresent(_ entry: UInt64, _ level: PageLevel) -> Bool { arch.isPresent(entry, level) }
  public func isLeaf(_ entry: UInt64, _ level: PageLevel) -> Bool { arch.isLeaf(entry, level) }
  public func isBad(_ entry: UInt64, _ level: PageLevel) -> Bool { arch.isBad(entry, level) }
  public func pfn(_ entry: UInt64, _ level: PageLevel) -> UInt64 { arch.pfn(entry, level) }
  public func isWrite(_ entry: UInt64, _ level: PageLevel) -> Bool { arch.isWrite(entry, level) }
  public func isSpecial(_ entry: UInt64, _ level: PageLevel) -> Bool { arch.isSpecial(entry, level) }
  public func pgprot(_ entry: UInt64, _ level: PageLevel) -> UInt64 { arch.pgprot(entry, level) }

  // MARK: Locks

  public func pudLock(_ mm: MMRef, _ pud: EntryPointer) throws -> LockRef {
    try step(HostCall("pud_lock", locking: .pageTableLock))
    guard world.value(at: pud) != nil else { throw WalkerFault.wildPointer(pud) }
    try world.acquire(.pageTableLock)
    log("pud_lock(\(pud)) takes \(LockID.pageTableLock)")
    return LockRef(.pageTableLock)
  }

  public func pmdLock(_ mm: MMRef, _ pmd: EntryPointer) throws -> LockRef {
    try step(HostCall("pmd_lock", locking: world.pmdLockID(pmd)))
    guard world.value(at: pmd) != nil else { throw WalkerFault.wildPointer(pmd) }
    let lock = world.pmdLockID(pmd)
    try world.acquire(lock)
    log("pmd_lock(\(pmd)) takes \(lock)")
    return LockRef(lock)
  }

  public func pteOffsetMapLock(_ mm: MMRef, _ pmd: EntryPointer, _ address: UInt64) throws
    -> (pte: EntryPointer, lock: LockRef)?
  {
    let observer = schedulingObserver
    while true {
      try step(HostCall("pte_offset_map_lock", reading: pmd), observer: observer)
      guard let value = world.value(at: pmd) else { throw WalkerFault.wildPointer(pmd) }
      observer?.observe(value)
      if arch.isNone(value, .pmd) || !arch.isPresent(value, .pmd) || arch.isTransHuge(value, .pmd)
        || arch.isLeaf(value, .pmd)
      {
        log("pte_offset_map_lock(pmd@\(pmd) = \(hex(value))) = NULL")
        return nil
      }
      if arch.isBad(value, .pmd) {
        // pmd_clear_bad(): the kernel reports and clears a corrupt entry.
        let empty = world.geometry.emptyEntry[.pmd]
        _ = world.store(empty, at: pmd)
        world.recordWrite(EntryWrite(pointer: pmd, level: .pmd, old: value, new: empty, by: .pmdClearBad))
        log("pte_offset_map_lock(pmd@\(pmd) = \(hex(value))) = NULL (bad pmd cleared)")
        return nil
      }
      let tablePFN = arch.tableAddress(value, .pmd) >> UInt64(world.geometry.pageShift)
      guard world.tableLevel(at: tablePFN) == .pte else {
        throw WalkerFault.wildPointer(EntryPointer(address: arch.tableAddress(value, .pmd)))
      }
      let lock = LockID.pteTable(pfn: tablePFN)
      world.mapTable(tablePFN)
      try step(HostCall("pte_offset_map_lock (lock)", reading: pmd, locking: lock), observer: observer)
      try world.acquire(lock)
      // Recheck that the pmd still points to this table now that the lock is held.
      let recheck = world.value(at: pmd)
      observer?.observe(recheck ?? 0)
      if recheck != value {
        try world.release(lock)
        try world.unmapTable(containing: world.pointer(pfn: tablePFN, index: 0))
        log("pte_offset_map_lock: pmd@\(pmd) changed while locking; retrying")
        continue
      }
      let pte = world.pointer(pfn: tablePFN, index: world.geometry.index(address, .pte))
      log("pte_offset_map_lock(pmd@\(pmd) = \(hex(value))) = \(pte), takes \(lock)")
      return (pte, LockRef(lock))
    }
  }

  public func spinUnlock(_ lock: LockRef) throws {
    try step(HostCall("spin_unlock", locking: lock.id))
    try world.release(lock.id)
    log("spin_unlock(\(lock.id))")
  }

  public func pteUnmap(_ pte: EntryPointer) throws {
    try step(HostCall("pte_unmap"))
    try world.unmapTable(containing: pte)
    log("pte_unmap(\(pte))")
  }

  // MARK: VMA, file and lockdep

  public func fileMapping(_ file: FileRef?) throws -> MappingRef {
    guard let file else {
      log("vma->vm_file->f_mapping with vm_file == NULL")
      throw WalkerFault.nullDereference("vma->vm_file is NULL (a VMA without a backing file)")
    }
    guard let mapping = world.mapping(of: file) else {
      throw WalkerFault.nullDereference("file \(file.id) has no mapping")
    }
    return mapping
  }

  public func lockdepIsHeld(_ lock: CallerLock) -> Bool {
    let held: Bool
    switch lock {
    case .mmapLock: held = world.mmapMode != .none
    case .iMmapRwsem(let mapping): held = world.heldMappings.contains(mapping)
    }
    log("lockdep_is_held(\(lock)) = \(held)")
    schedulingObserver?.observe(held ? 1 : 0)
    return held
  }

  public func peek(_ entry: EntryPointer) -> UInt64? {
    let value = world.value(at: entry)
    schedulingObserver?.observe(value ?? 0x5eed)
    return value
  }

  public var holdsSpinlock: Bool {
    let held = !world.heldLocks.isEmpty
    schedulingObserver?.observe(held ? 1 : 0)
    return held
  }

  public func kernelWarning(_ what: String) { log("WARNING: \(what)") }

  public func plainRead(_ entry: EntryPointer, _ level: PageLevel) {
    guard let race = world.dataRace(ofPlainReadAt: entry) else {
      log("plain read \(world.level(of: entry) ?? level)@\(entry)")
      return
    }
    world.recordDataRace(race)
    log("DATA RACE: plain read \(race.level)@\(entry) " + (race.lock.map { "without \($0) held" } ?? "(no lock keeps it stable)"))
  }

  public func lockdepAssert(_ condition: Bool, _ what: String) {
    log("lockdep_assert(\(what)) \(condition ? "holds" : "FAILS")")
    if !condition {
      world.recordLockdepWarning(what)
      var hasher = Hasher()
      hasher.combine(what)
      schedulingObserver?.observe(UInt64(bitPattern: Int64(hasher.finalize())))
    }
  }
}
