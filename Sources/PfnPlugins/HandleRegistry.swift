import PfnModel
import Synchronization

/// Opaque handles for the spinlocks a plug-in gets (`spinlock_t *`): small
/// nonzero numbers that stay the same for one lock for the life of the process.
final class LockHandles: Sendable {
  private struct Table {
    var handles: [LockID: UInt64] = [:]
    var locks: [LockID] = []
  }

  private let table = Mutex(Table())
  /// Keeps handles away from small integers and from user-space addresses.
  private static let base: UInt64 = 0x10c0_0000_0000_0000

  /// The handle for a lock, made on first use.
  func handle(_ lock: LockID) -> UInt64 {
    table.withLock { table in
      if let handle = table.handles[lock] { return handle }
      table.locks.append(lock)
      let handle = Self.base + UInt64(table.locks.count)
      table.handles[lock] = handle
      return handle
    }
  }

  /// The lock behind a handle; `nil` for a value the host never handed out.
  func lock(_ handle: UInt64) -> LockID? {
    guard handle > Self.base else { return nil }
    let index = Int(handle - Self.base) - 1
    return table.withLock { table in index < table.locks.count ? table.locks[index] : nil }
  }
}
