/// A range of user addresses another CPU is about to change, as an mmu
/// notifier's `invalidate_range_start()`/`_end()` receives it.
public struct InvalidationRange: Sendable, Hashable, Codable, CustomStringConvertible {
  public var start: UInt64
  /// One past the last byte.
  public var end: UInt64
  /// What the other CPU does to the range (`MMU_NOTIFY_UNMAP`, `_CLEAR`, `_PROTECTION_VMA`...).
  public var event: AdversaryKind

  public init(start: UInt64, end: UInt64, event: AdversaryKind) {
    self.start = start
    self.end = end
    self.event = event
  }

  public func contains(_ address: UInt64) -> Bool { start <= address && address < end }

  public var description: String { "[\(hex(start)), \(hex(end))) \(event.rawValue)" }
}

/// Who hears about the ranges the adversary changes: the host of a caller,
/// which runs the caller's registered notifiers in the kernel's order.
public protocol InvalidationListener: AnyObject {
  /// Before any entry of the range changes.
  func invalidateRangeStart(_ range: InvalidationRange) throws
  /// After the entries changed.
  func invalidateRangeEnd(_ range: InvalidationRange) throws
  /// Whether an invalidation must wait now: a notifier would spin on a lock
  /// that the caller's CPU holds (KVM's `mmu_lock`), so no range can change.
  var blocksInvalidation: Bool { get }
}
