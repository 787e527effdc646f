import PfnSupport

// The shared helpers under the names the engine's files use without importing PfnSupport.
typealias SeededGenerator = PfnSupport.SeededGenerator

func stableHash(_ parts: [String], seed: UInt64 = 0) -> UInt64 { PfnSupport.stableHash(parts, seed: seed) }
