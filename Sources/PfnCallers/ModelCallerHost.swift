import PfnModel
import PfnSupport
import PfnWalkers

/// What a caller did that breaks a caller duty of the contract, by kind. The
/// host records these instead of throwing, so that each rule judges its own kind
/// and the case goes on to show everything the caller did.
public struct CallerViolations: Sendable, Hashable {
  /// Accesses and new maps of a pfn that the address no longer mapped at that
  /// moment (C10, C11, C13, C28).
  public var staleUses: [String] = []
  /// Live device or secondary-MMU maps left behind by a change of their range
  /// (C10, C12, C13).
  public var staleMaps: [String] = []
  /// Uses made outside the start..end window that produced the pfn (what the
  /// strict profile forbids).
  public var usesAfterEnd: [String] = []
  /// Page references taken on a pfn with no refcounted page behind it (C12).
  public var pageRefs: [String] = []
  /// Sleeping, or dropping mmap_lock, between start() and end() (C16).
  public var sleepsInWindow: [String] = []
  /// A missing, double or after-failure end() (C15).
  public var pairingErrors: [String] = []

  public init() {}

  /// Every violation the profile counts: `synchronized` allows uses after end().
  public func breaches(of profile: CallerProfile) -> [String] {
    staleUses + staleMaps + (profile == .strict ? usesAfterEnd : []) + pageRefs + sleepsInWindow + pairingErrors
  }
}

/// ``CallerHost`` over the model: lookups go to the run's walker through a
/// ``ModelHost`` (so the walker's own calls stay scheduling points), every
/// caller call is a scheduling point too, and an oracle judges every use of a
/// pfn against the page tables at the moment it happens.
///
/// State caching: a caller is deterministic code whose only inputs are what
/// this host hands it (lookup results, fault results, notifier callbacks with
/// their ranges), so each of those is observed (``SchedulingObserver/observe(_:)``),
/// and what this host keeps about the run (lookups, live maps, page
/// references, locks, notifiers, violations) is an ``ExplorationStateSource``.
public final class ModelCallerHost: CallerHost, InvalidationListener, ExplorationStateSource {
  public let walkerHost: ModelHost
  public let walker: any Walker
  public let request: CallerRequest
  public private(set) var violations = CallerViolations()
  /// Host calls allowed per caller run; more means the caller does not terminate.
  public var stepLimit = 256
  public private(set) var steps = 0
  /// Successful and failed start() calls.
  public private(set) var lookups = 0

  /// A successful lookup, kept to tell where a used pfn came from.
  struct Lookup {
    var address: UInt64
    var args: FollowPfnmapArgs
    /// Pages the leaf maps around `args.pfn` (from its mask, where the walker
    /// reports one; else the oracle's level at the time).
    var firstPFN: UInt64
    var pages: UInt64
    var open: Bool
  }

  struct LiveMap {
    var kind: MapKind
    var key: UInt64
    var pfn: UInt64
    var pages: UInt64
    var address: UInt64?
    var writable: Bool
    var stale: Bool
  }

  private var lookupsMade: [Lookup] = []
  private var liveMaps: [LiveMap] = []
  private var pageRefCounts: [UInt64: Int] = [:]
  private var notifiers: [(NotifierID, any MMUNotifier)] = []
  private var nextNotifier = 1
  /// Caller spinlocks the caller's CPU holds, and those a notifier holds on the other CPU.
  private var callerLocks: Set<CallerSpinlock> = []
  private var notifierLocks: Set<CallerSpinlock> = []
  /// True while a notifier runs: it is the other CPU, so its calls are no scheduling points.
  private var onOtherCPU = false

  public init(walkerHost: ModelHost, walker: any Walker, request: CallerRequest) {
    self.walkerHost = walkerHost
    self.walker = walker
    self.request = request
    walkerHost.world.invalidationListener = self
    walkerHost.stateSource = self
  }

  /// Tells the explorer of a value the caller got.
  private func observe(_ value: UInt64) { walkerHost.observer?.observe(value) }

