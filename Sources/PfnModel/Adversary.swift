/// What another CPU may do to the page tables while a walker runs with
/// `mmap_lock` held for read: the operations real kernel paths perform then
/// (zap on unmap_mapping_range, a driver remapping a BAR, a huge-page split,
/// khugepaged's collapse, migration, freeing an empty PTE table).
public enum AdversaryKind: String, Sendable, Hashable, CaseIterable, Codable {
  /// Clear a leaf.
  case zap
  /// Replace a leaf's pfn and flip its write permission.
  case remap
  /// Replace a huge leaf by a table of leaves one level down.
  case split
  /// Replace a PTE table by one PMD leaf that maps the same pfns.
  case collapse
  /// Replace a leaf by a swap or migration entry.
  case nonpresent
  /// Clear a PMD entry whose PTE table has no entry left.
  case freeTable = "free_table"
  /// Take a leaf's write permission away (mprotect(PROT_READ) on the range).
  case mprotect
}

/// One adversary operation on the entry at `level` that maps the walk's address.
public struct AdversaryOp: Sendable, Hashable, Codable, CustomStringConvertible {
  public var kind: AdversaryKind
  public var level: PageLevel

  public init(_ kind: AdversaryKind, _ level: PageLevel) {
    self.kind = kind
    self.level = level
  }

  public var description: String { "\(kind.rawValue) \(level)" }

  /// `zap pmd` → the op.
  public init?(_ text: String) {
    let parts = text.split(separator: " ")
    guard parts.count == 2, let kind = AdversaryKind(rawValue: String(parts[0])),
      let level = PageLevel(name: String(parts[1]))
    else { return nil }
    self.init(kind, level)
  }
}

/// An operation that can run now, with what it touches.
public struct EnabledOp: Sendable, Hashable {
  public var op: AdversaryOp
  /// The entries it writes.
  public var writes: Set<EntryPointer>
  /// The locks it takes (and so needs free).
  public var locks: Set<LockID>
}

/// The enabled operations computed for one state of a world.
struct EnabledCache {
  var mutations: Int
  var address: UInt64
  var kinds: [AdversaryKind]
  var ops: [EnabledOp]
}

/// The enabled operations of every state a world has been in, by the state:
/// an explorer brings a world back to the same few states again and again
/// (each schedule starts over from one checkpoint), so the tables are walked
/// once per state, not once per scheduling point. Kept across restores.
struct EnabledMemo {
  /// What decides the answer: the entries (the content hash), which tables
  /// exist, and the locks the walker holds.
  struct Key: Hashable {
    var content: UInt64
    var tables: UInt64
    var locks: UInt64
  }

  var address: UInt64 = 0
  var kinds: [AdversaryKind] = []
  /// More states than a case's exploration meets: the memo starts over.
  static let capacity = 1 << 14

  // An open-addressed table (linear probing, at most half full): the key is
  // already a digest, so a lookup mixes three words instead of running SipHash.
  private var keys: [Key] = []
  private var used: [Bool] = []
  private var answers: [[EnabledOp]] = []
  /// How many states have an answer.
  private(set) var count = 0

  init() {}

  init(address: UInt64, kinds: [AdversaryKind]) {
    self.address = address
    self.kinds = kinds
  }

  @inline(__always)
  private static func slot(_ key: Key, mask: Int) -> Int {
    Int(truncatingIfNeeded: World.mix(World.mix(key.content, key.tables), key.locks)) & mask
  }

  /// The answer recorded for the state `key` names, if there is one.
  func answer(for key: Key) -> [EnabledOp]? {
    guard count > 0 else { return nil }
    let mask = keys.count - 1
    var slot = Self.slot(key, mask: mask)
    while used[slot] {
      if keys[slot] == key { return answers[slot] }
      slot = (slot + 1) & mask
    }
    return nil
  }

  /// Records the answer for a state that has none yet.
  mutating func record(_ ops: [EnabledOp], for key: Key) {
    if count >= Self.capacity { removeAll() }
    if (count + 1) * 2 > keys.count { grow() }
    let mask = keys.count - 1
    var slot = Self.slot(key, mask: mask)
    while used[slot] { slot = (slot + 1) & mask }
    keys[slot] = key
    used[slot] = true
    answers[slot] = ops
    count += 1
  }

  private mutating func removeAll() {
    for index in used.indices where used[index] {
      used[index] = false
      answers[index] = []
    }
    count = 0
  }

