/// Every page table of a world, flat: tables one after another in one array
/// of entries, found by a short scan (a world has a handful), never by
/// hashing. It keeps the world's content hash and undo log up to date on each
/// store.
///
/// A value type with mutating methods, so that one store is one exclusive
/// access to the world's storage, not one per field it touches.
struct TableStore {
  /// One page table's place in ``entries``.
  struct Table: Hashable {
    /// The first page the table occupies (its pfn).
    var pfn: UInt64
    /// Pages it spans (ppc64 radix's pgd: 16).
    var pages: UInt64
    /// The level whose entries this table holds.
    var level: PageLevel
    /// Where its first entry is in ``entries``.
    var base: Int
    var count: Int
  }

  /// Where a store or a checkpoint can be rewound to.
  struct Mark {
    var undoCount: Int
    var tableCount: Int
    var entryCount: Int
    var contentHash: UInt64
  }

  let pageShift: Int
  /// Every table, in the order they were made.
  private(set) var tables: [Table] = []
  /// The entries of every table, table after table.
  private(set) var entries: [UInt64] = []
  /// The table the last lookup found: walks touch the same few tables again and again.
  private var lookupHint = 0
  /// An XOR of one digest per non-zero entry (Zobrist hashing): updated on
  /// every store, so that telling end states apart costs nothing per state.
  private(set) var contentHash: UInt64 = 0
  /// Counts every change that can change what the adversary may do (an entry,
  /// a table, a lock), so that the enabled operations are computed once per
  /// change. It only grows, also across rewinds, so a cached answer never
  /// matches a state it was not computed for.
  var mutations = 0
  /// Entry stores since the oldest live mark, to undo them: (place in
  /// ``entries``, value before). Its capacity stays across rewinds, so a
  /// schedule that writes no more than the ones before allocates nothing.
  private var undoLog: [(index: Int, old: UInt64)] = []
  /// Stores below this place in ``entries`` are logged: tables made after the
  /// newest mark go away whole on a rewind, and before the first mark nothing
  /// is logged.
  private var logLimit = 0

  init(pageShift: Int) { self.pageShift = pageShift }