  public var explorationDigest: UInt64 {
    // Asked at every scheduling point from a schedule's last step on: values
    // are mixed one by one (no array made), sorting only where two or more.
    var digest = World.mix(UInt64(steps), UInt64(lookups))
    digest = World.mix(digest, UInt64(nextNotifier) << 32 | UInt64(notifiers.count))
    for lookup in lookupsMade {
      let flags: UInt64 = (lookup.open ? 1 : 0) | (lookup.args.writable ? 2 : 0) | (lookup.args.special ? 4 : 0)
      digest = World.mix(World.mix(World.mix(digest, lookup.address), lookup.args.pfn), lookup.args.pgprot)
      digest = World.mix(World.mix(World.mix(digest, lookup.firstPFN), lookup.pages), flags)
    }
    digest = World.mix(digest, UInt64(liveMaps.count))
    for map in liveMaps {
      let flags: UInt64 =
        (map.writable ? 1 : 0) | (map.stale ? 2 : 0) | (map.address == nil ? 4 : 0) | Self.code(map.kind) << 3
      digest = World.mix(World.mix(World.mix(digest, map.key), map.pfn), map.pages)
      digest = World.mix(World.mix(digest, map.address ?? 0), flags)
    }
    if pageRefCounts.count == 1, let (pfn, count) = pageRefCounts.first {
      digest = World.mix(World.mix(digest, pfn), UInt64(count))
    } else if pageRefCounts.count > 1 {
      for (pfn, count) in pageRefCounts.sorted(by: { $0.key < $1.key }) {
        digest = World.mix(World.mix(digest, pfn), UInt64(count))
      }
    }
    digest = Self.mix(digest, callerLocks)
    digest = World.mix(digest, 0x10C)
    digest = Self.mix(digest, notifierLocks)
    return World.mix(digest, violationsDigest)
  }

  /// The violations' words, not only their number (a later rule reads them),
  /// worked out again only when one was added: they are only ever appended.
  private var violationsDigest: UInt64 {
    // Appended only: their number tells whether any was added since.
    let count =
      violations.staleUses.count + violations.staleMaps.count + violations.usesAfterEnd.count
      + violations.pageRefs.count + violations.sleepsInWindow.count + violations.pairingErrors.count
    guard count > 0 else { return 0 }
    if let cached = cachedViolationsDigest, cached.count == count { return cached.digest }
    var digest: UInt64 = 0
    let kinds = [
      violations.staleUses, violations.staleMaps, violations.usesAfterEnd, violations.pageRefs,
      violations.sleepsInWindow, violations.pairingErrors,
    ]
    for kind in kinds {
      digest = World.mix(digest, UInt64(kind.count))
      for line in kind { digest = World.mix(digest, stableHash([line])) }
    }
    cachedViolationsDigest = (count, digest)
    return digest
  }
  private var cachedViolationsDigest: (count: Int, digest: UInt64)?

  /// The locks of a set, mixed in one order whatever the set's.
  private static func mix(_ digest: UInt64, _ locks: Set<CallerSpinlock>) -> UInt64 {
    switch locks.count {
    case 0: return digest
    case 1: return World.mix(digest, locks.first!.id)
    default: return locks.map(\.id).sorted().reduce(digest, World.mix)
    }
  }

  private static func code(_ kind: MapKind) -> UInt64 {
    switch kind {
    case .iommu: 1
    case .secondaryMMU: 2
    case .deviceTable: 3
    }
  }


  public var world: World { walkerHost.world }
  public var pageShift: Int { world.arch.pageShift }
  public var archName: String { world.arch.name }
  /// Maps still live (the device keeps them after the caller returned).
  public var liveMapCount: Int { liveMaps.count }
  public var openWindows: Int { lookupsMade.filter(\.open).count }

  // MARK: Scheduling points

  /// Counts a caller call and lets the other CPU act before it.
  /// `name` is worded only for a point of the caller's own CPU (a notifier's
  /// calls run on the other CPU and are no points).
  private func point(_ name: @autoclosure () -> String) throws {
    try point { HostCall("caller: " + name(), reads: $0) }
  }

