/// The shape of one page-table layout: which of the kernel's five generic
/// levels are hardware tables, with their shifts and sizes.
///
/// The kernel folds levels from the top (`pgtable-nop4d.h`, `-nopud.h`,
/// `-nopmd.h`, or at run time on x86_64 and riscv): a folded level's "table" is
/// the entry of the hardware level above it, and its `PXD_SHIFT` is that
/// level's shift. Architectures describe their geometry with one of these and
/// keep only their encoding and helpers as code.
struct LevelLayout: Sendable {
  let pageShift: Int
  /// Each level's shift, a folded level's already resolved to the hardware
  /// level it is folded into: a plain load per question, no hashing.
  private let shifts: PerLevel<Int>
  /// `PTRS_PER_*`; 0 marks a folded level (which answers 1).
  private let counts: PerLevel<Int>

  /// `hardware` lists the levels that are real tables, top first; `.pgd` and
  /// `.pte` must be among them.
  init(pageShift: Int, hardware: [(PageLevel, shift: Int, entries: Int)]) {
    self.pageShift = pageShift
    var shifts = PerLevel(repeating: -1)
    var counts = PerLevel(repeating: 0)
    for (level, shift, entries) in hardware {
      shifts[level] = shift
      counts[level] = entries
    }
    precondition(counts[.pgd] != 0 && counts[.pte] != 0, "a layout needs a pgd and a pte level")
    // A folded level has the shift of the hardware level it is folded into.
    for level in PageLevel.allCases where shifts[level] < 0 { shifts[level] = shifts[level.above!] }
    self.shifts = shifts
    self.counts = counts
  }

  func isFolded(_ level: PageLevel) -> Bool { counts[level] == 0 }

  func shift(_ level: PageLevel) -> Int { shifts[level] }

  func entries(_ level: PageLevel) -> Int { max(counts[level], 1) }

  var levelCount: Int { PageLevel.allCases.filter { counts[$0] != 0 }.count }
}

/// One value per page-table level, stored inline: read by a switch on the
/// level, never through a hash table.
public struct PerLevel<Value: Sendable>: Sendable {
  public var pgd, p4d, pud, pmd, pte: Value

  public init(repeating value: Value) {
    (pgd, p4d, pud, pmd, pte) = (value, value, value, value, value)
  }

  public init(_ make: (PageLevel) -> Value) {
    (pgd, p4d, pud, pmd, pte) = (make(.pgd), make(.p4d), make(.pud), make(.pmd), make(.pte))
  }

  public subscript(level: PageLevel) -> Value {
    @inline(__always) get {
      switch level {
      case .pgd: pgd
      case .p4d: p4d
      case .pud: pud
      case .pmd: pmd
      case .pte: pte
      }
    }
    @inline(__always) set {
      switch level {
      case .pgd: pgd = newValue
      case .p4d: p4d = newValue
      case .pud: pud = newValue
      case .pmd: pmd = newValue
      case .pte: pte = newValue
      }
    }
  }
}

/// An architecture's geometry as plain values, read once: what the model's
/// hot paths (every walk step, every scheduling point) ask instead of calling
/// through the `Architecture` existential.
public struct Geometry: Sendable {
  public let pageShift: Int
  public let pageSize: UInt64
  public let shifts: PerLevel<Int>
  public let entriesPerTable: PerLevel<Int>
  public let folded: PerLevel<Bool>
  /// Whether the level's entries are judged with the architecture's own helpers.
  public let entryLevel: PerLevel<Bool>
  public let emptyEntry: PerLevel<UInt64>

  public init(_ arch: any Architecture) {
    pageShift = arch.pageShift
    pageSize = arch.pageSize
    shifts = PerLevel { arch.shift($0) }
    entriesPerTable = PerLevel { arch.entriesPerTable($0) }
    folded = PerLevel { arch.isFolded($0) }
    entryLevel = PerLevel { arch.isEntryLevel($0) }
    emptyEntry = PerLevel { arch.emptyEntry($0) }
  }

  /// The index of `address` in a table of `level` (as ``Architecture/index(_:_:)``).
  @inline(__always)
  public func index(_ address: UInt64, _ level: PageLevel) -> Int {
    Int((address >> UInt64(shifts[level])) & UInt64(entriesPerTable[level] - 1))
  }

  /// `PXD_SIZE`.
  @inline(__always)
  public func size(_ level: PageLevel) -> UInt64 { 1 << UInt64(shifts[level]) }

  /// `PXD_MASK`.
  @inline(__always)
  public func mask(_ level: PageLevel) -> UInt64 { ~(size(level) - 1) }
}

extension Architecture {
  /// Whether a walk judges the entries at `level` with the architecture's own
  /// helpers.
  ///
  /// A hardware table's entries are read at every level of its fold chain (the
  /// table's level and the folded levels below it), but only the last level of
  /// the chain has real helpers; above it the generic `nopXd` ones answer
  /// "not none, not bad, present". So on 4-level x86_64 the top table is judged
  /// as p4d, on a 3-level arm64 as pud, and on 2-level arm64 as pmd.
  public func isEntryLevel(_ level: PageLevel) -> Bool {
    guard let below = level.below else { return true }
    return !isFolded(below)
  }

  /// The levels whose entries are judged for real, top first: one per hardware
  /// table (`pfnspec`'s `walk_levels`).
  public var entryLevels: [PageLevel] { PageLevel.allCases.filter { isEntryLevel($0) } }

  /// The number of hardware page-table levels.
  public var levelCount: Int { hardwareLevels.count }

  /// The level that judges the entries of the table at `level` (itself, or the
  /// last folded level below it).
  public func entryLevel(of level: PageLevel) -> PageLevel {
    var current = level
    while !isEntryLevel(current), let below = current.below { current = below }
    return current
  }
}
