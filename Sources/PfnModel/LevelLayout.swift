/// The shape of one page-table layout: which of the kernel's five generic
/// levels are hardware tables, with their shifts and sizes.
///
/// The kernel folds levels from the top (`pgtable-nop4d.h`, `-nopud.h`,
/// `-nopmd.h`, or at run time on x86_64 and riscv): a folded level's "table" is
/// the entry of the hardware level above it, and its `PXD_SHIFT` is that
/// level's shift. Architectures describe their geometry with one of these and
/// keep only their encoding and helpers as code.
struct LevelLayout: Sendable {
  struct Table: Sendable {
    var shift: Int
    var entries: Int
  }

  let pageShift: Int
  private let tables: [PageLevel: Table]

  /// `hardware` lists the levels that are real tables, top first; `.pgd` and
  /// `.pte` must be among them.
  init(pageShift: Int, hardware: [(PageLevel, shift: Int, entries: Int)]) {
    self.pageShift = pageShift
    var tables: [PageLevel: Table] = [:]
    for (level, shift, entries) in hardware { tables[level] = Table(shift: shift, entries: entries) }
    precondition(tables[.pgd] != nil && tables[.pte] != nil, "a layout needs a pgd and a pte level")
    self.tables = tables
  }

  func isFolded(_ level: PageLevel) -> Bool { tables[level] == nil }

  /// A folded level has the shift of the hardware level it is folded into.
  func shift(_ level: PageLevel) -> Int {
    var current = level
    while tables[current] == nil, let above = current.above { current = above }
    return tables[current]!.shift
  }

  func entries(_ level: PageLevel) -> Int { tables[level]?.entries ?? 1 }

  var levelCount: Int { tables.count }
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