  /// ``point(_:)`` with the whole name given (a literal, which costs nothing to pass).
  private func point(named name: String) throws {
    try point { HostCall(name, reads: $0) }
  }

  /// ``point(_:)`` for a call named `head`, `value` in hex and `tail`
  /// (`head` a literal that starts with `caller: `): the name is worded only
  /// when a trace or a counterexample shows it.
  private func point(_ head: String, hex value: UInt64, _ tail: String = "") throws {
    try point { HostCall(head, hex: value, tail, reads: $0) }
  }

  /// ``point(_:hex:_:)`` with `value` in decimal.
  private func point(_ head: String, decimal value: UInt64, _ tail: String = "") throws {
    try point { HostCall(head, decimal: value, tail, reads: $0) }
  }

  /// The point itself: the call, made from the path it reads, is made only
  /// for a call of the caller's own CPU.
  private func point(_ call: ([EntryPointer]) -> HostCall) throws {
    if onOtherCPU { return }
    steps += 1
    if steps > stepLimit { throw CallerFault.stepLimit(stepLimit) }
    try walkerHost.checkpoint(call(world.pathPointers(request.address)))
  }

  /// `caller: map <kind> ` or `caller: unmap <kind> `, as literals.
  private static func mapHead(_ kind: MapKind, unmap: Bool) -> String {
    switch (kind, unmap) {
    case (.iommu, false): "caller: map iommu "
    case (.iommu, true): "caller: unmap iommu "
    case (.secondaryMMU, false): "caller: map secondary-mmu "
    case (.secondaryMMU, true): "caller: unmap secondary-mmu "
    case (.deviceTable, false): "caller: map device-table "
    case (.deviceTable, true): "caller: unmap device-table "
    }
  }

  private func log(_ line: @autoclosure () -> String) {
    walkerHost.log((onOtherCPU ? "CPU1 notifier: " : "caller: ") + line())
  }

  /// After the caller returned: the device keeps running, and the other CPU may
  /// still act on the range; every live map must keep up with it.
  public func afterReturn() throws {
    for lookup in lookupsMade where lookup.open {
      violations.pairingErrors.append(
        "the start() for \(hex(lookup.address)) that returned pfn \(hex(lookup.args.pfn)) was never ended")
    }
    if !callerLocks.isEmpty {
      throw CallerFault.lock("returned holding " + callerLocks.map(\.description).sorted().joined(separator: ", "))
    }
    guard !liveMaps.isEmpty else { return }
    for moment in ["the device runs on after the caller returned", "the device runs on, later still"] {
      let reads = world.pathPointers(request.address)
      try walkerHost.checkpoint(HostCall(moment, reads: reads))
    }
  }

  // MARK: Lookups

  public func followPfnmapStart(_ args: inout FollowPfnmapArgs) throws -> Int32 {
    try point("caller: follow_pfnmap_start(", hex: args.address, ")")
    lookups += 1
    walkerHost.resetSteps()
    let result: Int32
    do { result = try walker.start(&args, host: walkerHost) } catch let fault as WalkerFault {
      throw CallerFault.walker(fault)
    }
    // What the lookup's window covers is read from the world when the walker does not say it,
    // and the lookup joins what a notifier sees, before the caller's next call.
    walkerHost.noteReadOutsideCalls()
    observe(UInt64(UInt32(bitPattern: result)))
    let flags: UInt64 = (args.writable ? 1 : 0) | (args.special ? 2 : 0)
    observe(args.pfn)
    observe(args.pgprot)
    observe(args.addrMask)
    observe(flags)
    if result == 0 {
      let leafPages: UInt64
      let offset: UInt64
      if args.addrMask != 0 {
        leafPages = (~args.addrMask &+ 1) >> UInt64(pageShift)
        offset = (args.address & ~args.addrMask) >> UInt64(pageShift)
      } else if let t = world.translate(args.address) {
        leafPages = (~t.addrMask &+ 1) >> UInt64(pageShift)
        offset = (args.address & ~t.addrMask) >> UInt64(pageShift)
      } else {
        leafPages = 1
        offset = 0
      }
      lookupsMade.append(
        Lookup(address: args.address, args: args, firstPFN: args.pfn &- offset, pages: max(leafPages, 1), open: true))
      log(
        "follow_pfnmap_start(\(hex(args.address))) = 0: pfn \(hex(args.pfn)), "
          + (args.writable ? "writable" : "read-only") + (args.special ? ", special" : ""))
    } else {
      log("follow_pfnmap_start(\(hex(args.address))) = \(result)")
    }
    return result
  }

