#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// The testcase names claimed in one suite, as a `Set<String>` would hold
/// them, without hashing a String per case.
///
/// ASCII names (nearly all) are kept as bytes in one buffer and found by a
/// byte hash: for ASCII text, equal bytes and equal Strings are the same
/// thing. String equality is canonical equivalence, though, and that can join
/// a name that is not ASCII with one that is (`K` and the Kelvin sign U+212A),
/// so the first name that is not ASCII moves every name to a `Set<String>`,
/// which then decides for the rest of the suite.
struct ClaimedNames {
  /// The names' bytes, one after another.
  private var arena: [UInt8] = []
  /// Each name's end in ``arena`` (its start is the previous one's end) and hash.
  private var entries: [(end: Int, hash: UInt64)] = []
  /// Open addressing over ``entries``: an entry's index plus one, 0 for none.
  private var slots: [Int32] = Array(repeating: 0, count: 2048)
  /// Every name, once a name that is not ASCII came.
  private var strings: Set<String>?

  init() {
    arena.reserveCapacity(64 * 1024)
    entries.reserveCapacity(1024)
  }

  /// Adds `name`; false if the suite has it already.
  mutating func insert(_ name: String) -> Bool {
    if strings == nil {
      var name = name
      let ascii = name.withUTF8 { utf8 -> Bool? in
        for byte in utf8 where byte >= 0x80 { return nil }
        return insert(ascii: utf8)
      }
      if let ascii { return ascii }
      moveToStrings()
    }
    return strings!.insert(name).inserted
  }

  /// Adds a name given as ASCII bytes; false if the suite has it already.
  mutating func insert(ascii name: UnsafeBufferPointer<UInt8>) -> Bool {
    if strings != nil { return strings!.insert(String(decoding: name, as: UTF8.self)).inserted }
    let hash = Self.hash(name)
    let mask = slots.count - 1
    var slot = Int(truncatingIfNeeded: hash) & mask
    while slots[slot] != 0 {
      let entry = Int(slots[slot]) - 1
      if entries[entry].hash == hash, equals(entry, name) { return false }
      slot = (slot + 1) & mask
    }
    arena.append(contentsOf: name)
    entries.append((arena.count, hash))
    slots[slot] = Int32(entries.count)
    // At most half full, so that probes stay short.
    if entries.count * 2 > slots.count { grow() }
    return true
  }

  private func equals(_ entry: Int, _ name: UnsafeBufferPointer<UInt8>) -> Bool {
    let start = entry == 0 ? 0 : entries[entry - 1].end
    let end = entries[entry].end
    guard end - start == name.count else { return false }
    return arena.withUnsafeBufferPointer { stored in
      name.isEmpty || memcmp(stored.baseAddress! + start, name.baseAddress!, name.count) == 0
    }
  }

  private mutating func grow() {
    slots = Array(repeating: 0, count: slots.count * 2)
    let mask = slots.count - 1
    for (index, entry) in entries.enumerated() {
      var slot = Int(truncatingIfNeeded: entry.hash) & mask
      while slots[slot] != 0 { slot = (slot + 1) & mask }
      slots[slot] = Int32(index + 1)
    }
  }

  private mutating func moveToStrings() {
    var all = Set<String>(minimumCapacity: entries.count * 2)
    var start = 0
    for entry in entries {
      all.insert(String(decoding: arena[start..<entry.end], as: UTF8.self))
      start = entry.end
    }
    strings = all
    arena = []
    entries = []
    slots = [0]
  }

  /// A 64-bit hash of bytes, eight at a time (the set's own, not stable across versions).
  private static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
    var hash: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(bytes.count)
    let raw = UnsafeRawBufferPointer(bytes)
    var offset = 0
    while offset + 8 <= raw.count {
      hash = (hash ^ raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) &* 0xFF51_AFD7_ED55_8CCD
      hash ^= hash >> 32
      offset += 8
    }
    var tail: UInt64 = 0
    var shift: UInt64 = 0
    while offset < raw.count {
      tail |= UInt64(raw[offset]) << shift
      shift += 8
      offset += 1
    }
    hash = (hash ^ tail) &* 0xC4CE_B9FE_1A85_EC53
    return hash ^ (hash >> 29)
  }
}
