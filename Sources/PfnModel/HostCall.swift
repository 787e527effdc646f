/// One host call that touches shared state, as the race explorer sees it: what
/// it reads, writes, takes and releases. Two operations that share none of
/// these commute, which is what lets the explorer skip equivalent schedules.
public struct HostCall: Sendable, Hashable, CustomStringConvertible {
  /// What the call is called, as traces, timelines and counterexamples show it.
  public var name: String {
    get {
      switch wording {
      case .text(let text): text
      case .hex(let head, let value, let tail): head + "0x" + String(value, radix: 16) + tail
      case .decimal(let head, let value, let tail): head + String(value) + tail
      }
    }
    set { wording = .text(newValue) }
  }
  // A name that ends in a number is kept in parts and worded only when read:
  // most scheduling points are never shown, and wording a number costs more
  // than the rest of making the call.
  private var wording: Wording
  // Every model host call reads, writes or locks at most one thing: held
  // inline, so that making a call (at every scheduling point) allocates nothing.
  private var readSet: SmallList<EntryPointer>
  private var writeSet: SmallList<EntryPointer>
  private var lockSet: SmallList<LockID>

  public var reads: [EntryPointer] {
    get { readSet.array }
    set { readSet = SmallList(newValue) }
  }
  public var writes: [EntryPointer] {
    get { writeSet.array }
    set { writeSet = SmallList(newValue) }
  }
  /// Locks the call takes or releases.
  public var locks: [LockID] {
    get { lockSet.array }
    set { lockSet = SmallList(newValue) }
  }

  private enum Wording: Sendable, Hashable {
    case text(String)
    case hex(head: String, value: UInt64, tail: String)
    case decimal(head: String, value: UInt64, tail: String)
  }

  public init(_ name: String, reads: [EntryPointer] = [], writes: [EntryPointer] = [], locks: [LockID] = []) {
    self.wording = .text(name)
    self.readSet = SmallList(reads)
    self.writeSet = SmallList(writes)
    self.lockSet = SmallList(locks)
  }

  /// A call named `head`, `value` in hex and `tail` (`map iommu 0x1000`),
  /// worded only when its ``name`` is read.
  public init(_ head: String, hex value: UInt64, _ tail: String = "", reads: [EntryPointer]) {
    self.wording = .hex(head: head, value: value, tail: tail)
    self.readSet = SmallList(reads)
    self.writeSet = .none
    self.lockSet = .none
  }

  /// A call named `head`, `value` in decimal and `tail` (`spin_lock(caller lock #1)`),
  /// worded only when its ``name`` is read.
  public init(_ head: String, decimal value: UInt64, _ tail: String = "", reads: [EntryPointer]) {
    self.wording = .decimal(head: head, value: value, tail: tail)
    self.readSet = SmallList(reads)
    self.writeSet = .none
    self.lockSet = .none
  }

  /// A call with one entry read, and perhaps one lock: what the model host
  /// makes at most scheduling points, without an array.
  public init(_ name: String, reading entry: EntryPointer, locking lock: LockID? = nil) {
    self.wording = .text(name)
    self.readSet = .one(entry)
    self.writeSet = .none
    self.lockSet = lock.map { .one($0) } ?? .none
  }

  /// A call with one entry written.
  public init(_ name: String, writing entry: EntryPointer) {
    self.wording = .text(name)
    self.readSet = .none
    self.writeSet = .one(entry)
    self.lockSet = .none
  }

  /// A call that takes or releases one lock.
  public init(_ name: String, locking lock: LockID) {
    self.wording = .text(name)
    self.readSet = .none
    self.writeSet = .none
    self.lockSet = .one(lock)
  }

  public var description: String { name }

  /// Calls are the same when their names and footprints are, however the names are kept.
  public static func == (lhs: HostCall, rhs: HostCall) -> Bool {
    lhs.name == rhs.name && lhs.readSet == rhs.readSet && lhs.writeSet == rhs.writeSet && lhs.lockSet == rhs.lockSet
  }

  public func hash(into hasher: inout Hasher) {
    hasher.combine(name)
    hasher.combine(readSet)
    hasher.combine(writeSet)
    hasher.combine(lockSet)
  }

  /// Whether this call and an operation with the given footprint could see
  /// each other's effects.
  public func conflicts(writing entries: Set<EntryPointer>, locking needed: Set<LockID>) -> Bool {
    readSet.contains(where: entries.contains) || writeSet.contains(where: entries.contains)
      || lockSet.contains(where: needed.contains)
  }
}

/// A list that holds none or one element inline and more in an array; always
/// in its shortest form, so that synthesized equality compares contents.
enum SmallList<Element: Sendable & Hashable>: Sendable, Hashable {
  case none
  case one(Element)
  case many([Element])

  init(_ elements: [Element]) {
    switch elements.count {
    case 0: self = .none
    case 1: self = .one(elements[0])
    default: self = .many(elements)
    }
  }

  var array: [Element] {
    switch self {
    case .none: []
    case .one(let element): [element]
    case .many(let elements): elements
    }
  }

  @inline(__always)
  func contains(where matches: (Element) throws -> Bool) rethrows -> Bool {
    switch self {
    case .none: false
    case .one(let element): try matches(element)
    case .many(let elements): try elements.contains(where: matches)
    }
  }
}
