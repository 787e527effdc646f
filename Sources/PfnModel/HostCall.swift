/// One host call that touches shared state, as the race explorer sees it: what
/// it reads, writes, takes and releases. Two operations that share none of
/// these commute, which is what lets the explorer skip equivalent schedules.
public struct HostCall: Sendable, Hashable, CustomStringConvertible {
  public var name: String
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

  public init(_ name: String, reads: [EntryPointer] = [], writes: [EntryPointer] = [], locks: [LockID] = []) {
    self.name = name
    self.readSet = SmallList(reads)
    self.writeSet = SmallList(writes)
    self.lockSet = SmallList(locks)
  }

  /// A call with one entry read, and perhaps one lock: what the model host
  /// makes at most scheduling points, without an array.
  public init(_ name: String, reading entry: EntryPointer, locking lock: LockID? = nil) {
    self.name = name
    self.readSet = .one(entry)
    self.writeSet = .none
    self.lockSet = lock.map { .one($0) } ?? .none
  }

  /// A call with one entry written.
  public init(_ name: String, writing entry: EntryPointer) {
    self.name = name
    self.readSet = .none
    self.writeSet = .one(entry)
    self.lockSet = .none
  }

  /// A call that takes or releases one lock.
  public init(_ name: String, locking lock: LockID) {
    self.name = name
    self.readSet = .none
    self.writeSet = .none
    self.lockSet = .one(lock)
  }

  public var description: String { name }

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