  private mutating func grow() {
    let old = (keys, used, answers)
    let size = max(64, keys.count * 2)
    keys = Array(repeating: Key(content: 0, tables: 0, locks: 0), count: size)
    used = Array(repeating: false, count: size)
    answers = Array(repeating: [], count: size)
    count = 0
    for index in old.1.indices where old.1[index] { record(old.2[index], for: old.0[index]) }
  }
}

extension World {
  /// The adversary operations of the given kinds that could run now on the
  /// entries mapping `address`: the entry must have the right shape, and the
  /// locks the kernel path takes must not be held by the walker.
  public func enabledAdversaryOps(_ kinds: [AdversaryKind], address: UInt64) -> [EnabledOp] {
    // A notifier would wait for a lock the caller's CPU holds: nothing can change.
    if mayHaveInvalidationListener, invalidationListener?.blocksInvalidation == true { return [] }
    let now = mutations
    if enabledCacheMutations == now, enabledCacheAddress == address, enabledCacheKinds == kinds {
      return enabledCacheOps
    }
    if enabledMemo.address != address || enabledMemo.kinds != kinds {
      enabledMemo = EnabledMemo(address: address, kinds: kinds)
    }
    var locks: UInt64 = 0
    for lock in heldLocks { locks = Self.mix(locks, Self.lockCode(lock)) }
    let key = EnabledMemo.Key(content: contentHash, tables: Self.mix(nextFreePFN, UInt64(tableCount)), locks: locks)
    let result: [EnabledOp]
    if let known = enabledMemo.answer(for: key) {
      result = known
    } else {
      result = computeEnabledOps(kinds, address: address)
      enabledMemo.record(result, for: key)
    }
    enabledCacheMutations = now
    enabledCacheAddress = address
    enabledCacheKinds = kinds
    enabledCacheOps = result
    return result
  }

  private func computeEnabledOps(_ kinds: [AdversaryKind], address: UInt64) -> [EnabledOp] {
    var result: [EnabledOp] = []
    let path = existingPath(address)
    for level in [PageLevel.pud, .pmd, .pte] where !geometry.folded[level] {
      guard let pointer = path[level], let entry = value(at: pointer)
      else { break }
      let lock = lockProtecting(pointer, level)
      let presentLeaf =
        arch.isPresent(entry, level) && !arch.isNone(entry, level)
        && (level == .pte || arch.isLeaf(entry, level))
      let isTable =
        level != .pte && arch.isPresent(entry, level) && !arch.isNone(entry, level)
        && !arch.isLeaf(entry, level) && !arch.isBad(entry, level)
      // Every operation on this entry writes it and takes its lock: one set each, shared.
      let writes: Set<EntryPointer> = [pointer]
      let entryLock: Set<LockID> = [lock]
      for kind in kinds {
        var locks = entryLock
        let enabled: Bool
        switch kind {
        case .zap, .remap: enabled = presentLeaf
        case .mprotect: enabled = presentLeaf && arch.isWrite(entry, level)
        case .nonpresent: enabled = presentLeaf && level != .pud && arch.makeNonLeaf(.swap, level, pfn: 1) != nil
        case .split:
          enabled = presentLeaf && level != .pte && level.below.map { capabilities.leafLevels.contains($0) } == true
        case .collapse, .freeTable:
          guard level == .pmd, isTable, let table = childTable(entry, level) else {
            enabled = false
            break
          }
          locks.insert(.pteTable(pfn: table))
          let entries = tableEntries(at: table)!
          if kind == .freeTable {
            // The plain comparison first: most entries are empty, and it needs no call through `arch`.
            let empty = geometry.emptyEntry[.pte]
            enabled = entries.allSatisfy { $0 == empty || arch.isNone($0, .pte) }
          } else {
            let ptePointer = self.pointer(pfn: table, index: geometry.index(address, .pte))
            let pte = value(at: ptePointer)!
            enabled = capabilities.pmdPfnmap && arch.isPresent(pte, .pte) && !arch.isNone(pte, .pte)
          }
        }
        if enabled && heldLocks.allSatisfy({ !locks.contains($0) }) {
          result.append(EnabledOp(op: AdversaryOp(kind, level), writes: writes, locks: locks))
        }
      }
      if !isTable { break }
    }
    return result
  }

  private func childTable(_ entry: UInt64, _ level: PageLevel) -> UInt64? {
    let pfn = arch.tableAddress(entry, level) >> UInt64(geometry.pageShift)
    return table(at: pfn) == nil ? nil : pfn
  }