  public func followPfnmapEnd(_ args: inout FollowPfnmapArgs) throws {
    try point("caller: follow_pfnmap_end(", hex: args.address, ")")
    guard let index = lookupsMade.lastIndex(where: { $0.open && $0.address == args.address }) else {
      violations.pairingErrors.append(
        "follow_pfnmap_end(\(hex(args.address))) without a successful start() open for it "
          + "(a double end(), or an end() after a failed start())")
      log("follow_pfnmap_end(\(hex(args.address))) with no window open: not passed to the walker")
      return
    }
    walkerHost.resetSteps()
    do { try walker.end(&args, host: walkerHost) } catch let fault as WalkerFault { throw CallerFault.walker(fault) }
    // The window closes between the walker's last call and the caller's next one: a step of the
    // other CPU is not moved from after it to before that call.
    walkerHost.noteReadOutsideCalls()
    lookupsMade[index].open = false
    log("follow_pfnmap_end(\(hex(args.address)))")
  }

  // MARK: mmap_lock, faults and sleeping

  private func sleeping(_ what: String) {
    if let window = lookupsMade.last(where: \.open) {
      violations.sleepsInWindow.append(
        "\(what) between start() and end() for \(hex(window.address)) (a page-table spinlock is held)")
    } else if !callerLocks.isEmpty {
      violations.sleepsInWindow.append(
        "\(what) holding " + callerLocks.map(\.description).sorted().joined(separator: ", "))
    }
  }

  public func mmapReadLock() throws {
    try point(named: "caller: mmap_read_lock")
    sleeping("mmap_read_lock()")
    if world.mmapMode == .none { world.mmapMode = .read }
    log("mmap_read_lock()")
  }

  public func mmapReadUnlock() throws {
    try point(named: "caller: mmap_read_unlock")
    if let window = lookupsMade.last(where: \.open) {
      violations.sleepsInWindow.append("mmap_read_unlock() between start() and end() for \(hex(window.address))")
    }
    world.mmapMode = .none
    log("mmap_read_unlock()")
  }

  public func fixupUserFault(_ address: UInt64, write: Bool) throws -> Int32 {
    try point("caller: fixup_user_fault(", hex: address, ")")
    sleeping("fixup_user_fault()")
    // A fault cannot populate a pfnmap here: it succeeds only where a leaf is.
    let mapped = world.translate(address).map { !write || $0.writable } ?? false
    observe(mapped ? 0 : 1)
    log("fixup_user_fault(\(hex(address)), \(write ? "write" : "read")) = \(mapped ? 0 : -Errno.EFAULT)")
    return mapped ? 0 : -Errno.EFAULT
  }

  public func mightSleep(_ what: String) throws {
    try point(what)
    sleeping(what)
    log("\(what) (may sleep)")
  }

  // MARK: Caller locks and notifiers

  public var blocksInvalidation: Bool { !notifiers.isEmpty && !callerLocks.isEmpty }

  public func spinLock(_ lock: CallerSpinlock) throws {
    try point("caller: spin_lock(caller lock #", decimal: lock.id, ")")
    if onOtherCPU {
      guard notifierLocks.insert(lock).inserted else { throw CallerFault.lock("\(lock) taken twice by a notifier") }
    } else {
      guard callerLocks.insert(lock).inserted else { throw CallerFault.lock("deadlock: \(lock) taken again while held") }
    }
    log("spin_lock(\(lock))")
  }

