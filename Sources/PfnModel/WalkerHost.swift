/// The physical address of one page-table entry: what `pmd_t *` is to a kernel
/// walker. Walkers get these from the host and hand them back; they never see a
/// decoded table.
public struct EntryPointer: Sendable, Hashable, Codable, CustomStringConvertible {
  public var address: UInt64

  public init(address: UInt64) { self.address = address }

  public var description: String { "0x" + String(address, radix: 16) }
}

/// A spinlock a walker took through the host: `spinlock_t *`.
public struct LockRef: Sendable, Hashable, Codable, CustomStringConvertible {
  public var id: LockID

  public init(_ id: LockID) { self.id = id }

  public var description: String { id.description }
}

/// The page-table spinlocks of the model.
public enum LockID: Sendable, Hashable, Codable, CustomStringConvertible, Comparable {
  /// `mm->page_table_lock`: the PUD lock, and the PMD lock without split PMD locks.
  case pageTableLock
  /// The split PMD lock in the page of the PMD table at this pfn.
  case pmdTable(pfn: UInt64)
  /// The PTE lock in the page of the PTE table at this pfn.
  case pteTable(pfn: UInt64)

  public var description: String {
    switch self {
    case .pageTableLock: "mm->page_table_lock"
    case .pmdTable(let pfn): "pmd-table ptl@0x\(String(pfn, radix: 16))"
    case .pteTable(let pfn): "pte-table ptl@0x\(String(pfn, radix: 16))"
    }
  }

  private var order: (Int, UInt64) {
    switch self {
    case .pageTableLock: (0, 0)
    case .pmdTable(let pfn): (1, pfn)
    case .pteTable(let pfn): (2, pfn)
    }
  }

  public static func < (a: Self, b: Self) -> Bool { a.order < b.order }
}

/// The sleeping locks a caller may hold around the walk; lockdep can be asked
/// about them.
public enum CallerLock: Sendable, Hashable, Codable, CustomStringConvertible {
  /// `mm->mmap_lock`, in either mode.
  case mmapLock
  /// `vma->vm_file->f_mapping->i_mmap_rwsem` of the given mapping.
  case iMmapRwsem(MappingRef)

  public var description: String {
    switch self {
    case .mmapLock: "mmap_lock"
    case .iMmapRwsem(let mapping): "i_mmap_rwsem of mapping \(mapping.id)"
    }
  }
}

/// `struct mm_struct *`.
public struct MMRef: Sendable, Hashable, Codable { public var id: Int; public init(id: Int) { self.id = id } }
/// `struct file *`.
public struct FileRef: Sendable, Hashable, Codable { public var id: Int; public init(id: Int) { self.id = id } }
/// `struct address_space *`.
public struct MappingRef: Sendable, Hashable, Codable { public var id: Int; public init(id: Int) { self.id = id } }

/// `VM_*` flags of a VMA.
public struct VMAFlags: OptionSet, Sendable, Hashable, Codable, CustomStringConvertible {
  public let rawValue: UInt64
  public init(rawValue: UInt64) { self.rawValue = rawValue }

  public static let read = VMAFlags(rawValue: 0x1)
  public static let write = VMAFlags(rawValue: 0x2)
  public static let exec = VMAFlags(rawValue: 0x4)
  public static let shared = VMAFlags(rawValue: 0x8)
  public static let io = VMAFlags(rawValue: 0x4000)
  public static let pfnmap = VMAFlags(rawValue: 0x400)
  public static let mixedmap = VMAFlags(rawValue: 0x1000_0000)

  /// Names as rules write them.
  public static let named: [(String, VMAFlags)] = [
    ("READ", .read), ("WRITE", .write), ("EXEC", .exec), ("SHARED", .shared),
    ("IO", .io), ("PFNMAP", .pfnmap), ("MIXEDMAP", .mixedmap),
  ]

  public var description: String {
    let names = Self.named.filter { contains($0.1) }.map(\.0)
    return names.isEmpty ? "none" : names.joined(separator: "|")
  }
}

/// What a walker may read of `struct vm_area_struct`: the fields do not change
/// while the caller holds the locks the contract asks for.
public struct VMAView: Sendable, Hashable, Codable {
  public var start: UInt64
  public var end: UInt64
  public var flags: VMAFlags
  /// `vm_file`; `nil` for a VMA without a backing file.
  public var file: FileRef?
  public var mm: MMRef