  /// Performs an operation that ``enabledAdversaryOps(_:address:)`` offered;
  /// returns a line for the trace with the entry before and after.
  public func perform(_ op: AdversaryOp, address: UInt64) throws -> String {
    try apply(op, address: address).description
  }

  /// Performs an operation that ``enabledAdversaryOps(_:address:)`` offered;
  /// what it did is a value, formatted only when a trace shows it.
  public func apply(_ op: AdversaryOp, address: UInt64) throws -> PerformedOp {
    guard let pointer = existingPath(address)[op.level], let old = value(at: pointer) else {
      throw WorldError("adversary: no \(op.level) entry maps \(hex(address))")
    }
    let level = op.level
    let new: UInt64
    let range = InvalidationRange(
      start: address & geometry.mask(level), end: (address & geometry.mask(level)) &+ geometry.size(level), event: op.kind)
    switch op.kind {
    case .zap, .freeTable:
      new = geometry.emptyEntry[level]
    case .remap:
      let pages = geometry.size(level) >> UInt64(geometry.pageShift)
      let leaf = LeafProperties(
        pfn: arch.pfn(old, level) ^ (pages << 4), writable: !arch.isWrite(old, level),
        special: arch.isSpecial(old, level))
      guard let value = arch.makeLeaf(leaf, level) else { throw WorldError("adversary: cannot remap at \(level)") }
      new = value
    case .mprotect:
      let leaf = LeafProperties(
        pfn: arch.pfn(old, level), writable: false, special: arch.isSpecial(old, level))
      guard let value = arch.makeLeaf(leaf, level) else { throw WorldError("adversary: cannot mprotect at \(level)") }
      new = value
    case .nonpresent:
      guard let value = arch.makeNonLeaf(.swap, level, pfn: arch.pfn(old, level)) else {
        throw WorldError("adversary: no swap entry at \(level)")
      }
      new = value
    case .split:
      guard let child = level.below else { throw WorldError("adversary: cannot split a pte") }
      let childPages = geometry.size(child) >> UInt64(geometry.pageShift)
      let base = arch.pfn(old, level)
      let writable = arch.isWrite(old, level)
      let special = arch.isSpecial(old, level)
      let empty = geometry.emptyEntry[child]
      func leaf(_ index: Int) -> UInt64 {
        arch.makeLeaf(LeafProperties(pfn: base + UInt64(index) * childPages, writable: writable, special: special), child)
          ?? empty
      }
      // Every encoding keeps the pfn in a plain field, so the leaves step by
      // a constant; checked at both ends and the middle, else each is encoded.
      let count = geometry.entriesPerTable[child]
      let first = leaf(0)
      let step = count > 1 ? leaf(1) &- first : 0
      let linear = [count / 2, count - 1].allSatisfy { leaf($0) == first &+ UInt64($0) &* step }
      let table =
        linear
        ? allocateLinearTable(level: child, first: first, step: step) : allocateTable(level: child) { leaf($0) }
      new = arch.makeTable(table << UInt64(geometry.pageShift), level)
    case .collapse:
      let table = arch.tableAddress(old, level) >> UInt64(geometry.pageShift)
      let index = geometry.index(address, .pte)
      let pte = entry(pfn: table, index: index)
      let base = arch.pfn(pte, .pte) &- UInt64(index)
      let leaf = LeafProperties(
        pfn: base & ~((geometry.size(.pmd) >> UInt64(geometry.pageShift)) - 1), writable: arch.isWrite(pte, .pte),
        special: arch.isSpecial(pte, .pte))
      guard let value = arch.makeLeaf(leaf, .pmd) else { throw WorldError("adversary: cannot collapse") }
      new = value
    }
    // The kernel's order: every registered notifier hears of the range first,
    // then the entries change, then the notifiers hear that it is over.
    let listener = invalidationListener
    try listener?.invalidateRangeStart(range)
    _ = store(new, at: pointer)
    adversarySteps += 1
    invalidationSequence &+= 1
    try listener?.invalidateRangeEnd(range)
    return PerformedOp(op: op, pointer: pointer, old: old, new: new)
  }
}

/// What one adversary operation did: the entry it changed, before and after.
public struct PerformedOp: Sendable, Hashable, CustomStringConvertible {
  public var op: AdversaryOp
  public var pointer: EntryPointer
  public var old: UInt64
  public var new: UInt64

  /// The trace's line.
  public var description: String { "CPU1 \(op) @\(pointer): \(hex(old)) -> \(hex(new))" }
}