  public func spinUnlock(_ lock: CallerSpinlock) throws {
    try point("caller: spin_unlock(caller lock #", decimal: lock.id, ")")
    let released = onOtherCPU ? notifierLocks.remove(lock) : callerLocks.remove(lock)
    guard released != nil else { throw CallerFault.lock("unlock of \(lock), which is not held") }
    log("spin_unlock(\(lock))")
  }

  public func registerNotifier(_ notifier: any MMUNotifier) throws -> NotifierID {
    try point(named: "caller: mmu_notifier_register")
    let id = NotifierID(id: nextNotifier)
    nextNotifier += 1
    notifiers.append((id, notifier))
    log("mmu_notifier_register() = notifier #\(id.id)")
    return id
  }

  public func unregisterNotifier(_ id: NotifierID) throws {
    try point(named: "caller: mmu_notifier_unregister")
    guard let index = notifiers.firstIndex(where: { $0.0 == id }) else {
      throw CallerFault.badHandle("notifier #\(id.id) is not registered")
    }
    notifiers.remove(at: index)
    log("mmu_notifier_unregister(#\(id.id))")
  }

  public func invalidateRangeStart(_ range: InvalidationRange) throws {
    guard !notifiers.isEmpty else { return }
    observeCallback(0x5747, range)
    onOtherCPU = true
    defer { onOtherCPU = false }
    for (id, notifier) in notifiers {
      log("invalidate_range_start(\(range)) for notifier #\(id.id)")
      try notifier.invalidateRangeStart(range, host: self)
    }
    if !notifierLocks.isEmpty {
      throw CallerFault.lock("a notifier returned holding " + notifierLocks.map(\.description).sorted().joined(separator: ", "))
    }
  }

  public func invalidateRangeEnd(_ range: InvalidationRange) throws {
    if !notifiers.isEmpty {
      observeCallback(0xE4D, range)
      onOtherCPU = true
      defer { onOtherCPU = false }
      for (id, notifier) in notifiers {
        log("invalidate_range_end(\(range)) for notifier #\(id.id)")
        try notifier.invalidateRangeEnd(range, host: self)
      }
      if !notifierLocks.isEmpty {
        throw CallerFault.lock("a notifier returned holding " + notifierLocks.map(\.description).sorted().joined(separator: ", "))
      }
    }
    // Every map that outlived the change must still say what the tables say.
    for index in liveMaps.indices where !liveMaps[index].stale {
      let map = liveMaps[index]
      if let problem = mismatch(pfn: map.pfn, address: map.address, write: map.writable) {
        liveMaps[index].stale = true
        violations.staleMaps.append(
          "the \(map.kind) map \(hex(map.key)) still maps pfn \(hex(map.pfn)) after CPU1's \(range.event.rawValue) of "
            + "[\(hex(range.start)), \(hex(range.end))): \(problem)")
      }
    }
  }

  /// A notifier callback is an input to the caller's notifiers: its range and event.
  private func observeCallback(_ which: UInt64, _ range: InvalidationRange) {
    observe(which)
    observe(range.start)
    observe(range.end)
    observe(stableHash([range.event.rawValue]))
  }

  // MARK: Uses

  /// The lookup a pfn came from and the user address it stands for.
  private func provenance(_ pfn: UInt64) -> (lookup: Lookup, address: UInt64)? {
    let candidates = lookupsMade.reversed()
    if let exact = candidates.first(where: { $0.args.pfn == pfn }) { return (exact, exact.address) }
    guard let covering = candidates.first(where: { pfn >= $0.firstPFN && pfn - $0.firstPFN < $0.pages }) else {
      return nil
    }
    let delta = Int64(bitPattern: pfn &- covering.args.pfn) << Int64(pageShift)
    return (covering, UInt64(bitPattern: Int64(bitPattern: covering.address) &+ delta) & ~((1 << UInt64(pageShift)) - 1))
  }