  public init(start: UInt64, end: UInt64, flags: VMAFlags, file: FileRef?, mm: MMRef) {
    self.start = start
    self.end = end
    self.flags = flags
    self.file = file
    self.mm = mm
  }
}

/// `struct follow_pfnmap_args`.
public struct FollowPfnmapArgs: Sendable, Hashable, Codable {
  // Inputs
  public var vma: VMAView
  public var address: UInt64
  // Internals: the walker's own, for end().
  public var lock: LockRef?
  public var ptep: EntryPointer?
  // Outputs
  public var pfn: UInt64
  public var pgprot: UInt64
  public var writable: Bool
  public var special: Bool
  /// From 6.15.
  public var addrMask: UInt64

  public init(vma: VMAView, address: UInt64) {
    self.vma = vma
    self.address = address
    self.lock = nil
    self.ptep = nil
    self.pfn = 0
    self.pgprot = 0
    self.writable = false
    self.special = false
    self.addrMask = 0
  }
}

/// Something a walker did that the kernel would not survive or must not allow;
/// thrown from the host call where it happened.
public enum WalkerFault: Error, Sendable, Hashable, CustomStringConvertible {
  /// A NULL pointer was dereferenced (`what` names it, e.g. `vma->vm_file`).
  case nullDereference(String)
  /// An entry pointer that does not point into a page table.
  case wildPointer(EntryPointer)
  /// A spinlock taken twice by the same CPU.
  case selfDeadlock(LockID)
  /// `spin_unlock()` of a lock not held.
  case unlockNotHeld(LockID)
  /// `pte_unmap()` of a table that is not mapped.
  case unmapNotMapped(EntryPointer)
  /// The walker made more host calls than a terminating walk can need.
  case stepLimit(Int)
  /// The walker stored into a page-table entry through a plain pointer
  /// (`*pmdp = ...`, `pmdp->pmd = ...`): the contract forbids modifying page tables.
  case wroteEntry(EntryPointer, PageLevel)
  /// `BUG()`, `BUG_ON()` or `VM_BUG_ON*()` fired: the kernel would stop here.
  case kernelBug(String)

  public var description: String {
    switch self {
    case .nullDereference(let what): "NULL pointer dereference: \(what)"
    case .wildPointer(let p): "pointer \(p) does not point into a page table"
    case .selfDeadlock(let lock): "deadlock: \(lock) taken again while held"
    case .unlockNotHeld(let lock): "unlock of \(lock), which is not held"
    case .unmapNotMapped(let p): "pte_unmap(\(p)) of a PTE table that is not mapped"
    case .stepLimit(let n): "no termination: more than \(n) host calls in one walk"
    case .wroteEntry(let p, let level):
      "the walker wrote a page-table entry: a store through the \(level) entry pointer \(p) (the contract forbids modifying page tables)"
    case .kernelBug(let what): "kernel BUG: \(what)"
    }
  }
}

/// The primitive operations a walker may perform, and nothing more.
///
/// This is the same interface C plugins get as a table of function pointers:
/// read one entry, compute the next table's entry pointer, take or drop a lock,
/// map or unmap a PTE table, ask lockdep, and the architecture's helpers. There
/// is deliberately no "find the leaf" call and no view of a decoded table, so
/// every access to shared state passes through here and can become a scheduling
/// point for the race explorer.
public protocol WalkerHost: AnyObject {
  // MARK: Architecture constants
  /// The architecture's name (`x86_64`), as plug-ins are told it.
  var archName: String { get }
  /// `PAGE_SHIFT`.
  var pageShift: Int { get }
  /// `PMD_SHIFT`, `PUD_SHIFT`, ... (`PAGE_SHIFT` for pte).
  func shift(_ level: PageLevel) -> Int

  // MARK: Page-table access
  /// `pgd_offset(mm, address)`.
  func pgdOffset(_ mm: MMRef, _ address: UInt64) throws -> EntryPointer
  /// `p4d_offset()`, `pud_offset()`, `pmd_offset()`: the entry for `address` in
  /// the table that the entry at `parent` points to (reads `*parent`; returns
  /// `parent` itself where `level` is folded).
  func offset(_ level: PageLevel, below parent: EntryPointer, _ address: UInt64) throws -> EntryPointer
  /// `READ_ONCE(*p)`, `pXdp_get()`, `pmdp_get_lockless()`, `ptep_get()`.
  func read(_ entry: EntryPointer, _ level: PageLevel) throws -> UInt64
  /// `WRITE_ONCE(*p, v)` / `set_pXd()`. The contract forbids walkers to modify
  /// entries; the oracle records every call.
  func write(_ entry: EntryPointer, _ level: PageLevel, _ value: UInt64) throws