  /// A 64-bit digest of one entry's place and value; zero entries contribute nothing.
  @inline(__always)
  static func digest(_ pfn: UInt64, _ index: Int, _ value: UInt64) -> UInt64 {
    guard value != 0 else { return 0 }
    var z = (pfn << 12 | UInt64(index)) &* 0x9E37_79B9_7F4A_7C15 ^ value
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  // MARK: Tables

  /// Puts a new table in place, every entry `fill`.
  mutating func addTable(level: PageLevel, filledWith fill: UInt64, count: Int, at pfn: UInt64, pages: UInt64) {
    tables.append(Table(pfn: pfn, pages: pages, level: level, base: entries.count, count: count))
    entries.append(contentsOf: repeatElement(fill, count: count))
    if fill != 0 {
      for index in 0..<count { contentHash ^= Self.digest(pfn, index, fill) }
    }
    mutations &+= 1
  }

  /// Puts a new table in place with the entries `make` gives for each index,
  /// in one pass (a huge leaf split into a table of leaves).
  mutating func addTable(level: PageLevel, count: Int, at pfn: UInt64, pages: UInt64, _ make: (Int) -> UInt64) {
    tables.append(Table(pfn: pfn, pages: pages, level: level, base: entries.count, count: count))
    entries.reserveCapacity(entries.count + count)
    var hash: UInt64 = 0
    for index in 0..<count {
      let value = make(index)
      hash ^= Self.digest(pfn, index, value)
      entries.append(value)
    }
    contentHash ^= hash
    mutations &+= 1
  }

  /// The content hashes of tables ``addLinearTable(level:count:at:pages:first:step:)``
  /// made before: an explorer splits the same leaf into the same table in
  /// schedule after schedule. Kept across rewinds.
  private var linearTableHashes: [LinearTable: UInt64] = [:]

  struct LinearTable: Hashable {
    var pfn: UInt64
    var count: Int
    var first: UInt64
    var step: UInt64
  }

  /// Puts a new table in place whose entry `i` is `first + i * step` (a huge
  /// leaf split into a table of leaves), hashing its entries only the first time.
  mutating func addLinearTable(level: PageLevel, count: Int, at pfn: UInt64, pages: UInt64, first: UInt64, step: UInt64) {
    tables.append(Table(pfn: pfn, pages: pages, level: level, base: entries.count, count: count))
    let base = entries.count
    entries.append(contentsOf: repeatElement(0, count: count))
    entries.withUnsafeMutableBufferPointer { buffer in
      var value = first
      for index in base..<base + count {
        buffer[index] = value
        value &+= step
      }
    }
    let shape = LinearTable(pfn: pfn, count: count, first: first, step: step)
    if let known = linearTableHashes[shape] {
      contentHash ^= known
    } else {
      var hash: UInt64 = 0
      var value = first
      for index in 0..<count {
        hash ^= Self.digest(pfn, index, value)
        value &+= step
      }
      if linearTableHashes.count >= 1 << 12 { linearTableHashes.removeAll(keepingCapacity: true) }
      linearTableHashes[shape] = hash
      contentHash ^= hash
    }
    mutations &+= 1
  }

  /// The table that starts at page `pfn`.
  func table(at pfn: UInt64) -> Table? {
    for table in tables where table.pfn == pfn { return table }
    return nil
  }

  /// The entries of the table that starts at page `pfn`.
  func tableEntries(at pfn: UInt64) -> ArraySlice<UInt64>? {
    table(at: pfn).map { entries[$0.base..<$0.base + $0.count] }
  }

  // MARK: Entries

  /// The table, flat place and index an entry pointer designates, if it points into a table.
  @inline(__always)
  mutating func find(_ pointer: EntryPointer) -> (table: Table, flat: Int, index: Int)? {
    guard pointer.address % 8 == 0 else { return nil }
    let page = pointer.address >> UInt64(pageShift)
    let shift = UInt64(pageShift)
    func hit(_ table: Table) -> (Table, Int, Int)? {
      guard page >= table.pfn, page - table.pfn < table.pages else { return nil }
      let index = Int((pointer.address - (table.pfn << shift)) / 8)
      return index < table.count ? (table, table.base + index, index) : nil
    }
    if lookupHint < tables.count, let found = hit(tables[lookupHint]) { return found }
    for position in tables.indices {
      if let found = hit(tables[position]) {
        lookupHint = position
        return found
      }
    }
    return nil
  }

  /// The raw value at a pointer; `nil` for a wild pointer.
  @inline(__always)
  mutating func value(at pointer: EntryPointer) -> UInt64? {
    guard let found = find(pointer) else { return nil }
    return entries[found.flat]
  }

  /// Stores a value; returns the one before, `nil` for a wild pointer.
  mutating func store(_ value: UInt64, at pointer: EntryPointer) -> UInt64? {
    guard let found = find(pointer) else { return nil }
    return store(flat: found.flat, pfn: found.table.pfn, index: found.index, value)
  }

  /// Stores one entry of the table that starts at `pfn`.
  mutating func storeEntry(pfn: UInt64, index: Int, _ value: UInt64) {
    let table = table(at: pfn)!
    _ = store(flat: table.base + index, pfn: pfn, index: index, value)
  }

  /// The value of one entry of the table that starts at `pfn`.
  func entry(pfn: UInt64, index: Int) -> UInt64 {
    entries[table(at: pfn)!.base + index]
  }

  @inline(__always)
  private mutating func store(flat: Int, pfn: UInt64, index: Int, _ value: UInt64) -> UInt64 {
    let old = entries[flat]
    contentHash ^= Self.digest(pfn, index, old) ^ Self.digest(pfn, index, value)
    if flat < logLimit { undoLog.append((flat, old)) }
    entries[flat] = value
    mutations &+= 1
    return old
  }

  // MARK: Marks

  /// From now on every store to an existing entry is logged, to come back here.
  mutating func mark() -> Mark {
    logLimit = entries.count
    return Mark(undoCount: undoLog.count, tableCount: tables.count, entryCount: entries.count, contentHash: contentHash)
  }

  /// Undoes every store since `mark` and drops the tables made since; later marks are forgotten.
  mutating func rewind(to mark: Mark) {
    entries.withUnsafeMutableBufferPointer { buffer in
      while undoLog.count > mark.undoCount {
        let (index, old) = undoLog.removeLast()
        if index < mark.entryCount { buffer[index] = old }
      }
    }
    if tables.count > mark.tableCount { tables.removeLast(tables.count - mark.tableCount) }
    if entries.count > mark.entryCount { entries.removeLast(entries.count - mark.entryCount) }
    lookupHint = 0
    logLimit = mark.entryCount
    contentHash = mark.contentHash
    mutations &+= 1
  }
}