  /// Why a use of `pfn` for `address` is stale now, or `nil` when the tables
  /// map exactly that (with write permission when the use writes).
  private func mismatch(pfn: UInt64, address: UInt64?, write: Bool) -> String? {
    guard let address else { return "no follow_pfnmap_start() returned pfn \(hex(pfn))" }
    guard let now = world.translate(address) else { return "\(hex(address)) maps nothing now" }
    if now.pfn != pfn { return "\(hex(address)) maps pfn \(hex(now.pfn)) now" }
    if write && !now.writable { return "\(hex(address)) is read-only now" }
    return nil
  }

  /// Judges a new use: stale now, or outside the window that produced its pfn.
  /// `what` is worded only for a violation: most uses are judged fine.
  private func judgeUse(_ what: @autoclosure () -> String, pfn: UInt64, write: Bool) -> (address: UInt64?, stale: Bool) {
    let source = provenance(pfn)
    if let problem = mismatch(pfn: pfn, address: source?.address, write: write) {
      violations.staleUses.append("\(what()): \(problem)")
      return (source?.address, true)
    }
    if let source, !source.lookup.open {
      violations.usesAfterEnd.append("\(what()) after end() of the lookup of \(hex(source.lookup.address))")
    }
    return (source?.address, false)
  }

  public func access(pfn: UInt64, write: Bool) throws {
    try point(write ? "caller: write to pfn " : "caller: read of pfn ", hex: pfn)
    func what() -> String { "a \(write ? "write to" : "read of") pfn \(hex(pfn))" }
    _ = judgeUse(what(), pfn: pfn, write: write)
    log(what())
  }

  public func map(_ kind: MapKind, key: UInt64, pfn: UInt64, pages: UInt64, writable: Bool) throws {
    try point(Self.mapHead(kind, unmap: false), hex: key)
    let judged = judgeUse(
      "a new \(kind) map \(hex(key)) of pfn \(hex(pfn))" + (writable ? " (writable)" : ""), pfn: pfn, write: writable)
    liveMaps.removeAll { $0.kind == kind && $0.key == key }
    liveMaps.append(
      LiveMap(kind: kind, key: key, pfn: pfn, pages: max(pages, 1), address: judged.address, writable: writable,
        stale: judged.stale))
    log("\(kind) map \(hex(key)) -> pfn \(hex(pfn)) x\(max(pages, 1))" + (writable ? " writable" : ""))
  }

  public func unmap(_ kind: MapKind, key: UInt64) throws {
    try point(Self.mapHead(kind, unmap: true), hex: key)
    let before = liveMaps.count
    liveMaps.removeAll { $0.kind == kind && $0.key == key }
    log("\(kind) unmap \(hex(key))" + (before == liveMaps.count ? " (nothing mapped there)" : ""))
  }

  public func getPage(pfn: UInt64) throws {
    try point("caller: get_page(pfn ", hex: pfn, ")")
    if let source = provenance(pfn), source.lookup.args.special {
      violations.pageRefs.append(
        "get_page() on pfn \(hex(pfn)), which the lookup of \(hex(source.lookup.address)) reported special: "
          + "no refcounted page is behind it")
    } else if provenance(pfn) == nil {
      violations.pageRefs.append("get_page() on pfn \(hex(pfn)), which no lookup returned")
    }
    pageRefCounts[pfn, default: 0] += 1
    log("get_page(pfn \(hex(pfn)))")
  }

  public func putPage(pfn: UInt64) throws {
    try point("caller: put_page(pfn ", hex: pfn, ")")
    guard let count = pageRefCounts[pfn], count > 0 else {
      throw CallerFault.badHandle("put_page(pfn \(hex(pfn))) without a reference taken")
    }
    pageRefCounts[pfn] = count == 1 ? nil : count - 1
    log("put_page(pfn \(hex(pfn)))")
  }
}

private func hex(_ value: UInt64) -> String { "0x" + String(value, radix: 16) }