  // MARK: Helpers (the architecture's semantics)
  func isNone(_ entry: UInt64, _ level: PageLevel) -> Bool
  func isPresent(_ entry: UInt64, _ level: PageLevel) -> Bool
  func isLeaf(_ entry: UInt64, _ level: PageLevel) -> Bool
  func isBad(_ entry: UInt64, _ level: PageLevel) -> Bool
  func pfn(_ entry: UInt64, _ level: PageLevel) -> UInt64
  func isWrite(_ entry: UInt64, _ level: PageLevel) -> Bool
  func isSpecial(_ entry: UInt64, _ level: PageLevel) -> Bool
  func pgprot(_ entry: UInt64, _ level: PageLevel) -> UInt64

  // MARK: Locks
  /// `pud_lock(mm, pudp)`: takes and returns the PUD lock.
  func pudLock(_ mm: MMRef, _ pud: EntryPointer) throws -> LockRef
  /// `pmd_lock(mm, pmdp)`: takes and returns the PMD lock.
  func pmdLock(_ mm: MMRef, _ pmd: EntryPointer) throws -> LockRef
  /// `pte_offset_map_lock(mm, pmdp, address, &ptl)`: maps the PTE table below
  /// `pmd` and takes its lock; `nil` when there is no PTE table there (empty,
  /// non-present or huge pmd; a bad pmd is cleared first).
  func pteOffsetMapLock(_ mm: MMRef, _ pmd: EntryPointer, _ address: UInt64) throws
    -> (pte: EntryPointer, lock: LockRef)?
  /// `spin_unlock(lock)`.
  func spinUnlock(_ lock: LockRef) throws
  /// `pte_unmap(ptep)`.
  func pteUnmap(_ pte: EntryPointer) throws

  // MARK: VMA, file and lockdep
  /// `vma->vm_file->f_mapping`: a NULL `file` is a fault, as in the kernel.
  func fileMapping(_ file: FileRef?) throws -> MappingRef
  /// `lockdep_is_held(lock)`.
  func lockdepIsHeld(_ lock: CallerLock) -> Bool
  /// `lockdep_assert(condition)`: records a lockdep warning when false.
  func lockdepAssert(_ condition: Bool, _ what: String)

  // MARK: Without a scheduling point (plug-in shims)
  /// `*entry` without a scheduling point, a count or a trace line: what a C
  /// walker's plain read of an entry pointer sees. `nil` for no entry.
  func peek(_ entry: EntryPointer) -> UInt64?
  /// Whether the walking CPU holds a page-table spinlock (for `might_sleep()`).
  var holdsSpinlock: Bool { get }
  /// `WARN*()`, `VM_WARN_ON*()`, `BUG*()`: a line in the trace.
  func kernelWarning(_ what: String)
  /// A plain read of an entry pointer (`*pgdp`, `pmd_t pmd = *pmdp`), told
  /// after the fact but before the next host call acts, so the locks held now
  /// are the locks held when it was made. Not a scheduling point: a data race
  /// when another CPU may change the entry (``DataRace``).
  func plainRead(_ entry: EntryPointer, _ level: PageLevel)
}

extension WalkerHost {
  public func peek(_ entry: EntryPointer) -> UInt64? { nil }
  public var holdsSpinlock: Bool { false }
  public func kernelWarning(_ what: String) {}
  public func plainRead(_ entry: EntryPointer, _ level: PageLevel) {}
}

extension WalkerHost {
  /// `pte_unmap_unlock(ptep, ptl)`.
  public func pteUnmapUnlock(_ pte: EntryPointer, _ lock: LockRef) throws {
    try spinUnlock(lock)
    try pteUnmap(pte)
  }

  /// `PXD_MASK`.
  public func mask(_ level: PageLevel) -> UInt64 { ~((1 << UInt64(shift(level))) - 1) }
}
