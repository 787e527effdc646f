/// SplitMix64: small, fast and the same everywhere, so a seed means one thing.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
  public var state: UInt64

  public init(seed: UInt64) { state = seed }

  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

/// FNV-1a over a list of strings (each closed by a separator byte): the same
/// on every machine and Swift version, unlike `Hasher`, so seeds and shards
/// derived from names mean one thing everywhere.
public func stableHash(_ parts: [String], seed: UInt64 = 0) -> UInt64 {
  var hash: UInt64 = 0xcbf2_9ce4_8422_2325 ^ seed
  for part in parts {
    for byte in part.utf8 {
      hash ^= UInt64(byte)
      hash &*= 0x100_0000_01b3
    }
    hash ^= 0xff
    hash &*= 0x100_0000_01b3
  }
  return hash
}
